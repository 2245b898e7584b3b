import type { BotConfig } from '../config/botConfigSchema';
import { plannedSessions, weekdayOf } from '../day/sessionPlan';
import { chooseInstrument, type InstrumentChoice } from '../instruments/bearishInstrument';
import { inverseEtfFor } from '../instruments/inverseEtfMap';
import { parseOccSymbol } from '../instruments/occSymbol';
import { putModelRecord, simulatedPutQuote, type ModelPutQuote } from '../instruments/simulatedOptionPrice';
import { MINUTE_MS, type Bar } from '../market/bar';
import { round2 } from '../math/round';
import { isTradingDay, regularSessionUtc, type RegularSession } from '../market/exchangeCalendar';
import { sessionEnd, sessionWindowFor, strategyTiming, type SessionWindow } from '../market/sessionWindow';
import { clientOrderId } from '../orders/clientOrderId';
import {
  accountConfigFrom,
  configure,
  createAccountState,
  type AccountEvent,
  type AccountState,
  type DefenseModeEvent,
  type KillSwitchEvent,
} from '../risk/accountState';
import { escalateTrading, mayOpen, type TradingState } from '../session/tradingState';
import { entryGate } from '../session/entryGate';
import { acceptedSignalCount, strongestFirst } from '../session/entryRanking';
import { closingSide, contractMultiplier } from '../trades/tradeOutcome';
import { exitOutcome, type BrokerClose } from '../session/exitOutcome';
import { closedTradeRecord, type TradeOpening } from '../trades/closedTradeRecord';
import { emptyTickerBook, releaseWithTickerRule, requestWithTickerRule } from '../risk/tickerRule';
import { entryCapacityRequest } from '../risk/entryCapacityRequest';
import { outputMode, routingFlagsOf } from '../routing';
import { getStrategy } from '../strategies/strategies';
import type { EntrySignal, SymbolTracker } from '../strategies/strategy';
import type { TradeRecord } from '../trades/tradeRecord';
import { closeAtOrBefore, compareText, type BacktestMarket } from './market';
import { modelFillPrice, priceSymbolOf, type ExecutionModel } from './executionModel';
import { SCREEN_LOOKBACK_CALENDAR_DAYS, screeningFacts, sessionCloseOf, type SessionClose } from '../screening/replayScreeningFacts';
import { screenSymbol, type ScreenRule } from '../screening/screen';
import { addDays } from '../market/nyTime';
import { dailyClosesOfDays } from '../market/dailyCloses';
import { putVolatilityInputs } from '../instruments/optionModelInputs';
import { vixCloseBefore, type VixSeries } from './signalAudit';
import { strategySetting } from '../config/strategySettings';
import type { ExitReason, StrategyName, BrokerName } from '../vocabulary';

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

export interface DayResult {
  readonly date: string;
  /** Account value at the start and end of the date (every position is closed by the end of a session). */
  readonly startEquity: number;
  readonly endEquity: number;
  readonly pnl: number;
  readonly trades: number;
  readonly strategiesRun: readonly StrategyName[];
  readonly halted: boolean;
  readonly defenseActive: boolean;
  readonly warnings: readonly string[];
  /** Seconds from decision to fill, per filled order. */
  readonly executionSeconds: readonly number[];
}

