import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, tempOutputDir } from '../helpers/tradingDayHarness';
import { testServerAddress, uniqueTaskQueue } from '../helpers/temporalTestServer';

const FAKE_SECRET = 'FakeSecretZq81xPLKmN7';

/** Runs the real CLI in a throwaway project folder pointed at the test dev server. */
function cli(home: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/cli.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, TRADEBOT_HOME: home },
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function allFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? allFiles(p) : [p];
  });
}

describe('CLI against the real dev server', () => {
  let home: string;
  const outputs: string[] = [];
  const run = (...args: string[]) => {
    const r = cli(home, ...args);
    outputs.push(r.out, r.err);
    return r;
  };
  before(() => {
    home = tempOutputDir('cli-home');
    fs.copyFileSync(path.join(REPO_ROOT, 'VERSION.md'), path.join(home, 'VERSION.md'));
    fs.writeFileSync(
      path.join(home, '.env'),
      [
        `TEMPORAL_ADDRESS=${testServerAddress()}`,
        `TEMPORAL_TASK_QUEUE=${uniqueTaskQueue('cli')}`,
        'SMTP_HOST=127.0.0.1',
        'SMTP_USER=bot',
        `SMTP_PASS=${FAKE_SECRET}`,
        `FINNHUB_API_KEY=${FAKE_SECRET}`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(home, '.env_bot'),
      [`TEST_MODE_REPLAY_DIR=${path.join(REPO_ROOT, 'tests/fixtures/minute')}`, 'STRATEGY_OVERRIDE=open', ''].join('\n'),
    );
  });
  after(() => {
    run('schedule', 'delete');
  });

  test('schedule create, list, pause, unpause', () => {
    const created = run('schedule', 'create');
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /schedule tradebot-trading-day (created|updated) for mon,tue,wed,thu,fri/);
    assert.match(created.out, /next runs \(UTC\):\n {2}\d{4}-\d{2}-\d{2}T12:00:00\.000Z/);
    assert.equal(run('schedule', 'pause').code, 0);
    assert.match(run('schedule', 'list').out, /\(paused\)/);
    assert.equal(run('schedule', 'unpause').code, 0);
    assert.doesNotMatch(run('schedule', 'list').out, /\(paused\)/);
  });

  test('day runs a replayed TEST_MODE day to completion; status reports it done', () => {
    const day = run('day', '--date', '2025-04-09', '--speed', '600');
    assert.equal(day.code, 0, day.err);
    assert.match(day.out, /started tradebot-day-paper-2025-04-09/);
    assert.match(day.out, /"mode": "paper"/);
    // Progress as it happens, before the summary: the session's start, its fills and its end.
    const progress = day.out.slice(0, day.out.indexOf('{'));
    // First seen while screening (no candidates yet) or after it.
    assert.match(progress, /^ {2}OPEN at sim session started \(\w+(, \d+ candidates)?\)$/m);
    assert.match(progress, /^ {2}OPEN at sim entries \d+: \S+/m);
    assert.match(progress, /^ {2}OPEN at sim session done: \d+ entries, \d+ exits, realized PnL -?[\d.]+$/m);
    const status = run('status', '--date', '2025-04-09', '--json');
    assert.equal(status.code, 0, status.err);
    const s = JSON.parse(status.out) as { state: string; testMode: boolean; sessions: { strategy: string; state: string }[] };
    assert.equal(s.state, 'done');
    assert.equal(s.testMode, true);
    assert.deepEqual(s.sessions.map((x) => [x.strategy, x.state]), [['open', 'done']]);
    assert.ok(fs.existsSync(path.join(home, 'output', 'summaries', 'daily_summary_paper.json')));
    // A second start for the same date is rejected by its deterministic workflow id.
    const again = run('day', '--date', '2025-04-09', '--speed', '600');
    assert.equal(again.code, 1);
    assert.match(again.err, /already started|already exists|AlreadyStarted/i);
  });

  test('check prints the checklist and passes with the server and schedule up', () => {
    const r = run('check');
    assert.match(r.out, / 3\. \[PASS\] Temporal server reachable and the Schedule exists/);
    assert.match(r.out, /10\. \[(SKIP|PASS)\]/);
    assert.equal(r.code, 0, r.out);
  });

  test('bad arguments and unknown days give one clear line and a non-zero exit', () => {
    const bad = run('day', '--date', '2025-02-30x');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^usage error: --date=2025-02-30x is not a date/);
    const none = run('status', '--date', '2001-01-02');
    assert.equal(none.code, 1);
    assert.match(none.err, /no trading day workflow tradebot-day-paper-2001-01-02/);
    assert.doesNotMatch(none.err, /\n\s+at /, 'no stack trace for the user');
    const unknown = run('frobnicate');
    assert.equal(unknown.code, 2);
    const real = run('day', '--date', '2025-04-09', '--brokers', 'sim-alpaca,alpaca');
    assert.equal(real.code, 2);
    assert.match(real.err, /^usage error: --brokers=sim-alpaca,alpaca: a replay trades at simulated accounts only: sim, sim-alpaca, sim-ibkr/);
  });

  test('secrets from .env never appear in output files or in anything printed', () => {
    const files = [...allFiles(path.join(home, 'output'))];
    assert.ok(files.length > 0);
    for (const f of files) assert.ok(!fs.readFileSync(f, 'utf8').includes(FAKE_SECRET), `${f} contains a secret`);
    for (const o of outputs) assert.ok(!o.includes(FAKE_SECRET), 'printed output contains a secret');
  });
});
