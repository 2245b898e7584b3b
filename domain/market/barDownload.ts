import type { Bar } from './bar';
import { utcDateOf } from './bar';
import { regularSessionUtc } from './exchangeCalendar';
import { addDays } from './nyTime';
import { isTickerSymbol } from '../screening/symbolList';

/**
 * The pure rules of `data download` (docs/backtest.md, "Downloading data"): which instants to ask Alpaca
 * for, which bars to keep, what the files are called and how their rows are written. The I/O is in
 * activities/marketData/barDownload.ts.
 */

export const DOWNLOAD_FEEDS = ['iex', 'sip'] as const;
export type DownloadFeed = (typeof DOWNLOAD_FEEDS)[number];

/** Ranges longer than this are refused: a typo in a year should not start a download of decades. */
export const MAX_DOWNLOAD_DAYS = 3660;

export interface DownloadWindow {
  /** The first regular-session bar start of the first trading day. */
  readonly startMs: number;
  /** The last regular-session bar start of the last trading day (Alpaca's `end` is inclusive). */
  readonly endMs: number;
  readonly tradingDays: number;
}

/** The NYSE trading days from `start` through `end` (YYYY-MM-DD, inclusive), ascending. */
export function tradingDaysIn(start: string, end: string): string[] {
  const days: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) if (regularSessionUtc(d) !== null) days.push(d);
  return days;
}

/** What to ask for: from the first session's open to the last session's last minute; null without a trading day. */
export function downloadWindow(start: string, end: string): DownloadWindow | null {
  const days = tradingDaysIn(start, end);
  if (days.length === 0) return null;
  const first = regularSessionUtc(days[0]!)!;
  const last = regularSessionUtc(days[days.length - 1]!)!;
  return { startMs: first.openMs, endMs: last.closeMs - 60_000, tradingDays: days.length };
}

/**
 * Regular-session bars only, [open, close) of each NYSE day, early closes included: the sessions the
 * backtester trades and counts gaps in. Alpaca's 1Min bars also cover pre-market, after-hours and the
 * 16:00 closing-auction minute, which the backtester never reads.
 */
export function regularHoursBars(bars: readonly Bar[]): Bar[] {
  return bars.filter((b) => {
    const session = regularSessionUtc(utcDateOf(b.t));
    return session !== null && b.t >= session.openMs && b.t < session.closeMs;
  });
}

/** `SPY_20250408_20250409.csv`: the development set's naming; the backtester reads the symbol up to the first `_`. */
export function barFileName(symbol: string, start: string, end: string): string {
  return `${symbol}_${start.replaceAll('-', '')}_${end.replaceAll('-', '')}.csv`;
}

/** Why a symbol cannot be downloaded into a bar file, or null when it can. */
export function symbolProblem(symbol: string): string | null {
  if (!isTickerSymbol(symbol)) return `"${symbol}" is not a ticker symbol (a letter, then letters and digits, at most 10, optionally a -X class suffix)`;
  if (symbol.includes('.')) {
    return `"${symbol}": a symbol with "." cannot name a bar file (the backtester reads a file's symbol up to the first "." or "_"); not supported`;
  }
  return null;
}

/** `2025-04-08T13:30:00Z`: the bar start as the shared data set writes it (whole seconds, Z). */
export function barTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Rows of `timestamp,open,high,low,close,volume`, each ending in a new line; numbers in shortest round-trip form. */
export function barCsvRows(bars: readonly Bar[]): string {
  return bars.map((b) => `${barTimestamp(b.t)},${b.o},${b.h},${b.l},${b.c},${b.v}\n`).join('');
}
