import os from 'node:os';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPE } from '../../domain/errors/errorClasses';
import type { CellResult } from './sweepCell';
import { symbolsToLoad, type PortfolioRunSpec } from './runBacktest';
import { SharedBarsCache } from './sharedBarsCache';
import { SweepThreadPool } from './sweepThreadPool';

/** One grid cell: the run with the cell's config, and the cell's name and settings. */
export interface BacktestCellInput {
  readonly spec: PortfolioRunSpec;
  readonly cell: { readonly name: string; readonly settings: Readonly<Record<string, string>> };
}

export interface BacktestSweepActivityOptions {
  /** Shown in the comparison table's "ran by" column; default host:pid. */
  readonly label?: string;
  /** Threads kept for cells (the worker's activity concurrency); default one per core. */
  readonly threads?: number;
}

/**
 * Sweep activities. A cell is CPU work for seconds to minutes, so it runs in a worker thread: the worker's
 * event loop stays free for other tasks and for heartbeats. The threads live as long as the worker (each
 * starts and warms up once), and the bars of a data set are loaded once per worker process into shared
 * memory that all its threads read (sharedBarsCache.ts). Data and config problems are not retried (the
 * same input fails the same way); anything else is, by the workflow's retry policy.
 */
export function createBacktestSweepActivities(opts: BacktestSweepActivityOptions = {}) {
  const label = opts.label ?? `${os.hostname()}:${process.pid}`;
  const pool = new SweepThreadPool(opts.threads ?? Math.max(1, os.availableParallelism()));
  const bars = new SharedBarsCache();
  return {
    async runBacktestCell(input: BacktestCellInput): Promise<CellResult> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat({ cell: input.cell.name }), 10_000);
      try {
        const shared = bars.get({ dataSource: input.spec.dataSource, cacheDir: input.spec.cacheDir, symbols: symbolsToLoad(input.spec) });
        const result = await pool.run({ spec: input.spec, cell: input.cell, bars: shared });
        return { ...result, ranBy: label };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        // A bad file or a bad config fails the same way on every retry.
        if (/:\d+: |data source|no \.csv|not found|conflicts with/.test(message)) {
          throw ApplicationFailure.nonRetryable(`cell ${input.cell.name}: ${message}`, FAILURE_TYPE.BacktestDataError);
        }
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type BacktestSweepActivities = ReturnType<typeof createBacktestSweepActivities>;
