import type { BotConfig } from '../config/botConfigSchema';
import { strategySetting } from '../config/strategySettings';
import { chooseInstrument } from '../instruments/bearishInstrument';
import type { Bar } from '../market/bar';
import { entrySpreadCheck } from '../screening/screen';
import type { Decision, SymbolTracker } from '../strategies/strategy';
import type { ExitReason, StrategyName } from '../vocabulary';
import { acceptedSignalCount, strongestFirst } from './entryRanking';
import { entryGate } from './entryGate';
import { exitOutcome } from './exitOutcome';
import { UNRESTRICTED_BEARISH_FACTS, type EntryCandidate, type ExitDecision, type Flow, type GrantedEntry, type PortAnswer, type PortMethod, type PreparedEntry, type SessionPort, type VenueTypes } from './sessionPort';
import { escalateTrading, isBrokerHalted, mayOpen, type TradingState } from './tradingState';

/*
 * One trading session's rules, for the live session and the backtester alike (docs/architecture.md,
 * "The session engine and its port"): the trackers fed bar by bar, the trading state, exits before
 * entries, strongest-first entries with the n of the weights table, the entry pipeline (prepared, granted,
 * placed), the exit and its PnL, and the counters. Pure and deterministic: everything the world answers
 * comes through the port, as the answer to a call the engine's flows yield.
 */

/** What one bar of decisions left for the session to act on: exits first, then entries strongest first. */
export interface MinuteDecisions {
  readonly exits: readonly ExitDecision[];
  readonly entries: readonly EntryCandidate[];
  /** The n of the weights table for these entries: grants so far plus this bar's signals. */
  readonly acceptedSignals: number;
}

export interface SessionCounts {
  signals: number;
  entries: number;
  exits: number;
  realizedPnl: number;
  staleSignalsSkipped: number;
}

export interface SessionEngineOptions {
  readonly cfg: BotConfig;
  readonly strategy: StrategyName;
  readonly date: string;
  /** Tickers that may not open (traded today); the engine adds each ticker it opens. */
  readonly blocked: Set<string>;
  /** Entries prepared alongside others check the trading state again before asking for a grant. */
  readonly recheckBeforeGrant: boolean;
}

export class SessionEngine<V extends VenueTypes> {
  /** Active, stopping, killed or broker halted: one value that only moves up (tradingState.ts). */
  trading: TradingState = 'active';
  /** Grants this session holds or held: with the current bar's signals, the n of the weights table. */
  grantsTaken = 0;
  readonly counts: SessionCounts = { signals: 0, entries: 0, exits: 0, realizedPnl: 0, staleSignalsSkipped: 0 };
  /** Open positions by slot, in the order they opened. */
  readonly open = new Map<number, V['position']>();
  readonly tradedTickers: string[] = [];
  /** The session's symbols, one slot each; empty until screening gave them trackers. */
  symbols: readonly string[] = [];
  readonly blocked: Set<string>;
  private trackers: readonly (SymbolTracker | null)[] = [];
  private lastBar: (Bar | undefined)[] = [];
  private readonly options: SessionEngineOptions;
  private minuteExits: ExitDecision[] = [];
  private minuteEntries: EntryCandidate[] = [];

  constructor(options: SessionEngineOptions) {
    this.options = options;
    this.blocked = options.blocked;
  }

  /** The screened symbols and their trackers (null for a symbol not screened in), one slot each. */
  track(symbols: readonly string[], trackers: readonly (SymbolTracker | null)[]): void {
    this.symbols = symbols;
    this.trackers = trackers;
    this.lastBar = new Array<Bar | undefined>(symbols.length);
  }

  /** The trading state after an event asks for `next` (a stop, a kill, a broker halt). */
  escalate(next: TradingState): void {
    this.trading = escalateTrading(this.trading, next);
  }

