import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addDays,
  isNyDaylightTime,
  nyDstBoundsUtc,
  nyOffsetOnDate,
  nyUtcOffsetMinutes,
  nyWallTimeToUtcMs,
  utcMsToNyWallTime,
} from '../../domain/market/nyTime';

const at = (iso: string) => Date.parse(iso);

void test('DST switch instants follow the US rules (2007+ and 1987-2006)', () => {
  // 2025: 9 March 02:00 EST = 07:00Z, 2 November 02:00 EDT = 06:00Z.
  assert.deepEqual(nyDstBoundsUtc(2025), { startMs: at('2025-03-09T07:00:00Z'), endMs: at('2025-11-02T06:00:00Z') });
  assert.deepEqual(nyDstBoundsUtc(2026), { startMs: at('2026-03-08T07:00:00Z'), endMs: at('2026-11-01T06:00:00Z') });
  assert.deepEqual(nyDstBoundsUtc(2019), { startMs: at('2019-03-10T07:00:00Z'), endMs: at('2019-11-03T06:00:00Z') });
  // Old rule: first Sunday of April to the last Sunday of October.
  assert.deepEqual(nyDstBoundsUtc(2006), { startMs: at('2006-04-02T07:00:00Z'), endMs: at('2006-10-29T06:00:00Z') });
});

void test('offset flips exactly at the switch instants', () => {
  assert.equal(nyUtcOffsetMinutes(at('2025-03-09T06:59:59Z')), -300);
  assert.equal(nyUtcOffsetMinutes(at('2025-03-09T07:00:00Z')), -240);
  assert.equal(nyUtcOffsetMinutes(at('2025-11-02T05:59:59Z')), -240);
  assert.equal(nyUtcOffsetMinutes(at('2025-11-02T06:00:00Z')), -300);
  assert.equal(isNyDaylightTime(at('2025-07-01T12:00:00Z')), true);
  assert.equal(isNyDaylightTime(at('2019-02-12T12:00:00Z')), false);
});

void test('offset of a date is the daytime offset, including switch days', () => {
  assert.equal(nyOffsetOnDate('2025-03-09'), -240);
  assert.equal(nyOffsetOnDate('2025-03-08'), -300);
  assert.equal(nyOffsetOnDate('2025-11-02'), -300);
  assert.equal(nyOffsetOnDate('2025-11-01'), -240);
});

void test('New York wall time <-> UTC', () => {
  assert.equal(nyWallTimeToUtcMs('2025-06-10', '09:30'), at('2025-06-10T13:30:00Z'));
  assert.equal(nyWallTimeToUtcMs('2019-02-12', '09:30'), at('2019-02-12T14:30:00Z'));
  assert.equal(nyWallTimeToUtcMs('2026-03-12', '16:00'), at('2026-03-12T20:00:00Z'));
  assert.deepEqual(utcMsToNyWallTime(at('2025-06-10T13:30:00Z')), { date: '2025-06-10', hhmm: '09:30' });
  assert.deepEqual(utcMsToNyWallTime(at('2025-01-02T03:00:00Z')), { date: '2025-01-01', hhmm: '22:00' });
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.equal(addDays('2025-01-01', -1), '2024-12-31');
  assert.throws(() => nyWallTimeToUtcMs('2025-02-30', '09:30'), /not a calendar date/);
});
