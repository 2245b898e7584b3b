import { FieldReader } from './codec';

/**
 * Client requests as @stoqey/ib and IB's own clients encode them at SERVER_VERSION (157), read field by
 * field in the order of IB's EClient (docs/ibkr.md "Messages"). Only the fields the emulator acts on are
 * kept; a request the emulator does not serve is `unsupported` with its message id.
 */

/** Outgoing-message ids of the TWS API (the client's OUT_MSG_ID). */
export const REQ = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  REQ_OPEN_ORDERS: 5,
  REQ_ACCOUNT_DATA: 6,
  REQ_EXECUTIONS: 7,
  REQ_IDS: 8,
  REQ_CONTRACT_DATA: 9,
  REQ_AUTO_OPEN_ORDERS: 15,
  REQ_ALL_OPEN_ORDERS: 16,
  REQ_MANAGED_ACCTS: 17,
  REQ_HISTORICAL_DATA: 20,
  REQ_CURRENT_TIME: 49,
  REQ_GLOBAL_CANCEL: 58,
  REQ_MARKET_DATA_TYPE: 59,
  REQ_POSITIONS: 61,
  REQ_ACCOUNT_SUMMARY: 62,
  CANCEL_ACCOUNT_SUMMARY: 63,
  CANCEL_POSITIONS: 64,
  START_API: 71,
  REQ_SEC_DEF_OPT_PARAMS: 78,
  REQ_COMPLETED_ORDERS: 99,
} as const;

export interface WireContract {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: string;
  readonly lastTradeDateOrContractMonth: string;
  readonly strike: number | undefined;
  readonly right: string;
  readonly multiplier: string;
  readonly exchange: string;
  readonly primaryExch: string;
  readonly currency: string;
  readonly localSymbol: string;
  readonly tradingClass: string;
}

export interface WireOrder {
  readonly action: string;
  readonly totalQuantity: number;
  readonly orderType: string;
  readonly lmtPrice: number | undefined;
  readonly auxPrice: number | undefined;
  readonly tif: string;
  readonly account: string;
  readonly orderRef: string;
  readonly transmit: boolean;
  readonly parentId: number;
  readonly outsideRth: boolean;
  readonly trailStopPrice: number | undefined;
  readonly trailingPercent: number | undefined;
}

export type TwsRequest =
  | { readonly type: 'startApi'; readonly clientId: number }
  | { readonly type: 'reqIds' }
  | { readonly type: 'reqCurrentTime' }
  | { readonly type: 'reqManagedAccts' }
  | { readonly type: 'reqAccountSummary'; readonly reqId: number; readonly group: string; readonly tags: string[] }
  | { readonly type: 'cancelAccountSummary'; readonly reqId: number }
  | { readonly type: 'reqAccountUpdates'; readonly subscribe: boolean; readonly account: string }
  | { readonly type: 'reqPositions' }
  | { readonly type: 'cancelPositions' }
  | { readonly type: 'reqContractDetails'; readonly reqId: number; readonly contract: WireContract }
  | { readonly type: 'reqSecDefOptParams'; readonly reqId: number; readonly symbol: string; readonly secType: string; readonly conId: number }
  | { readonly type: 'reqMktData'; readonly reqId: number; readonly contract: WireContract; readonly genericTicks: string[]; readonly snapshot: boolean }
  | { readonly type: 'cancelMktData'; readonly reqId: number }
  | { readonly type: 'reqMarketDataType'; readonly marketDataType: number }
  | { readonly type: 'reqHistoricalData'; readonly reqId: number; readonly contract: WireContract; readonly endDateTime: string; readonly barSize: string; readonly duration: string; readonly useRth: boolean; readonly whatToShow: string; readonly keepUpToDate: boolean }
  | { readonly type: 'placeOrder'; readonly orderId: number; readonly contract: WireContract; readonly order: WireOrder }
  | { readonly type: 'cancelOrder'; readonly orderId: number }
  | { readonly type: 'reqOpenOrders'; readonly scope: 'client' | 'all' | 'auto' }
  | { readonly type: 'reqCompletedOrders'; readonly apiOnly: boolean }
  | { readonly type: 'reqExecutions'; readonly reqId: number; readonly account: string; readonly symbol: string }
  | { readonly type: 'reqGlobalCancel' }
  | { readonly type: 'unsupported'; readonly msgId: number };

/** conId, symbol, secType, expiry, strike, right, multiplier, exchange, primaryExch, currency, localSymbol, tradingClass. */
function readContract(r: FieldReader): WireContract {
  return {
    conId: r.int(),
    symbol: r.str(),
    secType: r.str(),
    lastTradeDateOrContractMonth: r.str(),
    strike: r.num(),
    right: r.str(),
    multiplier: r.str(),
    exchange: r.str(),
    primaryExch: r.str(),
    currency: r.str(),
    localSymbol: r.str(),
    tradingClass: r.str(),
  };
}

