/**
 * Calendar arithmetic on YYYY-MM-DD (UTC) strings for the risk windows. Pure: dates are parsed,
 * never read from a clock.
 */

const DAY_MS = 86_400_000;

function toUtcMs(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

function fromUtcMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function isIsoDate(date: unknown): date is string {
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  return fromUtcMs(toUtcMs(date)) === date;
}

/** The same day one calendar month earlier, clamped to the month's end (03-31 -> 02-28/29). */
export function oneMonthBefore(date: string): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7)) - 1;
  const d = Number(date.slice(8, 10));
  const targetMonth = m === 0 ? 11 : m - 1;
  const targetYear = m === 0 ? y - 1 : y;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  return fromUtcMs(Date.UTC(targetYear, targetMonth, Math.min(d, lastDay)));
}

/**
 * The first date of a window of `count` weekdays (Mon-Fri) ending at `date` (counted in if a weekday).
 * Exchange holidays are not known here, so the window is an approximation of "count trading days"
 * that may reach a day or two less far back around holidays.
 */
export function weekdayWindowStart(date: string, count: number): string {
  let ms = toUtcMs(date);
  let seen = 0;
  for (;;) {
    const dow = new Date(ms).getUTCDay();
    if (dow !== 0 && dow !== 6) {
      seen += 1;
      if (seen >= count) return fromUtcMs(ms);
    }
    ms -= DAY_MS;
  }
}
