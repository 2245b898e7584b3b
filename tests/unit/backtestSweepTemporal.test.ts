import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { runPortfolioBacktest } from '../../activities/backtest/runBacktest';
import { sweepCells } from '../../activities/backtest/sweep';
import { cellSpec, type SweepCell } from '../../activities/backtest/sweepCell';
import { createBacktestSweepActivities } from '../../activities/backtest/sweepActivities';
import { runSweepOnTemporal } from '../../workers/temporal/sweepClient';
import { sweepProgressQuery } from '../../workflows/backtestSweepApi';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { quietRuntime } from '../helpers/tradingDayHarness';
import { quietBundlerLogger } from '../../workers/bundlerLogger';
import { connectTestTemporal, testServerAddress, uniqueTaskQueue, type TestTemporal } from '../helpers/temporalTestServer';
import { fixtureRunSpec } from '../helpers/fixtureRunSpec';

/**
 * A parameter sweep on the real dev server with two workers on one task queue, one in this process and
 * one a separate `backtest --sweep-worker` process (as on a second machine): every grid cell is an
 * activity, both workers take cells, and the gathered results equal the cells computed here.
 */

const dir = mkdtempSync(join(tmpdir(), 'tradebot-btsweep-temporal-'));
let temporal: TestTemporal;
let taskQueue: string;
let worker: Worker | null = null;
let running: Promise<void> | null = null;
let child: ChildProcess | null = null;

const base = fixtureRunSpec({ resultsDir: join(dir, 'results') });

before(async () => {
  quietRuntime();
  temporal = await connectTestTemporal();
  taskQueue = uniqueTaskQueue('btsweep');
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/backtestSweep'), logger: quietBundlerLogger });
  // One cell at a time per worker, so the two workers must share the grid between them.
  worker = await Worker.create({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle,
    activities: createBacktestSweepActivities({ label: 'worker-a' }),
    maxConcurrentActivityTaskExecutions: 1,
  });
  running = worker.run();
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', '..', 'scripts', 'backtest.ts'), '--sweep-worker', '--task-queue', taskQueue, '--label', 'worker-b', '--concurrency', '1'],
    { env: { ...process.env, TEMPORAL_ADDRESS: testServerAddress() }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = proc;
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sweep worker process did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('sweep worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sweep worker process exited (${code}): ${output}`));
    });
  });
});

after(async () => {
  if (child !== null && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  worker?.shutdown();
  await running;
  await temporal?.close();
  rmSync(dir, { recursive: true, force: true });
});

void test('each grid cell is an activity; two workers share them; results equal local runs', { timeout: 180_000 }, async () => {
  const cells: SweepCell[] = await sweepCells(
    [
      { key: 'STRAT_OPEN_BUFFER', values: ['0.002', '0.01', '0.02'] },
      { key: 'TOTAL_ALLOCATION', values: ['0.02', '0.04'] },
    ],
    async (s) => botConfigSchema.parse(s),
  );
  const reports: [number, number][] = [];
  const results = await runSweepOnTemporal(base, cells, { client: temporal.client, taskQueue, workflowId: `sweep-${taskQueue}`, onProgress: (d, t) => reports.push([d, t]) });
  assert.equal(results.length, 6);
  // The workflow's progress query: reported as it changed, ending at every cell done.
  assert.deepEqual(reports.at(-1), [6, 6], `progress reports ${JSON.stringify(reports)}`);
  for (let i = 1; i < reports.length; i++) assert.ok(reports[i]![0] > reports[i - 1]![0], 'each report is new progress');
  assert.deepEqual(await temporal.client.workflow.getHandle(`sweep-${taskQueue}`).query(sweepProgressQuery), { done: 6, total: 6 });
  assert.deepEqual(new Set(results.map((r) => r.ranBy)), new Set(['worker-a', 'worker-b']), 'both workers ran cells');
  for (let i = 0; i < cells.length; i++) {
    assert.equal(results[i]!.cell, cells[i]!.name);
    const local = runPortfolioBacktest({ ...cellSpec(base, cells[i]!), resultsDir: null });
    assert.deepEqual(results[i]!.overall, local.metrics.overall);
  }
  const history = await temporal.client.workflow.getHandle(`sweep-${taskQueue}`).fetchHistory();
  const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
  assert.equal(scheduled, 6, 'one activity per cell');
});
