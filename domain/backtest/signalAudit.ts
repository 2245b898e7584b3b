import type { BotConfig } from '../config/botConfigSchema';
import type { Bar } from '../market/bar';
import { isTradingDay } from '../market/exchangeCalendar';
import { dstMisalignment, strategyTiming } from '../market/sessionWindow';
import { simulateSymbolDay, type SimulatedTrade } from '../strategies/simulate';
import { getStrategy } from '../strategies/strategies';
import type { StrategyName } from '../vocabulary';

/** Bars grouped by symbol, then by UTC date (YYYY-MM-DD); each day's bars ascending. */
export type BarsBySymbolDate = ReadonlyMap<string, ReadonlyMap<string, readonly Bar[]>>;

/** Daily VIX closes, dates ascending and unique. */
export interface VixSeries {
  readonly dates: readonly string[];
  readonly closes: readonly number[];
}

/** VIX close of the latest date strictly before `date`, or null when the series has none. */
export function vixCloseBefore(series: VixSeries | null, date: string): number | null {
  if (series === null) return null;
  let lo = 0;
  let hi = series.dates.length;
  // First index whose date is >= `date`; the one before it is the latest strictly earlier date.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (series.dates[mid]! < date) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? null : series.closes[lo - 1]!;
}

export interface SignalAuditInput {
  readonly bars: BarsBySymbolDate;
  readonly cfg: BotConfig;
  readonly strategies: readonly StrategyName[];
  /** The CLOSE gate's VIX history; null when none was given (the gate then warns and does not block). */
  readonly vix: VixSeries | null;
  /** Inclusive UTC date range; absent = unbounded. */
  readonly startDate?: string;
  readonly endDate?: string;
  /** Restrict to these symbols; absent = all. */
  readonly symbols?: readonly string[];
}

export interface SignalAuditResult {
  /** Sorted by symbol, date, strategy. */
  readonly rows: readonly SimulatedTrade[];
  readonly warnings: readonly string[];
  readonly symbolDays: number;
}

/**
 * Signal audit (docs/backtest.md, "Signal audit mode (`--signals-only`)"): every strategy signal on every
 * symbol-day, entry at the signal bar's close, exit at the close of the bar where an exit rule fires or the
 * hold ends. No screening, no sizing, no broker: it shows exactly what the strategy code decides on the bars.
 */
export function runSignalAudit(input: SignalAuditInput): SignalAuditResult {
  const wanted = input.symbols ? new Set(input.symbols) : null;
  const symbols = [...input.bars.keys()].filter((s) => wanted === null || wanted.has(s)).sort(compareText);
  const strategies = [...new Set(input.strategies)].sort(compareText);
  const rows: SimulatedTrade[] = [];
  const vixMissing = new Set<string>();
  const closedDates = new Set<string>();
  const allDates = new Set<string>();
  let symbolDays = 0;
  for (const symbol of symbols) {
    const days = input.bars.get(symbol)!;
    const dates = [...days.keys()].filter((d) => inRange(d, input.startDate, input.endDate)).sort(compareText);
    for (const date of dates) {
      symbolDays += 1;
      allDates.add(date);
      if (!isTradingDay(date)) closedDates.add(date);
      const bars = days.get(date)!;
      for (const name of strategies) {
        const vixPrevClose = name === 'close' ? vixCloseBefore(input.vix, date) : null;
        if (name === 'close' && vixPrevClose === null) vixMissing.add(date);
        rows.push(...simulateSymbolDay(getStrategy(name), input.cfg, { vixPrevClose, date }, symbol, date, bars));
      }
    }
  }
  const warnings = signalAuditWarnings({ cfg: input.cfg, strategies, vix: input.vix, vixMissing, closedDates, allDates });
  rows.sort((a, b) => compareText(a.symbol, b.symbol) || compareText(a.date, b.date) || compareText(a.strategy, b.strategy));
  return { rows, warnings, symbolDays };
}

/**
 * The audit's warnings: VIX gaps (only when a series was given; without one the caller has already said so),
 * bars on closed dates, and session starts that daylight saving time moved (UTC anchor only).
 */
export function signalAuditWarnings(a: {
  readonly cfg: BotConfig;
  /** Sorted, unique. */
  readonly strategies: readonly StrategyName[];
  readonly vix: VixSeries | null;
  readonly vixMissing: ReadonlySet<string>;
  readonly closedDates: ReadonlySet<string>;
  readonly allDates: ReadonlySet<string>;
}): string[] {
  const warnings: string[] = [];
  // Without any VIX series the caller has already been told; list dates only when a series has gaps.
  if (a.vix !== null && a.vixMissing.size > 0) {
    warnings.push(`no VIX close before ${a.vixMissing.size} session date(s) (${listSome(a.vixMissing)}): the CLOSE VIX gate did not block on them`);
  }
  if (a.closedDates.size > 0) {
    warnings.push(`bars on ${a.closedDates.size} date(s) the exchange calendar has closed (${listSome(a.closedDates)}): no trades there`);
  }
  // With the opt-in exchange anchor DST cannot move the sessions, so only the UTC reading is checked.
  for (const name of a.cfg.SESSION_TIME_ANCHOR === 'utc' ? a.strategies : []) {
    const timing = strategyTiming(a.cfg, name);
    const off = [...a.allDates].sort(compareText).filter((d) => !a.closedDates.has(d) && dstMisalignment(d, timing.startHHMM, name) !== null);
    if (off.length > 0) {
      warnings.push(
        `START_TIME_${name.toUpperCase()}=${timing.startHHMM} UTC is not at the New York time it was written for ` +
          `(EST) on ${off.length} of ${a.allDates.size} date(s), e.g. ${dstMisalignment(off[0]!, timing.startHHMM, name)}`,
      );
    }
  }
  return warnings;
}

function listSome(dates: ReadonlySet<string>): string {
  const list = [...dates].sort(compareText);
  return `${list.slice(0, 5).join(', ')}${list.length > 5 ? ', ...' : ''}`;
}

function inRange(date: string, start: string | undefined, end: string | undefined): boolean {
  return (start === undefined || date >= start) && (end === undefined || date <= end);
}

/** Code-unit order: deterministic everywhere, unlike localeCompare. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const SIGNAL_AUDIT_COLUMNS = [
  'symbol',
  'date',
  'strategy',
  'side',
  'entry_time',
  'entry_price',
  'exit_time',
  'exit_price',
  'exit_reason',
] as const;

/** ISO UTC of a bar start, to the second: `2025-04-07T14:54:00Z`. */
export function isoBarTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** The signal audit CSV: header plus one line per row; prices in shortest round-trip form. */
export function formatSignalAuditCsv(rows: readonly SimulatedTrade[]): string {
  const lines = [SIGNAL_AUDIT_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.symbol,
        r.date,
        r.strategy,
        r.side,
        isoBarTime(r.entryTime),
        String(r.entryPrice),
        isoBarTime(r.exitTime),
        String(r.exitPrice),
        r.exitReason,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
