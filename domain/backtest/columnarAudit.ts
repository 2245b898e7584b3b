import { isTradingDay } from '../market/exchangeCalendar';
import type { SimulatedTrade } from '../strategies/simulate';
import { getStrategy } from '../strategies/strategies';
import type { StrategyName, SymbolTracker } from '../strategies/strategy';
import type { ColumnarMarket, SymbolSeries } from './columnar';
import { compareText } from './market';
import { signalAuditWarnings, vixCloseBefore, type SignalAuditInput, type SignalAuditResult } from './signalAudit';

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
 * bar array; every entry is taken and each round trip appended to `out`.
 */
export function runTrackerOnColumns(tracker: SymbolTracker, strategy: StrategyName, s: SymbolSeries, dayIdx: number, out: SimulatedTrade[]): void {
  const end = s.dayStart[dayIdx + 1]!;
  let side: SimulatedTrade['side'] | null = null;
  let entryTime = 0;
  let entryPrice = 0;
  let strength = 0;
  const take = (d: ReturnType<SymbolTracker['onBar']>) => {
    if (d === null) return;
    if (d.kind === 'entry') {
      side = d.side;
      entryTime = d.barStart;
      entryPrice = d.price;
      strength = d.strength;
      return;
    }
    if (side === null) return;
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
  };
  for (let i = s.dayStart[dayIdx]!; i < end && !tracker.done; i++) {
    take(tracker.onBar({ t: s.t[i]!, o: s.o[i]!, h: s.h[i]!, l: s.l[i]!, c: s.c[i]!, v: s.v[i]! }));
  }
  take(tracker.onEndOfData());
}
