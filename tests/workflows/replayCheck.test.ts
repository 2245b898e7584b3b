import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { usageErrorText, UsageError } from '../../scripts/commands/args';
import { replayCheckCommand, visibilityQuery } from '../../scripts/commands/replayCheck';
import { runCommandLine, usageOf } from '../../scripts/commands/command';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { REPO_ROOT, createTestWorker, quietRuntime, tempOutputDir, testConfig } from '../helpers/tradingDayHarness';
import { connectTestTemporal, testServerAddress, uniqueTaskQueue, type TestTemporal } from '../helpers/temporalTestServer';

/**
 * `replay-check` on the real dev server: the histories of a task queue's workflows replay against the
 * current code (exit 0) and not against altered code (exit 1). The day runs on a Saturday, so it closes
 * after one activity (the daily summary) and the test stays short.
 */
const SATURDAY = '2025-04-12';
const ALTERED_WORKFLOWS = path.join(__dirname, 'replayCheckAlteredWorkflows.ts');

function captured(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

function writeProjectHome(taskQueue: string): string {
  const home = tempOutputDir('replaycheck-home');
  fs.copyFileSync(path.join(REPO_ROOT, 'VERSION.md'), path.join(home, 'VERSION.md'));
  fs.writeFileSync(path.join(home, '.env'), `TEMPORAL_ADDRESS=${testServerAddress()}\nTEMPORAL_TASK_QUEUE=${taskQueue}\n`);
  fs.writeFileSync(path.join(home, '.env_bot'), `TEST_MODE_REPLAY_DIR=${path.join(REPO_ROOT, 'tests/fixtures/minute')}\n`);
  return home;
}

async function waitUntilListed(temporal: TestTemporal, query: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await temporal.client.workflow.count(query)).count >= count) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`visibility never listed ${count} workflow(s) for ${query}`);
}

/** The command as the CLI runs it: a usage error is printed with the usage and exits 2 (scripts/cli.ts). */
async function runReplayCheckCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  try {
    return await runCommandLine(replayCheckCommand, argv, { stdout: out, stderr: out }, 'tradebot');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    out.write(usageErrorText(err));
    return 2;
  }
}

describe('replay-check', { concurrency: false }, () => {
  let temporal: TestTemporal;
  let worker: Worker;
  let running: Promise<void>;
  let dayId: string;
  const taskQueue = uniqueTaskQueue('replaycheck');
  const savedHome = process.env.TRADEBOT_HOME;

  before(async () => {
    quietRuntime();
    temporal = await connectTestTemporal();
    worker = await createTestWorker({ connection: temporal.nativeConnection, client: temporal.client, taskQueue, outputDir: tempOutputDir('replaycheck'), vixCsvPath: null });
    running = worker.run();
    dayId = `test-replaycheck-${Date.now()}`;
    const day = await temporal.client.workflow.start(tradingDayWorkflow, {
      taskQueue,
      workflowId: dayId,
      args: [{ date: SATURDAY, config: testConfig(), broker: 'sim', universe: [] }],
    });
    const summary = await day.result();
    assert.match(summary.closedReason ?? '', /not in TRADING_DAYS/, 'the day closed at once');
    await waitUntilListed(temporal, visibilityQuery(taskQueue, new Date().toISOString().slice(0, 10)), 1);
    process.env.TRADEBOT_HOME = writeProjectHome(taskQueue);
  });
  after(async () => {
    if (savedHome === undefined) delete process.env.TRADEBOT_HOME;
    else process.env.TRADEBOT_HOME = savedHome;
    worker.shutdown();
    await running;
    await temporal.close();
  });

  test('--help prints the usage and does nothing else', async () => {
    const out = captured();
    assert.equal(await runReplayCheckCommand(['--help'], out.stream), 0);
    assert.equal(out.text(), usageOf(replayCheckCommand, 'tradebot'));
  });

  test('an unknown option is a usage error', async () => {
    const out = captured();
    assert.equal(await runReplayCheckCommand(['--sinse', '2025-01-01'], out.stream), 2);
    assert.match(out.text(), /usage error: .*--sinse/);
  });

  test('the finished day replays against the current code: exit 0, one line for it', async () => {
    const out = captured();
    const code = await runReplayCheckCommand([], out.stream);
    assert.equal(code, 0, out.text());
    assert.match(out.text(), new RegExp(`^ {2}ok {6}${dayId} \\(tradingDayWorkflow, completed\\)$`, 'm'));
    assert.match(out.text(), /every history replays/);
  });

  test('the same history against altered workflow code: exit 1, the day named as failing', async () => {
    const out = captured();
    const code = await runReplayCheckCommand(['--workflows-path', ALTERED_WORKFLOWS], out.stream);
    assert.equal(code, 1, out.text());
    assert.match(out.text(), new RegExp(`^ {2}FAILED {2}${dayId} \\(tradingDayWorkflow, completed\\): \\S+`, 'm'));
    assert.match(out.text(), /do NOT replay/);
  });

  test('as a CLI table command: --help prints its usage, a run checks the same histories', async () => {
    const help = captured();
    assert.equal(await runCommandLine(replayCheckCommand, ['--help'], { stdout: help.stream }, 'tradebot'), 0);
    assert.match(help.text(), /usage: tradebot replay-check/);
    assert.match(help.text(), /--workflows-path/);
    const run = captured();
    assert.equal(await runCommandLine(replayCheckCommand, ['--workflows-path', ALTERED_WORKFLOWS], { stdout: run.stream }, 'tradebot'), 1, run.text());
    assert.match(run.text(), new RegExp(`FAILED {2}${dayId}`));
  });

  test('--since after today lists nothing closed: nothing to replay, exit 0', async () => {
    const out = captured();
    assert.equal(await runReplayCheckCommand(['--since', '2999-01-01', '--workflows-path', ALTERED_WORKFLOWS], out.stream), 0, out.text());
    assert.match(out.text(), /replay-check: 0 workflow\(s\)/);
  });
});
