import type { TradeRecord } from '../trades/tradeRecord';
import { isClosedTrade } from './metrics';
import { round2 } from '../math/round';

/**
 * The report's breakdown tables: closed trades grouped by strategy, symbol, month or exit reason, each
 * group with its count, win rate, PnL and profit factor (definitions as in metrics.ts).
 */

export interface BreakdownRow {
  readonly key: string;
  readonly trades: number;
  readonly wins: number;
  readonly winRate: number;
  readonly totalPnl: number;
  readonly avgPnl: number;
  /** Null without a losing trade. */
  readonly profitFactor: number | null;
  readonly fees: number;
}

export type BreakdownDimension = 'strategy' | 'symbol' | 'month' | 'exit_reason';

export const BREAKDOWN_KEYS: Readonly<Record<BreakdownDimension, (t: TradeRecord) => string>> = {
  strategy: (t) => t.strategy_name,
  symbol: (t) => t.underlying,
  month: (t) => t.date.slice(0, 7),
  exit_reason: (t) => t.exit_reason ?? 'none',
};

function row(key: string, trades: readonly TradeRecord[]): BreakdownRow {
  const pnls = trades.map((t) => t.pnl);
  const wins = pnls.filter((p) => p > 0).length;
  const profit = pnls.filter((p) => p > 0).reduce((a, b) => a + b, 0);
  const loss = pnls.filter((p) => p < 0).reduce((a, b) => a + b, 0);
  const total = pnls.reduce((a, b) => a + b, 0);
  return {
    key,
    trades: trades.length,
    wins,
    winRate: wins / trades.length,
    totalPnl: round2(total),
    avgPnl: total / trades.length,
    profitFactor: loss < 0 ? profit / -loss : null,
    fees: round2(trades.reduce((a, t) => a + t.fees, 0)),
  };
}

/** Closed trades grouped by one dimension, groups sorted by key. */
export function breakdownBy(trades: readonly TradeRecord[], dimension: BreakdownDimension): BreakdownRow[] {
  const keyOf = BREAKDOWN_KEYS[dimension];
  const groups = new Map<string, TradeRecord[]>();
  for (const t of trades.filter(isClosedTrade)) {
    const k = keyOf(t);
    const list = groups.get(k);
    if (list) list.push(t);
    else groups.set(k, [t]);
  }
  return [...groups.keys()].sort().map((k) => row(k, groups.get(k)!));
}
