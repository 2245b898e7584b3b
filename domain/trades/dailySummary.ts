import { round2 } from '../math/round';
import type { TradeRecord } from './tradeRecord';
import type { OutputMode } from '../vocabulary';

export interface SummaryExtras {
  readonly strategiesRun: readonly string[];
  readonly closedReason: string | null;
  readonly haltReason: string | null;
  /** Seconds from signal to fill, per filled order. */
  readonly executionSeconds: readonly number[];
  readonly rebalancing: readonly string[];
  readonly warnings: readonly string[];
}

export interface DailySummaryRecord {
  readonly date: string;
  readonly mode: OutputMode;
  readonly trades: number;
  readonly wins: number;
  readonly losses: number;
  /** wins / losses; null when there are no losses. */
  readonly winLossRatio: number | null;
  readonly winRate: number | null;
  readonly realizedPnl: number;
  readonly fees: number;
  readonly byStrategy: Readonly<Record<string, { trades: number; pnl: number }>>;
  readonly mostProfitable: { readonly ticker: string; readonly pnl: number } | null;
  readonly leastProfitable: { readonly ticker: string; readonly pnl: number } | null;
  readonly executionSpeed: { readonly orders: number; readonly meanSeconds: number | null; readonly maxSeconds: number | null };
  readonly strategiesRun: readonly string[];
  readonly rebalancingNeeds: readonly string[];
  readonly closedReason: string | null;
  readonly haltReason: string | null;
  readonly warnings: readonly string[];
}


/** The daily summary (README.md, "Modes and where outputs go"), from the day's trade records. */
export function summarizeDay(
  date: string,
  mode: OutputMode,
  trades: readonly TradeRecord[],
  extras: SummaryExtras,
): DailySummaryRecord {
  const closed = trades.filter((t) => t.exit_price !== null && t.error_code === null);
  const wins = closed.filter((t) => t.pnl > 0).length;
  const losses = closed.filter((t) => t.pnl < 0).length;
  const byStrategy: Record<string, { trades: number; pnl: number }> = {};
  const byTicker = new Map<string, number>();
  for (const t of closed) {
    const s = (byStrategy[t.strategy_name] ??= { trades: 0, pnl: 0 });
    s.trades += 1;
    s.pnl = round2(s.pnl + t.pnl);
    byTicker.set(t.underlying, (byTicker.get(t.underlying) ?? 0) + t.pnl);
  }
  const ranked = [...byTicker.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const exec = extras.executionSeconds;
  return {
    date,
    mode,
    trades: closed.length,
    wins,
    losses,
    winLossRatio: losses > 0 ? wins / losses : null,
    winRate: closed.length > 0 ? wins / closed.length : null,
    realizedPnl: round2(closed.reduce((a, t) => a + t.pnl, 0)),
    fees: round2(closed.reduce((a, t) => a + t.fees, 0)),
    byStrategy,
    mostProfitable: ranked.length > 0 ? { ticker: ranked[0][0], pnl: round2(ranked[0][1]) } : null,
    leastProfitable: ranked.length > 0 ? { ticker: ranked[ranked.length - 1][0], pnl: round2(ranked[ranked.length - 1][1]) } : null,
    executionSpeed: {
      orders: exec.length,
      meanSeconds: exec.length > 0 ? exec.reduce((a, b) => a + b, 0) / exec.length : null,
      maxSeconds: exec.length > 0 ? Math.max(...exec) : null,
    },
    strategiesRun: extras.strategiesRun,
    rebalancingNeeds: extras.rebalancing,
    closedReason: extras.closedReason,
    haltReason: extras.haltReason,
    warnings: extras.warnings,
  };
}