  /** Slots whose tracker can still act. */
  activeSlots(): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < this.trackers.length; slot++) if (this.trackers[slot]?.done === false) out.push(slot);
    return out;
  }

  /** Feeds one bar of the current minute to its symbol's tracker; its decision waits for `endMinute`. */
  onBar(slot: number, bar: Bar): void {
    const tracker = this.trackers[slot];
    if (tracker === null || tracker === undefined || tracker.done) return;
    this.lastBar[slot] = bar;
    const d = tracker.onBar(bar);
    if (d === null) return;
    if (d.kind === 'entry') this.minuteEntries.push({ slot, symbol: this.symbols[slot]!, tracker, signal: d });
    else this.minuteExits.push({ slot, reason: d.reason, price: d.price, barStart: d.barStart });
  }

  /** The minute's decisions (exits before entries, entries strongest first); the next minute starts empty. */
  endMinute(): MinuteDecisions {
    const exits = this.minuteExits;
    const entries = this.minuteEntries;
    if (exits.length > 0) this.minuteExits = [];
    if (entries.length > 0) this.minuteEntries = [];
    entries.sort(strongestFirst);
    return { exits, entries, acceptedSignals: acceptedSignalCount(this.grantsTaken, entries.length) };
  }

  /** The session's clock: a hold window that ran out without a bar closes its position. */
  timeExit(slot: number, nowMs: number): ExitDecision | null {
    return exitOf(slot, this.trackers[slot]?.onTime(nowMs) ?? null);
  }

  /** The symbol's data ended (a replay or backtest): its position closes by the rules. */
  endOfDataExit(slot: number): ExitDecision | null {
    return exitOf(slot, this.trackers[slot]?.onEndOfData() ?? null);
  }

  /** Every open position's exit for `reason`, at its symbol's latest bar (or its signal's when it had none). */
  closingExits(reason: ExitReason): ExitDecision[] {
    return [...this.open.entries()].map(([slot, position]) => {
      const bar = this.lastBar[slot];
      return { slot, reason, price: bar?.c ?? position.signal.price, barStart: bar?.t ?? position.signal.barStart };
    });
  }

  /** An entry, strongest first: prepared, granted, placed (docs/trading.md, "Order latency"). */
  *enter(entry: EntryCandidate, acceptedSignals: number): Flow<void> {
    const prepared = yield* this.prepare(entry);
    const granted = prepared && (yield* this.grant(prepared, acceptedSignals));
    if (granted) yield* this.place(granted);
  }

  /**
   * Everything an entry settles before it asks the account for a grant: the gate, the instrument, the
   * operator's confirmation, its price, spread and closing imbalance. Null when the signal was refused.
   */
  *prepare(entry: EntryCandidate): Flow<PreparedEntry | null> {
    const { cfg, strategy, date } = this.options;
    this.counts.signals += 1;
    const timing = yield* this.call('entryTiming', entry.signal);
    const gate = entryGate({
      trading: this.trading,
      pastSessionEnd: timing.pastSessionEnd,
      stale: timing.staleNote !== null,
      tradingDisabled: cfg.DISABLE_ALL_TRADES,
      tickerTradedToday: this.blocked.has(entry.symbol),
    });
    if (gate !== null) return yield* gate.rule === 'stale_signal' ? this.refuseStale(entry, timing.staleNote ?? gate.message) : this.refuse(entry, gate.rule, gate.message);
    const shortType = strategySetting(cfg, strategy, 'SHORT_TYPE');
    let facts: PortAnswer<V, 'bearishFacts'> = { ok: true, facts: UNRESTRICTED_BEARISH_FACTS };
    // Bearish: what the broker and the asset allow (and a real put chain) decide the instrument.
    if (entry.signal.side === 'short' && shortType !== 'disabled' && shortType !== 'InverseETF') facts = yield* this.call('bearishFacts', entry, shortType === 'LongPut');
    if (!facts.ok) return yield* this.refuse(entry, 'no_instrument_facts', facts.message);
    const choice = chooseInstrument({
      underlying: entry.symbol,
      side: entry.signal.side,
      shortType,
      underlyingPrice: entry.signal.price,
      date,
      brokerSupportsOptions: facts.facts.supportsOptions,
      brokerSupportsShorting: facts.facts.supportsShorting,
      shortable: facts.facts.shortable,
      putChain: facts.facts.putChain,
    });
    if (!choice.ok) return yield* this.refuse(entry, shortType === 'disabled' ? 'short_disabled' : 'no_instrument', choice.reason);
    const confirmed = yield* this.call('confirm', entry, choice.choice);
    if (confirmed !== 'not_asked' && !mayOpen(this.trading)) return yield* this.refuse(entry, this.trading, 'kill switch or stop active');
    if (confirmed === 'rejected' || confirmed === 'timed_out') return yield* this.refuse(entry, `confirmation_${confirmed}`, confirmed === 'rejected' ? 'rejected by operator' : 'confirmation timed out');
    const priced = yield* this.call('price', entry, choice.choice);
    if (!priced.ok) return yield* this.refuse(entry, 'no_price', priced.message);
    if (priced.spread !== null) {
      // An option has its own limit (docs/screening.md, "Spread check and one-sided quotes").
      const { bid, ask } = priced.spread;
      const sc = choice.choice.assetClass === 'us_option'
        ? entrySpreadCheck(priced.price, bid, ask, cfg.MAX_OPTION_SPREAD_PCT, 'MAX_OPTION_SPREAD_PCT')
        : entrySpreadCheck(priced.price, bid, ask, cfg.MAX_SPREAD_PCT);
      // A one-sided, crossed or missing quote says nothing about the trade: a later bar may signal again; a
      // wide spread ends this symbol's session.
      if (!sc.ok) return yield* this.refuse(entry, 'spread', `spread: ${sc.reason}`, sc.refusal !== 'too_wide' && sc.refusal !== 'no_price');
    }
    const opposed = yield* this.call('imbalance', entry);
    if (opposed !== null) return yield* this.refuse(entry, 'imbalance', opposed);
    return { ...entry, choice: choice.choice, price: priced.price };
  }

  /**
   * The account's grant for a prepared entry (limits, weights and sizing, decided atomically across
   * sessions and brokers). `acceptedSignals`: the n of the weights table. Null when refused.
   */
  *grant(prepared: PreparedEntry, acceptedSignals: number): Flow<GrantedEntry | null> {
    if (this.options.recheckBeforeGrant && !mayOpen(this.trading)) return yield* this.refuse(prepared, this.trading, 'kill switch or stop active');
    const answer = yield* this.call('requestCapacity', prepared, { grantsTaken: this.grantsTaken, acceptedSignals });
    if (!answer.granted) return yield* this.refuse(prepared, answer.code, answer.message);
    this.grantsTaken += 1;
    return { ...prepared, requestId: answer.requestId, grant: answer.grant };
  }

  /** The granted entry's order; a failure the venue escalated frees the slot only when nothing reached the broker. */
  *place(granted: GrantedEntry): Flow<void> {
    // Signals may have arrived while awaiting the quote, the confirmation or the grant: check again, with
    // nothing awaited between this check and the order.
    const timing = yield* this.call('entryTiming', granted.signal);
    if (!mayOpen(this.trading) || timing.staleNote !== null || timing.pastSessionEnd) {
      yield* this.releaseUnused(granted);
      if (timing.staleNote !== null) yield* this.refuseStale(granted, timing.staleNote);
      else if (timing.pastSessionEnd) yield* this.refuse(granted, 'session_ended', 'too late: the session has reached its end');
      else yield* this.refuse(granted, this.trading, 'kill switch or stop active');
      return;
    }
    this.blocked.add(granted.symbol);
    this.tradedTickers.push(granted.symbol);
    const submitted = yield* this.call('submitEntry', granted);
    switch (submitted.kind) {
      case 'failed':
        granted.tracker.cancelEntry();
        if (submitted.releaseSlot) yield* this.releaseUnused(granted);
        return;
      case 'deadline_passed':
        yield* this.releaseUnused(granted);
        yield* this.refuseStale(granted, submitted.staleNote);
        return;
      case 'rejected':
        granted.tracker.cancelEntry();
        yield* this.releaseUnused(granted);
        return;
      case 'filled':
        this.counts.entries += 1;
        this.open.set(granted.slot, submitted.position);
        yield* this.call('entryFilled', granted, submitted.position);
    }
  }

  /** The exit of one position: the venue closes it, the outcome is booked and recorded, its grant released. */
  *exit(decision: ExitDecision): Flow<void> {
    // The stop must be at the broker (or known absent) before the exit cancels it: never sell twice.
    yield* this.call('settleBeforeExit', decision.slot);
    const position = this.open.get(decision.slot);
    if (position === undefined) return;
    this.open.delete(decision.slot);
    const closing = yield* this.call('close', position, decision);
    const outcome = exitOutcome({ held: closing.held, closed: closing.closed, exitFailure: closing.exitFailure, reason: decision.reason, decidedAt: new Date(decision.barStart).toISOString() });
    if (!outcome.fullyClosed && closing.exitFailure === null) yield* this.call('exitLeftOpen', position, outcome, closing);
    this.counts.exits += 1;
    this.counts.realizedPnl += outcome.pnl;
    yield* this.call('recordExit', position, outcome, decision, closing);
    // A position still (partly) held keeps its slot: freeing it would let the bot open more than the limits allow.
    const released = outcome.fullyClosed ? yield* this.call('releaseExit', position, outcome, decision) : null;
    if (released?.brokerHalted && !isBrokerHalted(this.trading)) {
      this.escalate('broker_halted');
      yield* this.call('lossLimitHalt');
    }
    yield* this.call('exited');
  }

  /** A grant that was not used goes back, and its signal no longer counts as accepted. */
  private *releaseUnused(granted: GrantedEntry): Flow<void> {
    this.grantsTaken -= 1;
    yield* this.call('releaseUnused', granted);
  }

  private *refuse(entry: EntryCandidate, code: string, message: string, laterEntry = false): Flow<null> {
    entry.tracker.cancelEntry({ laterEntry });
    yield* this.call('refused', entry, code, message);
    return null;
  }

  private *refuseStale(entry: EntryCandidate, note: string): Flow<null> {
    this.counts.staleSignalsSkipped += 1;
    return yield* this.refuse(entry, 'stale_signal', note);
  }

  private *call<K extends PortMethod>(method: K, ...args: Parameters<SessionPort<V>[K]>): Flow<PortAnswer<V, K>> {
    return (yield { method, args }) as PortAnswer<V, K>;
  }
}

function exitOf(slot: number, d: Decision): ExitDecision | null {
  return d !== null && d.kind === 'exit' ? { slot, reason: d.reason, price: d.price, barStart: d.barStart } : null;
}
