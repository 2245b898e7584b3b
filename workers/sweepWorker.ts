import { backtestTaskQueue } from '../workflows/backtestSweepApi';
import { projectPath } from '../activities/projectRoot';
import os from 'node:os';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { EnvConfig } from '../domain/config/envSchema';
import { connectWorkerConnection } from './temporal/connection';
import { createBacktestSweepActivities } from '../activities/backtest/sweepActivities';
import { quietBundlerLogger } from './bundlerLogger';

export interface SweepWorkerOptions {
  readonly env: EnvConfig;
  /** Default TEMPORAL_TASK_QUEUE. */
  readonly taskQueue?: string;
  /** Shown in the comparison table's "ran by" column; default host:pid. */
  readonly label?: string;
  /** Cells run at once (each in its own thread); default one per core. */
  readonly concurrency?: number;
  /** Called once the worker polls the task queue. */
  readonly onReady?: () => void;
}

/**
 * A worker that only runs backtest sweeps: `backtest --sweep-worker` on any machine with the data and
 * the checkout at the same paths joins every sweep started on the task queue. It stops on SIGINT or
 * SIGTERM after finishing the cells it holds.
 */
export async function runSweepWorker(opts: SweepWorkerOptions): Promise<void> {
  const concurrency = opts.concurrency ?? Math.max(1, os.availableParallelism());
  const connection = await connectWorkerConnection(opts.env);
  try {
    const worker = await Worker.create({
      connection,
      namespace: opts.env.TEMPORAL_NAMESPACE,
      taskQueue: opts.taskQueue ?? backtestTaskQueue(opts.env.TEMPORAL_TASK_QUEUE),
      workflowBundle: await bundleWorkflowCode({ workflowsPath: projectPath('workflows', 'backtestSweep.ts'), logger: quietBundlerLogger }),
      activities: createBacktestSweepActivities({ ...(opts.label ? { label: opts.label } : {}), threads: concurrency }),
      maxConcurrentActivityTaskExecutions: concurrency,
    });
    const running = worker.run();
    opts.onReady?.();
    await running;
  } finally {
    await connection.close();
  }
}
