import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BacktestSweepActivities } from '../activities/backtest/sweepActivities';
import type { CellResult } from '../activities/backtest/sweepCell';
import { RETRY_POLICIES } from '../domain/errors/retryPolicy';
import { sweepProgressQuery, type BACKTEST_SWEEP_WORKFLOW_TYPE, type BacktestSweepInput, type BacktestSweepWorkflow } from './backtestSweepApi';

/**
 * A parameter sweep: one activity per grid cell, all scheduled at once, so every worker polling the task
 * queue (on any machine) takes cells until none is left; the results come back in cell order.
 * A cell is deterministic, so a retry after a lost worker recomputes the same result.
 */
export async function backtestSweepWorkflow(input: BacktestSweepInput): Promise<CellResult[]> {
  const { runBacktestCell } = proxyActivities<BacktestSweepActivities>({
    taskQueue: input.activityTaskQueue ?? workflowInfo().taskQueue,
    // A cell over a year of 100 symbols takes tens of seconds; heartbeats show the worker is alive meanwhile.
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '1 minute',
    retry: RETRY_POLICIES.sweepCell,
  });
  let done = 0;
  setHandler(sweepProgressQuery, () => ({ done, total: input.cells.length }));
  return Promise.all(
    input.cells.map(async (c) => {
      const result = await runBacktestCell(c);
      done += 1;
      return result;
    }),
  );
}

// The client starts this by name with the signature in backtestSweepApi.ts: a rename or a changed
// signature fails to compile here.
type Registers<T extends Record<typeof BACKTEST_SWEEP_WORKFLOW_TYPE, BacktestSweepWorkflow>> = T;
type _RegisteredWorkflows = Registers<typeof import('./backtestSweep')>;
