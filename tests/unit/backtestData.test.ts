import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cacheFileFor, loadColumns } from '../../activities/backtest/barCache';
import { MinuteBarCsvError } from '../../activities/marketData/minuteBarCsv';
import { runBacktestCommand } from '../../scripts/commands/backtest';

/** Malformed data files: a clear message with file and line; gaps tolerated and counted; the bar cache. */

const dir = mkdtempSync(join(tmpdir(), 'tradebot-btdata-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const HEADER = 'timestamp,open,high,low,close,volume';

/** Minute rows from `from` (UTC ISO) for `n` minutes, skipping the minute offsets in `skip`. */
function rows(from: string, n: number, skip: readonly number[] = [], price = 10): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (skip.includes(i)) continue;
    const t = new Date(Date.parse(from) + i * 60_000).toISOString().slice(0, 19);
    out.push(`${t}Z,${price},${price + 0.5},${price - 0.5},${price + i / 100},${1000 + i}`);
  }
  return out;
}

function write(name: string, lines: readonly string[]): string {
  const f = join(dir, name);
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

function loadError(file: string): MinuteBarCsvError {
  try {
    loadColumns(file, { cacheDir: null });
  } catch (err) {
    assert.ok(err instanceof MinuteBarCsvError, String(err));
    return err;
  }
  throw new Error('expected a data error');
}

void test('malformed files name the file and the line', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['BADHDR.csv', ['time,open,high,low,close,volume', ...rows('2025-06-10T13:30:00Z', 2)], 1, /header must be exactly/],
    ['BADNUM.csv', [HEADER, ...rows('2025-06-10T13:30:00Z', 2), '2025-06-10T13:32:00Z,1,1,x,1,1'], 4, /unparsable number/],
    ['BADTS.csv', [HEADER, '2025-06-10 13:30,1,1,1,1,1'], 2, /unparsable timestamp/],
    ['FIELDS.csv', [HEADER, '2025-06-10T13:30:00Z,1,1,1,1'], 2, /expected 6 comma-separated fields/],
    ['UNSORTED.csv', [HEADER, ...rows('2025-06-10T13:31:00Z', 2), ...rows('2025-06-10T13:30:00Z', 1)], 4, /earlier than the row before/],
    ['DUP.csv', [HEADER, ...rows('2025-06-10T13:30:00Z', 2), rows('2025-06-10T13:30:00Z', 2)[1]!], 4, /duplicate timestamp/],
    ['NEGVOL.csv', [HEADER, '2025-06-10T13:30:00Z,1,1,1,1,-5'], 2, /negative volume/],
    ['EMPTY.csv', [''], 1, /header/],
  ];
  for (const [name, lines, line, re] of cases) {
    const file = write(name, lines);
    const err = loadError(file);
    assert.equal(err.file, file, name);
    assert.equal(err.line, line, name);
    assert.match(err.message, re, name);
    assert.ok(err.message.startsWith(`${file}:${line}: `), err.message);
  }
});

void test('the command reports a malformed file with file and line, exit code 1, and writes nothing', async () => {
  const file = write('BADCMD.csv', [HEADER, ...rows('2025-06-10T13:30:00Z', 3), '2025-06-10T13:33:00Z,1,1,1,oops,1']);
  const errors: string[] = [];
  const error = console.error;
  const log = console.log;
  console.error = (...a: unknown[]) => void errors.push(a.join(' '));
  console.log = () => undefined;
  let code: number;
  try {
    code = await runBacktestCommand([
      '--strategy=all',
      '--start=2025-06-01',
      '--end=2025-06-30',
      `--data_source=${file}`,
      '--results',
      join(dir, 'cmd-results'),
      '--no-cache',
    ]);
  } finally {
    console.error = error;
    console.log = log;
  }
  assert.equal(code, 1);
  assert.ok(errors.some((e) => e.includes(`${file}:5: unparsable number`)), errors.join('\n'));
  assert.throws(() => readdirSync(join(dir, 'cmd-results')));
});

