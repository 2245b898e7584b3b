import type { BotConfig } from '../config/botConfigSchema';
import { putVolatilityInputs } from '../instruments/optionModelInputs';
import type { DailyCloses } from '../market/dailyCloses';
import { MINUTE_MS, type Bar } from '../market/bar';
import { sessionEnd, sessionWindowFor, strategyTiming, type SessionWindow } from '../market/sessionWindow';
import { round2 } from '../math/round';
import { screeningFacts, type SessionClose } from '../screening/replayScreeningFacts';
import { screenSymbol } from '../screening/screen';
import { SessionEngine, type MinuteDecisions } from '../session/sessionEngine';
import { runFlow, type ExitDecision, type SessionPort } from '../session/sessionPort';
import { mayOpen } from '../session/tradingState';
import { getStrategy } from '../strategies/strategies';
import type { SymbolTracker } from '../strategies/strategy';
import type { BrokerName, ExitReason, OutputMode, StrategyName } from '../vocabulary';
import type { ExecutionModel } from './executionModel';
import { simulatedAccountValue, type PortfolioBook } from './portfolioBook';
import { vixCloseBefore, type VixSeries } from './signalAudit';
import { simulatedPort, type SimulatedDay, type SimulatedVenue } from './simulatedPort';

/*
 * One date of portfolio mode (docs/backtest.md, "Portfolio mode"): its sessions in the configured order,
 * each driven by the session engine the live session runs (domain/session/sessionEngine.ts) through the
 * simulated port. Minute by minute over the bars present: a session starts at its analysis start (the
 * account value, screening, one tracker per symbol, the bars so far), the clock closes hold windows and
 * ended data, then the minute's bars go to every running session, exits before entries.
 */

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

export interface PortfolioDayInput {
  readonly date: string;
  /** Symbols with bars on the date. */
  readonly symbols: readonly string[];
  barsOf(symbol: string): readonly Bar[];
  readonly cfg: BotConfig;
  readonly execution: ExecutionModel;
  readonly broker: BrokerName;
  readonly mode: OutputMode;
  readonly book: PortfolioBook;
  /** Sessions to run, in the configured order. */
  readonly strategies: readonly StrategyName[];
  readonly vix: VixSeries | null;
  readonly dailyCloses: DailyCloses;
  /** Daily closes before the date, the screening look-back. */
  historyOf(symbol: string): readonly SessionClose[];
}

export interface PortfolioDayRun {
  readonly day: DayResult;
  readonly barsProcessed: number;
  /** A CLOSE session ran without a VIX close before the date. */
  readonly vixMissing: boolean;
}

interface SessionRun {
  readonly strategy: StrategyName;
  readonly window: SessionWindow;
  readonly hardEndMs: number;
  /** Why a position still open at hardEndMs leaves (sessionEnd: `market_close` when the close cut it off). */
  readonly endReason: ExitReason;
  started: boolean;
  finished: boolean;
  engine: SessionEngine<SimulatedVenue> | null;
  port: SessionPort<SimulatedVenue> | null;
}

const MINUTES_PER_DAY = 1440;

