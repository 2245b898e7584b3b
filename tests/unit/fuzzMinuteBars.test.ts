import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { cacheFileFor, loadColumns } from '../../activities/backtest/barCache';
import { loadMinuteBars, MINUTE_BAR_HEADER, MinuteBarCsvError, parseMinuteBarCsv } from '../../activities/marketData/minuteBarCsv';
import { parseVixCsv, VixCsvError } from '../../activities/marketData/vixCsv';
import { parseAnyVixCsv } from '../../activities/marketData/finnhubClient';

/**
 * Fuzzing of the minute-bar CSV loader and the backtest's bar cache (issue 9, bad input): valid files
 * mutated at random (lines replaced, swapped, cut, bytes flipped, hostile numbers), random gzip payloads
 * and torn cache files. A file either loads into sane bars or fails with an error naming the file and the
 * line; a failed load never changes files already on disk. Fixed seeds, modest run counts.
 */

const SEED = 4242;
const START = Date.parse('2025-04-09T13:30:00Z');

const validCsvArb: fc.Arbitrary<string[]> = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.double({ min: 1, max: 500, noNaN: true }), fc.nat({ max: 100000 })), { minLength: 1, maxLength: 20 })
  .map((rows) => {
    let t = START;
    return rows.map(([step, price, vol]) => {
      t += step * 60_000;
      const p = Math.round(price * 100) / 100;
      return `${new Date(t).toISOString().slice(0, 19)}Z,${p},${p + 1},${p},${p},${vol}`;
    });
  });

const NASTY_FIELDS = ['', ' 1', '1 ', 'NaN', 'Infinity', '-Infinity', '1e400', '0x10', '0b11', '0o7', '1,5', '"1"', '-1', '0', '-0', '1e-400', '١', 'null'];

type Mutation = (lines: string[]) => string[];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 40 })).map(([i, s]): Mutation => (ls) => ls.map((l, j) => (j === i % ls.length ? s : l))),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]): Mutation => (ls) => {
    const out = [...ls];
    const a = i % out.length;
    const b = j % out.length;
    [out[a], out[b]] = [out[b]!, out[a]!];
    return out;
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 5 }), fc.constantFrom(...NASTY_FIELDS)).map(([i, col, v]): Mutation => (ls) =>
    ls.map((l, j) => {
      if (j !== i % ls.length) return l;
      const f = l.split(',');
      f[col % f.length] = v;
      return f.join(',');
    }),
  ),
  fc.tuple(fc.nat(), fc.nat()).map(([i, k]): Mutation => (ls) => ls.map((l, j) => (j === i % ls.length ? l.slice(0, k % (l.length + 1)) : l))),
  fc.nat().map((i): Mutation => (ls) => [...ls.slice(0, i % ls.length), ls[i % ls.length]!, ...ls.slice(i % ls.length)]),
  fc.constant<Mutation>((ls) => ls.map((l) => `${l},`)),
  fc.constant<Mutation>((ls) => [ls[0]!.toUpperCase(), ...ls.slice(1)]),
);

