import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/tradingDayHarness';

/*
 * The CI drill: `npm run drill` as a user runs it, in a child process with its own dev server (it must
 * restart that server, so it cannot share the test run's). A short one: the OPEN session on six funds at
 * 120x (about half a minute of market replay), two worker kills, one server restart, 10% broker faults.
 */
test('a short reliability drill: 2 kills, 1 restart, 10% broker faults, nothing lost or doubled', { timeout: 240_000 }, async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-drilltest-')), 'run');
  const args = [
    '--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'drill.ts'),
    '--seed', '11', '--kills', '2', '--restarts', '1', '--fault-rate', '0.1',
    '--sessions', 'open', '--speed', '120', '--symbols', 'SQQQ,SVIX,TNA,TQQQ,TZA,UVXY', '--out', out,
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const lines = stdout.trim().split('\n');
  const report = `drill output:\n${stdout}\n${stderr}`;
  const last = JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
  assert.equal(code, 0, report);
  assert.equal(last.kills, 2, report);
  assert.equal(last.restarts, 1, report);
  assert.equal(last.duplicate_orders, 0, report);
  assert.equal(last.lost_records, 0, report);
  assert.equal(last.ledger_balanced, true, report);
  assert.equal(last.live_paths_touched, 0, report);
  assert.equal(last.violations, 0, report);
  assert.ok(typeof last.orders === 'number' && last.orders > 0, `the day traded: ${report}`);
  assert.ok(typeof last.faults === 'number', report);
  // Every check was printed, and passed.
  assert.ok(!/^\s+FAIL /m.test(stdout), report);
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
});
