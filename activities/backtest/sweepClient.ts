import type { Client } from '@temporalio/client';
import type { EnvConfig } from '../../domain/config/envSchema';
import { backtestSweepWorkflow } from '../../workflows/backtestSweep';
import type { PortfolioRunSpec } from './runBacktest';
import { cellSpec, type CellResult, type SweepCell } from './sweep';

export interface TemporalSweepOptions {
  /** A connected client; default: one from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE. */
  readonly client?: Client;
  readonly env?: EnvConfig;
  /** Default TEMPORAL_TASK_QUEUE. */
  readonly taskQueue?: string;
  readonly workflowId?: string;
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
    const { connectClient } = await import('../../scripts/temporal/connection');
    client = await connectClient(opts.env);
    const c = client;
    close = () => c.connection.close();
  }
  try {
    const taskQueue = opts.taskQueue ?? backtestTaskQueue(opts.env?.TEMPORAL_TASK_QUEUE ?? 'tradebot');
    const input = { cells: cells.map((c) => ({ spec: cellSpec(base, c), cell: { name: c.name, settings: c.settings } })) };
    return await client.workflow.execute(backtestSweepWorkflow, {
      taskQueue,
      workflowId: opts.workflowId ?? `backtest-sweep-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      args: [input],
    });
  } finally {
    if (close !== null) await close();
  }
}

/**
 * Sweeps run on their own task queue next to the trading one, so a sweep worker never takes trading
 * workflow tasks and CPU-heavy cells never delay a trading worker's bar fetches.
 */
export function backtestTaskQueue(tradingTaskQueue: string): string {
  return `${tradingTaskQueue}-backtest`;
}