const mutatedCsvArb = fc
  .tuple(validCsvArb, fc.array(mutationArb, { maxLength: 3 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.nat())
  .map(([rows, muts, eol, truncate, cut]) => {
    let lines = [MINUTE_BAR_HEADER, ...rows];
    for (const m of muts) lines = m(lines);
    const text = lines.join(eol) + eol;
    return truncate ? text.slice(0, cut % (text.length + 1)) : text;
  });

/** Loaded bars are sane: finite, positive prices, non-negative volume, whole minutes, strictly ascending. */
function assertSaneBars(bars: readonly { t: number; o: number; h: number; l: number; c: number; v: number }[]): void {
  let prev = -Infinity;
  for (const b of bars) {
    for (const x of [b.o, b.h, b.l, b.c]) assert.ok(Number.isFinite(x) && x > 0, `bad price ${x}`);
    assert.ok(Number.isFinite(b.v) && b.v >= 0, `bad volume ${b.v}`);
    assert.ok(b.t % 60_000 === 0 && b.t > prev, `bad time ${b.t}`);
    prev = b.t;
  }
}

function assertCsvError(e: unknown, file: string, lineCount: number): void {
  assert.ok(e instanceof MinuteBarCsvError, `not a MinuteBarCsvError: ${e instanceof Error ? e.stack : String(e)}`);
  assert.equal(e.file, file);
  assert.ok(e.line >= 1 && e.line <= Math.max(1, lineCount), `line ${e.line} outside 1..${lineCount}`);
  assert.ok(e.message.startsWith(`${file}:${e.line}: `), e.message);
  assert.ok(!e.message.includes('\n'), `one line: ${JSON.stringify(e.message)}`);
}

void test('fuzz parseMinuteBarCsv: sane bars or a MinuteBarCsvError naming file and line', () => {
  fc.assert(
    fc.property(mutatedCsvArb, (text) => {
      const lineCount = text.split('\n').length;
      let bars;
      try {
        bars = parseMinuteBarCsv(text, 'data/SPY_1.csv');
      } catch (e) {
        assertCsvError(e, 'data/SPY_1.csv', lineCount);
        return;
      }
      assertSaneBars(bars);
    }),
    { seed: SEED, numRuns: 2000, includeErrorInReport: true },
  );
});

void test('fuzz parseMinuteBarCsv on arbitrary text: never anything but MinuteBarCsvError', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.boolean(), (s, withHeader) => {
      const text = withHeader ? `${MINUTE_BAR_HEADER}\n${s}` : s;
      try {
        assertSaneBars(parseMinuteBarCsv(text, 'x.csv'));
      } catch (e) {
        assertCsvError(e, 'x.csv', text.split('\n').length);
      }
    }),
    { seed: SEED, numRuns: 1000, includeErrorInReport: true },
  );
});