export interface PortfolioCounters {
  signals: number;
  entries: number;
  /** Refused signals by reason. */
  refused: Record<string, number>;
  /** Orders the fill model could not price. */
  rejected: number;
  screened: number;
  /** Symbols a session left out at its start because they already traded today (one trade per ticker per day). */
  tradedTodaySkipped: number;
  screenedOut: Record<ScreenRule, number>;
  /** Screening rules skipped for lack of data (TEST_MODE logic: unknown data is not a rejection), by rule. */
  screenSkipped: Record<ScreenRule, number>;
  haltedDays: number;
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


interface OpenTrade {
  readonly requestId: string;
  readonly tags: readonly string[];
  readonly symbol: string;
  readonly choice: InstrumentChoice;
  readonly signal: EntrySignal;
  readonly qty: number;
  readonly entryPrice: number;
  readonly entryFee: number;
  readonly allocation: number;
  readonly accountValue: number;
  readonly entryOrderId: string;
  readonly entryClientId: string;
  /** A put's modelled quote at the entry fill, for the trade record's option_model. */
  readonly entryOptionQuote: ModelPutQuote | null;
}

interface SessionRun {
  readonly strategy: StrategyName;
  readonly window: SessionWindow;
  readonly hardEndMs: number;
  /** Why a position still open at hardEndMs leaves (sessionEnd: `market_close` when the close cut it off). */
  readonly endReason: ExitReason;
  /** Grants taken: with a minute's signals, the n of the weights table, as the live session counts it. */
  grants: number;
  started: boolean;
  finished: boolean;
  /** Trackers by symbol index of the day; null for symbols not screened in. */
  trackers: (SymbolTracker | null)[];
  readonly open: Map<number, OpenTrade>;
  /** Latest bar seen per symbol index (where a forced exit is priced). */
  lastBar: (Bar | undefined)[];
  accountValue: number;
  /** Active until the account halts the broker while this session runs: it then exits everything and stops. */
  trading: TradingState;
}

/** The simulated broker's answer to a market exit the fill model priced: all of it, at that price. */
function simulatedClose(qty: number, price: number, fees: number): BrokerClose {
  return { exit: { rejectReason: null, status: 'filled' }, filledQty: qty, avgPrice: price, fees, closedBy: 'exit', stopKind: null, stopFilledAt: null, closedAt: null };
}

function emptyRuleCounts(): Record<ScreenRule, number> {
  return { price: 0, market_cap: 0, gap: 0, volume: 0, spread: 0 };
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

  const counters: PortfolioCounters = {
    signals: 0,
    entries: 0,
    refused: {},
    rejected: 0,
    screened: 0,
    tradedTodaySkipped: 0,
    screenedOut: emptyRuleCounts(),
    screenSkipped: emptyRuleCounts(),
    haltedDays: 0,
  };
  const trades: TradeRecord[] = [];
  const days: DayResult[] = [];
  const defenseEvents: DefenseModeEvent[] = [];
  const killSwitchEvents: KillSwitchEvent[] = [];
  const history = new Map<string, SessionClose[]>();
  const accountConfig = accountConfigFrom(cfg);
  let account: AccountState | null = null;
  // The ticker rule as the account workflow applies it (domain/risk/tickerRule.ts), scoped by date.
  let tickerBook = emptyTickerBook();
  let cash = startingCash;
  /** Cost of positions an exit could not price: they stay at the broker, at cost. */
  let stuckCost = 0;
  /** Every open position of every session (the account value counts long positions at cost). */
  const liveOpen = new Set<OpenTrade>();
  let symbolDays = 0;
  let barsProcessed = 0;
  const closedDates: string[] = [];
  const vixMissing: string[] = [];

  /**
   * Keeps the account state small: the decision and release caches exist for retried activities (every
   * backtest request id is new), and the outbox events are collected here instead of by a drain activity.
   */
  const settle = (next: AccountState): AccountState => {
    for (const e of next.pendingEvents as readonly AccountEvent[]) {
      if (e.kind === 'defense_mode') defenseEvents.push(e);
      else if (e.kind === 'kill_switch') killSwitchEvents.push(e);
    }
    return { ...next, decisions: {}, releases: {}, pendingEvents: [] };
  };

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
    account = settle(account === null ? createAccountState(accountConfig, at) : configure(account, { config: accountConfig, at }).state);
    const day = runDay(date, symbolsToday, barsOf);
    days.push(day);
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
    trades,
    days,
    startingCash,
    endingCash: cash,
    counters,
    defenseEvents,
    killSwitchEvents,
    warnings,
    symbolDays,
    barsProcessed,
  };

