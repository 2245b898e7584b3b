import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { stopSignal } from '../../workflows/tradingDayApi';
import { PATCHES } from '../../workflows/patches';
import { quietBundlerLogger } from '../../workers/bundlerLogger';
import type { tradingDayWorkflow } from '../../workflows/tradingDay';
import { REPO_ROOT, createTestWorker, quietRuntime, tempOutputDir, testConfig } from '../helpers/tradingDayHarness';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporalTestServer';

/**
 * A deploy in the middle of a day (docs/temporal.md, "Deploying while days run"): a day started by the
 * previous build's workers (the commit before the first patch, taken from git) waits for MID and is
 * stopped during the wait; that worker stops, this checkout's worker replays the whole history and the day
 * finishes on the patched code with no workflow task failure. Without the patch the replay would cancel
 * the timer the history saw fire. The old branch runs (the stop waits for the timer), as patched() promises.
 */
const PREVIOUS_BUILD_COMMIT = '65cd1f7';
const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');
const DATE = '2025-04-09';
const UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
// MID starts at 15:30 UTC, the day starts it a market minute early: from 15:28 at 3x, a wait of about 20 s.
const input = {
  date: DATE,
  config: testConfig({ STRATEGY_OVERRIDE: 'mid' }),
  broker: 'sim' as const,
  universe: UNIVERSE,
  replay: { folder: FIXTURE, speed: 3, marketStartMs: Date.parse(`${DATE}T15:28:00Z`) },
};

function previousBuildAvailable(): boolean {
  try {
    execFileSync('git', ['-C', REPO_ROOT, 'cat-file', '-e', `${PREVIOUS_BUILD_COMMIT}^{commit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The previous build's workflow code, bundled from its commit (resolving packages from this checkout). */
async function previousBuildBundle(): Promise<WorkflowBundleWithSourceMap> {
  const dir = tempOutputDir('previous-build');
  const archive = execFileSync('git', ['-C', REPO_ROOT, 'archive', PREVIOUS_BUILD_COMMIT, 'workflows', 'domain', 'activities'], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return bundleWorkflowCode({
    workflowsPath: path.join(dir, 'workflows', 'index.ts'),
    logger: quietBundlerLogger,
    webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [path.join(REPO_ROOT, 'node_modules'), 'node_modules'] } }),
  });
}

/** The patch ids whose markers the history holds, in order. */
function patchMarkers(events: Awaited<ReturnType<typeof historyEvents>>): string[] {
  return events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .map((m) => {
      const data = m?.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id : '';
    });
}

/** A workflow task completed after the stop signal arrived. */
function signalHandled(events: Awaited<ReturnType<typeof historyEvents>>): boolean {
  const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
  return signalled >= 0 && events.slice(signalled).some((e) => e.workflowTaskCompletedEventAttributes);
}

async function historyEvents(handle: WorkflowHandle<typeof tradingDayWorkflow>) {
  return (await handle.fetchHistory()).events ?? [];
}

describe('deploying while a day is open', { skip: previousBuildAvailable() ? false : `commit ${PREVIOUS_BUILD_COMMIT} is not in this clone` }, () => {
  let temporal: TestTemporal;
  const taskQueue = uniqueTaskQueue('deploy');
  const outputDir = tempOutputDir('deploy');
  const workerOn = async (bundle?: WorkflowBundleWithSourceMap): Promise<Worker> =>
    createTestWorker({ connection: temporal.nativeConnection, client: temporal.client, taskQueue, outputDir, symbols: UNIVERSE, vixCsvPath: null, workflowBundle: bundle });
  before(async () => {
    quietRuntime();
    temporal = await connectTestTemporal();
  });
  after(async () => {
    await temporal.close();
  });

  test('a day started on the previous build finishes on this one without a workflow task failure', { timeout: 240_000 }, async () => {
    const previous = await workerOn(await previousBuildBundle());
    const previousRun = previous.run();
    const handle = await temporal.client.workflow.start('tradingDayWorkflow', { taskQueue, workflowId: `test-deploy-${Date.now()}`, args: [input] }) as WorkflowHandle<typeof tradingDayWorkflow>;
    const deadline = Date.now() + 60_000;
    while (!(await historyEvents(handle)).some((e) => e.timerStartedEventAttributes)) {
      assert.ok(Date.now() < deadline, 'the previous build never started the wait for MID');
      await new Promise((r) => setTimeout(r, 200));
    }
    // The stop reaches the previous build during the wait: its history holds a signal the timer outlived.
    await handle.signal(stopSignal, { by: 'test' });
    while (!signalHandled(await historyEvents(handle))) {
      assert.ok(Date.now() < deadline, 'the previous build never handled the stop');
      await new Promise((r) => setTimeout(r, 200));
    }
    // The deploy: the previous build's worker stops, this checkout's takes the task queue and replays it all.
    previous.shutdown();
    await previousRun;
    const current = await workerOn();
    const summary = await current.runUntil(handle.result());

    assert.equal(summary.finalStatus.stopped, true);
    assert.deepEqual(summary.sessions, [], 'the stop came before MID');
    const events = await historyEvents(handle);
    assert.equal(events.filter((e) => e.workflowTaskFailedEventAttributes).length, 0, 'no workflow task failed (no non-determinism)');
    const signalledAt = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
    const firedAt = events.findIndex((e) => e.timerFiredEventAttributes);
    assert.ok(signalledAt >= 0 && firedAt > signalledAt, 'the stop arrived during the wait, and the old branch ran the timer out');
    assert.ok(!events.some((e) => e.timerCanceledEventAttributes), 'the old branch: the timer was not cancelled');
    // Code past the replayed part is new: the patches met there apply (the wait's did not, it was replayed).
    assert.deepEqual(patchMarkers(events), [PATCHES.dayHandlersFinishFirst]);
    assert.ok(fs.existsSync(path.join(outputDir, 'summaries', 'daily_summary_paper.json')), 'the daily summary is written');
  });
});
