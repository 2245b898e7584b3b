import os from 'node:os';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { startSweepThread, type CellResult } from './sweep';
import type { PortfolioRunSpec } from './runBacktest';

/** One grid cell: the run with the cell's config, and the cell's name and settings. */
export interface BacktestCellInput {
  readonly spec: PortfolioRunSpec;
  readonly cell: { readonly name: string; readonly settings: Readonly<Record<string, string>> };
}

export interface BacktestSweepActivityOptions {
  /** Shown in the comparison table's "ran by" column; default host:pid. */
  readonly label?: string;
}

/**
 * Sweep activities. A cell is CPU work for seconds to minutes, so it runs in a worker thread: the worker's
 * event loop stays free for other tasks and for heartbeats. Data and config problems are not retried (the
 * same input fails the same way); anything else is, by the workflow's retry policy.
 */
export function createBacktestSweepActivities(opts: BacktestSweepActivityOptions = {}) {
  const label = opts.label ?? `${os.hostname()}:${process.pid}`;
  return {
    async runBacktestCell(input: BacktestCellInput): Promise<CellResult> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat({ cell: input.cell.name }), 10_000);
      try {
        return await runCellInThread(input, label);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        // A bad file or a bad config fails the same way on every retry.
        if (/:\d+: |data source|no \.csv|not found|conflicts with/.test(message)) {
          throw ApplicationFailure.nonRetryable(`cell ${input.cell.name}: ${message}`, 'BacktestDataError');
        }
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type BacktestSweepActivities = ReturnType<typeof createBacktestSweepActivities>;

function runCellInThread(input: BacktestCellInput, label: string): Promise<CellResult> {
  return new Promise((resolve, reject) => {
    const worker = startSweepThread(1);
    worker.once('message', (msg: { result?: CellResult; error?: string }) => {
      void worker.terminate();
      if (msg.error !== undefined) reject(new Error(msg.error));
      else resolve({ ...msg.result!, ranBy: label });
    });
    worker.once('error', reject);
    worker.once('online', () => worker.postMessage({ index: 0, spec: input.spec, cell: input.cell }));
  });
}
