import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMinuteBarBytes, type BarColumns } from '../../activities/marketData/minuteBarBytes';
import { MINUTE_BAR_HEADER, MinuteBarCsvError, parseMinuteBarCsv } from '../../activities/marketData/minuteBarCsv';

/**
 * The byte parser of the cold load against the text parser, the definition of a valid file: on any input
 * both give the same bars, or both throw a MinuteBarCsvError with the same file, line and message.
 */

const START = Date.parse('2025-04-09T13:30:00Z');
const FILE = 'data/SPY_1.csv';

type Outcome = { bars: { t: number; o: number; h: number; l: number; c: number; v: number }[] } | { error: string; line: number; file: string };

function outcome(parse: () => { t: number; o: number; h: number; l: number; c: number; v: number }[]): Outcome {
  try {
    return { bars: parse() };
  } catch (e) {
    assert.ok(e instanceof MinuteBarCsvError, `not a MinuteBarCsvError: ${e instanceof Error ? e.stack : String(e)}`);
    return { error: e.message, line: e.line, file: e.file };
  }
}

function rowsOf(cols: BarColumns) {
  return Array.from(cols.t, (t, i) => ({ t, o: cols.o[i]!, h: cols.h[i]!, l: cols.l[i]!, c: cols.c[i]!, v: cols.v[i]! }));
}

function assertSameAsText(text: string): void {
  const expected = outcome(() => parseMinuteBarCsv(text, FILE));
  const got = outcome(() => rowsOf(parseMinuteBarBytes(Buffer.from(text, 'utf8'), FILE)));
  // deepEqual tells 0 from -0 (Object.is), so a volume of -0 must come back as -0, as Number('-0') gives.
  assert.deepEqual(got, expected, JSON.stringify(text.slice(0, 300)));
}

/** Numbers as data files write them, and shapes the fast path must hand over to the text parser's rule. */
const numberText = fc.oneof(
  fc.double({ min: 0.0001, max: 100_000, noNaN: true }).map((x) => String(Math.round(x * 100) / 100)),
  fc.double({ min: 0.0001, max: 100_000, noNaN: true }).map(String),
  fc.nat({ max: 10_000_000 }).map(String),
  fc.constantFrom('0', '-0', '00.50', '1.', '.5', '1e3', '1E-2', '0x10', ' 1', '1 ', '', 'NaN', 'Infinity', '123456789012345.6', '1234567890123456', '0.1234567890123456789', '-1', '+1', '١'),
);

const timeText = fc.oneof(
  fc.nat({ max: 5 }).map((k) => new Date(START + k * 60_000).toISOString().slice(0, 19) + 'Z'),
  fc.constantFrom('2025-04-09T13:30:30Z', '2025-04-09T09:31:00-04:00', '2025-04-09T13:31:00.000Z', '2025-02-30T13:30:00Z', '2025-04-09T24:00:00Z', '2025-04-09 13:30:00Z', 'x'),
);

const rowText = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(timeText, fc.array(numberText, { minLength: 5, maxLength: 5 })).map(([t, ns]) => [t, ...ns].join(',')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant('') },
);

const fileText = fc
  .tuple(
    fc.constantFrom(MINUTE_BAR_HEADER, `\uFEFF${MINUTE_BAR_HEADER}`, 'timestamp,open,high,low,close', ''),
    fc.array(rowText, { maxLength: 12 }),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
  )
  .map(([header, rows, eol, finalEol]) => [header, ...rows].join(eol) + (finalEol ? eol : ''));

void test('byte parser = text parser on random files (values, or file, line and message of the error)', () => {
  fc.assert(
    fc.property(fileText, (text) => assertSameAsText(text)),
    { seed: 1919, numRuns: 3000, includeErrorInReport: true },
  );
});

void test('byte parser: a well-formed file in order, ascending minutes, increasing prices', () => {
  // Ascending minutes and distinct prices, so a row read into the wrong column or line shows.
  const fileRows = Array.from({ length: 50 }, (_, i) => {
    const t = new Date(START + i * 60_000).toISOString().slice(0, 19);
    return `${t}Z,${10 + i / 100},${11 + i},${9.5 + i / 1000},${10.25 + i},${1000 + i}`;
  });
  const text = `${MINUTE_BAR_HEADER}\n${fileRows.join('\n')}\n`;
  assertSameAsText(text);
  const cols = parseMinuteBarBytes(Buffer.from(text), FILE);
  assert.equal(cols.t.length, 50);
  assert.equal(cols.t[49], START + 49 * 60_000);
  assert.equal(cols.o[3], 10.03);
  assert.equal(cols.l[7], 9.507);
  assert.equal(cols.v[49], 1049);
});

void test('byte parser edge cases: BOM only, header only, no final newline, CR at the very end, exotic rows', () => {
  for (const text of [
    '',
    '\uFEFF',
    MINUTE_BAR_HEADER,
    `${MINUTE_BAR_HEADER}\r\n`,
    `${MINUTE_BAR_HEADER}\n2025-04-09T13:30:00Z,1,2,0.5,1.5,0`,
    `${MINUTE_BAR_HEADER}\n2025-04-09T13:30:00Z,1,2,0.5,1.5,0\r`,
    `${MINUTE_BAR_HEADER}\n2025-04-09T13:30:00Z,1,2,0.5,1.5,0\r\r\n`,
    `${MINUTE_BAR_HEADER}\n\n\n2025-04-09T13:30:00Z,1,2,0.5,1.5,-0\n`,
    `${MINUTE_BAR_HEADER}\n2025-04-09T13:31:00Z,1,2,0.5,1.5,7\n2025-04-09T09:30:00-04:00,1,2,0.5,1.5,7\n`,
    `${MINUTE_BAR_HEADER}\n2025-04-09T09:30:00-04:00,1,2,0.5,1.5,7\n2025-04-09T13:31:00Z,1,2,0.5,1.5,7\n2025-04-09T13:31:00Z,1,2,0.5,1.5,7\n`,
    `${MINUTE_BAR_HEADER}\n2025-04-09T13:30:00Z,1,2,0.5,1.5,7,\n`,
    `${MINUTE_BAR_HEADER}\n2025-04-09T13:30:00Z,0,2,0.5,1.5,7\n`,
    `${MINUTE_BAR_HEADER}\n2025-04-09T13:30:00Z,1,2,0.5,1.5,7\n2025-04-10T13:30:00Z,1,2,0.5,1.5,7\n2025-04-10T13:29:00Z,1,2,0.5,1.5,7\n`,
  ]) {
    assertSameAsText(text);
  }
});

void test('byte parser: invalid UTF-8 is quoted in the error as the text parser quotes it', () => {
  const bytes = Buffer.concat([Buffer.from(`${MINUTE_BAR_HEADER}\n2025-04-09T13:30:00Z,1,2,`), Buffer.from([0xe2, 0x82]), Buffer.from(',1,1\n')]);
  const expected = outcome(() => parseMinuteBarCsv(bytes.toString('utf8'), FILE));
  const got = outcome(() => rowsOf(parseMinuteBarBytes(bytes, FILE)));
  assert.ok('error' in expected && expected.line === 2, JSON.stringify(expected));
  assert.deepEqual(got, expected);
});
