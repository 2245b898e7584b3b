import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  loadMinuteBars,
  MinuteBarCsvError,
  parseIsoTimestamp,
  parseMinuteBarCsv,
  symbolFromFileName,
} from '../../activities/marketData/minuteBarCsv';
import { loadVixCsv, parseVixCsv } from '../../activities/marketData/vixCsv';

const dir = mkdtempSync(join(tmpdir(), 'tradebot-bars-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const HEADER = 'timestamp,open,high,low,close,volume';

void test('symbol from the file name: up to the first _ or .', () => {
  assert.equal(symbolFromFileName('/x/SPY_20250409_20250731.csv'), 'SPY');
  assert.equal(symbolFromFileName('QQQ.csv.gz'), 'QQQ');
  assert.equal(symbolFromFileName('BRK.B_2025.csv'), 'BRK');
});

void test('timestamps: fast path and other ISO forms with a zone', () => {
  assert.equal(parseIsoTimestamp('2025-04-07T14:54:00Z'), Date.parse('2025-04-07T14:54:00Z'));
  assert.equal(parseIsoTimestamp('2025-04-07T10:54:00-04:00'), Date.parse('2025-04-07T14:54:00Z'));
  assert.ok(Number.isNaN(parseIsoTimestamp('2025-04-07 14:54:00')), 'no zone');
  assert.ok(Number.isNaN(parseIsoTimestamp('2025-02-30T14:54:00Z')));
  assert.ok(Number.isNaN(parseIsoTimestamp('2025-04-07T24:54:00Z')));
});

void test('parses rows exactly as written, CRLF and BOM tolerated', () => {
  const text = `\uFEFF${HEADER}\r\n2025-04-07T14:54:00Z,670.6300048828125,671,670.5,670.75,1200.5\r\n2025-04-07T14:55:00Z,1,2,0.5,1.5,0\r\n`;
  assert.deepEqual(parseMinuteBarCsv(text, 'x.csv'), [
    { t: Date.parse('2025-04-07T14:54:00Z'), o: 670.6300048828125, h: 671, l: 670.5, c: 670.75, v: 1200.5 },
    { t: Date.parse('2025-04-07T14:55:00Z'), o: 1, h: 2, l: 0.5, c: 1.5, v: 0 },
  ]);
});

void test('clear errors with file and line', () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(
      () => parseMinuteBarCsv(text, 'f.csv'),
      (e: unknown) => e instanceof MinuteBarCsvError && re.test(e.message),
    );
  bad('time,open,high,low,close,volume\n', /^f\.csv:1: header must be exactly/);
  bad('', /^f\.csv:1: empty file/);
  bad(`${HEADER}\n2025-04-07T14:54:00Z,1,2,0.5,x,10\n`, /^f\.csv:2: unparsable number/);
  bad(`${HEADER}\n2025-04-07T14:54:00Z,1,2,0.5,,10\n`, /^f\.csv:2: unparsable number/);
  bad(`${HEADER}\n2025-04-07T14:54:00Z,1,2,0.5,1\n`, /^f\.csv:2: expected 6 comma-separated fields/);
  bad(`${HEADER}\nyesterday,1,2,0.5,1,1\n`, /^f\.csv:2: unparsable timestamp "yesterday"/);
  bad(`${HEADER}\n2025-04-07T14:54:30Z,1,2,0.5,1,1\n`, /^f\.csv:2: timestamp .* whole minute/);
  bad(`${HEADER}\n2025-04-07T14:54:00Z,1,2,0.5,1,1\n2025-04-07T14:54:00Z,1,2,0.5,1,1\n`, /^f\.csv:3: duplicate timestamp/);
  bad(`${HEADER}\n2025-04-07T14:55:00Z,1,2,0.5,1,1\n2025-04-07T14:54:00Z,1,2,0.5,1,1\n`, /^f\.csv:3: .*ascending/);
});

void test('folder: .csv and .csv.gz, symbols merged, grouped by UTC date, manifest skipped', () => {
  const folder = join(dir, 'bars');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder);
  writeFileSync(join(folder, 'AAA_1.csv'), `${HEADER}\n2025-04-07T14:54:00Z,1,1,1,1,1\n2025-04-08T14:54:00Z,2,2,2,2,2\n`);
  writeFileSync(join(folder, 'AAA_2.csv.gz'), gzipSync(`${HEADER}\n2025-04-08T14:54:00Z,2,2,2,2,2\n2025-04-08T14:55:00Z,3,3,3,3,3\n`));
  writeFileSync(join(folder, 'BBB.csv'), `${HEADER}\n2025-04-07T23:59:00Z,4,4,4,4,4\n2025-04-08T00:00:00Z,5,5,5,5,5\n`);
  writeFileSync(join(folder, 'manifest.csv'), 'file,symbol\nAAA_1.csv,AAA\n');
  writeFileSync(join(folder, 'notes.txt'), 'ignored');
  const data = loadMinuteBars(folder);
  assert.deepEqual([...data.bars.keys()], ['AAA', 'BBB']);
  assert.equal(data.files.length, 3);
  assert.equal(data.rowCount, 6);
  const aaa = data.bars.get('AAA')!;
  assert.deepEqual([...aaa.keys()], ['2025-04-07', '2025-04-08']);
  assert.deepEqual(aaa.get('2025-04-08')!.map((b) => b.c), [2, 3], 'identical overlap kept once');
  assert.deepEqual([...data.bars.get('BBB')!.keys()], ['2025-04-07', '2025-04-08']);
  assert.deepEqual([...loadMinuteBars(folder, { symbols: ['BBB'] }).bars.keys()], ['BBB']);

  writeFileSync(join(folder, 'AAA_3.csv'), `${HEADER}\n2025-04-08T14:55:00Z,9,9,9,9,9\n`);
  assert.throws(() => loadMinuteBars(folder), /AAA_3\.csv: bar 2025-04-08T14:55:00.000Z conflicts with the same minute in .*AAA_2\.csv\.gz/);
  assert.throws(() => loadMinuteBars(join(dir, 'nope')), /data source not found/);
});

void test('VIX CSV: date,close, ascending, clear errors', () => {
  assert.deepEqual(parseVixCsv('date,close\n2025-04-07,46.98\n2025-04-08,52.33\n', 'v.csv'), {
    dates: ['2025-04-07', '2025-04-08'],
    closes: [46.98, 52.33],
  });
  assert.throws(() => parseVixCsv('day,value\n', 'v.csv'), /^Error: v\.csv:1: header|v\.csv:1: header/);
  assert.throws(() => parseVixCsv('date,close\n2025-04-07,x\n', 'v.csv'), /v\.csv:2: unparsable close/);
  assert.throws(() => parseVixCsv('date,close\n2025-04-08,1\n2025-04-07,1\n', 'v.csv'), /v\.csv:3: .*ascending/);
  assert.throws(() => parseVixCsv('date,close\n2025-04-08,1\n2025-04-08,1\n', 'v.csv'), /v\.csv:3: duplicate date/);
  assert.throws(() => loadVixCsv(join(dir, 'missing.csv')), /VIX file not found/);
});
