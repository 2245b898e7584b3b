import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Bar } from '../../domain/market/bar';

/**
 * Minute-bar CSV files (`timestamp,open,high,low,close,volume`, ISO-8601 UTC bar starts, ascending):
 * one file, one `.csv.gz`, or a folder of them. The symbol is the file name up to the first `_` or `.`;
 * several files of one symbol are merged. Bars come back grouped by symbol and UTC date.
 */

export const MINUTE_BAR_HEADER = 'timestamp,open,high,low,close,volume';
/** Files in a data folder that are not bar files (the development set's file listing). */
const NOT_BAR_FILES = new Set(['manifest.csv']);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** A bad bar file, with where: `file:line: problem`. */
export class MinuteBarCsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'MinuteBarCsvError';
  }
}

export interface MinuteBarData {
  /** symbol -> UTC date (YYYY-MM-DD) -> that date's bars, ascending. */
  readonly bars: Map<string, Map<string, Bar[]>>;
  /** Files read, in the order read. */
  readonly files: readonly string[];
  readonly rowCount: number;
}

export interface LoadMinuteBarsOptions {
  /** Only read files of these symbols (the others are not even opened). */
  readonly symbols?: readonly string[];
}

/** `SPY_20250409_20250731.csv` -> `SPY`; `QQQ.csv.gz` -> `QQQ`. */
export function symbolFromFileName(fileName: string): string {
  const name = basename(fileName);
  const cut = name.search(/[_.]/);
  return cut < 0 ? name : name.slice(0, cut);
}

function isBarFileName(name: string): boolean {
  return /\.csv(\.gz)?$/i.test(name) && !name.startsWith('.') && !NOT_BAR_FILES.has(name.toLowerCase());
}

/** The bar files a source names: the file itself, or the folder's `*.csv` / `*.csv.gz` files sorted by name. */
export function listMinuteBarFiles(source: string): string[] {
  let st;
  try {
    st = statSync(source);
  } catch {
    throw new Error(`data source not found: ${source}`);
  }
  if (st.isFile()) return [source];
  if (!st.isDirectory()) throw new Error(`data source is neither a file nor a folder: ${source}`);
  const names = readdirSync(source)
    .filter(isBarFileName)
    .sort();
  if (names.length === 0) throw new Error(`no .csv or .csv.gz files in ${source}`);
  return names.map((n) => join(source, n));
}

/** A file's bytes (gunzipped for `.gz`); a read or gzip failure names the file, as every load error does. */
export function readFileBytes(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  if (!file.toLowerCase().endsWith('.gz')) return raw;
  try {
    return gunzipSync(raw);
  } catch (err) {
    throw new Error(`${file}: not a valid gzip file (${(err as Error).message})`, { cause: err });
  }
}

/** A file's text (gunzipped for `.gz`), with readFileBytes' errors. */
export function readTextFile(file: string): string {
  return readFileBytes(file).toString('utf8');
}

const dayMsCache = new Map<string, number>();

/** Epoch ms of a `YYYY-MM-DD` UTC midnight; NaN for a date that does not exist. */
export function dayMsOf(datePart: string): number {
  let ms = dayMsCache.get(datePart);
  if (ms === undefined) {
    ms = Date.parse(`${datePart}T00:00:00Z`);
    // Date.parse accepts 2025-02-30 by rolling over; the round trip rejects it.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== datePart) ms = NaN;
    dayMsCache.set(datePart, ms);
  }
  return ms;
}

function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * Epoch ms of an ISO-8601 timestamp with an explicit zone. Fast path for the common
 * `YYYY-MM-DDTHH:MM:SSZ` form (no regex, day cached); other forms go through a checked Date.parse.
 */
