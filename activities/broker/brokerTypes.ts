import type { LiveBrokerName } from '../../domain/vocabulary';
/**
 * The one broker interface. Each broker (simulated, Alpaca, IBKR) is one module behind it.
 * Plain serialisable data in and out, so activities can pass it through Temporal.
 */
export type OrderSide = 'buy' | 'sell';
export type OrderStatus = 'accepted' | 'filled' | 'partially_filled' | 'rejected' | 'canceled';
export type AssetClass = 'us_equity' | 'us_option';

export interface OrderRequest {
  /** Deterministic id: a second submit with the same id returns the first order. */
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly side: OrderSide;
  readonly qty: number;
  readonly type: 'market';
  /**
   * Simulation only: the bar (start, epoch ms) whose close the simulated broker fills at.
   * Real brokers ignore it and fill at the market.
   */
  readonly simFillBarStart?: number;
  /** Simulation only: the underlying, for option pricing. */
  readonly underlying?: string;
}

export interface BrokerOrder {
  readonly id: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly qty: number;
  readonly filledQty: number;
  readonly filledAvgPrice: number | null;
  readonly status: OrderStatus;
  readonly submittedAt: string;
  readonly filledAt: string | null;
  readonly fees: number;
  /** Broker error code or reason when rejected. */
  readonly rejectReason: string | null;
}

export interface BrokerPosition {
  readonly symbol: string;
  readonly qty: number;
  readonly avgEntryPrice: number;
}

export interface BrokerAccount {
  readonly accountValue: number;
  readonly cash: number;
  readonly buyingPower: number;
}

export interface BrokerCapabilities {
  readonly options: boolean;
  readonly shortSelling: boolean;
  readonly fractional: boolean;
}

export interface Broker {
  readonly name: 'sim' | LiveBrokerName;
  readonly capabilities: BrokerCapabilities;
  authenticate(): Promise<void>;
  submitOrder(req: OrderRequest): Promise<BrokerOrder>;
  getOrderByClientId(clientOrderId: string): Promise<BrokerOrder | null>;
  cancelOrder(orderId: string): Promise<void>;
  positions(): Promise<BrokerPosition[]>;
  account(): Promise<BrokerAccount>;
  /**
   * Price for sizing: the latest quote (real brokers) or, in simulation, the price at the close of the
   * bar starting at `barStart`. Null when there is none.
   */
  quote(symbol: string, assetClass: AssetClass, barStart: number): Promise<number | null>;
}
