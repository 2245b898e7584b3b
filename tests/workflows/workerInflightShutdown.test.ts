import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Context } from '@temporalio/activity';
import { bundleWorkflowCode } from '@temporalio/worker';
import { SHUTDOWN_GRACE_TIME_MS } from '../../workers/createWorker';
import { quietBundlerLogger } from '../../workers/bundlerLogger';
import { createTestWorker, quietRuntime, tempOutputDir } from '../helpers/tradingDayHarness';
import { connectTestTemporal, uniqueTaskQueue } from '../helpers/temporalTestServer';

/**
 * A worker asked to shut down lets an in-flight activity finish (it is well inside SHUTDOWN_GRACE_TIME_MS)
 * and reports its result, where a worker without grace time would cancel it at once and leave a retry to
 * the next worker; the workflow goes on at the next worker (docs/temporal.md, "Stopping a worker").
 */
const STEP_MS = 3000;

test('shutdown during an activity: the activity completes, the next worker finishes the workflow', { timeout: 120_000 }, async () => {
  assert.ok(STEP_MS < SHUTDOWN_GRACE_TIME_MS);
  quietRuntime();
  const temporal = await connectTestTemporal();
  const taskQueue = uniqueTaskQueue('inflight');
  const bundle = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'shutdownTestWorkflows.ts'), logger: quietBundlerLogger });
  let started!: () => void;
  const activityStarted = new Promise<void>((r) => (started = r));
  let attempts = 0;
  const slowStep = async (ms: number) => {
    attempts += 1;
    started();
    // A well-behaved long activity: it stops when cancelled (as the worker does once the grace time is up).
    await Promise.race([new Promise((r) => setTimeout(r, ms)), Context.current().cancelled]);
    return 'step done';
  };
  const workerOn = () =>
    createTestWorker({
      connection: temporal.nativeConnection,
      client: temporal.client,
      taskQueue,
      outputDir: tempOutputDir('inflight'),
      vixCsvPath: null,
      workflowBundle: bundle,
      overrideActivities: { slowStep },
    });
  try {
    const first = await workerOn();
    const firstRun = first.run();
    const handle = await temporal.client.workflow.start('slowStepWorkflow', { taskQueue, workflowId: `test-inflight-${Date.now()}`, args: [STEP_MS] });
    await activityStarted;
    const shutdownAt = Date.now();
    first.shutdown();
    await firstRun;
    const drainedMs = Date.now() - shutdownAt;
    assert.ok(drainedMs < SHUTDOWN_GRACE_TIME_MS, `drained in ${drainedMs} ms`);
    const events = (await handle.fetchHistory()).events ?? [];
    assert.ok(events.some((e) => e.activityTaskCompletedEventAttributes), 'the in-flight activity reported its result before the worker stopped');
    const second = await workerOn();
    assert.equal(await second.runUntil(handle.result()), 'step done');
    assert.equal(attempts, 1, 'finished, not retried');
  } finally {
    await temporal.close();
  }
});
