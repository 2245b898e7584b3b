import { defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BacktestCellInput, BacktestSweepActivities } from '../activities/backtest/sweepActivities';
import type { CellResult } from '../activities/backtest/sweep';
import { RETRY_POLICIES } from '../domain/errors/retryPolicy';

export interface BacktestSweepInput {
  readonly cells: readonly BacktestCellInput[];
  /** Task queue of the backtest workers; default this workflow's queue. */
  readonly activityTaskQueue?: string;
}

/** Cells finished out of all (a query adds no workflow command: old histories replay). */
export interface SweepProgress {
  readonly done: number;
  readonly total: number;
}
export const sweepProgressQuery = defineQuery<SweepProgress>('sweepProgress');

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