void test('gaps inside regular sessions are tolerated and counted', () => {
  // Summer date, session from 13:30Z: minutes 5, 6 and 20 are missing (two gaps, three minutes);
  // the jump from the pre-market bar to the open is not a gap inside the session.
  const lines = [HEADER, ...rows('2025-06-10T12:00:00Z', 1), ...rows('2025-06-10T13:30:00Z', 30, [5, 6, 20])];
  const loaded = loadColumns(write('GAPS_1.csv', lines), { cacheDir: null });
  assert.deepEqual(loaded.gaps, { gaps: 2, missingMinutes: 3 });
  assert.equal(loaded.rowCount, 28);
  assert.deepEqual(loaded.series[0]!.dates, ['2025-06-10']);
});

void test('the bar cache: parsed once, then read back identical; a changed or broken cache file is rebuilt', () => {
  const cacheDir = join(dir, 'cache');
  const file = write('CACHED_2025.csv', [HEADER, ...rows('2025-06-10T13:30:00Z', 50), ...rows('2025-06-11T13:30:00Z', 40, [3])]);
  const first = loadColumns(file, { cacheDir });
  assert.equal(first.files[0]!.fromCache, false);
  const second = loadColumns(file, { cacheDir });
  assert.equal(second.files[0]!.fromCache, true);
  const [a, b] = [first.series[0]!, second.series[0]!];
  for (const col of ['t', 'o', 'h', 'l', 'c', 'v'] as const) assert.deepEqual(Array.from(b[col]), Array.from(a[col]), col);
  assert.deepEqual(b.dates, ['2025-06-10', '2025-06-11']);
  assert.deepEqual(Array.from(b.dayStart), [0, 50, 89]);
  assert.deepEqual(second.gaps, first.gaps);

  // The CSV changes (size and modification time): the cache is stale and rebuilt from the new rows.
  writeFileSync(file, `${[HEADER, ...rows('2025-06-10T13:30:00Z', 10, [], 20)].join('\n')}\n`);
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const third = loadColumns(file, { cacheDir });
  assert.equal(third.files[0]!.fromCache, false);
  assert.equal(third.rowCount, 10);
  assert.equal(third.series[0]!.o[0], 20);

  // A torn cache file is not trusted.
  writeFileSync(cacheFileFor(cacheDir, file), 'TBCOLS02 garbage');
  const fourth = loadColumns(file, { cacheDir });
  assert.equal(fourth.files[0]!.fromCache, false);
  assert.equal(fourth.rowCount, 10);
  assert.equal(loadColumns(file, { cacheDir }).files[0]!.fromCache, true);
});

void test('gzip files, a symbol split over files, identical overlaps kept once, conflicting ones refused', () => {
  const folder = join(dir, 'folder');
  mkdirSync(folder);
  writeFileSync(join(folder, 'ZZ_1.csv.gz'), gzipSync(`${[HEADER, ...rows('2025-06-10T13:30:00Z', 5)].join('\n')}\n`));
  writeFileSync(join(folder, 'ZZ_2.csv'), `${[HEADER, ...rows('2025-06-11T13:30:00Z', 5)].join('\n')}\n`);
  writeFileSync(join(folder, 'manifest.csv'), 'not,bars\n');
  const loaded = loadColumns(folder, { cacheDir: join(dir, 'cache2') });
  assert.equal(loaded.series.length, 1);
  assert.equal(loaded.series[0]!.symbol, 'ZZ');
  assert.equal(loaded.rowCount, 10);
  assert.deepEqual(loaded.series[0]!.dates, ['2025-06-10', '2025-06-11']);

  // Overlapping files: identical rows merge, a conflicting minute names both files.
  writeFileSync(join(folder, 'ZZ_3.csv'), `${[HEADER, ...rows('2025-06-10T13:30:00Z', 7).slice(2)].join('\n')}\n`);
  const merged = loadColumns(folder, { cacheDir: null });
  assert.equal(merged.series[0]!.t.length, 12);
  writeFileSync(join(folder, 'ZZ_3.csv'), `${[HEADER, ...rows('2025-06-10T13:32:00Z', 5, [], 11)].join('\n')}\n`);
  assert.throws(() => loadColumns(folder, { cacheDir: null }), /ZZ_3\.csv: bar 2025-06-10T13:3\d:00\.000Z conflicts with the same minute in .*ZZ_1\.csv\.gz/);
});
