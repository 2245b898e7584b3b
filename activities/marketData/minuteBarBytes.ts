import { checkHeaderLine, dayMsOf, emptyFileError, parseBarLine } from './minuteBarCsv';

/**
 * The minute-bar CSV parser of the backtester's cold load: bytes straight into typed-array columns, with no
 * string per line and no object per bar. It takes the common row shape itself
 * (`YYYY-MM-DDTHH:MM:00Z`, then five plain decimals of at most 15 digits, LF or CRLF) and hands every other
 * row to `parseBarLine`, the text parser's row rule, which returns the same values or throws the same
 * `file:line: problem` (docs/backtest.md, Data). A plain decimal of at most 15 digits is an integer below
 * 2^53 divided by an exact power of ten, one correctly rounded division: exactly what `Number()` gives.
 */

export interface BarColumns {
  readonly t: Float64Array;
  readonly o: Float64Array;
  readonly h: Float64Array;
  readonly l: Float64Array;
  readonly c: Float64Array;
  readonly v: Float64Array;
}

const LF = 10;
const CR = 13;
const COMMA = 44;
const DOT = 46;
const ZERO = 48;
const MAX_FAST_DIGITS = 15;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Growable columns; `n` rows are filled. */
class ColumnBuilder {
  n = 0;
  t: Float64Array;
  o: Float64Array;
  h: Float64Array;
  l: Float64Array;
  c: Float64Array;
  v: Float64Array;

  constructor(capacity: number) {
    this.t = new Float64Array(capacity);
    this.o = new Float64Array(capacity);
    this.h = new Float64Array(capacity);
    this.l = new Float64Array(capacity);
    this.c = new Float64Array(capacity);
    this.v = new Float64Array(capacity);
  }

  grow(): void {
    const size = Math.max(16, Math.ceil(this.t.length * 1.5));
    const bigger = (a: Float64Array) => {
      const out = new Float64Array(size);
      out.set(a);
      return out;
    };
    this.t = bigger(this.t);
    this.o = bigger(this.o);
    this.h = bigger(this.h);
    this.l = bigger(this.l);
    this.c = bigger(this.c);
    this.v = bigger(this.v);
  }

  /** The filled rows; copied when the estimate left much unused room. */
  finish(): BarColumns {
    const n = this.n;
    const cut = n * 1.05 + 16 < this.t.length ? (a: Float64Array) => a.slice(0, n) : (a: Float64Array) => a.subarray(0, n);
    return { t: cut(this.t), o: cut(this.o), h: cut(this.h), l: cut(this.l), c: cut(this.c), v: cut(this.v) };
  }
}

/** Parses one bar file's bytes (already gunzipped); `file` names it in errors. */
export function parseMinuteBarBytes(bytes: Uint8Array, file: string): BarColumns {
  const b = bytes;
  const len = b.length;
  let pos = len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  if (pos >= len) throw emptyFileError(file);
  pos = checkHeader(b, pos, file);
  const cols = new ColumnBuilder(estimateRows(b, pos));
  const fields = new Float64Array(5);
  let lineNo = 1;
  let prevT = Number.NEGATIVE_INFINITY;
  // The last date seen and its midnight: rows of one date follow each other, so most rows compare their
  // date's bytes with the row that started it instead of reading it again.
  let dayRow = -1;
  let dayMs = NaN;
  while (pos < len) {
    lineNo += 1;
    if (dayRow < 0 || !sameDate(b, pos, dayRow)) {
      const valid = dateKeyAt(b, pos) >= 0;
      dayRow = valid ? pos : -1;
      dayMs = valid ? dayMsOf(latin1(b, pos, pos + 10)) : NaN;
    }
    const clock = dayRow >= 0 ? clockAt(b, pos + 10) : -1;
    const t = dayMs + clock;
    // A NaN time fails the comparison too; such rows, and rows of another shape, take the checked path.
    const next = clock >= 0 && t > prevT ? scanFields(b, pos + 21, len, fields) : -1;
    if (next < 0) {
      pos = checkedRow(b, pos, lineNo, file, prevT, cols);
      if (cols.n > 0) prevT = cols.t[cols.n - 1]!;
      continue;
    }
    pos = next;
    if (cols.n === cols.t.length) cols.grow();
    const i = cols.n++;
    cols.t[i] = t;
    cols.o[i] = fields[0]!;
    cols.h[i] = fields[1]!;
    cols.l[i] = fields[2]!;
    cols.c[i] = fields[3]!;
    cols.v[i] = fields[4]!;
    prevT = t;
  }
  return cols.finish();
}

/**
 * The five numbers after the timestamp, each a plain decimal (`123`, `12.5`) of at most 15 digits, the
 * first four comma-terminated and positive, the last ending the line (LF, CRLF or the end of the file).
 * Writes them to `out`; returns where the next line starts, or -1 for a row of any other shape.
 */
