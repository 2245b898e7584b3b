import type { Contract } from '@stoqey/ib';
import type { AssetClass, AssetInfo, Broker, BrokerAccount, BrokerCapabilities, BrokerExtensions, BrokerOrder, BrokerPosition, ImbalanceInfo, OptionContractInfo, OrderRequest, ProtectiveStopRequest, ProtectiveStopResult, QuoteInfo } from '../brokerTypes';
import { IbAccount } from './ibAccount';
import { IbConnection } from './ibConnection';
import { IbContracts } from './ibContracts';
import { IbMarketData } from './ibMarketData';
import type { IbkrBrokerOptions } from './ibOptions';
import { IbOrderBook } from './ibOrderBook';
import { IbOrders } from './ibOrders';
import { regularSessionUtc } from '../../../domain/market/exchangeCalendar';
import { utcMsToNyWallTime } from '../../../domain/market/nyTime';

export { defaultIbApiFactory, IB_CODES, type IbApiFactory, type IbApiLike, type IbListener } from './ibApi';
export { symbolOf } from './ibContracts';
export type { IbkrBrokerOptions } from './ibOptions';
export { ibRejectionCode } from './ibOrderTrack';
export { ibTimeToIso } from './ibTime';
export { DEFAULT_RESTART_WINDOW, inRestartWindow, type RestartWindow } from './restartWindow';

/**
 * Interactive Brokers through @stoqey/ib (the classic event API, IBApi) talking to TWS or IB Gateway by
 * host, port and client id. Requests are answered by events keyed by request id and closed by an `...End`
 * event; errors arrive on the `error` event with IB's numeric code and the request or order id.
 *
 * Idempotency: every order carries the bot's client order id in IB's `orderRef` field. Before placing, the
 * adapter looks the ref up among this session's orders, all open orders (reqAllOpenOrders) and today's
 * completed orders (reqCompletedOrders), so a retried activity finds the first order instead of placing
 * a second one.
 *
 * Paper or live is decided by which TWS/Gateway you connect to; the adapter checks that the configured
 * account is among the accounts that TWS manages, and in paper mode (always the case with TEST_MODE=true)
 * refuses any account that is not an IB paper account (paper account ids start with "D", e.g. DU1234567).
 *
 * This class only composes the parts, which share one connection: the connection (ibConnection), the
 * account (ibAccount), contracts (ibContracts), market data (ibMarketData) and orders (ibOrderBook, ibOrders).
 */
export class IbkrBroker implements Broker, BrokerExtensions {
  readonly name = 'ibkr' as const;
  readonly capabilities: BrokerCapabilities = { options: true, shortSelling: true, fractional: false };
  private readonly conn: IbConnection;
  private readonly acct: IbAccount;
  private readonly contracts: IbContracts;
  private readonly data: IbMarketData;
  private readonly book: IbOrderBook;
  private readonly orders: IbOrders;

  constructor(opts: IbkrBrokerOptions) {
    this.conn = new IbConnection(opts);
    this.book = new IbOrderBook(this.conn);
    this.conn.attach(this.book);
    this.acct = new IbAccount(this.conn);
    this.contracts = new IbContracts(this.conn);
    this.data = new IbMarketData(this.conn, this.contracts);
    this.orders = new IbOrders(this.conn, this.contracts, this.book);
  }

  // Connection and account

  authenticate(): Promise<void> {
    return this.acct.authenticate();
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  /** Connectivity as the watchdog sees it: socket up and TWS connected to IB's servers. */
  get healthy(): boolean {
    return this.conn.healthy;
  }

  account(): Promise<BrokerAccount> {
    return this.acct.account();
  }

  positions(): Promise<BrokerPosition[]> {
    return this.acct.positions();
  }

  // Contracts and market data

  /** Resolves the bot's symbol to one IB contract (conId), or null when IB knows none. */
  qualify(symbol: string, assetClass: AssetClass): Promise<Contract | null> {
    return this.contracts.qualify(symbol, assetClass);
  }

  putContracts(
    underlying: string,
    range: { expiryFrom: string; expiryTo: string; strikeFrom?: number; strikeTo?: number },
  ): Promise<OptionContractInfo[]> {
    return this.contracts.putContracts(underlying, range);
  }

  assetInfo(symbol: string): Promise<AssetInfo | null> {
    return this.data.assetInfo(symbol);
  }

  latestQuote(symbol: string, assetClass: AssetClass): Promise<QuoteInfo | null> {
    return this.data.latestQuote(symbol, assetClass);
  }

  quote(symbol: string, assetClass: AssetClass, _barStart: number): Promise<number | null> {
    return this.data.quote(symbol, assetClass);
  }

  /** Closing-auction imbalances for the CLOSE strategy, collected for `windowMs` per symbol. */
  imbalance(symbols: readonly string[], windowMs = 3_000): Promise<ImbalanceInfo[]> {
    return this.data.imbalance(symbols, windowMs);
  }

  // Orders

  /**
   * Whether the market takes orders now, by the NYSE calendar at the adapter's market clock: IB has no
   * clock call the adapter uses. With it the protected exit keeps the broker's stop after the bell instead
   * of cancelling it for a market order IB would only cancel (399), as at Alpaca (docs/ibkr.md).
   */
  async marketOpen(): Promise<boolean> {
    const now = this.conn.now();
    const session = regularSessionUtc(utcMsToNyWallTime(now).date);
    return session !== null && now >= session.openMs && now < session.closeMs;
  }

  submitOrder(req: OrderRequest): Promise<BrokerOrder> {
    return this.orders.submitOrder(req);
  }

  cancelOrder(orderId: string): Promise<void> {
    return this.orders.cancelOrder(orderId);
  }

  placeProtectiveStop(req: ProtectiveStopRequest): Promise<ProtectiveStopResult> {
    return this.orders.placeProtectiveStop(req);
  }

  getOrderByClientId(clientOrderId: string): Promise<BrokerOrder | null> {
    return this.book.getOrderByClientId(clientOrderId);
  }

  openOrders(): Promise<BrokerOrder[]> {
    return this.book.openOrders();
  }

  ordersSince(since: string): Promise<BrokerOrder[]> {
    return this.book.ordersSince(since);
  }
}
