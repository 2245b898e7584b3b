import type { Bar } from '../market/bar';
import { regularSessionUtc } from '../market/exchangeCalendar';
import { compareText, type BacktestMarket } from './market';
import type { BarsBySymbolDate } from './signalAudit';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * One symbol's minute bars as typed-array columns (the backtester's cached form): a column per field,
 * plus an index of UTC dates. Bars are ascending and unique; `dayStart[i]` is the first row of `dates[i]`
 * and `dayStart[dates.length]` the row count. Building Bar objects only for the rows a run needs keeps a
 * year of 100 symbols in a few hundred megabytes.
 */
export interface SymbolSeries {
  readonly symbol: string;
  readonly t: Float64Array;
  readonly o: Float64Array;
  readonly h: Float64Array;
  readonly l: Float64Array;
  readonly c: Float64Array;
  readonly v: Float64Array;
  readonly dates: readonly string[];
  readonly dayStart: Int32Array;
}

/** Missing minutes inside regular sessions: tolerated, counted and reported. */
export interface GapCount {
  /** Places where consecutive bars of one regular session are more than one minute apart. */
  readonly gaps: number;
  /** Minutes missing at those places. */
  readonly missingMinutes: number;
}

export const COLUMN_NAMES = ['t', 'o', 'h', 'l', 'c', 'v'] as const;

/** A series over columns that are already ascending and unique (the byte parser's output). */
export function seriesFromColumns(symbol: string, cols: Pick<SymbolSeries, (typeof COLUMN_NAMES)[number]>): SymbolSeries {
  const { t, o, h, l, c, v } = cols;
  return { symbol, t, o, h, l, c, v, ...dayIndex(t) };
}

/** UTC dates present in ascending start times, with the first row of each. */
export function dayIndex(t: Float64Array): { dates: string[]; dayStart: Int32Array } {
  const dates: string[] = [];
  const starts: number[] = [];
  // The current date's bounds: a row inside them needs no division (this runs on every row of a cold load).
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < t.length; i++) {
    const ms = t[i]!;
    if (ms >= from && ms < to) continue;
    from = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
    to = from + DAY_MS;
    dates.push(new Date(from).toISOString().slice(0, 10));
    starts.push(i);
  }
  starts.push(t.length);
  return { dates, dayStart: Int32Array.from(starts) };
}

/** Counts missing minutes between consecutive bars inside each date's regular session. */
export function countGaps(series: SymbolSeries): GapCount {
  let gaps = 0;
  let missingMinutes = 0;
  for (let d = 0; d < series.dates.length; d++) {
    const session = regularSessionUtc(series.dates[d]!);
    if (session === null) continue;
    const { openMs, closeMs } = session;
    const T = series.t;
    const end = series.dayStart[d + 1]!;
    let prev = Number.NaN;
    for (let i = series.dayStart[d]!; i < end; i++) {
      const t = T[i]!;
      if (t < openMs || t >= closeMs) continue;
      if (t - prev > MINUTE_MS) {
        gaps += 1;
        missingMinutes += (t - prev) / MINUTE_MS - 1;
      }
      prev = t;
    }
  }
  return { gaps, missingMinutes };
}

/** Bars of one date as objects (fresh each call: trackers may keep references). */
export function barsOfDay(s: SymbolSeries, dayIdx: number): Bar[] {
  const from = s.dayStart[dayIdx]!;
  const to = s.dayStart[dayIdx + 1]!;
  const out = new Array<Bar>(to - from);
  for (let i = from; i < to; i++) out[i - from] = { t: s.t[i]!, o: s.o[i]!, h: s.h[i]!, l: s.l[i]!, c: s.c[i]!, v: s.v[i]! };
  return out;
}

export interface SeriesPart {
  /** The file the part came from, for error messages. */
  readonly file: string;
  readonly series: SymbolSeries;
}

/**
 * Merges several files of one symbol (spec: a symbol's files are merged). Parts that do not overlap are
 * concatenated; an overlap must repeat identical bars (kept once), a conflicting minute is an error
 * naming both files.
 */
