import type { BotConfig } from '../config/botConfigSchema';
import { strategySetting } from '../config/strategySettings';
import { plannedSessions, weekdayOf } from '../day/sessionPlan';
import { inverseEtfFor } from '../instruments/inverseEtfMap';
import type { Bar } from '../market/bar';
import { dailyClosesOfDays } from '../market/dailyCloses';
import { isTradingDay, regularSessionUtc, type RegularSession } from '../market/exchangeCalendar';
import { addDays } from '../market/nyTime';
import { accountConfigFrom, configure, createAccountState, type DefenseModeEvent, type KillSwitchEvent } from '../risk/accountState';
import { emptyTickerBook } from '../risk/tickerRule';
import { outputMode, routingFlagsOf } from '../routing';
import { SCREEN_LOOKBACK_CALENDAR_DAYS, sessionCloseOf, type SessionClose } from '../screening/replayScreeningFacts';
import { getStrategy } from '../strategies/strategies';
import type { TradeRecord } from '../trades/tradeRecord';
import type { BrokerName, StrategyName } from '../vocabulary';
import type { ExecutionModel } from './executionModel';
import { compareText, type BacktestMarket } from './market';
import { emptyCounters, settleAccount, type PortfolioBook, type PortfolioCounters } from './portfolioBook';
import { runPortfolioDay, type DayResult } from './portfolioDay';
import type { VixSeries } from './signalAudit';

/**
 * Portfolio mode: what the live bot would have done on historical bars, with the same strategy trackers,
 * screening filters and risk sizing, and fills modelled instead of a broker. Described in docs/backtest.md,
 * "Portfolio mode (default): what the live bot would have done".
 *
 * Per date, sessions run in the configured order (STRATEGY_SEQUENCE or STRATEGY_OVERRIDE, minus disabled
 * ones, restricted to the strategies asked for), each exactly as `workflows/session.ts` runs it:
 * - at its analysis start: broker account value (cash plus open positions at cost, like the simulated
 *   broker), the universe minus the tickers already traded today, screened by domain/screening/screen.ts
 *   on the facts a TEST_MODE replay screens with (see `screeningFacts`), one tracker per symbol;
 * - bars in time order from the start of the date; within one minute, exits first (symbol order), then
 *   entries strongest first (ties by symbol); before each minute, positions whose hold window ran out
 *   without a bar, or whose symbol's data ended, are closed (the session's clock and end-of-data calls);
 * - an entry is refused when the broker is halted, DISABLE_ALL_TRADES is set, the ticker already traded
 *   today, no bearish instrument fits (SHORT_TYPE_<S>) or the instrument has no price; otherwise the
 *   account's pure reducers (domain/risk/accountState.ts, the very code of the live account workflow)
 *   grant or refuse it: concurrency slots, MAX_TRADES, defense mode, weights, per-trade cap, quantity;
 *   every exit releases the grant with its PnL, which feeds the daily loss limit and defense mode;
 * - at the session's hard end, positions still open leave at their symbol's last bar (`session_end`);
 *   when the daily loss limit halts the broker, running sessions exit at once (`kill_switch`) and later
 *   requests that date are refused.
 * Fills: `next_open` (default) at the open of the instrument's next bar on the date (the decision bar's
 * close when there is none), `signal_close` at the decision bar's close (the simulated broker's model, for
 * comparing with TEST_MODE runs); buys pay and sells receive `slippageBps` worse; each order pays
 * `feePerOrder`. Puts are priced with the simulated premium of the underlying's price.
 * One account state lives through the whole run, as the account workflow lives through the days: defense
 * mode (DEFENSE_MODE_ACTIVE and the automatic triggers) carries its evidence from date to date.
 */

