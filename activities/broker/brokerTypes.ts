import type { LiveBrokerName } from '../../domain/vocabulary';
/**
 * The broker port: the one broker interface, and what real brokers offer beyond it (BrokerExtensions).
 * Each broker (simulated, Alpaca, IBKR) is one module behind it; brokerFactory.ts only picks one and its
 * endpoint. Plain serialisable data in and out, so activities can pass it through Temporal.
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

// ---------------------------------------------------------------------------------------------
// What real brokers offer beyond the Broker interface. The simulated broker does not
// need them; the workflow reaches them through activities when the broker is real.

export interface ProtectiveStopRequest {
  /** Deterministic id (leg `stop` of domain/orders/clientOrderId.ts). */
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly assetClass: AssetClass;
  /** Closing side: `sell` protects a long, `buy` a short. */
  readonly side: OrderSide;
  readonly qty: number;
  /** OPEN: trailing stop held at the broker. MID and CLOSE: fixed stop. */
  readonly kind: 'trailing' | 'stop';
  /** Trailing distance in percent (2 means 2%). */
  readonly trailPercent?: number;
  readonly stopPrice?: number;
  /** Entry fill price, to derive a fixed stop when a trailing one is not possible. */
  readonly referencePrice: number;
}

export type ProtectiveStopResult =
  | { readonly placed: true; readonly order: BrokerOrder; readonly kind: 'trailing' | 'stop'; readonly note: string | null }
  | { readonly placed: false; readonly reason: string };

export interface AssetInfo {
  readonly symbol: string;
  readonly tradable: boolean;
  readonly shortable: boolean;
  readonly easyToBorrow: boolean;
  readonly fractionable: boolean;
}

export interface OptionContractInfo {
  /** OCC symbol as the bot writes it (root padded to 6). */
  readonly symbol: string;
  readonly underlying: string;
  readonly expiry: string;
  readonly strike: number;
  readonly right: 'P' | 'C';
}

export interface QuoteInfo {
  readonly bid: number;
  readonly ask: number;
  readonly time: string;
}

export interface MarketClock {
  readonly isOpen: boolean;
  readonly timestamp: string;
  readonly nextOpen: string;
  readonly nextClose: string;
}

/** One exchange day as the broker's calendar gives it (New York wall time). */
export interface CalendarDay {
  readonly date: string;
  readonly open: string;
  readonly close: string;
}

export interface ImbalanceInfo {
  readonly symbol: string;
  /** Shares; positive = buy imbalance, negative = sell imbalance. Null when IB sent none. */
  readonly imbalance: number | null;
  readonly auctionPrice: number | null;
  readonly auctionVolume: number | null;
  readonly regulatoryImbalance: number | null;
}

export interface BrokerExtensions {
  placeProtectiveStop(req: ProtectiveStopRequest): Promise<ProtectiveStopResult>;
  /** Orders still working at the broker (for reconciliation after a restart). */
  openOrders(): Promise<BrokerOrder[]>;
  /**
   * Every order (any status) submitted at or after `since` (ISO), oldest first: reconciliation recomputes
   * the bot's client order ids from them to tell its positions from the user's. IBKR knows only the
   * current day's completed orders and every open one.
   */
  ordersSince(since: string): Promise<BrokerOrder[]>;
  /** Whether the market takes orders now: Alpaca asks its clock, IBKR reads the exchange calendar at its market clock. */
  marketOpen?(): Promise<boolean>;
  assetInfo(symbol: string): Promise<AssetInfo | null>;
  /** Tradable put contracts of an underlying in an expiry (and optional strike) range. */
  putContracts(underlying: string, range: { expiryFrom: string; expiryTo: string; strikeFrom?: number; strikeTo?: number }): Promise<OptionContractInfo[]>;
  latestQuote(symbol: string, assetClass: AssetClass): Promise<QuoteInfo | null>;
  close(): Promise<void>;
}

export type RealBroker = Broker & BrokerExtensions;

export function isRealBroker(b: Broker): b is RealBroker {
  return b.name !== 'sim' && typeof (b as Partial<RealBroker>).placeProtectiveStop === 'function';
}
