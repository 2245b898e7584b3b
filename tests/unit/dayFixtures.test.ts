import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { cutDayFixture } from '../../scripts/cutFixtures';
import { SHARED_DIR, SHARED_MINUTE_DIR, sharedMissing } from '../helpers/sharedData';

/**
 * tests/fixtures/days, the bars the workflow tests replay, is a cut of the shared development set: its files
 * must be byte for byte what scripts/cutFixtures.ts cuts from ../shared/data today, and must load.
 */

const DAYS = join(__dirname, '..', 'fixtures', 'days');
const SHARED = SHARED_DIR;

void test('the day fixture loads: every tested date of every symbol, and the VIX closes before them', () => {
  const data = loadMinuteBars(join(DAYS, 'minute'));
  const dates = (s: string) => [...(data.bars.get(s)?.keys() ?? [])];
  // The OPEN/CLOSE day and the two-broker day (source B), the MID day (source C); UVXY is in both.
  for (const s of ['ERX', 'ERY', 'FAS', 'FAZ', 'SDS', 'SQQQ', 'SSO', 'SVIX', 'TNA', 'TQQQ', 'TZA']) assert.deepEqual(dates(s), ['2025-04-07', '2025-04-08', '2025-04-09'], s);
  assert.deepEqual(dates('UVXY'), ['2025-04-07', '2025-04-08', '2025-04-09', '2026-03-12', '2026-03-13']);
  for (const s of ['AAPL', 'ARM', 'ASML', 'BILI', 'INTC', 'KWEB', 'MU', 'NVDA', 'PDD', 'QQQ', 'RIVN', 'RKLB', 'SOXS']) assert.deepEqual(dates(s), ['2026-03-12', '2026-03-13'], s);
  assert.deepEqual(dates('SPY'), ['2025-04-09', '2026-03-12', '2026-03-13']);
  // The CLOSE gate reads the close of the trading day before each tested date.
  const vix = loadVixCsv(join(DAYS, 'vix_daily.csv'));
  for (const d of ['2025-04-07', '2025-04-08', '2026-03-12']) assert.ok(vix.dates.includes(d), `VIX close of ${d}`);
});

void test('the day fixture equals a fresh cut of ../shared/data', { skip: !existsSync(SHARED_MINUTE_DIR) && sharedMissing('compares the fixture with its source') }, () => {
  const cut = cutDayFixture(SHARED);
  const committed = (readdirSync(DAYS, { recursive: true }) as string[]).filter((f) => f.endsWith('.csv') || f.endsWith('.csv.gz')).sort();
  assert.deepEqual(committed, [...cut.keys()].sort());
  for (const [name, content] of cut) assert.ok(readFileSync(join(DAYS, name)).equals(content), `${name} differs from the cut`);
});
