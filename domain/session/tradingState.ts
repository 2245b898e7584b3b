import type { ExitReason } from '../vocabulary';

/*
 * A session's trading state as one value (docs/trading.md, "Stop, kill and halt"). It only ever moves
 * up the ranking below: a stop cannot undo a kill, nothing undoes a broker halt. The session workflow
 * and the backtester's portfolio read it through the functions here instead of testing flags.
 */

/**
 * - `active`: entries may open.
 * - `stopping`: an operator's stop; positions exit as `stopped`.
 * - `killed`: the session's kill switch; positions exit as `kill_switch`.
 * - `broker_halted`: the account halted this session's broker (daily loss limit, broker kill or an
 *   escalated failure); positions exit as `kill_switch` and the broker is not called again for this session.
 */
export type TradingState = 'active' | 'stopping' | 'killed' | 'broker_halted';

const RANK: Readonly<Record<TradingState, number>> = { active: 0, stopping: 1, killed: 2, broker_halted: 3 };

/** The state after an event asks for `next`: the higher of the two. */
export function escalateTrading(current: TradingState, next: TradingState): TradingState {
  return RANK[next] > RANK[current] ? next : current;
}

/** Whether a new entry may open (and the bar loop go on). */
export const mayOpen = (trading: TradingState): boolean => trading === 'active';

/** Whether the account already halted this broker (so a failure need not ask it again). */
export const isBrokerHalted = (trading: TradingState): boolean => trading === 'broker_halted';

/**
 * Why the positions still open at a session's end close. `faulted`: the session lost its data or failed,
 * which exits as the kill switch does.
 */
export function closingExitReason(trading: TradingState, endReason: ExitReason, faulted: boolean): ExitReason {
  if (faulted || trading === 'killed' || trading === 'broker_halted') return 'kill_switch';
  return trading === 'stopping' ? 'stopped' : endReason;
}

/** The session's final state: `halted` when anything stopped it early, `done` when it ran to its end. */
export function finalSessionState(trading: TradingState, faulted: boolean): 'halted' | 'done' {
  return faulted || !mayOpen(trading) ? 'halted' : 'done';
}