export function parseIsoTimestamp(s: string): number {
  if (s.length === 20 && s.charCodeAt(10) === 84 /* T */ && s.charCodeAt(19) === 90 /* Z */ && s[13] === ':' && s[16] === ':') {
    const day = dayMsOf(s.slice(0, 10));
    const hh = digits2(s, 11);
    const mm = digits2(s, 14);
    const ss = digits2(s, 17);
    if (hh < 24 && mm < 60 && ss < 60) return day + hh * 3_600_000 + mm * MINUTE_MS + ss * 1000;
    return NaN;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return NaN;
  return Date.parse(s);
}

function parseField(text: string): number {
  // Number('') is 0 and Number(' 1') is 1: reject what is not plainly a number.
  if (text.length === 0 || text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32) return NaN;
  // Number('0x10') is 16 (also 0b, 0o): a price written that way is a broken file, not a number.
  const second = text.charCodeAt(1) | 0x20;
  if (text.charCodeAt(0) === 48 && (second === 120 || second === 98 || second === 111)) return NaN;
  return Number(text);
}

const PRICE_COLUMNS = ['open', 'high', 'low', 'close'] as const;

/** Throws unless `line` (the file's first line, BOM and CR removed) is the header. */
export function checkHeaderLine(line: string, file: string): void {
  if (line !== MINUTE_BAR_HEADER) {
    throw new MinuteBarCsvError(file, 1, `header must be exactly "${MINUTE_BAR_HEADER}", found "${line.slice(0, 80)}"`);
  }
}

/**
 * One data row (CR removed, not empty) as a bar, or a MinuteBarCsvError naming the row's problem.
 * `prevT` is the previous row's start (rows must ascend). The one definition of a valid row: the byte
 * parser (minuteBarBytes.ts) falls back to it for every row it does not take on its fast path.
 */
export function parseBarLine(line: string, lineNo: number, file: string, prevT: number): Bar {
  const c1 = line.indexOf(',');
  const c2 = line.indexOf(',', c1 + 1);
  const c3 = line.indexOf(',', c2 + 1);
  const c4 = line.indexOf(',', c3 + 1);
  const c5 = line.indexOf(',', c4 + 1);
  if (c1 < 0 || c2 < 0 || c3 < 0 || c4 < 0 || c5 < 0 || line.indexOf(',', c5 + 1) >= 0) {
    throw new MinuteBarCsvError(file, lineNo, `expected 6 comma-separated fields: "${line.slice(0, 80)}"`);
  }
  const ts = line.slice(0, c1);
  const t = parseIsoTimestamp(ts);
  if (!Number.isFinite(t)) throw new MinuteBarCsvError(file, lineNo, `unparsable timestamp "${ts}" (ISO-8601 UTC expected)`);
  if (t % MINUTE_MS !== 0) throw new MinuteBarCsvError(file, lineNo, `timestamp ${ts} is not on a whole minute`);
  const o = parseField(line.slice(c1 + 1, c2));
  const h = parseField(line.slice(c2 + 1, c3));
  const l = parseField(line.slice(c3 + 1, c4));
  const c = parseField(line.slice(c4 + 1, c5));
  const v = parseField(line.slice(c5 + 1));
  if (!(Number.isFinite(o) && Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c) && Number.isFinite(v))) {
    const bad = [o, h, l, c, v].findIndex((x) => !Number.isFinite(x));
    throw new MinuteBarCsvError(file, lineNo, `unparsable number in column ${[...PRICE_COLUMNS, 'volume'][bad]}: "${line.slice(0, 80)}"`);
  }
  // A zero or negative price would size orders by division by it: the row is broken, not a bar.
  if (!(o > 0 && h > 0 && l > 0 && c > 0)) {
    const bad = [o, h, l, c].findIndex((x) => !(x > 0));
    throw new MinuteBarCsvError(file, lineNo, `${PRICE_COLUMNS[bad]} price ${[o, h, l, c][bad]} is not positive`);
  }
  if (v < 0) throw new MinuteBarCsvError(file, lineNo, `negative volume ${v}`);
  if (t === prevT) throw new MinuteBarCsvError(file, lineNo, `duplicate timestamp ${ts}`);
  if (t < prevT) throw new MinuteBarCsvError(file, lineNo, `timestamp ${ts} is earlier than the row before (rows must be ascending)`);
  return { t, o, h, l, c, v };
}

export const emptyFileError = (file: string) => new MinuteBarCsvError(file, 1, `empty file (header "${MINUTE_BAR_HEADER}" expected)`);

