import type { Broker, CalendarDay, MarketClock } from '../broker/brokerTypes';
import type { MarketDataSource } from '../marketData/marketDataSource';
import type { ScreeningDataProvider } from '../screening/screeningDataProvider';
import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { addDays, utcMsToNyWallTime } from '../../domain/market/nyTime';
import { regularHoursAt } from '../../domain/orders/botOrderOwner';
import { describeError } from '../../domain/errors/errorClasses';

/**
 * What must answer before a paper or live day trades, each as a real request (README.md, "The CLI",
 * `check`): the broker's account, the bar feed, the screening provider and the broker's clock and
 * calendar against the exchange calendar. `npm run cli -- check` prints them; the day's startup checks
 * call the same functions, so neither can pass while the other fails.
 */

export interface ReadinessResult {
  readonly ok: boolean;
  readonly detail: string;
  /** A failure another attempt may not see (a timeout, a 5xx, a 429). */
  readonly transient?: boolean;
}

/** The feed's probe when the day's universe is unknown: the most traded ETF. */
export const PROBE_SYMBOL = 'SPY';

const pass = (detail: string): ReadinessResult => ({ ok: true, detail });
const fail = (detail: string): ReadinessResult => ({ ok: false, detail });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const failed = (detail: string, err: unknown): ReadinessResult => ({ ok: false, detail, transient: describeError(err).retryable });
const DAY_MS = 86_400_000;
/** Clock difference between this machine and the broker that still passes. */
export const MAX_CLOCK_SKEW_MS = 5_000;

/** The broker authenticates (account active, trading not blocked) and reports an account value. */
export async function brokerAccountCheck(broker: Broker): Promise<ReadinessResult> {
  try {
    await broker.authenticate();
    const a = await broker.account();
    if (!(a.accountValue > 0)) return fail(`${broker.name}: account value is ${a.accountValue}`);
    return pass(`${broker.name}: account active, value ${a.accountValue.toFixed(2)}, buying power ${a.buyingPower.toFixed(2)}`);
  } catch (err) {
    return failed(`${broker.name}: ${message(err)}`, err);
  }
}

/** The bar feed returns minute bars of `symbol` from the last week (a real request, not a constructor). */
export async function marketDataCheck(source: MarketDataSource, a: { readonly symbol: string; readonly nowMs: number }): Promise<ReadinessResult> {
  const fromMs = a.nowMs - 7 * DAY_MS;
  try {
    const bars = (await source.closedBars([a.symbol], fromMs, a.nowMs))[a.symbol] ?? [];
    const last = bars.at(-1);
    if (!last) return fail(`no ${a.symbol} minute bars since ${new Date(fromMs).toISOString().slice(0, 10)}`);
    return pass(`${bars.length} ${a.symbol} minute bars in the last week, the newest at ${new Date(last.t).toISOString()}`);
  } catch (err) {
    return failed(`bars of ${a.symbol}: ${message(err)}`, err);
  }
}

/** The screening provider has today's facts of `symbol`. */
export async function screeningProviderCheck(provider: ScreeningDataProvider, a: { readonly symbol: string; readonly date: string }): Promise<ReadinessResult> {
  try {
    const f = await provider.facts(a.symbol, a.date);
    if (!f) return fail(`${provider.name} has no data for ${a.symbol}`);
    return pass(`${provider.name}: ${a.symbol} price ${f.price ?? 'none'}, previous close ${f.previousClose ?? 'none'}`);
  } catch (err) {
    return failed(`${provider.name}: ${message(err)}`, err);
  }
}

export interface BrokerClock {
  clock(): Promise<MarketClock>;
  calendar(from: string, to: string): Promise<CalendarDay[]>;
}

export function hasBrokerClock(b: object): b is BrokerClock {
  const c = b as Partial<BrokerClock>;
  return typeof c.clock === 'function' && typeof c.calendar === 'function';
}

/**
 * This machine's clock agrees with the broker's, and the broker's clock and calendar for today agree
 * with the exchange calendar the sessions are timed by (holidays, early closes, open or not right now).
 */
export async function exchangeClockCheck(broker: BrokerClock, nowMs: number): Promise<ReadinessResult> {
  const today = utcMsToNyWallTime(nowMs).date;
  try {
    const clock = await broker.clock();
    const problems = clockProblems(clock, nowMs);
    problems.push(...calendarProblems(today, await broker.calendar(today, addDays(today, 1))));
    if (problems.length > 0) return fail(problems.join('; '));
    const session = regularSessionUtc(today);
    const hours = session ? `${utcMsToNyWallTime(session.openMs).hhmm}-${utcMsToNyWallTime(session.closeMs).hhmm} New York` : 'closed';
    return pass(`clock within ${MAX_CLOCK_SKEW_MS / 1000} s of the broker; ${today} ${hours}; market ${clock.isOpen ? 'open' : 'closed'} now, as the exchange calendar says`);
  } catch (err) {
    return failed(`broker clock or calendar: ${message(err)}`, err);
  }
}

function clockProblems(clock: MarketClock, nowMs: number): string[] {
  const problems: string[] = [];
  const skewMs = Date.parse(clock.timestamp) - nowMs;
  if (Math.abs(skewMs) > MAX_CLOCK_SKEW_MS) problems.push(`this machine's clock is ${(skewMs / -1000).toFixed(1)} s off the broker's (${clock.timestamp})`);
  const calendarOpen = regularHoursAt(nowMs);
  if (clock.isOpen !== calendarOpen) {
    problems.push(`the broker says the market is ${clock.isOpen ? 'open' : 'closed'}, the exchange calendar says ${calendarOpen ? 'open' : 'closed'}`);
  }
  return problems;
}

function calendarProblems(today: string, days: readonly CalendarDay[]): string[] {
  const session = regularSessionUtc(today);
  const broker = days.find((d) => d.date === today) ?? null;
  if (!session) return broker ? [`the broker trades ${today} (${broker.open}-${broker.close}); the exchange calendar has it closed`] : [];
  if (!broker) return [`the exchange calendar trades ${today}; the broker's calendar has no session`];
  const open = utcMsToNyWallTime(session.openMs).hhmm;
  const close = utcMsToNyWallTime(session.closeMs).hhmm;
  return broker.open === open && broker.close === close ? [] : [`${today}: the broker's session is ${broker.open}-${broker.close}, the exchange calendar's ${open}-${close}`];
}

/** Runs a check again once after a pause when its failure was transient (the day's startup may not fail on one 5xx). */
export async function withOneRetry(run: () => Promise<ReadinessResult>, pause: () => Promise<void>): Promise<ReadinessResult> {
  const first = await run();
  if (first.ok || !first.transient) return first;
  await pause();
  return run();
}

