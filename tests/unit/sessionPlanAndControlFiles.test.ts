import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { plannedSessions, weekdayOf } from '../../domain/day/sessionPlan';
import { watchControlFiles, type ControlAction } from '../../workers/controlFiles';
import { tempOutputDir, testConfig } from '../helpers/tradingDayHarness';

test('STRATEGY_OVERRIDE runs one session; disabled strategies are skipped with a reason', () => {
  assert.deepEqual(plannedSessions(testConfig()).sessions, ['open', 'mid', 'close']);
  assert.deepEqual(plannedSessions(testConfig({ STRATEGY_SEQUENCE: 'close,open' })).sessions, ['close', 'open']);
  assert.deepEqual(plannedSessions(testConfig({ STRATEGY_OVERRIDE: 'mid' })).sessions, ['mid']);
  const plan = plannedSessions(testConfig({ STRAT_MID_ENABLED: 'false' }));
  assert.deepEqual(plan.sessions, ['open', 'close']);
  assert.deepEqual(plan.skipped, ['mid session skipped: STRAT_MID_ENABLED=false']);
  assert.deepEqual(plannedSessions(testConfig({ STRATEGY_OVERRIDE: 'mid', STRAT_MID_ENABLED: 'false' })).sessions, []);
  assert.equal(weekdayOf('2025-04-12'), 'sat');
  assert.equal(weekdayOf('2025-04-09'), 'wed');
});

test('control files become actions once and are removed', async () => {
  const dir = tempOutputDir('control');
  const seen: [ControlAction, string][] = [];
  const stop = watchControlFiles(dir, async (a, note) => void seen.push([a, note]), { intervalMs: 20 });
  try {
    fs.writeFileSync(path.join(dir, 'control_stop.txt'), 'maintenance window');
    fs.writeFileSync(path.join(dir, 'control_start.txt'), '');
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    stop();
  }
  assert.deepEqual(seen, [['stop', 'maintenance window'], ['start', '']]);
  assert.deepEqual(fs.readdirSync(dir), []);
});
