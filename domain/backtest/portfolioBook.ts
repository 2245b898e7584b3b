import type { InstrumentChoice } from '../instruments/bearishInstrument';
import type { ModelPutQuote } from '../instruments/simulatedOptionPrice';
import type { AccountEvent, AccountState, DefenseModeEvent, KillSwitchEvent } from '../risk/accountState';
import type { TickerBook } from '../risk/tickerRule';
import type { ScreenRule } from '../screening/screen';
import type { EntrySignal } from '../strategies/strategy';
import { contractMultiplier } from '../trades/tradeOutcome';
import type { TradeRecord } from '../trades/tradeRecord';

/*
 * What a portfolio run keeps from date to date (docs/backtest.md, "Portfolio mode"): the simulated
 * broker's cash and positions, the account's state and ticker book, the trades and the counters. One book
 * lives through the whole run, as the account workflow lives through the days.
 */

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

/** A position the simulated broker holds for one session. */
export interface SimulatedPosition {
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

export interface PortfolioBook {
  cash: number;
  /** Cost of positions an exit could not price: they stay at the broker, at cost. */
  stuckCost: number;
  /** Every open position of every session (the account value counts long positions at cost). */
  readonly held: Set<SimulatedPosition>;
  /** Null until the first trading day ensures the account. */
  account: AccountState | null;
  /** The ticker rule as the account workflow applies it (domain/risk/tickerRule.ts), scoped by date. */
  tickerBook: TickerBook;
  /** Every trade, in the order it was closed. */
  readonly trades: TradeRecord[];
  readonly counters: PortfolioCounters;
  readonly defenseEvents: DefenseModeEvent[];
  readonly killSwitchEvents: KillSwitchEvent[];
}

export function emptyCounters(): PortfolioCounters {
  return {
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
}

function emptyRuleCounts(): Record<ScreenRule, number> {
  return { price: 0, market_cap: 0, gap: 0, volume: 0, spread: 0 };
}

/**
 * Keeps the account state small: the decision and release caches exist for retried activities (every
 * backtest request id is new), and the outbox events are collected in the book instead of by a drain activity.
 */
export function settleAccount(book: PortfolioBook, next: AccountState): AccountState {
  for (const e of next.pendingEvents as readonly AccountEvent[]) {
    if (e.kind === 'defense_mode') book.defenseEvents.push(e);
    else if (e.kind === 'kill_switch') book.killSwitchEvents.push(e);
  }
  book.account = { ...next, decisions: {}, releases: {}, pendingEvents: [] };
  return book.account;
}

/** The simulated broker's account value: cash plus long positions at cost (a short's proceeds are in cash). */
export function simulatedAccountValue(book: PortfolioBook): number {
  let held = 0;
  for (const t of book.held) if (t.choice.openSide === 'buy') held += t.qty * t.entryPrice * contractMultiplier(t.choice.assetClass);
  return book.cash + book.stuckCost + held;
}
