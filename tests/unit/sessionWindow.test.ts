import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { dstMisalignment, sessionStartUtcMs, sessionWindowFor, strategyTiming } from '../../domain/market/sessionWindow';

const at = (iso: string) => Date.parse(iso);

void test('windows from S, A, B, M', () => {
  const cfg = defaultBotConfig();
  const w = sessionWindowFor('2025-06-10', strategyTiming(cfg, 'open'));
  assert.equal(w.analysisStartMs, at('2025-06-10T14:30:00Z'));
  assert.equal(w.entryStartMs, at('2025-06-10T14:50:00Z'));
  assert.equal(w.entryEndMs, at('2025-06-10T15:00:00Z'));
  assert.equal(w.holdMs, 30 * 60_000);
  assert.equal(w.sessionOpenMs, at('2025-06-10T13:30:00Z'));
  assert.equal(w.marketCloseMs, at('2025-06-10T20:00:00Z'));
  const c = sessionWindowFor('2025-07-03', strategyTiming(cfg, 'close'));
  assert.equal(c.marketCloseMs, at('2025-07-03T17:00:00Z'));
  assert.equal(c.earlyClose, true);
  const closed = sessionWindowFor('2025-07-04', strategyTiming(cfg, 'mid'));
  assert.equal(closed.marketCloseMs, null);
});

void test('exchange anchor keeps the New York wall time of the EST reading', () => {
  assert.equal(sessionStartUtcMs('2025-06-10', '14:30', 'utc'), at('2025-06-10T14:30:00Z'));
  assert.equal(sessionStartUtcMs('2025-06-10', '14:30', 'exchange'), at('2025-06-10T13:30:00Z'));
  assert.equal(sessionStartUtcMs('2019-02-12', '14:30', 'exchange'), at('2019-02-12T14:30:00Z'));
});

void test('DST misalignment warnings', () => {
  assert.equal(dstMisalignment('2019-02-12', '14:30', 'open'), null);
  const summer = dstMisalignment('2025-06-10', '14:30', 'open');
  assert.match(summer ?? '', /START_TIME_OPEN=14:30 UTC is 10:30 New York \(EDT\), not the 09:30/);
  assert.match(dstMisalignment('2025-07-04', '14:30', 'open') ?? '', /closed/);
  // Written for summer: fine in summer, one hour off in winter.
  assert.equal(dstMisalignment('2025-06-10', '13:30', 'open', 'EDT'), null);
  assert.match(dstMisalignment('2025-12-10', '13:30', 'open', 'EDT') ?? '', /08:30 New York \(EST\), not the 09:30/);
  // CLOSE at 19:30 UTC on an EST early-close day (13:00 New York = 18:00Z) is after the close.
  assert.match(dstMisalignment('2025-12-24', '19:30', 'close') ?? '', /outside the regular session/);
});
