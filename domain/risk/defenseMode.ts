import { oneMonthBefore, weekdayWindowStart } from './riskDates';

/**
 * Defense mode as a pure state machine (docs/risk.md, "Defense mode"). Inputs are events with their times
 * passed in; the output is the next state and, when the mode changed, the change with its trigger.
 *
 * Enters on:
 * - manual: the operator's signal (sticky: only a manual "off" ends it);
 * - config: DEFENSE_MODE_ACTIVE turning true (edge-triggered, so re-sending the same config changes nothing;
 *   ends when the key turns false, or by a manual "off");
 * - auto, evaluated only while inactive, on fresh evidence:
 *   - rolling one-month win rate below 50% (with at least `winRateMinTrades` trades, so that a single
 *     early loss cannot switch it on);
 *   - a broker float more than 15% below its starting float;
 *   - the kill switch firing more than twice within 20 trading days (weekdays; see riskDates).
 * Leaves (auto only): the last 60 trades since activation above a 55% win rate, or the last 30 sessions
 * (with trades) since activation above 55% together.
 * Every deactivation starts the evidence afresh (trade window and kill history cleared, starting floats
 * set to the latest floats), so the old evidence cannot switch the mode straight back on.
 */

export interface DefenseRules {
  /** Win rate strictly below this triggers. */
  readonly winRateTrigger: number;
  readonly winRateMinTrades: number;
  /** Drawdown strictly above this fraction of the starting float triggers. */
  readonly drawdownTrigger: number;
  /** Kill-switch firings strictly above this count in the window trigger. */
  readonly killCountTrigger: number;
  readonly killWindowTradingDays: number;
  /** Exit needs a win rate strictly above this. */
  readonly exitWinRate: number;
  readonly exitTrades: number;
  readonly exitSessions: number;
  /** Defense mode drops a signal weaker than this fraction of the strongest one it competes with. */
  readonly marginalStrengthFraction: number;
}

export const DEFAULT_DEFENSE_RULES: DefenseRules = {
  winRateTrigger: 0.5,
  winRateMinTrades: 10,
  drawdownTrigger: 0.15,
  killCountTrigger: 2,
  killWindowTradingDays: 20,
  exitWinRate: 0.55,
  exitTrades: 60,
  exitSessions: 30,
  marginalStrengthFraction: 0.5,
};

export type DefenseSource = 'manual' | 'config' | 'auto';

export type DefenseTrigger =
  | { readonly kind: 'manual'; readonly by: string; readonly reason: string }
  | { readonly kind: 'config'; readonly key: 'DEFENSE_MODE_ACTIVE'; readonly value: boolean }
  | { readonly kind: 'win_rate'; readonly winRate: number; readonly wins: number; readonly trades: number; readonly windowStart: string }
  | { readonly kind: 'drawdown'; readonly broker: string; readonly startingFloat: number; readonly float: number; readonly drawdown: number }
  | { readonly kind: 'kill_switch_count'; readonly count: number; readonly windowStart: string; readonly date: string }
  | { readonly kind: 'exit_trades'; readonly winRate: number; readonly trades: number }
  | { readonly kind: 'exit_sessions'; readonly winRate: number; readonly sessions: number; readonly trades: number };

export interface TradeOutcome {
  readonly at: string;
  readonly date: string;
  /** date|session: what the session window groups by. */
  readonly sessionKey: string;
  readonly win: boolean;
}

export interface KillFiring {
  readonly at: string;
  readonly date: string;
  readonly broker: string;
}

export interface SessionTally {
  readonly key: string;
  readonly wins: number;
  readonly trades: number;
}

export interface DefenseState {
  readonly active: boolean;
  readonly source: DefenseSource | null;
  /** Why the mode is what it is: the activation trigger, or the deactivation trigger. */
  readonly trigger: DefenseTrigger | null;
  /** When the mode last changed. */
  readonly since: string | null;
  /** Last DEFENSE_MODE_ACTIVE value applied (config changes are edge-triggered). */
  readonly configActive: boolean;
  /** Evidence for the automatic triggers, since the last deactivation. */
  readonly monthTrades: readonly TradeOutcome[];
  readonly kills: readonly KillFiring[];
  readonly startingFloats: Readonly<Record<string, number>>;
  readonly lastFloats: Readonly<Record<string, number>>;
  /** Evidence for the exit criteria, since the activation. */
  readonly exitTradeWins: readonly boolean[];
  readonly exitSessions: readonly SessionTally[];
}

