import path from 'node:path';
import type { BacktestMetrics, MetricsBlock } from '../../domain/backtest/metrics';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import type { LoadedColumns } from './barCache';
import { runPortfolioBacktest, type PortfolioRunSpec } from './runBacktest';

/**
 * One cell of a parameter sweep: its settings, the run spec it gets, how it runs in this process and what
 * it sends back. Shared by the sweep's threads, its Temporal activity and workflow, and its client, none of
 * which needs the sweep runner itself (sweep.ts).
 */

export interface SweepCell {
  /** File-name-safe, e.g. `STRAT_OPEN_BUFFER=0.01,MAX_TRADES=2`. */
  readonly name: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly cfg: BotConfig;
}

/** What a cell sends back: small enough for a Temporal payload or a thread message. */
export interface CellResult {
  readonly cell: string;
  readonly settings: Readonly<Record<string, string>>;
  readonly overall: MetricsBlock;
  readonly byStrategy: BacktestMetrics['byStrategy'];
  readonly endingEquity: number;
  readonly totalReturn: number;
  readonly tradingDays: number;
  /** The folder holding the cell's outputs, on the machine that ran it. */
  readonly resultsDir: string;
  readonly runMs: number;
  /** Who ran it: a thread number or a Temporal worker label. */
  readonly ranBy: string;
}

export function cellSpec(base: PortfolioRunSpec, cell: SweepCell): PortfolioRunSpec {
  return {
    ...base,
    cfg: cell.cfg,
    resultsDir: base.resultsDir === null ? null : path.join(base.resultsDir, 'sweep', cell.name),
    report: false,
    progress: false,
    runInfo: { ...base.runInfo, sweep: cell.name },
  };
}

/** Runs one cell in this process (a thread calls it); `bars`: the cell's columns, already loaded. */
export function runCell(spec: PortfolioRunSpec, cell: Pick<SweepCell, 'name' | 'settings'>, ranBy: string, bars?: LoadedColumns): CellResult {
  const out = runPortfolioBacktest(spec, bars);
  return {
    cell: cell.name,
    settings: cell.settings,
    overall: out.metrics.overall,
    byStrategy: out.metrics.byStrategy,
    endingEquity: out.metrics.endingEquity,
    totalReturn: out.metrics.totalReturn,
    tradingDays: out.metrics.tradingDays,
    resultsDir: spec.resultsDir === null ? '' : path.resolve(spec.resultsDir),
    runMs: out.timings.runMs,
    ranBy,
  };
}
