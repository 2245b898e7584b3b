import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/tradingDayHarness';

/*
 * The CI drills: `npm run drill` as a user runs it, in a child process with its own dev server (it must
 * restart that server, so it cannot share the test run's).
 */

/** Runs the drill with `args` into a fresh folder; its exit code, output and last JSON line. */
async function runDrillProcess(args: readonly string[]): Promise<{ code: number | null; report: string; last: Record<string, unknown>; stdout: string; out: string }> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-drilltest-')), 'run');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'drill.ts'), ...args, '--out', out], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const lines = stdout.trim().split('\n');
  let last: Record<string, unknown> = {};
  try {
    last = JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
  } catch {
    // The drill could not run: the report below says why.
  }
  return { code, report: `drill output:\n${stdout}\n${stderr}`, last, stdout, out };
}

/*
 * A short one: the OPEN session on six funds at 120x (about half a minute of market replay), two worker
 * kills, one server restart, 10% broker faults.
 */
test('a short reliability drill: 2 kills, 1 restart, 10% broker faults, nothing lost or doubled', { timeout: 240_000 }, async () => {
  const { code, report, last, stdout, out } = await runDrillProcess([
    '--seed', '11', '--kills', '2', '--restarts', '1', '--fault-rate', '0.1',
    '--sessions', 'open', '--speed', '120', '--symbols', 'SQQQ,SVIX,TNA,TQQQ,TZA,UVXY',
  ]);
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

/*
 * The emulator drill: a paper day (TEST_MODE=false) through the production worker wiring and the real
 * Alpaca adapter against the market emulator, which injects the broker faults over HTTP. The OPEN session
 * on the six fixture funds at 60x (65 s of market time): one pass of the bar loop costs the worker about a
 * real second here, so at 120x the bot runs minutes behind the market. Seed 31 puts both kills and the
 * restart in the holding period (+37 s, +41 s, +45 s: 15:02 to 15:10 market), with positions and stops at
 * the broker.
 */
test('a short emulator drill: paper day, 2 kills, 1 restart, 10% HTTP faults at the emulator, nothing lost or doubled', { timeout: 240_000 }, async () => {
  const { code, report, last, stdout, out } = await runDrillProcess([
    '--emulator', '--seed', '31', '--kills', '2', '--restarts', '1', '--fault-rate', '0.1',
    '--sessions', 'open', '--speed', '60', '--replay', path.join(REPO_ROOT, 'tests', 'fixtures', 'minute'),
    '--symbols', 'SQQQ,SVIX,TNA,TQQQ,TZA,UVXY',
  ]);
  assert.equal(last.emulator, true, report);
  assert.equal(last.kills, 2, report);
  // A SIGKILL mid-position: the positions are still exited (flat at the close) and recorded exactly once.
  assert.ok(typeof last.kills_holding_positions === 'number' && last.kills_holding_positions >= 1, report);
  assert.equal(last.restarts, 1, report);
  assert.equal(last.duplicate_orders, 0, report);
  assert.equal(last.lost_records, 0, report);
  assert.equal(last.ledger_balanced, true, report);
  assert.equal(last.live_paths_touched, 0, report);
  assert.deepEqual(last.orders_after_close, [], report);
  assert.deepEqual(last.positions_at_close, [], report);
  assert.deepEqual(last.working_orders_at_close, [], report);
  assert.equal(last.stale_entries_sent, 0, report);
  assert.deepEqual(last.unexplained_exit_records, [], report);
  assert.ok(typeof last.bars_published === 'number' && last.bars_published > 0, report);
  assert.ok(typeof last.bars_seen === 'number' && last.bars_seen > 0, report);
  assert.ok(typeof last.faults === 'number', report);
  assert.ok(typeof last.orders === 'number' && last.orders > 0, `the day traded: ${report}`);
  assert.equal(last.violations, 0, report);
  assert.ok(!/^\s+FAIL /m.test(stdout), report);
  assert.equal(code, 0, report);
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
});