export type DefenseInput =
  | { readonly type: 'trade'; readonly at: string; readonly date: string; readonly sessionKey: string; readonly win: boolean }
  | { readonly type: 'kill'; readonly at: string; readonly date: string; readonly broker: string }
  | { readonly type: 'float'; readonly at: string; readonly broker: string; readonly float: number }
  | { readonly type: 'manual'; readonly at: string; readonly active: boolean; readonly by: string; readonly reason: string }
  | { readonly type: 'config'; readonly at: string; readonly active: boolean };

export interface DefenseChange {
  readonly change: 'activated' | 'deactivated' | 'source_changed';
  readonly active: boolean;
  readonly source: DefenseSource | null;
  readonly trigger: DefenseTrigger;
  readonly at: string;
}

export interface DefenseStep {
  readonly state: DefenseState;
  readonly change: DefenseChange | null;
}

export function initialDefenseState(): DefenseState {
  return {
    active: false,
    source: null,
    trigger: null,
    since: null,
    configActive: false,
    monthTrades: [],
    kills: [],
    startingFloats: {},
    lastFloats: {},
    exitTradeWins: [],
    exitSessions: [],
  };
}

function activate(state: DefenseState, source: DefenseSource, trigger: DefenseTrigger, at: string): DefenseStep {
  if (state.active) {
    // Already on: a stronger source (manual or config) makes it sticky; auto never downgrades it.
    if (source === 'auto' || state.source === source) return { state, change: null };
    const next = { ...state, source, trigger };
    return { state: next, change: { change: 'source_changed', active: true, source, trigger, at } };
  }
  const next: DefenseState = { ...state, active: true, source, trigger, since: at, exitTradeWins: [], exitSessions: [] };
  return { state: next, change: { change: 'activated', active: true, source, trigger, at } };
}

function deactivate(state: DefenseState, trigger: DefenseTrigger, at: string): DefenseStep {
  if (!state.active) return { state, change: null };
  const next: DefenseState = {
    ...state,
    active: false,
    source: null,
    trigger,
    since: at,
    monthTrades: [],
    kills: [],
    startingFloats: { ...state.lastFloats },
    exitTradeWins: [],
    exitSessions: [],
  };
  return { state: next, change: { change: 'deactivated', active: false, source: null, trigger, at } };
}

export function winRate(wins: number, trades: number): number {
  return trades > 0 ? wins / trades : 0;
}

function checkWinRateTrigger(state: DefenseState, date: string, rules: DefenseRules): DefenseTrigger | null {
  const windowStart = oneMonthBefore(date);
  const trades = state.monthTrades.filter((t) => t.date > windowStart);
  if (trades.length < Math.max(1, rules.winRateMinTrades)) return null;
  const wins = trades.filter((t) => t.win).length;
  const rate = winRate(wins, trades.length);
  return rate < rules.winRateTrigger ? { kind: 'win_rate', winRate: rate, wins, trades: trades.length, windowStart } : null;
}

function checkExit(state: DefenseState, rules: DefenseRules): DefenseTrigger | null {
  const lastTrades = state.exitTradeWins.slice(-rules.exitTrades);
  if (lastTrades.length >= rules.exitTrades && rules.exitTrades > 0) {
    const rate = winRate(lastTrades.filter(Boolean).length, lastTrades.length);
    if (rate > rules.exitWinRate) return { kind: 'exit_trades', winRate: rate, trades: lastTrades.length };
  }
  const lastSessions = state.exitSessions.slice(-rules.exitSessions);
  if (lastSessions.length >= rules.exitSessions && rules.exitSessions > 0) {
    const wins = lastSessions.reduce((s, x) => s + x.wins, 0);
    const trades = lastSessions.reduce((s, x) => s + x.trades, 0);
    const rate = winRate(wins, trades);
    if (rate > rules.exitWinRate) return { kind: 'exit_sessions', winRate: rate, sessions: lastSessions.length, trades };
  }
  return null;
}

