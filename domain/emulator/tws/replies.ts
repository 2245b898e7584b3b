import type { Field } from './codec';

/**
 * Server messages at SERVER_VERSION (157), field by field in the order IB's EDecoder (and @stoqey/ib's
 * decoder) reads them (docs/ibkr.md "Messages"). Unset numbers are written empty, as TWS writes
 * Double.MAX_VALUE / Integer.MAX_VALUE for "not set".
 */

/** Incoming-message ids of the TWS API (the client's IN_MSG_ID). */
export const MSG = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ORDER_STATUS: 3,
  ERR_MSG: 4,
  OPEN_ORDER: 5,
  ACCT_VALUE: 6,
  PORTFOLIO_VALUE: 7,
  ACCT_UPDATE_TIME: 8,
  NEXT_VALID_ID: 9,
  CONTRACT_DATA: 10,
  EXECUTION_DATA: 11,
  MANAGED_ACCTS: 15,
  HISTORICAL_DATA: 17,
  TICK_GENERIC: 45,
  CURRENT_TIME: 49,
  CONTRACT_DATA_END: 52,
  OPEN_ORDER_END: 53,
  ACCT_DOWNLOAD_END: 54,
  EXECUTION_DATA_END: 55,
  TICK_SNAPSHOT_END: 57,
  MARKET_DATA_TYPE: 58,
  COMMISSION_REPORT: 59,
  POSITION: 61,
  POSITION_END: 62,
  ACCOUNT_SUMMARY: 63,
  ACCOUNT_SUMMARY_END: 64,
  SECURITY_DEFINITION_OPTION_PARAMETER: 75,
  SECURITY_DEFINITION_OPTION_PARAMETER_END: 76,
  COMPLETED_ORDER: 101,
  COMPLETED_ORDERS_END: 102,
} as const;

/** The id TWS writes on messages that belong to no request (farm notices, connectivity, client id in use). */
export const NO_VALID_ID = -1;

export interface ContractOut {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: 'STK' | 'OPT';
  /** YYYYMMDD for an option, empty for a stock. */
  readonly expiry: string;
  readonly strike: number | null;
  readonly right: '' | 'P' | 'C';
  readonly multiplier: number | null;
  readonly exchange: string;
  readonly primaryExch: string;
  readonly currency: string;
  readonly localSymbol: string;
  readonly tradingClass: string;
}

export interface OrderOut {
  readonly orderId: number;
  readonly clientId: number;
  readonly permId: number;
  readonly action: 'BUY' | 'SELL';
  readonly totalQuantity: number;
  readonly orderType: string;
  readonly auxPrice: number | null;
  readonly trailingPercent: number | null;
  readonly trailStopPrice: number | null;
  readonly tif: string;
  readonly account: string;
  readonly orderRef: string;
  readonly outsideRth: boolean;
}

export interface OrderStateOut {
  readonly status: string;
  readonly commission: number | null;
  readonly warningText: string;
}

const contractHead = (c: ContractOut): Field[] => [c.conId, c.symbol, c.secType, c.expiry, c.strike ?? 0, c.right, c.multiplier];

export function errorMessage(id: number, code: number, message: string): Field[] {
  // Text above ASCII 127 goes as \uXXXX (ENCODE_MSG_ASCII7), which the client unescapes.
  const text = message.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return [MSG.ERR_MSG, 2, id, code, text];
}

export const nextValidId = (id: number): Field[] => [MSG.NEXT_VALID_ID, 1, id];
export const managedAccounts = (accounts: readonly string[]): Field[] => [MSG.MANAGED_ACCTS, 1, accounts.join(',')];
export const currentTime = (epochSeconds: number): Field[] => [MSG.CURRENT_TIME, 1, epochSeconds];

