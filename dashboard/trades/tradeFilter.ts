import { z } from 'zod';
import { BROKER_NAMES, STRATEGY_NAMES, type BrokerName, type OutputMode, type StrategyName } from '../../domain/vocabulary';
import { validDate } from '../http/request';
import { clip } from '../webLog';
import type { TradeRow } from './tradeSource';

/*
 * The trade history's filters, as the trades page and /api/v1/trades take them from the query string:
 * `date` (one day) or `from` / `to` (inclusive), `strategy`, `broker`, `mode` (which history file) and
 * `limit`. Every bad value is named with what is allowed; an empty value means "any".
 */

export const OUTPUT_MODES: readonly OutputMode[] = ['paper', 'live', 'backtest'];
export const MAX_TRADE_LIMIT = 5000;

export interface TradeFilter {
  readonly from: string | null;
  readonly to: string | null;
  readonly strategy: StrategyName | null;
  readonly broker: BrokerName | null;
  readonly mode: OutputMode;
  readonly limit: number;
}

export type TradeFilterResult = { readonly ok: true; readonly filter: TradeFilter } | { readonly ok: false; readonly problems: readonly string[] };

const FILTER_KEYS = ['date', 'from', 'to', 'strategy', 'broker', 'mode', 'limit'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

const ALLOWED: Readonly<Record<FilterKey, string>> = {
  date: 'a date YYYY-MM-DD',
  from: 'a date YYYY-MM-DD',
  to: 'a date YYYY-MM-DD',
  strategy: STRATEGY_NAMES.join(', '),
  broker: BROKER_NAMES.join(', '),
  mode: OUTPUT_MODES.join(', '),
  limit: `a whole number from 1 to ${MAX_TRADE_LIMIT}`,
};

const dateText = z.string().refine((s) => validDate(s) !== null);
const filterSchema = z.strictObject({
  date: dateText.optional(),
  from: dateText.optional(),
  to: dateText.optional(),
  strategy: z.enum(STRATEGY_NAMES).optional(),
  broker: z.enum(BROKER_NAMES as [BrokerName, ...BrokerName[]]).optional(),
  mode: z.enum(OUTPUT_MODES as [OutputMode, ...OutputMode[]]).optional(),
  limit: z.string().regex(/^\d{1,7}$/).transform(Number).pipe(z.number().int().min(1).max(MAX_TRADE_LIMIT)).optional(),
});

export function parseTradeFilter(query: unknown, defaults: { readonly mode: OutputMode; readonly limit: number }): TradeFilterResult {
  const raw = givenValues(query);
  const repeated = Object.keys(raw).filter((k) => Array.isArray(raw[k]));
  if (repeated.length > 0) return { ok: false, problems: repeated.map((k) => `${clip(k, 40)} is given more than once`) };
  const parsed = filterSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap((issue) => describeIssue(issue, raw)) };
  const v = parsed.data;
  if (v.date !== undefined && (v.from !== undefined || v.to !== undefined)) {
    return { ok: false, problems: ['date is one day and from / to a range: give one or the other'] };
  }
  const from = v.date ?? v.from ?? null;
  const to = v.date ?? v.to ?? null;
  if (from !== null && to !== null && from > to) return { ok: false, problems: [`from=${from} is after to=${to}`] };
  return { ok: true, filter: { from, to, strategy: v.strategy ?? null, broker: v.broker ?? null, mode: v.mode ?? defaults.mode, limit: v.limit ?? defaults.limit } };
}

/** The trades the filter keeps (its mode chose the file already), newest first. */
export function applyTradeFilter(trades: readonly TradeRow[], f: TradeFilter): TradeRow[] {
  return trades
    .filter((t) => (f.from === null || t.date >= f.from) && (f.to === null || t.date <= f.to))
    .filter((t) => (f.strategy === null || t.strategy_name === f.strategy) && (f.broker === null || t.broker === f.broker))
    .sort((a, b) => (closedAt(b) < closedAt(a) ? -1 : closedAt(b) > closedAt(a) ? 1 : 0));
}

/** The filter as query parameters (for links), without the defaults' noise. */
export function filterQuery(f: TradeFilter): string {
  const pairs: [string, string | null][] = [['from', f.from], ['to', f.to], ['strategy', f.strategy], ['broker', f.broker], ['mode', f.mode]];
  return pairs
    .filter((p): p is [string, string] => p[1] !== null)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
}

function closedAt(t: TradeRow): string {
  return t.exit_time ?? t.entry_time ?? t.timestamp;
}

/** The query's values, without empty ones (a form's "any"). */
function givenValues(query: unknown): Record<string, unknown> {
  if (query === null || typeof query !== 'object') return {};
  return Object.fromEntries(Object.entries(query as Record<string, unknown>).filter(([, v]) => v !== ''));
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `unknown filter ${clip(k, 40)} (allowed: ${FILTER_KEYS.join(', ')})`);
  }
  const key = String(issue.path[0] ?? '') as FilterKey;
  return [`${key}=${clip(raw[key], 40)} is invalid (allowed: ${ALLOWED[key] ?? 'see docs/dashboard.md'})`];
}
