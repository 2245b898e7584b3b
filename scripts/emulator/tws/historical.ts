import type { BarTimeline } from '../../../domain/emulator/timeline';
import type { HistoricalBarOut } from '../../../domain/emulator/tws/replies';
import type { TwsRequest } from '../../../domain/emulator/tws/requests';
import { regularSessionUtc } from '../../../domain/market/exchangeCalendar';
import { parseOccSymbol } from '../../../domain/instruments/occSymbol';
import { utcMsToNyWallTime } from '../../../domain/market/nyTime';
import { ibTimeToIso } from '../../../activities/broker/ibkr/ibkrBroker';
import { ibTime } from './contracts';

/**
 * reqHistoricalData on the emulator's bars: `1 min` TRADES bars only (the replay's resolution), a
 * duration in seconds (`N S`) or days (`N D`), ending now or at `endDateTime`, never beyond what the feed
 * has published. Anything else is IB's error 162 with the reason.
 */

type HistoricalRequest = Extract<TwsRequest, { type: 'reqHistoricalData' }>;

export function historicalBars(timeline: BarTimeline, symbol: string, req: HistoricalRequest, m: number): { start: string; end: string; bars: HistoricalBarOut[] } | { error: string } {
  if (parseOccSymbol(symbol) !== null) return { error: 'option bars are not emulated' };
  if (req.barSize.trim() !== '1 min') return { error: `bar size ${req.barSize} is not emulated (1 min only)` };
  if (!['TRADES', ''].includes(req.whatToShow.toUpperCase())) return { error: `whatToShow ${req.whatToShow} is not emulated (TRADES only)` };
  const d = /^(\d+)\s+([SD])$/.exec(req.duration.trim());
  if (!d) return { error: `duration ${req.duration} is not emulated (N S or N D)` };
  const spanMs = Number(d[1]) * (d[2] === 'S' ? 1000 : 86_400_000);
  const endIso = req.endDateTime.trim() === '' ? null : ibTimeToIso(req.endDateTime.trim());
  if (req.endDateTime.trim() !== '' && endIso === null) return { error: `endDateTime ${req.endDateTime} is not yyyyMMdd HH:mm:ss with a US/Eastern or UTC zone` };
  const endMs = Math.min(m, endIso === null ? m : Date.parse(endIso));
  const startMs = endMs - spanMs;
  const bars = timeline
    .visible(symbol, m, startMs, endMs - 60_000)
    .filter((b) => !req.useRth || inRegularHours(b.t))
    .map((b) => ({ date: ibTime(b.t), open: b.o, high: b.h, low: b.l, close: b.c, volume: b.v, wap: (b.o + b.h + b.l + b.c) / 4, count: 0 }));
  return { start: ibTime(startMs), end: ibTime(endMs), bars };
}

function inRegularHours(t: number): boolean {
  const s = regularSessionUtc(utcMsToNyWallTime(t).date);
  return s !== null && t >= s.openMs && t < s.closeMs;
}