export const accountSummary = (reqId: number, account: string, tag: string, value: string, currency: string): Field[] => [MSG.ACCOUNT_SUMMARY, 1, reqId, account, tag, value, currency];
export const accountSummaryEnd = (reqId: number): Field[] => [MSG.ACCOUNT_SUMMARY_END, 1, reqId];
export const accountValue = (key: string, value: string, currency: string, account: string): Field[] => [MSG.ACCT_VALUE, 2, key, value, currency, account];
export const accountUpdateTime = (hhmm: string): Field[] => [MSG.ACCT_UPDATE_TIME, 1, hhmm];
export const accountDownloadEnd = (account: string): Field[] => [MSG.ACCT_DOWNLOAD_END, 1, account];

export interface PortfolioOut {
  readonly contract: ContractOut;
  readonly position: number;
  readonly marketPrice: number;
  readonly marketValue: number;
  readonly averageCost: number;
  readonly unrealizedPnl: number;
  readonly account: string;
}

export function portfolioValue(p: PortfolioOut): Field[] {
  const c = p.contract;
  return [MSG.PORTFOLIO_VALUE, 8, c.conId, c.symbol, c.secType, c.expiry, c.strike ?? 0, c.right, c.multiplier, c.primaryExch, c.currency, c.localSymbol, c.tradingClass, p.position, p.marketPrice, p.marketValue, p.averageCost, p.unrealizedPnl, 0, p.account];
}

export function position(account: string, c: ContractOut, pos: number, avgCost: number): Field[] {
  return [MSG.POSITION, 3, account, ...contractHead(c), c.exchange, c.currency, c.localSymbol, c.tradingClass, pos, avgCost];
}
export const positionEnd = (): Field[] => [MSG.POSITION_END, 1];

export interface ContractDetailsOut {
  readonly contract: ContractOut;
  readonly marketName: string;
  readonly minTick: number;
  readonly longName: string;
  readonly underConId: number;
  readonly tradingHours: string;
  readonly liquidHours: string;
  readonly stockType: string;
}

export function contractData(reqId: number, d: ContractDetailsOut): Field[] {
  const c = d.contract;
  const underSymbol = c.secType === 'OPT' ? c.symbol : '';
  const underSecType = c.secType === 'OPT' ? 'STK' : '';
  return [
    MSG.CONTRACT_DATA, 8, reqId, c.symbol, c.secType, c.expiry, c.strike ?? 0, c.right, c.exchange, c.currency, c.localSymbol,
    d.marketName, c.tradingClass, c.conId, d.minTick, 1, c.multiplier, 'ACTVTIM,ADJUST,ALERT,ALLOC,DAY,GTC,MKT,STP,TRAIL', 'SMART,' + c.primaryExch,
    1, d.underConId, d.longName, c.primaryExch, '', '', '', '', 'US/Eastern', d.tradingHours, d.liquidHours, '', '', 0,
    1, underSymbol, underSecType, '26,26', c.expiry, d.stockType,
  ];
}
export const contractDataEnd = (reqId: number): Field[] => [MSG.CONTRACT_DATA_END, 1, reqId];

export function secDefOptParameter(reqId: number, exchange: string, underlyingConId: number, tradingClass: string, expirations: readonly string[], strikes: readonly number[]): Field[] {
  return [MSG.SECURITY_DEFINITION_OPTION_PARAMETER, reqId, exchange, underlyingConId, tradingClass, 100, expirations.length, ...expirations, strikes.length, ...strikes];
}
export const secDefOptParameterEnd = (reqId: number): Field[] => [MSG.SECURITY_DEFINITION_OPTION_PARAMETER_END, reqId];

export const marketDataType = (reqId: number, type: number): Field[] => [MSG.MARKET_DATA_TYPE, 1, reqId, type];
/** Version 3: price, size and the attribute mask (1: can auto-execute). */
export const tickPrice = (reqId: number, tickType: number, price: number, size: number | null, attribs = 0): Field[] => [MSG.TICK_PRICE, 3, reqId, tickType, price, size, attribs];
export const tickSize = (reqId: number, tickType: number, size: number): Field[] => [MSG.TICK_SIZE, 6, reqId, tickType, size];
export const tickGeneric = (reqId: number, tickType: number, value: number): Field[] => [MSG.TICK_GENERIC, 6, reqId, tickType, value];
export const tickSnapshotEnd = (reqId: number): Field[] => [MSG.TICK_SNAPSHOT_END, 1, reqId];