export interface PortfolioInput {
  readonly market: BacktestMarket;
  readonly cfg: BotConfig;
  /** Strategies asked for; sessions still follow the configured order and enable flags. */
  readonly strategies: readonly StrategyName[];
  readonly vix: VixSeries | null;
  /** Inclusive UTC date range. */
  readonly startDate: string;
  readonly endDate: string;
  /** Symbols that may be traded (the screening universe); null = every symbol in the market. */
  readonly universe: readonly string[] | null;
  readonly execution: ExecutionModel;
  /** Starting account value; default SIM_STARTING_CASH. */
  readonly startingCash?: number;
  readonly broker?: BrokerName;
  /** Called after each date of the range with (dates done, dates in range). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PortfolioResult {
  /** Every trade, in the order it was closed. */
  readonly trades: readonly TradeRecord[];
  /** One entry per trading date run. */
  readonly days: readonly DayResult[];
  readonly startingCash: number;
  readonly endingCash: number;
  readonly counters: PortfolioCounters;
  /** Defense-mode changes and kill-switch firings, as the account workflow would log them. */
  readonly defenseEvents: readonly DefenseModeEvent[];
  readonly killSwitchEvents: readonly KillSwitchEvent[];
  readonly warnings: readonly string[];
  readonly symbolDays: number;
  readonly barsProcessed: number;
}


