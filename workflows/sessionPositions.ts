import type { BarTuple } from '../activities/tradingActivities';
import type { BrokerOrder } from '../activities/broker/brokerTypes';
import type { Bar } from '../domain/market/bar';
import type { InstrumentChoice } from '../domain/instruments/bearishInstrument';
import { parseOccSymbol } from '../domain/instruments/occSymbol';
import { simulatedPutFill } from '../domain/instruments/simulatedOptionPrice';
import type { EntrySignal } from '../domain/strategies/strategy';
import type { PositionView } from './sessionApi';
import { markToMarketPnl } from '../domain/trades/tradeOutcome';
import type { TradeOpening } from '../domain/trades/closedTradeRecord';
import type { StrategyName } from '../domain/vocabulary';

/** A session's open positions and the bars it reads: plain data and pure functions. */

export interface OpenTrade {
  /** The capacity grant's id at the account workflow (released on exit). */
  readonly requestId: string;
  readonly tags: readonly string[];
  readonly underlying: string;
  readonly choice: InstrumentChoice;
  readonly signal: EntrySignal;
  readonly order: BrokerOrder;
  /** Client order id of the stop the broker holds, or null (simulator, options, placement failed). */
  readonly stopClientOrderId: string | null;
  /** What kind of stop the broker holds: its fill is recorded as trailing_stop or stop_loss. */
  readonly stopKind?: 'trailing' | 'stop' | null;
  readonly allocation: number;
  readonly accountValue: number;
  /** Latest close of the underlying (positions are marked from the bars the session sees). */
  lastUnderlying: number;
}

/** What the trade record keeps of an open position (the owner session's id and strategy added). */
export function tradeOpeningOf(t: OpenTrade, owner: { readonly workflowId: string; readonly strategy: StrategyName }): TradeOpening {
  return {
    workflowId: owner.workflowId,
    strategy: owner.strategy,
    underlying: t.underlying,
    ticker: t.choice.symbol,
    side: t.signal.side,
    instrument: t.choice.instrument,
    signalPrice: t.signal.price,
    entryPrice: t.order.filledAvgPrice ?? 0,
    entryTime: new Date(t.signal.barStart).toISOString(),
    entryOrderId: t.order.id,
    allocation: t.allocation,
    accountValue: t.accountValue,
    tags: t.tags,
  };
}

/**
 * Live view of a position. The session sees the underlying's bars only, so for a put or an inverse ETF
 * the unrealised PnL is an estimate from the underlying's move (put: the simulator's premium model;
 * inverse ETF: -1x the underlying's return on the entry notional).
 */
export function positionView(t: OpenTrade, exitClientOrderId: string): PositionView {
  const entry = t.order.filledAvgPrice ?? 0;
  const qty = t.order.filledQty;
  const held = heldPrice(t, entry);
  return {
    underlying: t.underlying,
    ticker: t.choice.symbol,
    side: t.signal.side,
    size: qty,
    entryPrice: entry,
    currentPrice: held.price,
    currentPriceEstimated: held.estimated,
    underlyingPrice: t.lastUnderlying,
    unrealizedPnl: markToMarketPnl({ openSide: t.choice.openSide, assetClass: t.choice.assetClass, entryPrice: entry, qty }, held.price),
    exitPlan: { openSide: t.choice.openSide, assetClass: t.choice.assetClass, exitClientOrderId, stopClientOrderId: t.stopClientOrderId },
  };
}

/**
 * The price of the instrument held, beside which its entry price means something. The session reads bars
 * of the underlying only, so an inverse ETF is estimated from the underlying's move since the signal (one
 * times inverse), and a put by the simulator's put model at its bid, timed at the signal (docs/backtest.md, "Option pricing model").
 */
function heldPrice(t: OpenTrade, entry: number): { price: number; estimated: boolean } {
  switch (t.choice.instrument) {
    case 'stock':
    case 'short_stock':
      return { price: t.lastUnderlying, estimated: false };
    case 'inverse_etf':
      return { price: entry * (1 - (t.lastUnderlying - t.signal.price) / t.signal.price), estimated: true };
    case 'put': {
      const contract = parseOccSymbol(t.choice.symbol);
      return { price: contract ? simulatedPutFill('sell', { underlying: t.lastUnderlying, contract, atMs: t.signal.barStart }) : entry, estimated: true };
    }
  }
}

/** Bars of several symbols in time order (ties by symbol), as the trackers must see them. */
export function mergeBars(bars: Record<string, BarTuple[]>): { symbol: string; bar: Bar }[] {
  const out: { symbol: string; bar: Bar }[] = [];
  for (const [symbol, list] of Object.entries(bars)) {
    for (const [t, o, h, l, c, v] of list) out.push({ symbol, bar: { t, o, h, l, c, v } });
  }
  return out.sort((a, b) => a.bar.t - b.bar.t || a.symbol.localeCompare(b.symbol));
}

/** Consecutive items of the same bar start. */
export function groupByStart<T extends { bar: Bar }>(items: T[]): T[][] {
  const groups: T[][] = [];
  for (const item of items) {
    const last = groups[groups.length - 1];
    if (last && last[0].bar.t === item.bar.t) last.push(item);
    else groups.push([item]);
  }
  return groups;
}


/** The id of a session's risk grant for an underlying at the account workflow (released on exit). */
export function grantRequestId(sessionWorkflowId: string, underlying: string): string {
  return `${sessionWorkflowId}:${underlying}:entry`;
}
