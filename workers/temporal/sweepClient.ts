import type { Client } from '@temporalio/client';
import type { EnvConfig } from '../../domain/config/envSchema';
import { BACKTEST_SWEEP_WORKFLOW_TYPE, backtestTaskQueue, sweepProgressQuery, type BacktestSweepWorkflow, type SweepProgress } from '../../workflows/backtestSweepApi';
import type { PortfolioRunSpec } from '../../activities/backtest/runBacktest';
import { cellSpec, type CellResult, type SweepCell } from '../../activities/backtest/sweepCell';
import { pollWhileRunning } from '../../activities/pollWhileRunning';

export interface TemporalSweepOptions {
  /** A connected client; default: one from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE. */
  readonly client?: Client;
  readonly env?: EnvConfig;
  /** Default TEMPORAL_TASK_QUEUE. */
  readonly taskQueue?: string;
  readonly workflowId?: string;
  /** Called with cells done out of total as the workflow reports them (its progress query, once a second). */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Starts the sweep workflow and waits for it. Every cell becomes an activity on the task queue; workers
 * read the data source and write the cell's outputs at the same paths, so the paths must exist on every
 * worker machine (a shared folder, or the same checkout and data everywhere).
 */
export async function runSweepOnTemporal(base: PortfolioRunSpec, cells: readonly SweepCell[], opts: TemporalSweepOptions = {}): Promise<CellResult[]> {
  let client = opts.client;
  let close: (() => Promise<void>) | null = null;
  if (client === undefined) {
    if (opts.env === undefined) throw new Error('a Temporal sweep needs a client or the .env settings (TEMPORAL_ADDRESS)');
    const { connectClient } = await import('./connection');
    client = await connectClient(opts.env);
    const c = client;
    close = () => c.connection.close();
  }
  try {
    const taskQueue = opts.taskQueue ?? backtestTaskQueue(opts.env?.TEMPORAL_TASK_QUEUE ?? 'tradebot');
    const input = { cells: cells.map((c) => ({ spec: cellSpec(base, c), cell: { name: c.name, settings: c.settings } })) };
    const handle = await client.workflow.start<BacktestSweepWorkflow>(BACKTEST_SWEEP_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: opts.workflowId ?? `backtest-sweep-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      args: [input],
    });
    const stop = opts.onProgress ? reportProgress(() => handle.query(sweepProgressQuery), opts.onProgress) : async () => undefined;
    try {
      return await handle.result();
    } finally {
      await stop();
    }
  } finally {
    if (close !== null) await close();
  }
}

/** Asks for the progress once a second and reports each change; the returned function stops, after a last ask. */
function reportProgress(ask: () => Promise<SweepProgress>, report: (done: number, total: number) => void): () => Promise<void> {
  let last = -1;
  const once = async () => {
    try {
      const p = await ask();
      if (p.done !== last) report(p.done, p.total);
      last = p.done;
    } catch {
      // No worker has taken the workflow's first task yet, or it has closed: the next ask, or the result, tells.
    }
  };
  return pollWhileRunning(once, 1000);
}