function recordTrade(state: DefenseState, input: Extract<DefenseInput, { type: 'trade' }>, rules: DefenseRules): DefenseState {
  const windowStart = oneMonthBefore(input.date);
  const outcome: TradeOutcome = { at: input.at, date: input.date, sessionKey: input.sessionKey, win: input.win };
  const monthTrades = [...state.monthTrades, outcome].filter((t) => t.date > windowStart);
  if (!state.active) return { ...state, monthTrades };
  const exitTradeWins = [...state.exitTradeWins, input.win].slice(-Math.max(1, rules.exitTrades));
  const sessions = [...state.exitSessions];
  const last = sessions[sessions.length - 1];
  if (last && last.key === input.sessionKey) {
    sessions[sessions.length - 1] = { key: last.key, wins: last.wins + (input.win ? 1 : 0), trades: last.trades + 1 };
  } else {
    sessions.push({ key: input.sessionKey, wins: input.win ? 1 : 0, trades: 1 });
  }
  return { ...state, monthTrades, exitTradeWins, exitSessions: sessions.slice(-Math.max(1, rules.exitSessions)) };
}

/** Applies one input; returns the next state and the change it caused, if any. */
export function stepDefense(state: DefenseState, input: DefenseInput, rules: DefenseRules = DEFAULT_DEFENSE_RULES): DefenseStep {
  switch (input.type) {
    case 'manual': {
      const trigger: DefenseTrigger = { kind: 'manual', by: input.by, reason: input.reason };
      return input.active ? activate(state, 'manual', trigger, input.at) : deactivate(state, trigger, input.at);
    }
    case 'config': {
      if (input.active === state.configActive) return { state, change: null };
      const withConfig = { ...state, configActive: input.active };
      const trigger: DefenseTrigger = { kind: 'config', key: 'DEFENSE_MODE_ACTIVE', value: input.active };
      if (input.active) return activate(withConfig, 'config', trigger, input.at);
      // Turning the key off ends only what the key started.
      if (withConfig.active && withConfig.source === 'config') return deactivate(withConfig, trigger, input.at);
      return { state: withConfig, change: null };
    }
    case 'trade': {
      const next = recordTrade(state, input, rules);
      if (next.active) {
        const exit = next.source === 'auto' ? checkExit(next, rules) : null;
        return exit ? deactivate(next, exit, input.at) : { state: next, change: null };
      }
      const trigger = checkWinRateTrigger(next, input.date, rules);
      return trigger ? activate(next, 'auto', trigger, input.at) : { state: next, change: null };
    }
    case 'kill': {
      const windowStart = weekdayWindowStart(input.date, rules.killWindowTradingDays);
      const kills = [...state.kills, { at: input.at, date: input.date, broker: input.broker }].filter((k) => k.date >= windowStart);
      const next = { ...state, kills };
      if (next.active || kills.length <= rules.killCountTrigger) return { state: next, change: null };
      return activate(next, 'auto', { kind: 'kill_switch_count', count: kills.length, windowStart, date: input.date }, input.at);
    }
    case 'float': {
      if (!(input.float > 0)) return { state, change: null };
      const startingFloat = state.startingFloats[input.broker] ?? input.float;
      const next: DefenseState = {
        ...state,
        startingFloats: { ...state.startingFloats, [input.broker]: startingFloat },
        lastFloats: { ...state.lastFloats, [input.broker]: input.float },
      };
      if (next.active) return { state: next, change: null };
      const drawdown = (startingFloat - input.float) / startingFloat;
      if (!(drawdown > rules.drawdownTrigger)) return { state: next, change: null };
      return activate(next, 'auto', { kind: 'drawdown', broker: input.broker, startingFloat, float: input.float, drawdown }, input.at);
    }
  }
}

/** Win rate over the current one-month evidence window (for status). */
export function monthWinRate(state: DefenseState, date: string): { wins: number; trades: number; winRate: number } {
  const windowStart = oneMonthBefore(date);
  const trades = state.monthTrades.filter((t) => t.date > windowStart);
  const wins = trades.filter((t) => t.win).length;
  return { wins, trades: trades.length, winRate: winRate(wins, trades.length) };
}
