import path from 'node:path';
import type { BacktestMetrics } from '../../domain/backtest/metrics';
import type { PortfolioResult } from '../../domain/backtest/portfolio';
import { round2 } from '../../domain/math/round';
import { summarizeDay, type DailySummaryRecord } from '../../domain/trades/dailySummary';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { writeFileAtomic } from '../outputs/atomicFile';
import { outputPaths } from '../outputs/outputPaths';
import { TRADE_HISTORY_COLUMNS, tradeToCsvRow } from '../outputs/tradeHistory';

/**
 * Writes a portfolio backtest's outputs under the results folder, through the same path table as live
 * outputs (activities/outputs/outputPaths.ts) with mode `backtest`, so a backtest can only ever write
 * `_backtest` files:
 *   <results>/trades/trade_history_backtest.{csv,json}
 *   <results>/summaries/daily_summary_backtest.json
 *   <results>/metrics_backtest.json
 * A run replaces the files of the previous run in that folder (whole-file atomic writes).
 */

export interface BacktestOutputFiles {
  readonly tradeHistoryCsv: string;
  readonly tradeHistoryJson: string;
  readonly dailySummary: string;
  readonly metrics: string;
}

export function backtestOutputFiles(resultsDir: string): BacktestOutputFiles {
  const p = outputPaths(resultsDir, 'backtest');
  return {
    tradeHistoryCsv: p.tradeHistoryCsv,
    tradeHistoryJson: p.tradeHistoryJson,
    dailySummary: p.dailySummary,
    metrics: path.join(resultsDir, 'metrics_backtest.json'),
  };
}

/** The daily summaries of a run, keyed by date as the live daily summary file is. */
export function dailySummaries(result: PortfolioResult): Record<string, DailySummaryRecord> {
  const byDate = new Map<string, TradeRecord[]>();
  for (const t of result.trades) byDate.set(t.date, [...(byDate.get(t.date) ?? []), t]);
  const out: Record<string, DailySummaryRecord> = {};
  for (const d of result.days) {
    out[d.date] = summarizeDay(d.date, 'backtest', byDate.get(d.date) ?? [], {
      strategiesRun: d.strategiesRun,
      closedReason: null,
      haltReason: d.halted ? 'daily loss limit: broker halted for the day' : null,
      executionSeconds: d.executionSeconds,
      rebalancing: [],
      warnings: d.warnings,
    });
  }
  return out;
}

export function tradeHistoryCsv(trades: readonly TradeRecord[]): string {
  return `${[TRADE_HISTORY_COLUMNS.join(','), ...trades.map(tradeToCsvRow)].join('\n')}\n`;
}

export function writeBacktestOutputs(
  resultsDir: string,
  result: PortfolioResult,
  metrics: BacktestMetrics,
  run: Readonly<Record<string, unknown>>,
): BacktestOutputFiles {
  for (const t of result.trades) {
    // Defence in depth: the router gives `backtest`, and nothing else may land in these files.
    if (t.mode !== 'backtest') throw new Error(`trade ${t.tradeId} has mode ${t.mode}; a backtest writes only backtest trades`);
  }
  const files = backtestOutputFiles(resultsDir);
  writeFileAtomic(files.tradeHistoryJson, `${JSON.stringify(result.trades, null, 2)}\n`);
  writeFileAtomic(files.tradeHistoryCsv, tradeHistoryCsv(result.trades));
  writeFileAtomic(files.dailySummary, `${JSON.stringify(dailySummaries(result), null, 2)}\n`);
  const { equityCurve: _curve, ...summary } = metrics;
  const doc = {
    run,
    metrics: summary,
    counters: result.counters,
    startingCash: result.startingCash,
    endingCash: round2(result.endingCash),
    // Each trading date's starting account value: what the daily returns (Sharpe ratio) divide by.
    days: result.days.map((d) => ({ date: d.date, startEquity: d.startEquity })),
    defenseEvents: result.defenseEvents,
    killSwitchEvents: result.killSwitchEvents,
    warnings: result.warnings,
  };
  writeFileAtomic(files.metrics, `${JSON.stringify(doc, null, 2)}\n`);
  return files;
}