/** placeOrder's fields after the contract (EClient.placeOrder at server version 157, a non-combo order). */
function readOrder(r: FieldReader): WireOrder {
  r.skip(2); // secIdType, secId
  const action = r.str();
  const totalQuantity = r.num() ?? 0;
  const orderType = r.str();
  const lmtPrice = r.num();
  const auxPrice = r.num();
  const tif = r.str();
  r.str(); // ocaGroup
  const account = r.str();
  r.skip(2); // openClose, origin
  const orderRef = r.str();
  const transmit = r.bool();
  const parentId = r.int();
  r.skip(4); // blockOrder, sweepToFill, displaySize, triggerMethod
  const outsideRth = r.bool();
  // hidden, sharesAllocation, discretionaryAmt, goodAfterTime, goodTillDate, faGroup, faMethod, faPercentage,
  // faProfile, modelCode, shortSaleSlot, designatedLocation, exemptCode, ocaType, rule80A, settlingFirm,
  // allOrNone, minQty, percentOffset, eTradeOnly, firmQuoteOnly, nbboPriceCap, auctionStrategy, startingPrice,
  // stockRefPrice, delta, stockRangeLower, stockRangeUpper, overridePercentageConstraints, volatility, volatilityType
  r.skip(31);
  const deltaNeutralOrderType = r.str();
  r.str(); // deltaNeutralAuxPrice
  if (deltaNeutralOrderType !== '') r.skip(8);
  r.skip(2); // continuousUpdate, referencePriceType
  const trailStopPrice = r.num();
  const trailingPercent = r.num();
  return { action, totalQuantity, orderType, lmtPrice, auxPrice, tif, account, orderRef, transmit, parentId, outsideRth, trailStopPrice, trailingPercent };
}

export function parseRequest(fields: readonly string[]): TwsRequest {
  const r = new FieldReader(fields);
  const msgId = r.int();
  switch (msgId) {
    case REQ.START_API:
      r.int();
      return { type: 'startApi', clientId: r.int() };
    case REQ.REQ_IDS:
      return { type: 'reqIds' };
    case REQ.REQ_CURRENT_TIME:
      return { type: 'reqCurrentTime' };
    case REQ.REQ_MANAGED_ACCTS:
      return { type: 'reqManagedAccts' };
    case REQ.REQ_ACCOUNT_SUMMARY: {
      r.int();
      const reqId = r.int();
      const group = r.str();
      return { type: 'reqAccountSummary', reqId, group, tags: r.str().split(',').map((t) => t.trim()).filter(Boolean) };
    }
    case REQ.CANCEL_ACCOUNT_SUMMARY:
      r.int();
      return { type: 'cancelAccountSummary', reqId: r.int() };
    case REQ.REQ_ACCOUNT_DATA: {
      r.int();
      const subscribe = r.bool();
      return { type: 'reqAccountUpdates', subscribe, account: r.str() };
    }
    case REQ.REQ_POSITIONS:
      return { type: 'reqPositions' };
    case REQ.CANCEL_POSITIONS:
      return { type: 'cancelPositions' };
    case REQ.REQ_CONTRACT_DATA: {
      r.int();
      const reqId = r.int();
      return { type: 'reqContractDetails', reqId, contract: readContract(r) };
    }
    case REQ.REQ_SEC_DEF_OPT_PARAMS: {
      const reqId = r.int();
      const symbol = r.str();
      r.str(); // futFopExchange
      const secType = r.str();
      return { type: 'reqSecDefOptParams', reqId, symbol, secType, conId: r.int() };
    }
    case REQ.REQ_MKT_DATA:
      return readMktData(r);
    case REQ.CANCEL_MKT_DATA:
      r.int();
      return { type: 'cancelMktData', reqId: r.int() };
    case REQ.REQ_MARKET_DATA_TYPE:
      r.int();
      return { type: 'reqMarketDataType', marketDataType: r.int() };
    case REQ.REQ_HISTORICAL_DATA:
      return readHistorical(r);
    case REQ.PLACE_ORDER: {
      const orderId = r.int();
      const contract = readContract(r);
      return { type: 'placeOrder', orderId, contract, order: readOrder(r) };
    }
    case REQ.CANCEL_ORDER:
      r.int();
      return { type: 'cancelOrder', orderId: r.int() };
    case REQ.REQ_OPEN_ORDERS:
      return { type: 'reqOpenOrders', scope: 'client' };
    case REQ.REQ_ALL_OPEN_ORDERS:
      return { type: 'reqOpenOrders', scope: 'all' };
    case REQ.REQ_AUTO_OPEN_ORDERS:
      return { type: 'reqOpenOrders', scope: 'auto' };
    case REQ.REQ_COMPLETED_ORDERS:
      return { type: 'reqCompletedOrders', apiOnly: r.bool() };
    case REQ.REQ_EXECUTIONS: {
      r.int();
      const reqId = r.int();
      r.str(); // clientId
      const account = r.str();
      r.str(); // time
      return { type: 'reqExecutions', reqId, account, symbol: r.str() };
    }
    case REQ.REQ_GLOBAL_CANCEL:
      return { type: 'reqGlobalCancel' };
    default:
      return { type: 'unsupported', msgId };
  }
}

function readMktData(r: FieldReader): TwsRequest {
  r.int();
  const reqId = r.int();
  const contract = readContract(r);
  if (contract.secType.toUpperCase() === 'BAG') return { type: 'unsupported', msgId: REQ.REQ_MKT_DATA };
  if (r.bool()) r.skip(3); // delta-neutral contract
  const genericTicks = r.str().split(',').map((t) => t.trim()).filter(Boolean);
  return { type: 'reqMktData', reqId, contract, genericTicks, snapshot: r.bool() };
}

function readHistorical(r: FieldReader): TwsRequest {
  const reqId = r.int();
  const contract = readContract(r);
  r.str(); // includeExpired
  const endDateTime = r.str();
  const barSize = r.str();
  const duration = r.str();
  const useRth = r.bool();
  const whatToShow = r.str();
  r.str(); // formatDate
  return { type: 'reqHistoricalData', reqId, contract, endDateTime, barSize, duration, useRth, whatToShow, keepUpToDate: r.bool() };
}