export function runPortfolioDay(input: PortfolioDayInput): PortfolioDayRun {
  const { date, cfg, book } = input;
  const dayStartMs = Date.parse(`${date}T00:00:00Z`);
  const startEquity = simulatedAccountValue(book);
  const dayWarnings: string[] = [];
  let halted = false;
  let vixMissing = false;
  const blocked = new Set<string>();
  // Symbol order within a minute, as the live session merges bars (localeCompare).
  const order = [...input.symbols].sort((a, b) => a.localeCompare(b));
  const symbolBars = order.map((s) => input.barsOf(s));
  const lastT = symbolBars.map((bars) => (bars.length > 0 ? bars[bars.length - 1]!.t : Number.NEGATIVE_INFINITY));
  const minutes = minuteGroups(symbolBars, dayStartMs);
  // The VIX close before the date: the CLOSE gate's input and the put model's.
  const vixBefore = vixCloseBefore(input.vix, date);
  const day: SimulatedDay = {
    date,
    cfg,
    execution: input.execution,
    broker: input.broker,
    mode: input.mode,
    book,
    barsOf: input.barsOf,
    // The put model's volatility inputs for the day, as the simulated broker and the emulator read them.
    putVol: (underlying) => putVolatilityInputs(vixBefore, underlying, date, input.dailyCloses),
    executionSeconds: [],
    tradesToday: 0,
    realizedToday: 0,
    lossLimitReached: (realizedPnlToday) => {
      if (halted) return;
      halted = true;
      book.counters.haltedDays += 1;
      dayWarnings.push(`${date}: daily loss limit reached (realised ${realizedPnlToday} today): broker halted for the day`);
      // The account signals every session holding a position at the broker; each exits and stops.
      for (const other of sessions) if (other.started && !other.finished) other.engine?.escalate('broker_halted');
    },
  };
  const sessions: SessionRun[] = input.strategies.map((strategy) => {
    const window = sessionWindowFor(date, strategyTiming(cfg, strategy), cfg.SESSION_TIME_ANCHOR);
    const end = sessionEnd(window);
    return { strategy, window, hardEndMs: end.endMs, endReason: end.reason, started: false, finished: false, engine: null, port: null };
  });

  const startSession = (s: SessionRun, backlogEnd: number) => {
    s.started = true;
    const vixPrevClose = s.strategy === 'close' ? vixBefore : null;
    if (s.strategy === 'close' && vixPrevClose === null) vixMissing = true;
    const trackers = screenedTrackers(s, vixPrevClose);
    s.engine = new SessionEngine<SimulatedVenue>({ cfg, strategy: s.strategy, date, blocked, recheckBeforeGrant: false });
    s.engine.track(order, trackers);
    s.port = simulatedPort(day, { strategy: s.strategy, accountValue: simulatedAccountValue(book) });
    // The live session's first fetch delivers every bar of the date so far; nothing can enter before
    // the entry window, so replaying them only builds the trackers' state.
    for (const m of minutes.present) {
      if (m >= backlogEnd) break;
      processMinute(s, m);
    }
  };

  /** As the live session at its start: the universe minus tickers already traded today, screened. */
  const screenedTrackers = (s: SessionRun, vixPrevClose: number | null): (SymbolTracker | null)[] => {
    const strategy = getStrategy(s.strategy);
    const counters = book.counters;
    return order.map((symbol, k) => {
      if (blocked.has(symbol)) {
        counters.tradedTodaySkipped += 1;
        return null;
      }
      counters.screened += 1;
      const facts = screeningFacts({ symbol, date, firstSessionBarMs: s.window.analysisStartMs, history: input.historyOf(symbol), bars: symbolBars[k]! });
      // TEST_MODE logic, as the issue settles for backtests: unknown data is skipped, not a rejection.
      const verdict = screenSymbol(facts, cfg, { strategy: s.strategy, testMode: true, stage: 'session' });
      for (const skip of verdict.skipped) counters.screenSkipped[skip.rule] += 1;
      if (!verdict.pass) {
        counters.screenedOut[verdict.rejection.rule] += 1;
        return null;
      }
      return strategy.createTracker(symbol, date, cfg, { vixPrevClose });
    });
  };

  const exit = (s: SessionRun, d: ExitDecision | null) => {
    if (d !== null) runFlow(s.engine!.exit(d), s.port!);
  };

  const act = (s: SessionRun, decisions: MinuteDecisions) => {
    for (const d of decisions.exits) exit(s, d);
    for (const e of decisions.entries) runFlow(s.engine!.enter(e, decisions.acceptedSignals), s.port!);
  };

  const processMinute = (s: SessionRun, m: number) => {
    const engine = s.engine!;
    const end = minutes.start[m + 1]!;
    for (let at = minutes.start[m]!; at < end; at++) engine.onBar(minutes.slot[at]!, minutes.bar[at]!);
    act(s, engine.endMinute());
  };

  /** The session clock at `nowMs`: hold windows that ran out without a bar, and symbols whose data ended. */
  const timeChecks = (s: SessionRun, nowMs: number) => {
    const engine = s.engine!;
    if (engine.open.size === 0) return;
    for (const slot of [...engine.open.keys()].sort((a, b) => a - b)) {
      exit(s, engine.timeExit(slot, nowMs));
      if (lastT[slot]! <= nowMs - MINUTE_MS) exit(s, engine.endOfDataExit(slot));
    }
  };

  const exitAll = (s: SessionRun, reason: ExitReason) => {
    for (const d of s.engine!.closingExits(reason)) exit(s, d);
  };

  const finishSession = (s: SessionRun) => {
    timeChecks(s, s.hardEndMs);
    exitAll(s, s.endReason);
    s.finished = true;
  };

  // The day's clock: minute by minute over the bars present, sessions in their configured order.
  for (const m of minutes.present) {
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
      if (t >= s.window.entryEndMs && s.engine!.open.size === 0) s.finished = true;
    }
    for (const s of sessions) {
      if (!s.started || s.finished || mayOpen(s.engine!.trading)) continue;
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
    day: {
      date,
      startEquity,
      endEquity: simulatedAccountValue(book),
      pnl: round2(day.realizedToday),
      trades: day.tradesToday,
      strategiesRun: sessions.map((s) => s.strategy),
      halted,
      defenseActive: book.account!.defense.active,
      warnings: dayWarnings,
      executionSeconds: day.executionSeconds,
    },
    barsProcessed: minutes.bar.length,
    vixMissing,
  };
}

/**
 * Every bar of the day grouped by start minute, symbols in merge order within a minute: a counting sort
 * into flat arrays (minute m's bars are rows start[m] .. start[m + 1] - 1), and the minutes that have bars.
 */
function minuteGroups(symbolBars: readonly (readonly Bar[])[], dayStartMs: number) {
  const start = new Int32Array(MINUTES_PER_DAY + 1);
  for (const bars of symbolBars) for (const bar of bars) start[minuteOfDay(bar.t, dayStartMs) + 1]! += 1;
  for (let m = 0; m < MINUTES_PER_DAY; m++) start[m + 1]! += start[m]!;
  const total = start[MINUTES_PER_DAY]!;
  const slot = new Int32Array(total);
  const bar = new Array<Bar>(total);
  const next = start.slice(0, MINUTES_PER_DAY);
  for (let k = 0; k < symbolBars.length; k++) {
    for (const b of symbolBars[k]!) {
      const at = next[minuteOfDay(b.t, dayStartMs)]!++;
      slot[at] = k;
      bar[at] = b;
    }
  }
  const present: number[] = [];
  for (let m = 0; m < MINUTES_PER_DAY; m++) if (start[m + 1]! > start[m]!) present.push(m);
  return { start, slot, bar, present };
}

/** Minute of the UTC day a bar starts in; bars start on whole minutes of their date. */
function minuteOfDay(t: number, dayStartMs: number): number {
  const m = (t - dayStartMs) / MINUTE_MS;
  if (!(m >= 0 && m < MINUTES_PER_DAY && Number.isInteger(m))) throw new Error(`bar ${new Date(t).toISOString()} is not a whole minute of its date`);
  return m;
}