export interface HistoricalBarOut {
  readonly date: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly wap: number;
  readonly count: number;
}

export function historicalData(reqId: number, start: string, end: string, bars: readonly HistoricalBarOut[]): Field[] {
  return [MSG.HISTORICAL_DATA, reqId, start, end, bars.length, ...bars.flatMap((b) => [b.date, b.open, b.high, b.low, b.close, b.volume, b.wap, b.count])];
}

export interface StatusOut {
  readonly orderId: number;
  readonly status: string;
  readonly filled: number;
  readonly remaining: number;
  readonly avgFillPrice: number;
  readonly permId: number;
  readonly lastFillPrice: number;
  readonly clientId: number;
}

/** No version field since MARKET_CAP_PRICE (131); parentId 0, whyHeld empty, mktCapPrice 0. */
export function orderStatus(s: StatusOut): Field[] {
  return [MSG.ORDER_STATUS, s.orderId, s.status, s.filled, s.remaining, s.avgFillPrice, s.permId, 0, s.lastFillPrice, s.clientId, '', 0];
}

/** The order fields from action to the OCA group, common to openOrder and completedOrder. */
function orderHead(o: OrderOut): Field[] {
  return [o.action, o.totalQuantity, o.orderType, null, o.auxPrice, o.tif, '', o.account, '', 0, o.orderRef];
}

const contractFields = (c: ContractOut): Field[] => [...contractHead(c), c.exchange, c.currency, c.localSymbol, c.tradingClass];

/** openOrder (no version field since ORDER_CONTAINER 145), for a plain, non-combo, non-algo order. */
export function openOrder(c: ContractOut, o: OrderOut, st: OrderStateOut): Field[] {
  return [
    MSG.OPEN_ORDER, o.orderId, ...contractFields(c), ...orderHead(o),
    o.clientId, o.permId, o.outsideRth, 0, 0, '', // clientId, permId, outsideRth, hidden, discretionaryAmt, goodAfterTime
    '', '', '', '', '', '', // sharesAllocation, faGroup, faMethod, faPercentage, faProfile (before FA_PROFILE_DESUPPORT 177), modelCode
    '', '', null, '', 0, '', -1, 0, // goodTillDate, rule80A, percentOffset, settlingFirm, shortSaleSlot, designatedLocation, exemptCode, auctionStrategy
    null, null, null, null, null, null, // startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper, displaySize
    false, false, false, null, 0, false, false, null, // blockOrder, sweepToFill, allOrNone, minQty, ocaType, eTradeOnly, firmQuoteOnly, nbboPriceCap
    0, 0, // parentId, triggerMethod
    null, 0, '', null, 0, 0, // volatility, volatilityType, deltaNeutralOrderType, deltaNeutralAuxPrice, continuousUpdate, referencePriceType
    o.trailStopPrice, o.trailingPercent, null, null, // trailStopPrice, trailingPercent, basisPoints, basisPointsType
    '', 0, 0, 0, // comboLegsDescription, comboLegs, orderComboLegs, smartComboRoutingParams
    null, null, null, // scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
    '', false, '', '', false, false, '', false, // hedgeType, optOutSmartRouting, clearingAccount, clearingIntent, notHeld, deltaNeutral, algoStrategy, solicited
    false, st.status, // whatIf, status
    null, null, null, null, null, null, null, null, null, // margins before / change / after (WHAT_IF_EXT_FIELDS 142)
    st.commission, null, null, st.commission === null ? '' : 'USD', st.warningText,
    false, false, // randomizeSize, randomizePrice
    0, // conditions
    '', null, null, null, null, null, null, 0, // adjustedOrderType, triggerPrice, trailStopPrice, lmtPriceOffset, adjustedStop, adjustedStopLimit, adjustedTrailingAmount, adjustableTrailingUnit
    '', '', '', null, // softDollarTier name, value, displayName, cashQty
    false, false, false, false, // dontUseAutoPriceForHedge, isOmsContainer, discretionaryUpToLimitPrice, usePriceMgmtAlgo
  ];
}
export const openOrderEnd = (): Field[] => [MSG.OPEN_ORDER_END, 1];

