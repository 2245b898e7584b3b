// Workflow code that does not match the recorded days: replay-check must refuse it (tests/workflows/replayCheck.test.ts).
import { sleep } from '@temporalio/workflow';

/** Same type name as the real day, other first command (a timer where the day schedules an activity). */
export async function tradingDayWorkflow(): Promise<null> {
  await sleep('1 minute');
  return null;
}