/** Runs portfolio mode over the market; pure and deterministic. */
export function runPortfolio(input: PortfolioInput): PortfolioResult {
  const { market, cfg, execution } = input;
  const dailyCloses = dailyClosesOfDays(market);
  const broker: BrokerName = input.broker ?? 'sim';
  const mode = outputMode(routingFlagsOf(cfg, true));
  const startingCash = input.startingCash ?? cfg.SIM_STARTING_CASH;
  const wanted = new Set(input.strategies);
  const plan = plannedSessions(cfg);
  const sessionsToRun = plan.sessions.filter((s) => wanted.has(s));
  const warnings: string[] = [];
  for (const s of input.strategies) {
    if (!plan.sessions.includes(s)) {
      const why = cfg.STRATEGY_OVERRIDE && cfg.STRATEGY_OVERRIDE !== s ? `STRATEGY_OVERRIDE=${cfg.STRATEGY_OVERRIDE}` : `STRAT_${s.toUpperCase()}_ENABLED=false or not in STRATEGY_SEQUENCE`;
      warnings.push(`${s} session not run: ${why}`);
    }
  }
  // Self checks that do not depend on the date block a strategy for the whole run, as they block a live session.
  const blockedStrategies = new Set<StrategyName>();
  for (const s of sessionsToRun) {
    const check = getStrategy(s).selfCheck(cfg, {});
    if (!check.ok) {
      blockedStrategies.add(s);
      warnings.push(`${s} session blocked by its self check: ${check.problems.join('; ')}`);
    }
  }
  warnings.push('screening as in a TEST_MODE replay: market capitalisation unknown in minute bars (skipped), average volume not applied, spread only before live entries');

  const universeSet = input.universe ? new Set(input.universe) : null;
  const tradable = market.symbols().filter((s) => universeSet === null || universeSet.has(s));
  const allDates = market.dates().filter((d) => d <= input.endDate);
  const firstInRange = allDates.findIndex((d) => d >= input.startDate);
  const rangeDates = firstInRange < 0 ? [] : allDates.slice(firstInRange);
  const lookbackFrom = firstInRange < 0 ? '' : addDays(allDates[firstInRange]!, -SCREEN_LOOKBACK_CALENDAR_DAYS);
  const historyDates = firstInRange < 0 ? [] : allDates.slice(0, firstInRange).filter((d) => d >= lookbackFrom);

  const book: PortfolioBook = {
    cash: startingCash,
    stuckCost: 0,
    held: new Set(),
    account: null,
    tickerBook: emptyTickerBook(),
    trades: [],
    counters: emptyCounters(),
    defenseEvents: [],
    killSwitchEvents: [],
  };
  const days: DayResult[] = [];
  const history = new Map<string, SessionClose[]>();
  const accountConfig = accountConfigFrom(cfg);
  const strategiesRun = sessionsToRun.filter((s) => !blockedStrategies.has(s));
  let symbolDays = 0;
  let barsProcessed = 0;
  const closedDates: string[] = [];
  const vixMissing: string[] = [];

  const updateHistory = (symbol: string, date: string, bars: readonly Bar[], session: RegularSession | null) => {
    const entry = sessionCloseOf(date, bars, session);
    if (entry === null) return;
    let h = history.get(symbol);
    if (h === undefined) {
      h = [];
      history.set(symbol, h);
    }
    h.push(entry);
    // More than the look-back window can ever use.
    if (h.length > SCREEN_LOOKBACK_CALENDAR_DAYS) h.shift();
  };

  for (const date of historyDates) {
    const session = regularSessionUtc(date);
    for (const s of tradable) if (market.hasDay(s, date)) updateHistory(s, date, market.barsOn(s, date), session);
  }

  let done = 0;
  for (const date of rangeDates) {
    const symbolsToday = tradable.filter((s) => market.hasDay(s, date));
    const dayBars = new Map<string, readonly Bar[]>();
    const barsOf = (symbol: string): readonly Bar[] => {
      let b = dayBars.get(symbol);
      if (b === undefined) {
        b = market.barsOn(symbol, date);
        dayBars.set(symbol, b);
      }
      return b;
    };
    const tradingDay = cfg.TRADING_DAYS.includes(weekdayOf(date)) && isTradingDay(date);
    if (!tradingDay) {
      if (!isTradingDay(date) && symbolsToday.length > 0) closedDates.push(date);
      const session = regularSessionUtc(date);
      for (const s of symbolsToday) updateHistory(s, date, barsOf(s), session);
      done += 1;
      input.onProgress?.(done, rangeDates.length);
      continue;
    }
    symbolDays += symbolsToday.length;
    // The trading day ensures the account with the day's config before its sessions.
    const at = `${date}T00:00:00.000Z`;
    settleAccount(book, book.account === null ? createAccountState(accountConfig, at) : configure(book.account, { config: accountConfig, at }).state);
    const run = runPortfolioDay({
      date,
      symbols: symbolsToday,
      barsOf,
      cfg,
      execution,
      broker,
      mode,
      book,
      strategies: strategiesRun,
      vix: input.vix,
      dailyCloses,
      historyOf: (symbol) => history.get(symbol) ?? [],
    });
    days.push(run.day);
    barsProcessed += run.barsProcessed;
    if (run.vixMissing) vixMissing.push(date);
    const session = regularSessionUtc(date);
    for (const s of symbolsToday) updateHistory(s, date, barsOf(s), session);
    done += 1;
    input.onProgress?.(done, rangeDates.length);
  }

  if (closedDates.length > 0) {
    warnings.push(`bars on ${closedDates.length} date(s) the exchange calendar has closed (${listSome(closedDates)}): no trades there`);
  }
  if (input.vix !== null && vixMissing.length > 0) {
    warnings.push(`no VIX close before ${vixMissing.length} CLOSE session date(s) (${listSome(vixMissing)}): the gate did not block on them`);
  }

  return {
    trades: book.trades,
    days,
    startingCash,
    endingCash: book.cash,
    counters: book.counters,
    defenseEvents: book.defenseEvents,
    killSwitchEvents: book.killSwitchEvents,
    warnings,
    symbolDays,
    barsProcessed,
  };
}

function listSome(dates: readonly string[]): string {
  return `${dates.slice(0, 5).join(', ')}${dates.length > 5 ? ', ...' : ''}`;
}

/** The inverse ETFs a universe may need for pricing bearish InverseETF trades (load them with the universe). */
export function instrumentSymbolsFor(universe: readonly string[], cfg: BotConfig, strategies: readonly StrategyName[]): string[] {
  if (!strategies.some((s) => strategySetting(cfg, s, 'SHORT_TYPE') === 'InverseETF')) return [];
  const out = new Set<string>();
  for (const u of universe) {
    const etf = inverseEtfFor(u);
    if (etf.symbol !== null && !universe.includes(etf.symbol)) out.add(etf.symbol);
  }
  return [...out].sort(compareText);
}
