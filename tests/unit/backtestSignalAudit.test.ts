import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadColumns } from '../../activities/backtest/barCache';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { ColumnarMarket } from '../../domain/backtest/columnar';
import { runSignalAuditColumnar } from '../../domain/backtest/columnarAudit';
import { runSignalAudit } from '../../domain/backtest/signalAudit';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { SHARED_MINUTE_DIR, SHARED_VIX_FILE, sharedMissing } from '../helpers/sharedData';

/**
 * The columnar signal audit (bars built only as trackers need them) gives exactly the rows and warnings of
 * the signal audit the golden files pin, on every real file, every strategy, with and without filters: on
 * the whole development set when ../shared is beside the clone, and always on the committed replay days.
 */

const MINUTE = SHARED_MINUTE_DIR;
const VIX = SHARED_VIX_FILE;
const DAYS = join(__dirname, '..', 'fixtures', 'days');

/** Both audits over every file of `minuteDir`; each case must give more than `minRows[i]` rows. */
function auditsAgree(minuteDir: string, vixFile: string, minRows: readonly [number, number]): void {
  const grouped = loadMinuteBars(minuteDir);
  const market = new ColumnarMarket(loadColumns(minuteDir, { cacheDir: null }).series);
  const vix = loadVixCsv(vixFile);
  const cases = [
    { cfg: botConfigSchema.parse({}), strategies: ['open', 'mid', 'close'] as const },
    {
      cfg: botConfigSchema.parse({ STRAT_OPEN_BUFFER: '0.002', STRAT_MID_VWAP_THRESHOLD: '0.005', STRAT_CLOSE_VIX_THRESHOLD: '0' }),
      strategies: ['close', 'open', 'mid'] as const,
      startDate: '2025-04-07',
      endDate: '2026-03-13',
      symbols: ['SQQQ', 'AAPL', 'NOPE', 'UVXY'],
    },
  ];
  for (const [i, c] of cases.entries()) {
    const expected = runSignalAudit({ ...c, bars: grouped.bars, vix });
    const actual = runSignalAuditColumnar({ ...c, market, vix });
    assert.ok(expected.rows.length > minRows[i]!, `rows: ${expected.rows.length}`);
    assert.deepEqual(actual.rows, expected.rows);
    assert.deepEqual(actual.warnings, expected.warnings);
    assert.equal(actual.symbolDays, expected.symbolDays);
  }
  // Without a VIX series, and with the exchange anchor, the warnings still agree.
  const cfg = botConfigSchema.parse({ SESSION_TIME_ANCHOR: 'exchange' });
  const a = runSignalAudit({ bars: grouped.bars, cfg, strategies: ['close'], vix: null });
  const b = runSignalAuditColumnar({ market, cfg, strategies: ['close'], vix: null });
  assert.deepEqual(b, a);
}

void test('columnar signal audit equals the signal audit on the real data set', { skip: !existsSync(MINUTE) && sharedMissing('compares over the whole development set') }, () => {
  auditsAgree(MINUTE, VIX, [20, 20]);
});

void test('columnar signal audit equals the signal audit on the committed replay days', () => {
  // Three 2025 days of 13 funds and two 2026 days of 15 stocks and funds (tests/fixtures/days).
  auditsAgree(join(DAYS, 'minute'), join(DAYS, 'vix_daily.csv'), [40, 10]);
});
