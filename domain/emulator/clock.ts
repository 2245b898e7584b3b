import { marketNow, type ReplayClock } from '../time/replayClock';
import { isTradingDay, regularSessionUtc } from '../market/exchangeCalendar';
import { addDays, nyUtcOffsetMinutes, utcMsToNyWallTime } from '../market/nyTime';

/**
 * The emulator's virtual clock: the same ReplayClock the bot's workflows use ({anchorRealMs,
 * anchorMarketMs, speed}), so a bot and an emulator given the same clock agree on the market instant.
 */

/** Market minutes before the open at which a default emulator clock starts. */
export const DEFAULT_LEAD_MINUTES = 2;

/** A clock whose market instant is `leadMinutes` before the date's 09:30 New York open at real time `realNowMs`. */
export function emulatorClock(date: string, realNowMs: number, speed: number, leadMinutes = DEFAULT_LEAD_MINUTES): ReplayClock {
  const session = regularSessionUtc(date);
  if (session === null) throw new Error(`${date} is not an NYSE trading day`);
  return { anchorRealMs: realNowMs, anchorMarketMs: session.openMs - leadMinutes * 60_000, speed };
}

export { marketNow };

export type SessionPhase = 'before_open' | 'open' | 'after_close' | 'closed_day';

/** Where a market instant falls relative to its New York date's regular session. */
export function sessionPhase(m: number): SessionPhase {
  const session = regularSessionUtc(utcMsToNyWallTime(m).date);
  if (session === null) return 'closed_day';
  if (m < session.openMs) return 'before_open';
  return m < session.closeMs ? 'open' : 'after_close';
}

/** The next regular open and close at or after `m` (an open session's close comes before the next open). */
export function nextOpenClose(m: number): { nextOpenMs: number; nextCloseMs: number } {
  let date = utcMsToNyWallTime(m).date;
  let nextOpenMs: number | null = null;
  let nextCloseMs: number | null = null;
  for (let i = 0; i < 15 && (nextOpenMs === null || nextCloseMs === null); i++, date = addDays(date, 1)) {
    const s = isTradingDay(date) ? regularSessionUtc(date) : null;
    if (s === null) continue;
    if (nextOpenMs === null && s.openMs > m) nextOpenMs = s.openMs;
    if (nextCloseMs === null && s.closeMs > m) nextCloseMs = s.closeMs;
  }
  if (nextOpenMs === null || nextCloseMs === null) throw new Error(`no NYSE session within 15 days after ${new Date(m).toISOString()}`);
  return { nextOpenMs, nextCloseMs };
}

/** ISO-8601 with New York's offset, as Alpaca writes clock times (`2025-04-08T09:30:00.000-04:00`). */
export function nyIso(ms: number): string {
  const off = nyUtcOffsetMinutes(ms);
  const local = new Date(ms + off * 60_000).toISOString().slice(0, 23);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
