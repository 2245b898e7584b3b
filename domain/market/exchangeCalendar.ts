import { addDays, lastWeekdayOfMonth, nthWeekdayOfMonth, nyWallTimeToUtcMs, utcMidnightMs } from './nyTime';

/**
 * NYSE calendar computed by rule (holidays and 13:00 early closes), checked for 2015-2030.
 * The rules hold for other years too, except for one-off closures, which are listed explicitly.
 */

export interface ExchangeHoliday {
  readonly date: string;
  readonly name: string;
}

export interface RegularSession {
  /** 09:30 New York on the date, epoch ms. */
  readonly openMs: number;
  /** 16:00 New York (13:00 on an early-close day), epoch ms. */
  readonly closeMs: number;
  readonly earlyClose: boolean;
}

export const REGULAR_OPEN_NY = '09:30';
export const REGULAR_CLOSE_NY = '16:00';
export const EARLY_CLOSE_NY = '13:00';

/** One-off full closures the rules cannot know (national days of mourning). */
const SPECIAL_CLOSURES: readonly ExchangeHoliday[] = [
  { date: '2018-12-05', name: 'National Day of Mourning (George H. W. Bush)' },
  { date: '2025-01-09', name: 'National Day of Mourning (Jimmy Carter)' },
];

function ymd(year: number, month1: number, day: number): string {
  return `${year}-${String(month1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function weekdayOf(date: string): number {
  return new Date(utcMidnightMs(date)).getUTCDay();
}

/** Easter Sunday (Gregorian), anonymous computus. */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}

/** Saturday holidays are observed the Friday before, Sunday holidays the Monday after. */
function observed(date: string): string {
  const wd = weekdayOf(date);
  if (wd === 6) return addDays(date, -1);
  if (wd === 0) return addDays(date, 1);
  return date;
}

const holidayCache = new Map<number, readonly ExchangeHoliday[]>();

/** Full-day NYSE closures of a year (weekdays only), sorted by date. */
export function nyseHolidays(year: number): readonly ExchangeHoliday[] {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const list: ExchangeHoliday[] = [];
  // New Year's Day: a Saturday New Year is not observed on the Friday before (NYSE rule 7.2).
  const newYear = ymd(year, 1, 1);
  if (weekdayOf(newYear) !== 6) list.push({ date: observed(newYear), name: "New Year's Day" });
  list.push({ date: ymd(year, 1, nthWeekdayOfMonth(year, 1, 1, 3)), name: 'Martin Luther King Jr. Day' });
  list.push({ date: ymd(year, 2, nthWeekdayOfMonth(year, 2, 1, 3)), name: "Washington's Birthday" });
  list.push({ date: addDays(easterSunday(year), -2), name: 'Good Friday' });
  list.push({ date: ymd(year, 5, lastWeekdayOfMonth(year, 5, 1)), name: 'Memorial Day' });
  if (year >= 2022) list.push({ date: observed(ymd(year, 6, 19)), name: 'Juneteenth' });
  list.push({ date: observed(ymd(year, 7, 4)), name: 'Independence Day' });
  list.push({ date: ymd(year, 9, nthWeekdayOfMonth(year, 9, 1, 1)), name: 'Labor Day' });
  list.push({ date: ymd(year, 11, nthWeekdayOfMonth(year, 11, 4, 4)), name: 'Thanksgiving Day' });
  list.push({ date: observed(ymd(year, 12, 25)), name: 'Christmas Day' });
  for (const s of SPECIAL_CLOSURES) if (s.date.startsWith(`${year}-`)) list.push(s);
  list.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
  holidayCache.set(year, list);
  return list;
}

/** The holiday's name when the exchange is closed all day for a holiday, else null. */
export function holidayName(date: string): string | null {
  const year = Number(date.slice(0, 4));
  return nyseHolidays(year).find((h) => h.date === date)?.name ?? null;
}

export function isWeekend(date: string): boolean {
  const wd = weekdayOf(date);
  return wd === 0 || wd === 6;
}

/** True when NYSE has a regular session on the date (a weekday that is not a holiday). */
export function isTradingDay(date: string): boolean {
  return !isWeekend(date) && holidayName(date) === null;
}

/** The NYSE trading days from `start` to `end` (YYYY-MM-DD, both included), ascending. */
export function tradingDaysBetween(start: string, end: string): string[] {
  const days: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) if (isTradingDay(d)) days.push(d);
  return days;
}

/** How many NYSE trading days d there are with from < d <= to (0 when `to` is not after `from`). */
export function tradingDaysAfter(from: string, to: string): number {
  // Pure and asked for every put choice (each listed expiry from the session date): counted once per pair.
  const key = `${from}|${to}`;
  let n = tradingDaysAfterCache.get(key);
  if (n === undefined) {
    n = countTradingDaysAfter(from, to);
    tradingDaysAfterCache.set(key, n);
  }
  return n;
}

const tradingDaysAfterCache = new Map<string, number>();

function countTradingDaysAfter(from: string, to: string): number {
  const days = Math.round((utcMidnightMs(to) - utcMidnightMs(from)) / 86_400_000);
  let n = 0;
  for (let i = 1; i <= days; i++) if (isTradingDay(addDays(from, i))) n += 1;
  return n;
}

/**
 * True when NYSE closes at 13:00 New York: the day before Independence Day (July 3, when it is a
 * Monday-Thursday trading day), the day after Thanksgiving, and Christmas Eve on a weekday trading day.
 */
export function isEarlyClose(date: string): boolean {
  if (!isTradingDay(date)) return false;
  const year = Number(date.slice(0, 4));
  const md = date.slice(5);
  if (md === '07-03') return weekdayOf(date) >= 1 && weekdayOf(date) <= 4;
  if (md === '12-24') return true;
  const thanksgiving = ymd(year, 11, nthWeekdayOfMonth(year, 11, 4, 4));
  return date === addDays(thanksgiving, 1);
}

/** Early-close dates of a year, sorted. */
export function nyseEarlyCloses(year: number): readonly string[] {
  const thanksgiving = ymd(year, 11, nthWeekdayOfMonth(year, 11, 4, 4));
  return [ymd(year, 7, 3), addDays(thanksgiving, 1), ymd(year, 12, 24)].filter(isEarlyClose).sort();
}

const sessionCache = new Map<string, RegularSession | null>();

/** The regular session (09:30 to 16:00 or 13:00 New York) of a date in UTC, or null when closed. */
export function regularSessionUtc(date: string): RegularSession | null {
  // Pure and called for every tracker a backtest creates: computed once per date.
  let s = sessionCache.get(date);
  if (s === undefined) {
    s = computeRegularSession(date);
    sessionCache.set(date, s);
  }
  return s;
}

function computeRegularSession(date: string): RegularSession | null {
  if (!isTradingDay(date)) return null;
  const earlyClose = isEarlyClose(date);
  return {
    openMs: nyWallTimeToUtcMs(date, REGULAR_OPEN_NY),
    closeMs: nyWallTimeToUtcMs(date, earlyClose ? EARLY_CLOSE_NY : REGULAR_CLOSE_NY),
    earlyClose,
  };
}