void test('fuzz loadMinuteBars and loadColumns on a folder: errors name the bad file; files on disk stay as they were', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tradebot-fuzz-bars-'));
  try {
    const data = path.join(root, 'data');
    const cache = path.join(root, 'cache');
    const results = path.join(root, 'results');
    mkdirSync(data);
    mkdirSync(results);
    const good = `${MINUTE_BAR_HEADER}\n2025-04-09T13:30:00Z,10,11,9,10,100\n2025-04-09T13:31:00Z,10,11,9,10.5,200\n`;
    writeFileSync(path.join(data, 'AAA_1.csv'), good);
    writeFileSync(path.join(results, 'trade_history_backtest.json'), '[{"kept":true}]\n');
    // A warm cache for the good file: a failed load must not touch it.
    loadColumns(data, { cacheDir: cache });
    const snapshot = () =>
      new Map([cache, results, data].flatMap((d) => readdirSync(d).map((n) => [path.join(d, n), readFileSync(path.join(d, n)).toString('base64')] as const)));
    fc.assert(
      fc.property(
        fc.oneof(
          mutatedCsvArb.map((t) => ({ name: 'BBB_2.csv', bytes: Buffer.from(t) })),
          mutatedCsvArb.map((t) => ({ name: 'BBB_2.csv.gz', bytes: gzipSync(t) })),
          fc.uint8Array({ maxLength: 64 }).map((b) => ({ name: 'BBB_2.csv.gz', bytes: Buffer.from(b) })),
          mutatedCsvArb.map((t) => ({ name: 'BBB_2.csv.gz', bytes: gzipSync(t).subarray(0, Math.floor(t.length / 3)) })),
        ),
        ({ name, bytes }) => {
          const bad = path.join(data, name);
          writeFileSync(bad, bytes);
          try {
            const before = snapshot();
            for (const load of [() => loadMinuteBars(data), () => loadColumns(data, { cacheDir: cache })]) {
              try {
                load();
              } catch (e) {
                assert.ok(e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError), `raw error: ${String(e)}`);
                assert.ok(e.message.startsWith(`${bad}:`), `the message does not start with the file: ${e.message}`);
                // The cache of the good file and the earlier results are exactly as before.
                const after = snapshot();
                for (const [f, content] of before) if (!f.endsWith(name)) assert.equal(after.get(f), content, `${f} changed`);
              }
            }
          } finally {
            rmSync(bad, { force: true });
            rmSync(cacheFileFor(cache, bad), { force: true });
          }
        },
      ),
      { seed: SEED, numRuns: 200, includeErrorInReport: true },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test('fuzz the bar cache: a torn or foreign cache file is rebuilt from the CSV, never trusted', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tradebot-fuzz-cache-'));
  try {
    const data = path.join(root, 'data');
    const cache = path.join(root, 'cache');
    mkdirSync(data);
    const csv = path.join(data, 'AAA_1.csv');
    writeFileSync(csv, `${MINUTE_BAR_HEADER}\n2025-04-09T13:30:00Z,10,11,9,10,100\n2025-04-10T13:31:00Z,10,11,9,10.5,200\n`);
    const expected = loadColumns(data, { cacheDir: null }).series;
    loadColumns(data, { cacheDir: cache });
    const cacheFile = cacheFileFor(cache, csv);
    const pristine = readFileSync(cacheFile);
    const headerLen = pristine.readUInt32LE(8);
    const header = JSON.parse(pristine.toString('utf8', 16, 16 + headerLen)) as Record<string, unknown>;
    const jsonValue = fc.oneof(fc.constant(null), fc.string(), fc.integer(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }));
    /** A cache file with the right magic and source, but a header whose fields were replaced. */
    const forged = fc.dictionary(fc.constantFrom('rows', 'dates', 'dayStart', 'gaps', 'symbol'), jsonValue, { minKeys: 1, maxKeys: 3 }).map((over) => {
      let json = JSON.stringify({ ...header, ...over });
      json += ' '.repeat((8 - ((16 + Buffer.byteLength(json)) % 8)) % 8);
      const prefix = Buffer.from(pristine.subarray(0, 16));
      prefix.writeUInt32LE(Buffer.byteLength(json), 8);
      return Buffer.concat([prefix, Buffer.from(json), pristine.subarray(16 + headerLen)]);
    });
    const whole = fc.constant(null).map(() => Buffer.concat([pristine.subarray(0, 16), Buffer.from('null'), pristine.subarray(20)]));
    // Flips in the prefix and header only: the columns carry no checksum (reading them unparsed and
    // unhashed is the point of the cache), so bit rot inside the numbers is out of reach.
    const flipped = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
      const b = Buffer.from(pristine);
      b[i % (16 + headerLen)] = b[i % (16 + headerLen)]! ^ x;
      return b;
    });
    const truncated = fc.nat().map((n) => pristine.subarray(0, n % pristine.length));
    fc.assert(
      fc.property(fc.oneof(forged, whole, flipped, truncated), (bytes) => {
        writeFileSync(cacheFile, bytes);
        const got = loadColumns(data, { cacheDir: cache }).series;
        assert.equal(got.length, 1);
        const [g, e] = [got[0]!, expected[0]!];
        // Either the cache was rejected and rebuilt, or what it held is exactly the CSV's content.
        assert.deepEqual([...g.dates], [...e.dates]);
        assert.deepEqual([...g.dayStart], [...e.dayStart]);
        for (const k of ['t', 'o', 'h', 'l', 'c', 'v'] as const) assert.deepEqual([...g[k]], [...e[k]], `column ${k}`);
      }),
      { seed: SEED, numRuns: 300, includeErrorInReport: true },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test('fuzz the VIX CSV parsers: a VIX series or an error naming the file (and the line)', () => {
  const row = fc
    .tuple(fc.date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }), fc.oneof(fc.double({ min: 5, max: 90, noNaN: true }).map(String), fc.constantFrom(...NASTY_FIELDS)))
    .map(([d, c]) => `${d.toISOString().slice(0, 10)},${c}`);
  const text = fc.tuple(fc.constantFrom('date,close', 'DATE,OPEN,HIGH,LOW,CLOSE', 'Date,Close', 'x'), fc.array(fc.oneof(row, fc.string({ maxLength: 20 })), { maxLength: 8 })).map(([h, rows]) => [h, ...rows].join('\n'));
  fc.assert(
    fc.property(text, (t) => {
      for (const parse of [parseVixCsv, parseAnyVixCsv]) {
        try {
          const s = parse(t, 'vix.csv');
          assert.equal(s.dates.length, s.closes.length);
          for (const c of s.closes) assert.ok(Number.isFinite(c));
        } catch (e) {
          assert.ok(e instanceof VixCsvError || (e instanceof Error && e.constructor === Error), `raw error: ${String(e)}`);
          assert.ok(e.message.startsWith('vix.csv'), e.message);
        }
      }
    }),
    { seed: SEED, numRuns: 500, includeErrorInReport: true },
  );
});