function scanFields(b: Uint8Array, p: number, len: number, out: Float64Array): number {
  let i = p;
  for (let f = 0; f < 5; f++) {
    let m = 0;
    let digits = 0;
    let fraction = -1;
    let ch = i < len ? b[i]! : -1;
    while (ch >= ZERO && ch <= 57) {
      m = m * 10 + (ch - ZERO);
      digits += 1;
      i += 1;
      ch = i < len ? b[i]! : -1;
    }
    if (ch === DOT && digits > 0) {
      i += 1;
      ch = i < len ? b[i]! : -1;
      fraction = 0;
      while (ch >= ZERO && ch <= 57) {
        m = m * 10 + (ch - ZERO);
        fraction += 1;
        i += 1;
        ch = i < len ? b[i]! : -1;
      }
      digits += fraction;
    }
    if (digits === 0 || digits > MAX_FAST_DIGITS || fraction === 0) return -1;
    const value = fraction > 0 ? m / POW10[fraction]! : m;
    out[f] = value;
    if (f < 4) {
      if (ch !== COMMA || !(value > 0)) return -1;
      i += 1;
    } else if (ch === LF) return i + 1;
    else if (ch === CR && (i + 1 === len || b[i + 1] === LF)) return i + 2;
    else if (ch === -1) return i + 1;
    else return -1;
  }
  return -1;
}

/** Checks the first line; returns where the next one starts. */
function checkHeader(b: Uint8Array, pos: number, file: string): number {
  let end = b.indexOf(LF, pos);
  if (end < 0) end = b.length;
  checkHeaderLine(textOf(b, pos, end), file);
  return end + 1;
}

/** Rows in the rest of the file, guessed from the length of its first rows (the builder grows if short). */
function estimateRows(b: Uint8Array, pos: number): number {
  let at = pos;
  let lines = 0;
  while (lines < 32 && at < b.length) {
    const end = b.indexOf(LF, at);
    if (end < 0) break;
    at = end + 1;
    lines += 1;
  }
  if (lines === 0) return 16;
  return Math.ceil(((b.length - pos) / (at - pos)) * lines * 1.02) + 16;
}

/** The row at `start` through `parseBarLine` (blank rows skipped); returns where the next row starts. */
function checkedRow(b: Uint8Array, start: number, lineNo: number, file: string, prevT: number, cols: ColumnBuilder): number {
  let end = b.indexOf(LF, start);
  if (end < 0) end = b.length;
  const line = textOf(b, start, end);
  if (line.length > 0) {
    const bar = parseBarLine(line, lineNo, file, prevT);
    if (cols.n === cols.t.length) cols.grow();
    const i = cols.n++;
    cols.t[i] = bar.t;
    cols.o[i] = bar.o;
    cols.h[i] = bar.h;
    cols.l[i] = bar.l;
    cols.c[i] = bar.c;
    cols.v[i] = bar.v;
  }
  return end + 1;
}

/** A line's text as the text parser sees it: UTF-8, one trailing CR removed. */
function textOf(b: Uint8Array, start: number, end: number): string {
  const stop = end > start && b[end - 1] === CR ? end - 1 : end;
  return Buffer.from(b.buffer, b.byteOffset + start, stop - start).toString('utf8');
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

function digit(b: Uint8Array, i: number): number {
  const d = b[i]! - ZERO;
  return d >= 0 && d <= 9 ? d : -100_000_000;
}

/** Whether the 10 bytes of a date at `p` equal those at `q` (`q` known to hold one). */
function sameDate(b: Uint8Array, p: number, q: number): boolean {
  return (
    b[p + 9] === b[q + 9] && b[p + 8] === b[q + 8] && b[p + 6] === b[q + 6] && b[p + 5] === b[q + 5] && b[p + 3] === b[q + 3] &&
    b[p + 2] === b[q + 2] && b[p + 1] === b[q + 1] && b[p] === b[q] && b[p + 4] === 45 && b[p + 7] === 45 && b[p + 10] === 84
  );
}

/** `YYYY-MM-DD` at `p` as the number YYYYMMDD, or negative when the bytes are not that shape. */
function dateKeyAt(b: Uint8Array, p: number): number {
  if (b[p + 4] !== 45 || b[p + 7] !== 45 || b[p + 10] !== 84 /* T */) return -1;
  const year = digit(b, p) * 1000 + digit(b, p + 1) * 100 + digit(b, p + 2) * 10 + digit(b, p + 3);
  const month = digit(b, p + 5) * 10 + digit(b, p + 6);
  const day = digit(b, p + 8) * 10 + digit(b, p + 9);
  return year < 0 || month < 0 || day < 0 ? -1 : year * 10_000 + month * 100 + day;
}

/** `THH:MM:00Z,` at `p` as ms after midnight, or -1 (other shapes, seconds, offsets take the checked path). */
function clockAt(b: Uint8Array, p: number): number {
  if (b[p + 3] !== 58 || b[p + 6] !== 58 || b[p + 7] !== ZERO || b[p + 8] !== ZERO || b[p + 9] !== 90 /* Z */ || b[p + 10] !== COMMA) return -1;
  const hh = digit(b, p + 1) * 10 + digit(b, p + 2);
  const mm = digit(b, p + 4) * 10 + digit(b, p + 5);
  return hh >= 0 && hh < 24 && mm >= 0 && mm < 60 ? hh * HOUR_MS + mm * MINUTE_MS : -1;
}
