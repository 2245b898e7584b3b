import { mayOpen, type TradingState } from './tradingState';

/*
 * The checks an entry signal passes before anything is asked of a broker or the account, in the order
 * the session workflow and the backtester both apply them (docs/trading.md, "Entry gate").
 */

export interface EntryGateFacts {
  readonly trading: TradingState;
  /** A real broker could no longer manage an entry sent now (the session reached its end). */
  readonly pastSessionEnd: boolean;
  /** The signal's bar closed longer ago than MAX_SIGNAL_AGE_SECONDS allows. */
  readonly stale: boolean;
  /** DISABLE_ALL_TRADES. */
  readonly tradingDisabled: boolean;
  /** The ticker was already granted to an entry today (docs/risk.md, the ticker rule). */
  readonly tickerTradedToday: boolean;
}

export type EntryGateRule = Exclude<TradingState, 'active'> | 'session_ended' | 'stale_signal' | 'trading_disabled' | 'ticker_traded_today';

export interface EntryGateRefusal {
  readonly rule: EntryGateRule;
  /** What the session's log says (a stale signal's note adds its age, which only the session knows). */
  readonly message: string;
}

/** The first gate the signal fails, or null when it may go on to its instrument and price. */
export function entryGate(facts: EntryGateFacts): EntryGateRefusal | null {
  if (!mayOpen(facts.trading)) return { rule: facts.trading as EntryGateRule, message: 'kill switch or stop active' };
  if (facts.pastSessionEnd) return { rule: 'session_ended', message: 'too late: the session has reached its end' };
  if (facts.stale) return { rule: 'stale_signal', message: 'stale signal' };
  if (facts.tradingDisabled) return { rule: 'trading_disabled', message: 'DISABLE_ALL_TRADES is true' };
  if (facts.tickerTradedToday) return { rule: 'ticker_traded_today', message: 'ticker already traded today' };
  return null;
}