export function mergeSeries(symbol: string, parts: readonly SeriesPart[]): SymbolSeries {
  if (parts.length === 1) return parts[0]!.series;
  const sorted = [...parts].sort((a, b) => (a.series.t[0] ?? 0) - (b.series.t[0] ?? 0));
  const disjoint = sorted.every((p, i) => {
    const prev = sorted[i - 1]?.series;
    return prev === undefined || prev.t.length === 0 || p.series.t.length === 0 || p.series.t[0]! > prev.t[prev.t.length - 1]!;
  });
  if (disjoint) {
    // The usual case (one file per period): the columns are simply laid end to end.
    const n = sorted.reduce((a, p) => a + p.series.t.length, 0);
    const cols = COLUMN_NAMES.map((name) => {
      const out = new Float64Array(n);
      let at = 0;
      for (const p of sorted) {
        out.set(p.series[name], at);
        at += p.series[name].length;
      }
      return out;
    });
    const [t, o, h, l, c, v] = cols as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    const { dates, dayStart } = dayIndex(t);
    return { symbol, t, o, h, l, c, v, dates, dayStart };
  }
  const rows: { part: number; i: number }[] = [];
  for (let p = 0; p < sorted.length; p++) {
    for (let i = 0; i < sorted[p]!.series.t.length; i++) rows.push({ part: p, i });
  }
  rows.sort((a, b) => sorted[a.part]!.series.t[a.i]! - sorted[b.part]!.series.t[b.i]! || a.part - b.part);
  const keep: { part: number; i: number }[] = [];
  for (const r of rows) {
    const prev = keep[keep.length - 1];
    const s = sorted[r.part]!.series;
    if (prev !== undefined) {
      const ps = sorted[prev.part]!.series;
      if (ps.t[prev.i] === s.t[r.i]) {
        const same =
          ps.o[prev.i] === s.o[r.i] && ps.h[prev.i] === s.h[r.i] && ps.l[prev.i] === s.l[r.i] && ps.c[prev.i] === s.c[r.i] && ps.v[prev.i] === s.v[r.i];
        if (!same) {
          throw new Error(
            `${sorted[r.part]!.file}: bar ${new Date(s.t[r.i]!).toISOString()} conflicts with the same minute in ${sorted[prev.part]!.file}`,
          );
        }
        continue;
      }
    }
    keep.push(r);
  }
  const n = keep.length;
  const cols = COLUMN_NAMES.map(() => new Float64Array(n));
  for (let k = 0; k < n; k++) {
    const { part, i } = keep[k]!;
    const s = sorted[part]!.series;
    COLUMN_NAMES.forEach((name, j) => {
      cols[j]![k] = s[name][i]!;
    });
  }
  const [t, o, h, l, c, v] = cols as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const { dates, dayStart } = dayIndex(t);
  return { symbol, t, o, h, l, c, v, dates, dayStart };
}

/** A backtest market over columns; Bar objects are built per symbol-day on demand. */
export class ColumnarMarket implements BacktestMarket {
  private readonly bySymbol = new Map<string, { series: SymbolSeries; dayOf: Map<string, number> }>();
  private readonly allSymbols: string[];
  private readonly allDates: string[];

  constructor(series: readonly SymbolSeries[]) {
    const dates = new Set<string>();
    for (const s of series) {
      const dayOf = new Map<string, number>();
      s.dates.forEach((d, i) => {
        dayOf.set(d, i);
        dates.add(d);
      });
      this.bySymbol.set(s.symbol, { series: s, dayOf });
    }
    this.allSymbols = [...this.bySymbol.keys()].sort(compareText);
    this.allDates = [...dates].sort(compareText);
  }

  symbols(): readonly string[] {
    return this.allSymbols;
  }

  dates(): readonly string[] {
    return this.allDates;
  }

  series(symbol: string): SymbolSeries | undefined {
    return this.bySymbol.get(symbol)?.series;
  }

  hasDay(symbol: string, date: string): boolean {
    return this.bySymbol.get(symbol)?.dayOf.has(date) ?? false;
  }

  barsOn(symbol: string, date: string): readonly Bar[] {
    const entry = this.bySymbol.get(symbol);
    const d = entry?.dayOf.get(date);
    if (entry === undefined || d === undefined) return [];
    return barsOfDay(entry.series, d);
  }

  lastCloseOn(symbol: string, date: string): number | null {
    const entry = this.bySymbol.get(symbol);
    const d = entry?.dayOf.get(date);
    if (entry === undefined || d === undefined) return null;
    const last = entry.series.dayStart[d + 1]! - 1;
    return last >= entry.series.dayStart[d]! ? entry.series.c[last]! : null;
  }

  /** Total bars held. */
  get barCount(): number {
    let n = 0;
    for (const { series } of this.bySymbol.values()) n += series.t.length;
    return n;
  }

  /**
   * The grouped-by-symbol-and-date view the signal audit reads, building each day's bars only when asked
   * (and not keeping them), so memory stays at the columns' size.
   */
  asBarsBySymbolDate(): BarsBySymbolDate {
    const outer = new Map<string, ReadonlyMap<string, readonly Bar[]>>();
    for (const symbol of this.allSymbols) {
      const { series, dayOf } = this.bySymbol.get(symbol)!;
      outer.set(symbol, new LazyDays(series, dayOf));
    }
    return outer;
  }
}

/** A read-only date -> bars map that materialises a day's bars on each get(). */
class LazyDays implements ReadonlyMap<string, readonly Bar[]> {
  constructor(
    private readonly series: SymbolSeries,
    private readonly dayOf: ReadonlyMap<string, number>,
  ) {}

  get size(): number {
    return this.dayOf.size;
  }

  get(date: string): readonly Bar[] | undefined {
    const d = this.dayOf.get(date);
    return d === undefined ? undefined : barsOfDay(this.series, d);
  }

  has(date: string): boolean {
    return this.dayOf.has(date);
  }

  keys(): MapIterator<string> {
    return this.dayOf.keys();
  }

  *values(): MapIterator<readonly Bar[]> {
    for (const d of this.dayOf.values()) yield barsOfDay(this.series, d);
  }

  *entries(): MapIterator<[string, readonly Bar[]]> {
    for (const [date, d] of this.dayOf) yield [date, barsOfDay(this.series, d)];
  }

  [Symbol.iterator](): MapIterator<[string, readonly Bar[]]> {
    return this.entries();
  }

  forEach(fn: (value: readonly Bar[], key: string, map: ReadonlyMap<string, readonly Bar[]>) => void): void {
    for (const [date, bars] of this.entries()) fn(bars, date, this);
  }
}
