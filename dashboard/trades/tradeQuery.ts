import type { OutputMode } from '../../domain/vocabulary';
import { chartDate, dayPnl, type DayPnl } from './pnlSeries';
import { applyTradeFilter, parseTradeFilter, type TradeFilter } from './tradeFilter';
import type { TradeHistory, TradeRow, TradeSource } from './tradeSource';

/** A query string's trades: the filter read, the mode's history file read, filtered, and the chart's day. */
export type TradeQueryResult =
  | { readonly ok: false; readonly problems: readonly string[] }
  | {
      readonly ok: true;
      readonly filter: TradeFilter;
      readonly history: TradeHistory;
      readonly matched: readonly TradeRow[];
      readonly day: DayPnl | null;
    };

export function queryTrades(source: TradeSource, query: unknown, defaults: { readonly mode: OutputMode; readonly limit: number }): TradeQueryResult {
  const parsed = parseTradeFilter(query, defaults);
  if (!parsed.ok) return parsed;
  const filter = parsed.filter;
  const history = source.read(filter.mode);
  const matched = applyTradeFilter(history.trades, filter);
  const date = chartDate(matched, filter.to);
  return { ok: true, filter, history, matched, day: date === null ? null : dayPnl(matched, date) };
}