  function runDay(date: string, symbolsToday: readonly string[], barsOf: (s: string) => readonly Bar[]): DayResult {
    const dayStartMs = Date.parse(`${date}T00:00:00Z`);
    const startEquity = accountValue();
    const dayWarnings: string[] = [];
    const executionSeconds: number[] = [];
    let realizedToday = 0;
    let halted = false;
    let tradesToday = 0;
    const requestSeq = new Map<string, number>();
    const blocked = new Set<string>();
    // Symbol order within a minute, as the live session merges bars (localeCompare).
    const order = [...symbolsToday].sort((a, b) => a.localeCompare(b));
    const symbolBars = order.map((s) => barsOf(s));
    const lastT = symbolBars.map((bars) => (bars.length > 0 ? bars[bars.length - 1]!.t : Number.NEGATIVE_INFINITY));
    // Every bar of the day grouped by start minute, symbols in merge order within a minute: a counting sort
    // into flat arrays (minute m's bars are rows groupStart[m] .. groupStart[m + 1] - 1).
    const groupStart = new Int32Array(MINUTES_PER_DAY + 1);
    for (const bars of symbolBars) {
      for (const bar of bars) groupStart[minuteOfDay(bar.t, dayStartMs) + 1]! += 1;
      barsProcessed += bars.length;
    }
    for (let m = 0; m < MINUTES_PER_DAY; m++) groupStart[m + 1]! += groupStart[m]!;
    const total = groupStart[MINUTES_PER_DAY]!;
    const groupSym = new Int32Array(total);
    const groupBar = new Array<Bar>(total);
    const fill = groupStart.slice(0, MINUTES_PER_DAY);
    for (let k = 0; k < symbolBars.length; k++) {
      for (const bar of symbolBars[k]!) {
        const at = fill[minuteOfDay(bar.t, dayStartMs)]!++;
        groupSym[at] = k;
        groupBar[at] = bar;
      }
    }
    const minutesPresent: number[] = [];
    for (let m = 0; m < MINUTES_PER_DAY; m++) if (groupStart[m + 1]! > groupStart[m]!) minutesPresent.push(m);
    // The put model's volatility inputs for the day, as the simulated broker and the emulator read them.
    const putVix = vixCloseBefore(input.vix, date);
    const putVol = (underlying: string) => putVolatilityInputs(putVix, underlying, date, dailyCloses);

    const sessions: SessionRun[] = sessionsToRun
      .filter((s) => !blockedStrategies.has(s))
      .map((strategy) => {
        const window = sessionWindowFor(date, strategyTiming(cfg, strategy), cfg.SESSION_TIME_ANCHOR);
        const end = sessionEnd(window);
        return {
          strategy,
          window,
          hardEndMs: end.endMs,
          endReason: end.reason,
          grants: 0,
          started: false,
          finished: false,
          trackers: [],
          open: new Map(),
          lastBar: [],
          accountValue: 0,
          trading: 'active',
        };
      });
    const strategiesRun = sessions.map((s) => s.strategy);

    const startSession = (s: SessionRun, backlogEnd: number) => {
      s.started = true;
      s.accountValue = accountValue();
      const vixPrevClose = s.strategy === 'close' ? vixCloseBefore(input.vix, date) : null;
      if (s.strategy === 'close' && vixPrevClose === null) vixMissing.push(date);
      const strategy = getStrategy(s.strategy);
      s.trackers = new Array<SymbolTracker | null>(order.length).fill(null);
      for (let k = 0; k < order.length; k++) {
        const symbol = order[k]!;
        // As the live session: the universe minus tickers already traded today.
        if (blocked.has(symbol)) {
          counters.tradedTodaySkipped += 1;
          continue;
        }
        counters.screened += 1;
        const facts = screeningFacts({ symbol, date, firstSessionBarMs: s.window.analysisStartMs, history: history.get(symbol) ?? [], bars: symbolBars[k]! });
        // TEST_MODE logic, as the issue settles for backtests: unknown data is skipped, not a rejection.
        const verdict = screenSymbol(facts, cfg, { strategy: s.strategy, testMode: true, stage: 'session' });
        for (const skip of verdict.skipped) counters.screenSkipped[skip.rule] += 1;
        if (!verdict.pass) {
          counters.screenedOut[verdict.rejection.rule] += 1;
          continue;
        }
        s.trackers[k] = strategy.createTracker(symbol, date, cfg, { vixPrevClose });
      }
      // The live session's first fetch delivers every bar of the date so far; nothing can enter before
      // the entry window, so replaying them only builds the trackers' state.
      for (const m of minutesPresent) {
        if (m >= backlogEnd) break;
        processMinute(s, m);
      }
    };

    const processMinute = (s: SessionRun, m: number) => {
      let entries: { sym: number; symbol: string; tracker: SymbolTracker; signal: EntrySignal }[] | null = null;
      const end = groupStart[m + 1]!;
      for (let at = groupStart[m]!; at < end; at++) {
        const sym = groupSym[at]!;
        const tracker = s.trackers[sym];
        if (tracker === null || tracker === undefined || tracker.done) continue;
        const bar = groupBar[at]!;
        s.lastBar[sym] = bar;
        const d = tracker.onBar(bar);
        if (d === null) continue;
        if (d.kind === 'entry') (entries ??= []).push({ sym, symbol: order[sym]!, tracker, signal: d });
        else exit(s, sym, d.reason, d.barStart);
      }
      if (entries === null) return;
      entries.sort(strongestFirst);
      const acceptedSignals = acceptedSignalCount(s.grants, entries.length);
      for (const e of entries) enter(s, e.sym, e.tracker, e.signal, acceptedSignals);
    };

    /** The session clock at `nowMs`: hold windows that ran out without a bar, and symbols whose data ended. */
    const timeChecks = (s: SessionRun, nowMs: number) => {
      if (s.open.size === 0) return;
      for (const sym of [...s.open.keys()].sort((a, b) => a - b)) {
        const tracker = s.trackers[sym]!;
        const d = tracker.onTime(nowMs);
        if (d !== null && d.kind === 'exit') exit(s, sym, d.reason, d.barStart);
        if (lastT[sym]! <= nowMs - MINUTE_MS) {
          const e = tracker.onEndOfData();
          if (e !== null && e.kind === 'exit') exit(s, sym, e.reason, e.barStart);
        }
      }
    };

    const finishSession = (s: SessionRun) => {
      timeChecks(s, s.hardEndMs);
      exitAll(s, s.endReason);
      s.finished = true;
    };

    const exitAll = (s: SessionRun, reason: ExitReason) => {
      for (const sym of [...s.open.keys()]) {
        const bar = s.lastBar[sym];
        const t = s.open.get(sym)!;
        exit(s, sym, reason, bar?.t ?? t.signal.barStart);
      }
    };

    const enter = (s: SessionRun, sym: number, tracker: SymbolTracker, signal: EntrySignal, acceptedSignals: number) => {
      counters.signals += 1;
      const symbol = order[sym]!;
      const refuse = (code: string) => {
        tracker.cancelEntry();
        counters.refused[code] = (counters.refused[code] ?? 0) + 1;
      };
      // A backtest fills at its decision bar, so a signal is never stale nor past the session's end.
      const gate = entryGate({ trading: s.trading, pastSessionEnd: false, stale: false, tradingDisabled: cfg.DISABLE_ALL_TRADES, tickerTradedToday: blocked.has(symbol) });
      if (gate !== null) return refuse(gate.rule);
      const shortType = strategySetting(cfg, s.strategy, 'SHORT_TYPE');
      const choice = chooseInstrument({
        underlying: symbol,
        side: signal.side,
        shortType,
        underlyingPrice: signal.price,
        date,
        brokerSupportsOptions: true,
        brokerSupportsShorting: true,
        shortable: true,
      });
      if (!choice.ok) return refuse(shortType === 'disabled' ? 'short_disabled' : 'no_instrument');
      const instrument = choice.choice;
      const priceBars = barsOf(priceSymbolOf(instrument, symbol));
      const quoteBase = closeAtOrBefore(priceBars, signal.barStart);
      let quote: number | null = quoteBase;
      if (quoteBase !== null && instrument.assetClass === 'us_option') {
        const contract = parseOccSymbol(instrument.symbol);
        // Sized at the price the session's quote gives (the simulated broker quotes the model mid); the fill pays the ask.
        quote = contract === null ? null : round2(simulatedPutQuote({ underlying: quoteBase, contract, atMs: signal.barStart, ...putVol(contract.underlying) }).mid);
      }
      if (quote === null || !(quote > 0)) return refuse('no_price');
      const workflowId = `backtest-${date}-${s.strategy}`;
      // One request per symbol and session, as live; a number keeps ids unique should a symbol ask twice.
      const seqKey = `${s.strategy}:${symbol}`;
      const seq = (requestSeq.get(seqKey) ?? 0) + 1;
      requestSeq.set(seqKey, seq);
      const requestId = `${workflowId}:${symbol}:entry${seq > 1 ? `#${seq}` : ''}`;
      const at = new Date(signal.barStart + MINUTE_MS).toISOString();
      const request = entryCapacityRequest({
        requestId,
        date,
        session: s.strategy,
        broker,
        symbol,
        signal,
        choice: instrument,
        price: quote,
        brokerFloat: s.accountValue,
        fractional: cfg.FRACTIONAL,
        sessionWorkflowId: workflowId,
        grantsTaken: s.grants,
        acceptedSignals,
      });
      const step = requestWithTickerRule(account!, tickerBook, [], { ...request, at });
      account = settle(step.state);
      tickerBook = step.book;
      const grant = step.result;
      if (!grant.granted) return refuse(grant.reason);
      s.grants += 1;
      blocked.add(symbol);
      const fill = modelFillPrice({ execution, side: instrument.openSide, choice: instrument, bars: priceBars, decisionBarStart: signal.barStart, vol: putVol(symbol) });
      if (fill === null) {
        counters.rejected += 1;
        tracker.cancelEntry();
        const unfilled = releaseWithTickerRule(account, tickerBook, { requestId, at, realizedPnl: 0, filled: false });
        account = settle(unfilled.state);
        tickerBook = unfilled.book;
        return;
      }
      counters.entries += 1;
      executionSeconds.push(Math.max(0, fill.fillBarStart - (signal.barStart + MINUTE_MS)) / 1000);
      const qty = grant.quantity;
      const notional = qty * fill.price * contractMultiplier(instrument.assetClass);
      cash += instrument.openSide === 'buy' ? -notional : notional;
      cash -= execution.feePerOrder;
      const entryClientId = clientOrderId({ workflowId, session: s.strategy, ticker: symbol, leg: 'entry' });
      const trade: OpenTrade = {
        requestId,
        tags: grant.tags,
        symbol,
        choice: instrument,
        signal,
        qty,
        entryPrice: fill.price,
        entryFee: execution.feePerOrder,
        allocation: grant.allocationDollars,
        accountValue: grant.accountValue,
        entryOrderId: `sim-${entryClientId}`,
        entryClientId,
        entryOptionQuote: fill.optionQuote,
      };
      s.open.set(sym, trade);
      liveOpen.add(trade);
    };

    const exit = (s: SessionRun, sym: number, reason: ExitReason, barStart: number) => {
      const t = s.open.get(sym);
      if (t === undefined) return;
      s.open.delete(sym);
      liveOpen.delete(t);
      const closeSide = closingSide(t.choice.openSide);
      const priceBars = barsOf(priceSymbolOf(t.choice, t.symbol));
      const fill = modelFillPrice({ execution, side: closeSide, choice: t.choice, bars: priceBars, decisionBarStart: barStart, vol: putVol(t.symbol) });
      const mult = contractMultiplier(t.choice.assetClass);
      // The simulated broker holds no stop: the model's fill closes it all, or no price leaves it held.
      const outcome = exitOutcome({
        held: { openSide: t.choice.openSide, assetClass: t.choice.assetClass, entryPrice: t.entryPrice, filledQty: t.qty, entryFees: t.entryFee, stopKind: null },
        closed: fill === null ? null : simulatedClose(t.qty, fill.price, execution.feePerOrder),
        exitFailure: fill === null ? 'no_price' : null,
        reason,
        decidedAt: new Date(barStart).toISOString(),
      });
      const { fees, pnl } = outcome;
      if (fill !== null) {
        const notional = t.qty * fill.price * mult;
        cash += closeSide === 'buy' ? -notional : notional;
        cash -= execution.feePerOrder;
        executionSeconds.push(Math.max(0, fill.fillBarStart - (barStart + MINUTE_MS)) / 1000);
      } else {
        counters.rejected += 1;
        // The position stays at the broker at cost, as the simulated broker would keep it.
        stuckCost += closeSide === 'sell' ? t.qty * t.entryPrice * mult : 0;
      }
      const workflowId = `backtest-${date}-${s.strategy}`;
      const exitClientId = clientOrderId({ workflowId, session: s.strategy, ticker: t.symbol, leg: 'exit' });
      const opening: TradeOpening = {
        workflowId,
        strategy: s.strategy,
        underlying: t.symbol,
        ticker: t.choice.symbol,
        side: t.signal.side,
        instrument: t.choice.instrument,
        signalPrice: t.signal.price,
        entryPrice: t.entryPrice,
        entryTime: new Date(t.signal.barStart).toISOString(),
        entryOrderId: t.entryOrderId,
        allocation: t.allocation,
        accountValue: t.accountValue,
        tags: t.tags,
      };
      const record = closedTradeRecord(opening, {
        timestamp: new Date(barStart + MINUTE_MS).toISOString(),
        date,
        size: t.qty,
        exitPrice: outcome.exitPrice,
        exitTime: outcome.exitTime,
        exitReason: outcome.reason,
        pnl,
        fees,
        broker,
        mode,
        exitOrderId: `sim-${exitClientId}`,
        clientOrderIds: [t.entryClientId, exitClientId],
        errorCode: outcome.errorCode,
        ...(t.entryOptionQuote === null ? {} : { optionModel: putModelRecord(t.entryOptionQuote, fill?.optionQuote ?? null) }),
      });
      trades.push(record);
      tradesToday += 1;
      realizedToday += pnl;
      const released = releaseWithTickerRule(account!, tickerBook, { requestId: t.requestId, at: record.timestamp, realizedPnl: pnl, filled: fill !== null });
      account = settle(released.state);
      tickerBook = released.book;
      if (released.result.brokerHalted && !halted) {
        halted = true;
        counters.haltedDays += 1;
        dayWarnings.push(`${date}: daily loss limit reached (realised ${released.result.realizedPnlToday} today): broker halted for the day`);
        // The account signals every session holding a position at the broker; each exits and stops.
        for (const other of sessions) if (other.started && !other.finished) other.trading = escalateTrading(other.trading, 'broker_halted');
      }
    };

    // The day's clock: minute by minute over the bars present, sessions in their configured order.
    for (const m of minutesPresent) {
      const t = dayStartMs + m * MINUTE_MS;
      for (const s of sessions) {
        if (s.finished) continue;
        if (!s.started && t >= s.window.analysisStartMs) startSession(s, m);
        if (s.started && t >= s.hardEndMs) finishSession(s);
      }
      for (const s of sessions) if (s.started && !s.finished) timeChecks(s, t);
      for (const s of sessions) {
        if (!s.started || s.finished) continue;
        processMinute(s, m);
        // Past the entry window with nothing open, no tracker can act again: the session is over.
        if (t >= s.window.entryEndMs && s.open.size === 0) s.finished = true;
      }
      for (const s of sessions) {
        if (mayOpen(s.trading) || s.finished) continue;
        // As the live loop: this fetch's clock checks, then the halted session exits everything and stops.
        timeChecks(s, t + MINUTE_MS);
        exitAll(s, 'kill_switch');
        s.finished = true;
      }
    }
    for (const s of sessions) {
      if (s.finished) continue;
      if (!s.started) startSession(s, Number.POSITIVE_INFINITY);
      finishSession(s);
    }

    if (halted) dayWarnings.push(`${date}: broker halted by the daily loss limit`);
    return {
      date,
      startEquity,
      endEquity: accountValue(),
      pnl: round2(realizedToday),
      trades: tradesToday,
      strategiesRun,
      halted,
      defenseActive: account!.defense.active,
      warnings: dayWarnings,
      executionSeconds,
    };
  }

  /** The simulated broker's account value: cash plus long positions at cost (a short's proceeds are in cash). */
  function accountValue(): number {
    let held = 0;
    for (const t of liveOpen) if (t.choice.openSide === 'buy') held += t.qty * t.entryPrice * contractMultiplier(t.choice.assetClass);
    return cash + stuckCost + held;
  }
}

const MINUTES_PER_DAY = 1440;

/** Minute of the UTC day a bar starts in; bars start on whole minutes of their date. */
function minuteOfDay(t: number, dayStartMs: number): number {
  const m = (t - dayStartMs) / MINUTE_MS;
  if (!(m >= 0 && m < MINUTES_PER_DAY && Number.isInteger(m))) throw new Error(`bar ${new Date(t).toISOString()} is not a whole minute of its date`);
  return m;
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
