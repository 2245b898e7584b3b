import type { Bar } from '../market/bar';
import { regularSessionUtc, type RegularSession } from '../market/exchangeCalendar';
import { addDays } from '../market/nyTime';
import type { ScreeningFacts } from './screen';

/*
 * Screening facts from minute bars alone, as a TEST_MODE replay, the backtester and the market emulator
 * screen (docs/screening.md): previous close and average volume from earlier dates' regular sessions, the
 * date's open and latest price before the session's first bar.
 */

/** A symbol's regular session on one earlier date, as the screen's facts need it. */
export interface SessionClose {
  readonly date: string;
  readonly close: number;
  readonly volume: number;
}

/** The regular-session close and volume of one date's bars; null on a closed date or without session bars. */
export function sessionCloseOf(date: string, bars: readonly Bar[], session: RegularSession | null = regularSessionUtc(date)): SessionClose | null {
  if (session === null) return null;
  let close: number | null = null;
  let volume = 0;
  for (const b of bars) {
    if (b.t < session.openMs || b.t >= session.closeMs) continue;
    close = b.c;
    volume += b.v;
  }
  return close === null ? null : { date, close, volume };
}

/** Screening facts look back this many calendar days (20 trading days plus holidays and gaps), as the replay screener. */
export const SCREEN_LOOKBACK_CALENDAR_DAYS = 45;
/** Dates averaged for the average daily volume. */
export const AVERAGE_VOLUME_DAYS = 20;

/**
 * The screening facts of a TEST_MODE replay (activities/screening/screenerActivities.ts), from bars alone and
 * without look-ahead: previous close = the last regular-session close of the latest earlier date with data
 * within SCREEN_LOOKBACK_CALENDAR_DAYS; average daily volume = mean regular-session volume of up to
 * AVERAGE_VOLUME_DAYS such dates; open = the open of the date's first regular-session bar starting at or before
 * the session's first bar; price = the last close of a bar starting before it that date, else the previous
 * close, else that open. Market cap and spread: unknown (minute bars carry neither).
 */
export function screeningFacts(a: {
  readonly symbol: string;
  readonly date: string;
  readonly firstSessionBarMs: number;
  /** Earlier dates, ascending. */
  readonly history: readonly SessionClose[];
  /** The date's bars, ascending. */
  readonly bars: readonly Bar[];
}): ScreeningFacts {
  const from = addDays(a.date, -SCREEN_LOOKBACK_CALENDAR_DAYS);
  const recent = a.history.filter((h) => h.date >= from && h.date < a.date);
  const previousClose = recent.length > 0 ? recent[recent.length - 1]!.close : null;
  const lastDays = recent.slice(-AVERAGE_VOLUME_DAYS);
  const averageDailyVolume = lastDays.length > 0 ? lastDays.reduce((s, h) => s + h.volume, 0) / lastDays.length : null;
  const session = regularSessionUtc(a.date);
  let price: number | null = null;
  let open: number | null = null;
  for (const b of a.bars) {
    if (b.t > a.firstSessionBarMs) break;
    if (open === null && session !== null && b.t >= session.openMs && b.t < session.closeMs) open = b.o;
    if (b.t < a.firstSessionBarMs) price = b.c;
  }
  return { symbol: a.symbol, previousClose, open, price: price ?? previousClose ?? open, averageDailyVolume, marketCap: null, spread: null };
}