export interface CompletedOut {
  readonly filledQuantity: number;
  /** `yyyyMMdd HH:mm:ss America/New_York`. */
  readonly completedTime: string;
  readonly completedStatus: string;
}

/** completedOrder (REQ_COMPLETED_ORDERS 150): no order id (IB keys completed orders by permId). */
export function completedOrder(c: ContractOut, o: OrderOut, status: string, done: CompletedOut): Field[] {
  return [
    MSG.COMPLETED_ORDER, ...contractFields(c), ...orderHead(o),
    o.permId, o.outsideRth, 0, 0, '', // permId, outsideRth, hidden, discretionaryAmt, goodAfterTime
    '', '', '', '', // faGroup, faMethod, faPercentage, modelCode
    '', '', null, '', 0, '', -1, // goodTillDate, rule80A, percentOffset, settlingFirm, shortSaleSlot, designatedLocation, exemptCode
    null, null, null, null, null, null, // startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper, displaySize
    false, false, null, 0, 0, // sweepToFill, allOrNone, minQty, ocaType, triggerMethod
    null, 0, '', null, 0, 0, // volatility, volatilityType, deltaNeutralOrderType, deltaNeutralAuxPrice, continuousUpdate, referencePriceType
    o.trailStopPrice, o.trailingPercent, // trailStopPrice, trailingPercent
    '', 0, 0, 0, // comboLegsDescription, comboLegs, orderComboLegs, smartComboRoutingParams
    null, null, null, // scale sizes and increment
    '', '', '', false, false, '', false, // hedgeType, clearingAccount, clearingIntent, notHeld, deltaNeutral, algoStrategy, solicited
    status, false, false, // status, randomizeSize, randomizePrice
    0, // conditions
    null, null, null, // trailStopPrice, lmtPriceOffset, cashQty
    false, false, // dontUseAutoPriceForHedge, isOmsContainer
    '', done.filledQuantity, 0, false, '', false, false, 0, // autoCancelDate, filledQuantity, refFuturesConId, autoCancelParent, shareholder, imbalanceOnly, routeMarketableToBbo, parentPermId
    done.completedTime, done.completedStatus,
  ];
}
export const completedOrdersEnd = (): Field[] => [MSG.COMPLETED_ORDERS_END];

export interface ExecutionOut {
  readonly reqId: number;
  readonly orderId: number;
  readonly execId: string;
  /** `yyyyMMdd HH:mm:ss America/New_York`. */
  readonly time: string;
  readonly account: string;
  readonly side: 'BOT' | 'SLD';
  readonly shares: number;
  readonly price: number;
  readonly permId: number;
  readonly clientId: number;
  readonly cumQty: number;
  readonly avgPrice: number;
  readonly orderRef: string;
}

/** execDetails (no version field since LAST_LIQUIDITY 136); lastLiquidity 2: removed liquidity (a market order). */
export function executionData(c: ContractOut, e: ExecutionOut): Field[] {
  return [
    MSG.EXECUTION_DATA, e.reqId, e.orderId, ...contractFields(c),
    e.execId, e.time, e.account, 'ISLAND', e.side, e.shares, e.price, e.permId, e.clientId, 0, e.cumQty, e.avgPrice, e.orderRef,
    '', null, '', 2,
  ];
}
export const executionDataEnd = (reqId: number): Field[] => [MSG.EXECUTION_DATA_END, 1, reqId];

export function commissionReport(execId: string, commission: number): Field[] {
  return [MSG.COMMISSION_REPORT, 1, execId, commission, 'USD', null, null, null];
}
