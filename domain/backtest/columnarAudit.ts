import { MINUTE_MS, type Bar } from '../market/bar';
import { isTradingDay } from '../market/exchangeCalendar';
import type { SimulatedTrade } from '../strategies/simulate';
import { getStrategy } from '../strategies/strategies';
import { SessionTracker } from '../strategies/sessionTracker';
import type { Decision, SymbolTracker } from '../strategies/strategy';
import type { ColumnarMarket, SymbolSeries } from './columnar';
import { compareText } from './market';
import { signalAuditWarnings, vixCloseBefore, type SignalAuditInput, type SignalAuditResult } from './signalAudit';
import type { StrategyName } from '../vocabulary';

/**
 * The signal audit (`runSignalAudit`) on the columnar form: the same trackers, the same rows and warnings
 * (a test pins the equality), but each bar object is built only when a tracker is fed it, and trackers
 * stop being fed once done. A tracker for OPEN is usually done an hour or two into the day, so most of a
 * day's bars are never turned into objects.
 */
export function runSignalAuditColumnar(input: Omit<SignalAuditInput, 'bars'> & { readonly market: ColumnarMarket }): SignalAuditResult {
  const wanted = input.symbols ? new Set(input.symbols) : null;
  const symbols = input.market.symbols().filter((s) => wanted === null || wanted.has(s));
  const strategies = [...new Set(input.strategies)].sort(compareText);
  const rows: SimulatedTrade[] = [];
  const vixMissing = new Set<string>();
  const closedDates = new Set<string>();
  const allDates = new Set<string>();
  const open = new Map<string, boolean>();
  const vixOf = new Map<string, number | null>();
  let symbolDays = 0;
  for (const symbol of symbols) {
    const series = input.market.series(symbol)!;
    for (let d = 0; d < series.dates.length; d++) {
      const date = series.dates[d]!;
      if ((input.startDate !== undefined && date < input.startDate) || (input.endDate !== undefined && date > input.endDate)) continue;
      symbolDays += 1;
      allDates.add(date);
      let trading = open.get(date);
      if (trading === undefined) {
        trading = isTradingDay(date);
        open.set(date, trading);
      }
      if (!trading) closedDates.add(date);
      for (const name of strategies) {
        let vixPrevClose: number | null = null;
        if (name === 'close') {
          if (!vixOf.has(date)) vixOf.set(date, vixCloseBefore(input.vix, date));
          vixPrevClose = vixOf.get(date)!;
          if (vixPrevClose === null) vixMissing.add(date);
        }
        const tracker = getStrategy(name).createTracker(symbol, date, input.cfg, { vixPrevClose, date });
        runTrackerOnColumns(tracker, name, series, d, rows);
      }
    }
  }
  const warnings = signalAuditWarnings({ cfg: input.cfg, strategies, vix: input.vix, vixMissing, closedDates, allDates });
  rows.sort((a, b) => compareText(a.symbol, b.symbol) || compareText(a.date, b.date) || compareText(a.strategy, b.strategy));
  return { rows, warnings, symbolDays };
}

/**
 * Feeds one date's rows to a tracker until it is done, then ends the data, as `runTracker` does with a
 * bar array; every entry is taken and each round trip appended to `out`. Rows the tracker declares idle
 * (`SessionTracker.idleBeforeMs`: OPEN's bars before its analysis window) are skipped without building
 * their bar objects; the decisions are those of feeding every row.
 */
export function runTrackerOnColumns(tracker: SymbolTracker, strategy: StrategyName, s: SymbolSeries, dayIdx: number, out: SimulatedTrade[]): void {
  const end = s.dayStart[dayIdx + 1]!;
  const T = s.t;
  let i = s.dayStart[dayIdx]!;
  if (tracker instanceof SessionTracker) i = firstRowAtOrAfter(T, i, end, tracker.idleBeforeMs);
  let side: SimulatedTrade['side'] | null = null;
  let entryTime = 0;
  let entryPrice = 0;
  let strength = 0;
  // One loop body for the bars and the end of data, with no closure per call (this runs per symbol-day).
  for (;;) {
    let d: Decision;
    if (i < end && !tracker.done) {
      d = tracker.onBar(new RowBar(s, i));
      i++;
    } else {
      d = tracker.onEndOfData();
      i = -1;
    }
    if (d !== null) {
      if (d.kind === 'entry') {
        side = d.side;
        entryTime = d.barStart;
        entryPrice = d.price;
        strength = d.strength;
      } else if (side !== null) {
        out.push({
          symbol: tracker.symbol,
          date: tracker.date,
          strategy,
          side,
          entryTime,
          entryPrice,
          exitTime: d.barStart,
          exitPrice: d.price,
          exitReason: d.reason,
          strength,
        });
        side = null;
      }
    }
    if (i < 0) return;
  }
}

/** First row in [lo, hi) starting at or after `ms` (hi when none); `T` ascending. */
export function firstRowAtOrAfter(T: Float64Array, lo: number, hi: number, ms: number): number {
  if (lo >= hi || T[lo]! >= ms) return lo;
  // Minute bars without gaps put the answer exactly this many rows on: one probe, checked, usually suffices.
  const guess = lo + Math.ceil((ms - T[lo]!) / MINUTE_MS);
  if (guess < hi) {
    if (T[guess]! >= ms) {
      if (T[guess - 1]! < ms) return guess;
      hi = guess;
    } else lo = guess;
  }
  // T[lo] < ms, and the answer is in (lo, hi].
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (T[mid]! < ms) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * One row of the columns as a Bar: an immutable view (the series and a row index) whose fields are read
 * from the typed arrays on demand. A plain object literal would box its six doubles (seven allocations per
 * bar); this is one small allocation, and rules that keep a bar (ADX keeps the previous one) still see fixed
 * values, since the columns never change.
 */
class RowBar implements Bar {
  constructor(
    private readonly s: SymbolSeries,
    private readonly i: number,
  ) {}
  get t(): number {
    return this.s.t[this.i]!;
  }
  get o(): number {
    return this.s.o[this.i]!;
  }
  get h(): number {
    return this.s.h[this.i]!;
  }
  get l(): number {
    return this.s.l[this.i]!;
  }
  get c(): number {
    return this.s.c[this.i]!;
  }
  get v(): number {
    return this.s.v[this.i]!;
  }
}
