import { addDays } from '../market/nyTime';
import {
  releaseCapacity,
  requestCapacity,
  RETAINED_DAYS,
  type AccountState,
  type CapacityDecision as ReducerDecision,
  type CapacityRefusal as ReducerRefusal,
  type CapacityRequest,
  type ReleaseRequest,
  type ReleaseResult,
} from './accountState';

/*
 * The ticker rule: a ticker is traded at most once per trading day, across sessions and brokers
 * (docs/risk.md, "Several brokers in one day"). It wraps the account's capacity reducers, so the
 * account workflow and the backtester apply it with the same code.
 */

/** A refusal of the ticker rule, shaped like the reducer's own refusals. */
export type TickerRefusal = Omit<ReducerRefusal, 'reason'> & { readonly reason: 'ticker_traded_today' };
export type TickerRuleDecision = ReducerDecision | TickerRefusal;

/** What the rule remembers: the tickers granted per scope, and the refusals it gave (by request id). */
export interface TickerBook {
  /** Scope (`<date>|<day workflow id>`, or `<date>`) -> ticker -> request id of the grant that took it. */
  readonly tickersTraded: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly tickerRefusals: Readonly<Record<string, TickerRefusal>>;
}

/** A trading day run that registered with the account: its requests share one scope. */
export interface DayRun {
  readonly workflowId: string;
  readonly date: string;
}

export interface TickerTransition<R> {
  readonly state: AccountState;
  readonly book: TickerBook;
  readonly result: R;
}

export const emptyTickerBook = (): TickerBook => ({ tickersTraded: {}, tickerRefusals: {} });

/**
 * Which trading day a request belongs to. A day registers itself and its sessions' ids start with the
 * day's id, so the rule is per day run: a TEST_MODE Schedule that replays the same market date on two
 * calendar days, or two test days of one date, do not block each other. Other requests are scoped by date.
 */
export function tickerScope(days: readonly DayRun[], req: CapacityRequest): string {
  const holder = req.notifyWorkflowId;
  if (holder !== undefined) {
    const day = days
      .filter((w) => w.date === req.date && holder.startsWith(`${w.workflowId}-`))
      .sort((a, b) => b.workflowId.length - a.workflowId.length)[0];
    if (day) return `${req.date}|${day.workflowId}`;
  }
  return req.date;
}

/** Refuses a ticker another grant of the same day took; null when the reducer decides. */
export function tickerRefusal(book: TickerBook, days: readonly DayRun[], req: CapacityRequest): TickerRefusal | null {
  const holder = book.tickersTraded[tickerScope(days, req)]?.[req.symbol];
  if (holder === undefined || holder === req.requestId) return null;
  return {
    granted: false,
    requestId: req.requestId,
    date: req.date,
    reason: 'ticker_traded_today',
    detail: `${req.symbol} was already granted on ${req.date} (request ${holder}); a ticker is traded at most once per day`,
  };
}

/** Capacity for one trade: the ticker rule first, then the account's reducer; a grant takes the ticker. */
export function requestWithTickerRule(state: AccountState, book: TickerBook, days: readonly DayRun[], req: CapacityRequest): TickerTransition<TickerRuleDecision> {
  // Same request id, same answer (also for refusals of the ticker rule).
  const cached = state.decisions[req.requestId] ?? book.tickerRefusals[req.requestId];
  if (cached) return { state, book, result: cached };
  const refusal = tickerRefusal(book, days, req);
  if (refusal) return { state, book: { ...book, tickerRefusals: { ...book.tickerRefusals, [req.requestId]: refusal } }, result: refusal };
  const t = requestCapacity(state, req);
  if (!t.result.granted) return { state: t.state, book, result: t.result };
  const scope = tickerScope(days, req);
  const day = { ...(book.tickersTraded[scope] ?? {}), [req.symbol]: req.requestId };
  return { state: t.state, book: pruneTickerBook({ ...book, tickersTraded: { ...book.tickersTraded, [scope]: day } }, t.state.latestDate), result: t.result };
}

/** Frees a grant; an entry that never filled was not a trade, so its ticker is free again for any session or broker. */
export function releaseWithTickerRule(state: AccountState, book: TickerBook, rel: ReleaseRequest): TickerTransition<ReleaseResult> {
  const grant = state.openGrants[rel.requestId];
  const t = releaseCapacity(state, rel);
  if (!grant || !t.result.released || rel.filled) return { state: t.state, book, result: t.result };
  const tickersTraded = { ...book.tickersTraded };
  for (const [scope, tickers] of Object.entries(book.tickersTraded)) {
    if (!scope.startsWith(grant.date) || tickers[grant.symbol] !== rel.requestId) continue;
    const rest = { ...tickers };
    delete rest[grant.symbol];
    tickersTraded[scope] = rest;
  }
  return { state: t.state, book: { ...book, tickersTraded }, result: t.result };
}

/** Drops dates older than the reducer state keeps (RETAINED_DAYS before the latest date). */
export function pruneTickerBook(book: TickerBook, latestDate: string | null): TickerBook {
  if (latestDate === null) return book;
  const keepFrom = addDays(latestDate, -RETAINED_DAYS);
  return {
    tickersTraded: Object.fromEntries(Object.entries(book.tickersTraded).filter(([scope]) => scope.slice(0, 10) >= keepFrom)),
    tickerRefusals: Object.fromEntries(Object.entries(book.tickerRefusals).filter(([, r]) => r.date >= keepFrom)),
  };
}

/** The day runs still inside the retained dates. */
export function recentDayRuns<D extends DayRun>(days: readonly D[], latestDate: string | null): D[] {
  if (latestDate === null) return [...days];
  const keepFrom = addDays(latestDate, -RETAINED_DAYS);
  return days.filter((w) => w.date >= keepFrom);
}
