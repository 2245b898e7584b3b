import { IBApi, type Contract, type Order } from '@stoqey/ib';

/** Event arguments differ per event name, as in IBApi's own EventEmitter typing. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type IbListener = (...args: any[]) => void;

/** The part of IBApi this adapter uses; the real IBApi and the scripted test fake both satisfy it. */
export interface IbApiLike {
  readonly isConnected: boolean;
  connect(clientId?: number): unknown;
  disconnect(): unknown;
  on(event: string, listener: IbListener): unknown;
  off(event: string, listener: IbListener): unknown;
  placeOrder(id: number, contract: Contract, order: Order): unknown;
  cancelOrder(orderId: number): unknown;
  reqAllOpenOrders(): unknown;
  reqCompletedOrders(apiOnly: boolean): unknown;
  reqExecutions(reqId: number, filter: { acctCode?: string }): unknown;
  reqPositions(): unknown;
  cancelPositions(): unknown;
  reqAccountSummary(reqId: number, group: string, tags: string): unknown;
  cancelAccountSummary(reqId: number): unknown;
  reqContractDetails(reqId: number, contract: Contract): unknown;
  reqSecDefOptParams(reqId: number, underlyingSymbol: string, futFopExchange: string, underlyingSecType: string, underlyingConId: number): unknown;
  reqMktData(reqId: number, contract: Contract, genericTickList: string | null, snapshot: boolean, regulatorySnapshot: boolean): unknown;
  cancelMktData(reqId: number): unknown;
  reqMarketDataType(marketDataType: number): unknown;
}

export type IbApiFactory = (opts: { host: string; port: number }) => IbApiLike;

export const defaultIbApiFactory: IbApiFactory = ({ host, port }) => new IBApi({ host, port }) as unknown as IbApiLike;

/** IB codes (TWS API "Message Codes"), the ones this adapter acts on. */
export const IB_CODES = {
  NO_SECURITY_DEFINITION: 200,
  ORDER_REJECTED: 201,
  ORDER_CANCELLED: 202,
  DUPLICATE_ORDER_ID: 103,
  CLIENT_ID_IN_USE: 326,
  ORDER_WARNING: 399,
  CONNECT_FAIL: 502,
  NOT_CONNECTED: 504,
  CONNECTIVITY_LOST: 1100,
  CONNECTIVITY_RESTORED_DATA_LOST: 1101,
  CONNECTIVITY_RESTORED: 1102,
  CANCEL_NOT_FOUND: 10147,
  CANCEL_ALREADY_FILLED: 10148,
  SNAPSHOT_NOT_SUBSCRIBED: 10090,
  NO_MARKET_DATA: 354,
} as const;