/** Parses one bar file's text; `file` names it in errors. */
export function parseMinuteBarCsv(text: string, file: string): Bar[] {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  const bars: Bar[] = [];
  let prevT = Number.NEGATIVE_INFINITY;
  let sawHeader = false;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    pos = end + 1;
    lineNo += 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (!sawHeader) {
      checkHeaderLine(line, file);
      sawHeader = true;
      continue;
    }
    if (line.length === 0) continue;
    const bar = parseBarLine(line, lineNo, file, prevT);
    prevT = bar.t;
    bars.push(bar);
  }
  if (!sawHeader) throw emptyFileError(file);
  return bars;
}

function sameBar(a: Bar, b: Bar): boolean {
  return a.o === b.o && a.h === b.h && a.l === b.l && a.c === b.c && a.v === b.v;
}

/** Merges several files' ascending bars of one symbol; an identical overlap is kept once, a conflicting one is an error. */
function mergeSymbolFiles(parts: readonly { file: string; bars: Bar[] }[]): Bar[] {
  if (parts.length === 1) return parts[0]!.bars;
  const tagged: { bar: Bar; file: string }[] = [];
  for (const p of parts) for (const bar of p.bars) tagged.push({ bar, file: p.file });
  tagged.sort((a, b) => a.bar.t - b.bar.t);
  const out: Bar[] = [];
  let prev: { bar: Bar; file: string } | null = null;
  for (const x of tagged) {
    if (prev !== null && prev.bar.t === x.bar.t) {
      if (!sameBar(prev.bar, x.bar)) {
        throw new Error(
          `${x.file}: bar ${new Date(x.bar.t).toISOString()} conflicts with the same minute in ${prev.file}`,
        );
      }
      continue;
    }
    out.push(x.bar);
    prev = x;
  }
  return out;
}

const dateCache = new Map<number, string>();

function utcDateKey(dayMs: number): string {
  let d = dateCache.get(dayMs);
  if (d === undefined) {
    d = new Date(dayMs).toISOString().slice(0, 10);
    dateCache.set(dayMs, d);
  }
  return d;
}

/** Splits ascending bars by UTC date. */
export function groupBarsByUtcDate(bars: readonly Bar[]): Map<string, Bar[]> {
  const out = new Map<string, Bar[]>();
  let currentDay = Number.NaN;
  let current: Bar[] = [];
  for (const bar of bars) {
    const day = bar.t - (((bar.t % DAY_MS) + DAY_MS) % DAY_MS);
    if (day !== currentDay) {
      currentDay = day;
      const key = utcDateKey(day);
      const existing = out.get(key);
      if (existing) current = existing;
      else {
        current = [];
        out.set(key, current);
      }
    }
    current.push(bar);
  }
  return out;
}

/** Loads a bar file or folder (see the module comment). Throws MinuteBarCsvError / Error with the file named. */
export function loadMinuteBars(source: string, opts: LoadMinuteBarsOptions = {}): MinuteBarData {
  const wanted = opts.symbols ? new Set(opts.symbols) : null;
  const files = listMinuteBarFiles(source).filter((f) => wanted === null || wanted.has(symbolFromFileName(f)));
  const bySymbol = new Map<string, { file: string; bars: Bar[] }[]>();
  let rowCount = 0;
  for (const file of files) {
    const symbol = symbolFromFileName(file);
    if (symbol === '') throw new Error(`${file}: no symbol in the file name (expected SYMBOL_... or SYMBOL.csv)`);
    const bars = parseMinuteBarCsv(readTextFile(file), file);
    rowCount += bars.length;
    const list = bySymbol.get(symbol);
    if (list) list.push({ file, bars });
    else bySymbol.set(symbol, [{ file, bars }]);
  }
  const result = new Map<string, Map<string, Bar[]>>();
  for (const symbol of [...bySymbol.keys()].sort()) {
    result.set(symbol, groupBarsByUtcDate(mergeSymbolFiles(bySymbol.get(symbol)!)));
  }
  return { bars: result, files, rowCount };
}
