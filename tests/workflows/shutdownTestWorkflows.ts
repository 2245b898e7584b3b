// A workflow with one slow activity, for tests/workflows/workerInflightShutdown.test.ts.
import { proxyActivities } from '@temporalio/workflow';

export interface SlowStepActivities {
  slowStep(ms: number): Promise<string>;
}

const { slowStep } = proxyActivities<SlowStepActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });

export async function slowStepWorkflow(ms: number): Promise<string> {
  return slowStep(ms);
}
