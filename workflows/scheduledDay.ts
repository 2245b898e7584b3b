import { ParentClosePolicy, WorkflowIdReusePolicy, log, patched, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { PATCHES } from './patches';
import type { SchedulingActivities } from '../activities/schedulingActivities';
import { dayWorkflowId } from './tradingDayApi';
import { tradingDayWorkflow } from './tradingDay';
import { RETRY_POLICIES } from '../domain/errors/retryPolicy';

const { planScheduledDay } = proxyActivities<SchedulingActivities>({
  startToCloseTimeout: '1 minute',
  retry: RETRY_POLICIES.schedulePlan,
});

/**
 * What the Schedule starts each trading day. Schedules give their runs time-stamped ids, so this small
 * launcher starts the day itself under the deterministic id `tradebot-day-<mode>-<date>`: a second start
 * for the same date (a manual `day` run, a schedule trigger) is rejected by Temporal.
 */
export async function scheduledDayWorkflow(): Promise<string> {
  const info = workflowInfo();
  const plan = await planScheduledDay({ firedAt: info.startTime.toISOString() });
  const id = dayWorkflowId(plan.mode, plan.runDate);
  try {
    await startChild(tradingDayWorkflow, {
      workflowId: id,
      args: [plan.input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      ...(patched(PATCHES.daySummaries) ? { staticSummary: `Trading day ${plan.runDate} (${plan.mode}), started by the Schedule` } : {}),
    });
    return `started ${id}`;
  } catch (err) {
    log.warn('trading day already started or ran for this date', { workflowId: id, error: String(err) });
    return `not started: ${id} exists`;
  }
}
