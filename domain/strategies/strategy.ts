import type { BotConfig } from '../config/botConfigSchema';
import type { Bar } from '../market/bar';
import type { ExitReason, Side, StrategyName } from '../vocabulary';

export interface EntrySignal {
  readonly kind: 'entry';
  readonly side: Side;
  /** Close of the signal bar: the price the decision was made at. */
  readonly price: number;
  /** Start (epoch ms) of the signal bar. */
  readonly barStart: number;
  /** Ranking key when several signals compete: larger is stronger. */
  readonly strength: number;
}

export interface ExitSignal {
  readonly kind: 'exit';
  readonly reason: ExitReason;
  /** Close of the bar the exit is taken on. */
  readonly price: number;
  /** Start (epoch ms) of the bar the exit is taken on. */
  readonly barStart: number;
}

export type Decision = EntrySignal | ExitSignal | null;

export interface OpenPosition {
  readonly side: Side;
  readonly entryPrice: number;
  readonly entryBarStart: number;
}

/**
 * Follows one symbol through one strategy session on one UTC date.
 * Feed bars in time order; each call returns the decision taken at that bar's close.
 * Pure and deterministic: no clock, no I/O. The same bar sequence gives the same decisions.
 */
export interface SymbolTracker {
  readonly symbol: string;
  readonly date: string;
  /** Feed the next bar of the date (bars outside the session are accepted and used only where the rules say). */
  onBar(bar: Bar): Decision;
  /**
   * Time has advanced: every bar starting before `nowMs - 1 minute` has been delivered.
   * Closes a position whose hold window has elapsed with no further bar (exit at the last managed bar).
   */
  onTime(nowMs: number): Decision;
  /** The date's data has ended (replay/backtest): closes any open position by the rules. */
  onEndOfData(): Decision;
  /** The caller did not take the entry the tracker signalled (risk limits, blocklist, rejection). */
  /** The entry signalled was not taken; `laterEntry`: a later bar may signal again (a one-moment refusal). */
  cancelEntry(opts?: { readonly laterEntry?: boolean }): void;
  readonly position: OpenPosition | null;
  /** No further entry or exit can come from this tracker. */
  readonly done: boolean;
}

export interface SelfCheckResult {
  readonly ok: boolean;
  /** Why the strategy is blocked (one line per problem); empty when ok. */
  readonly problems: readonly string[];
  /** Non-fatal findings (an enhancement without data, for example). */
  readonly warnings: readonly string[];
}

/** What a strategy needs besides bars and config, supplied by the caller (workflow or backtester). */
export interface StrategyContext {
  /**
   * CLOSE gate: VIX close of the latest date strictly before the session date; null or absent when no
   * value is available (the gate then warns and does not block).
   */
  readonly vixPrevClose?: number | null;
  /** The session's UTC date, when known: selfCheck then also reports calendar and DST findings for it. */
  readonly date?: string;
}

/**
 * One strategy: its self check and a factory for per-symbol trackers (the single implementation of the
 * rules, used alike by the live session workflow, the backtester and the tests).
 * `Cfg` is the validated `.env_bot` (BotConfig) or any object holding the keys the strategy reads.
 */
export interface Strategy<Cfg = BotConfig> {
  readonly name: StrategyName;
  selfCheck(cfg: Cfg, ctx: StrategyContext): SelfCheckResult;
  createTracker(symbol: string, date: string, cfg: Cfg, ctx: StrategyContext): SymbolTracker;
}
