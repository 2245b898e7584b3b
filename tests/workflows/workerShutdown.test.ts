import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SHUTDOWN_GRACE_TIME_MS } from '../../workers/createWorker';
import { REPO_ROOT, tempOutputDir } from '../helpers/tradingDayHarness';
import { testServerAddress, uniqueTaskQueue } from '../helpers/temporalTestServer';

/**
 * The production worker entry (workers/main.ts, as scripts/systemd/tradebot-worker.service starts it) stops
 * cleanly on SIGTERM: it says it is shutting down, says when it is done, and exits 0 within the grace time.
 */
function projectHome(): string {
  const home = tempOutputDir('shutdown-home');
  fs.copyFileSync(path.join(REPO_ROOT, 'VERSION.md'), path.join(home, 'VERSION.md'));
  fs.writeFileSync(path.join(home, '.env'), `TEMPORAL_ADDRESS=${testServerAddress()}\nTEMPORAL_TASK_QUEUE=${uniqueTaskQueue('shutdown')}\n`);
  fs.writeFileSync(path.join(home, '.env_bot'), `TEST_MODE_REPLAY_DIR=${path.join(REPO_ROOT, 'tests/fixtures/minute')}\nDEBUG_LOG_LEVEL=quiet\n`);
  return home;
}

test('SIGTERM: the worker logs its shutdown and exits 0 within the grace time', { timeout: 180_000 }, async () => {
  const home = projectHome();
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'workers', 'main.ts')], {
    // As the unit runs it: from the project folder (tsx resolves there); settings from TRADEBOT_HOME.
    cwd: REPO_ROOT,
    env: { ...process.env, TRADEBOT_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));

  const readyBy = Date.now() + 120_000;
  while (!/worker polling task queue/.test(stdout)) {
    if (proc.exitCode !== null) assert.fail(`the worker exited before polling: ${stderr}`);
    if (Date.now() > readyBy) assert.fail(`the worker never started polling: ${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  const sentAt = Date.now();
  proc.kill('SIGTERM');
  const { code, signal } = await exited;
  const tookMs = Date.now() - sentAt;
  assert.equal(signal, null, `killed by ${signal}: ${stderr}`);
  assert.equal(code, 0, stderr);
  assert.ok(tookMs < SHUTDOWN_GRACE_TIME_MS, `exited ${tookMs} ms after SIGTERM`);
  assert.match(stdout, /SIGTERM received: worker shutting down/);
  assert.match(stdout, /worker shut down/);
  assert.ok(stdout.indexOf('SIGTERM received') < stdout.indexOf('worker shut down:'), 'announced, then done');
});
