import { defineQuery } from '@temporalio/workflow';
import type { BacktestCellInput } from '../activities/backtest/sweepActivities';
import type { CellResult } from '../activities/backtest/sweepCell';

/**
 * The sweep workflow's API (workflows/backtestSweep.ts implements it): its type name, input, result and
 * progress query. Only definitions, so the client that starts a sweep need not import workflow code.
 */

export interface BacktestSweepInput {
  readonly cells: readonly BacktestCellInput[];
  /** Task queue of the backtest workers; default this workflow's queue. */
  readonly activityTaskQueue?: string;
}

export const BACKTEST_SWEEP_WORKFLOW_TYPE = 'backtestSweepWorkflow';
export type BacktestSweepWorkflow = (input: BacktestSweepInput) => Promise<CellResult[]>;

/** Cells finished out of all (a query adds no workflow command: old histories replay). */
export interface SweepProgress {
  readonly done: number;
  readonly total: number;
}
export const sweepProgressQuery = defineQuery<SweepProgress>('sweepProgress');

/**
 * Sweeps run on their own task queue next to the trading one, so a sweep worker never takes trading
 * workflow tasks and CPU-heavy cells never delay a trading worker's bar fetches.
 */
export function backtestTaskQueue(tradingTaskQueue: string): string {
  return `${tradingTaskQueue}-backtest`;
}
