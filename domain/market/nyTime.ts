/**
 * America/New_York time by pure arithmetic (no Intl, no tz database), so the result is the same in a
 * workflow sandbox, a worker and a test. US daylight-saving rules:
 * - from 2007: starts the second Sunday of March at 02:00 EST, ends the first Sunday of November at 02:00 EDT;
 * - 1987-2006: first Sunday of April to the last Sunday of October (cheap to include for old data).
 * Earlier years are treated with the 1987 rule; nothing here trades before 2015.
 */

export const MINUTES_PER_DAY = 24 * 60;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Standard-time (EST) and daylight-time (EDT) offsets of New York from UTC, in minutes. */
export const EST_OFFSET_MIN = -300;
export const EDT_OFFSET_MIN = -240;

/** Day of week of a UTC calendar day (0 = Sunday). */
function weekdayUtc(year: number, month1: number, day: number): number {
  return new Date(Date.UTC(year, month1 - 1, day)).getUTCDay();
}

/** Day-of-month of the n-th (1-based) given weekday in a month. */
export function nthWeekdayOfMonth(year: number, month1: number, weekday: number, n: number): number {
  const first = weekdayUtc(year, month1, 1);
  return 1 + ((weekday - first + 7) % 7) + (n - 1) * 7;
}

/** Day-of-month of the last given weekday in a month. */
export function lastWeekdayOfMonth(year: number, month1: number, weekday: number): number {
  const lastDay = new Date(Date.UTC(year, month1, 0)).getUTCDate();
  const wd = weekdayUtc(year, month1, lastDay);
  return lastDay - ((wd - weekday + 7) % 7);
}

/** The UTC instants daylight saving time starts and ends in New York in a year. */
export function nyDstBoundsUtc(year: number): { startMs: number; endMs: number } {
  let start: { month: number; day: number };
  let end: { month: number; day: number };
  if (year >= 2007) {
    start = { month: 3, day: nthWeekdayOfMonth(year, 3, 0, 2) };
    end = { month: 11, day: nthWeekdayOfMonth(year, 11, 0, 1) };
  } else {
    start = { month: 4, day: nthWeekdayOfMonth(year, 4, 0, 1) };
    end = { month: 10, day: lastWeekdayOfMonth(year, 10, 0) };
  }
  // 02:00 local: EST (UTC-5) at the start, EDT (UTC-4) at the end.
  return {
    startMs: Date.UTC(year, start.month - 1, start.day) + 7 * HOUR_MS,
    endMs: Date.UTC(year, end.month - 1, end.day) + 6 * HOUR_MS,
  };
}

/** DST bounds per year, private (callers of nyDstBoundsUtc get their own object). */
const dstBoundsCache = new Map<number, { readonly startMs: number; readonly endMs: number }>();

/** New York's offset from UTC in minutes (-240 in EDT, -300 in EST) at a UTC instant. */
export function nyUtcOffsetMinutes(utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear();
  // Pure and hot (calendar, session windows, DST checks of every date): the bounds are computed once a year.
  let bounds = dstBoundsCache.get(year);
  if (bounds === undefined) {
    bounds = nyDstBoundsUtc(year);
    dstBoundsCache.set(year, bounds);
  }
  return utcMs >= bounds.startMs && utcMs < bounds.endMs ? EDT_OFFSET_MIN : EST_OFFSET_MIN;
}

/** True when New York observes daylight saving time at that instant. */
export function isNyDaylightTime(utcMs: number): boolean {
  return nyUtcOffsetMinutes(utcMs) === EDT_OFFSET_MIN;
}

const midnightCache = new Map<string, number>();

/** Epoch ms of 00:00 UTC on a YYYY-MM-DD date; throws on a malformed date. */
export function utcMidnightMs(date: string): number {
  // Pure and hot (every tracker, every calendar call): parsed once per date; malformed dates are never cached.
  const hit = midnightCache.get(date);
  if (hit !== undefined) return hit;
  const ms = parseUtcMidnightMs(date);
  midnightCache.set(date, ms);
  return ms;
}

function parseUtcMidnightMs(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new Error(`not a calendar date: ${date}`);
  }
  return ms;
}

/** Minutes after midnight of an 'HH:MM' string; throws on a malformed time. */
export function hhmmToMinutes(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new Error(`not an HH:MM time: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** 'HH:MM' of minutes after midnight (wrapped into one day). */
export function minutesToHhmm(minutes: number): string {
  const m = ((minutes % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/**
 * New York's UTC offset (minutes) for the daytime of a calendar date. Both switches happen at 02:00 local,
 * so every time from 03:00 New York onwards on that date has this offset (the whole trading day does).
 */
export function nyOffsetOnDate(date: string): number {
  // 12:00 New York is 16:00 or 17:00 UTC: either instant has the same offset as local noon.
  return nyUtcOffsetMinutes(utcMidnightMs(date) + 17 * HOUR_MS);
}

/** Epoch ms of a New York wall-clock time (HH:MM, from 03:00 on) on a YYYY-MM-DD date. */
export function nyWallTimeToUtcMs(date: string, hhmm: string): number {
  return utcMidnightMs(date) + (hhmmToMinutes(hhmm) - nyOffsetOnDate(date)) * 60_000;
}

/** New York calendar date and wall-clock time of a UTC instant. */
export function utcMsToNyWallTime(utcMs: number): { date: string; hhmm: string } {
  const local = new Date(utcMs + nyUtcOffsetMinutes(utcMs) * 60_000);
  const iso = local.toISOString();
  return { date: iso.slice(0, 10), hhmm: iso.slice(11, 16) };
}

/** The UTC date (YYYY-MM-DD) `days` after a date. */
export function addDays(date: string, days: number): string {
  // Pure and hot (calendar walks, look-back windows, every put's time to expiry): formatted once per pair.
  const key = `${date}|${days}`;
  const hit = addDaysCache.get(key);
  if (hit !== undefined) return hit;
  const out = new Date(utcMidnightMs(date) + days * DAY_MS).toISOString().slice(0, 10);
  if (addDaysCache.size >= ADD_DAYS_CACHE_LIMIT) addDaysCache.clear();
  addDaysCache.set(key, out);
  return out;
}

const addDaysCache = new Map<string, string>();
/** A long-running worker asks for a few pairs per date; the bound only keeps a fuzzer's from growing without end. */
const ADD_DAYS_CACHE_LIMIT = 100_000;
