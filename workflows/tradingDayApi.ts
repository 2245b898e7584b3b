import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BotConfig } from '../domain/config/botConfigSchema';
import type { ReplayClock } from '../domain/time/replayClock';
import type { Connectivity, OperatorAction, SessionStatus, TradeConfirmation } from './sessionApi';
import type { DefenseSource, DefenseTrigger } from '../domain/risk/defenseMode';
import type { StrategyName, BrokerName, OutputMode } from '../domain/vocabulary';

export type DayState = 'idle' | 'screening' | 'analyzing' | 'trading' | 'monitoring' | 'halted' | 'done';

export interface DayInput {
  /** Trading date, YYYY-MM-DD (UTC date of the session times). */
  readonly date: string;
  readonly config: BotConfig;
  /** Broker that executes orders: `sim` in TEST_MODE without paper credentials. Used when `brokers` is absent. */
  readonly broker: BrokerName;
  /**
   * Every enabled broker: each session runs once per broker (allocation per session and broker;
   * docs/risk.md, "Several brokers in one day"). Absent or one entry: a single-broker day, with child ids
   * `<day>-<session>`; several: child ids `<day>-<session>-<broker>`. TEST_MODE replays use simulated names
   * (`sim`, `sim-alpaca`, `sim-ibkr`).
   */
  readonly brokers?: readonly BrokerName[];
  /** Symbols screening starts from. */
  readonly universe: readonly string[];
  /**
   * TEST_MODE replay: market time runs `speed` times faster and starts at `marketStartMs`.
   * Absent for live and paper trading, where market time is workflow time.
   */
  readonly replay?: { readonly folder: string; readonly speed: number; readonly marketStartMs: number };
  /**
   * A virtual market clock shared with the market emulator (the paper rehearsal, docs/emulator.md): market
   * time runs `speed` times faster from `anchorMarketMs`, reached at real time `anchorRealMs`. Absent: the
   * replay's clock, else live time.
   */
  readonly clock?: ReplayClock;
}

export interface DaySummary {
  readonly date: string;
  readonly mode: OutputMode;
  readonly closedReason: string | null;
  readonly sessions: readonly SessionStatus[];
  readonly halted: boolean;
  readonly haltReason: string | null;
  /** The status query's answer at the end, so a finished day can be shown without a worker. */
  readonly finalStatus: DayStatus;
}

export interface DayStatus {
  readonly workflowId: string;
  readonly date: string;
  readonly state: DayState;
  readonly mode: OutputMode;
  readonly testMode: boolean;
  readonly defenseMode: boolean;
  /** Who switched defense mode on (manual signal, DEFENSE_MODE_ACTIVE, automatic trigger); null when off. */
  readonly defenseSource?: DefenseSource | null;
  /** The automatic trigger that switched it on (win rate, drawdown, kill history), if any. */
  readonly defenseTrigger?: DefenseTrigger | null;
  readonly currentSession: StrategyName | null;
  readonly sessions: readonly SessionStatus[];
  readonly scheduledStarts: Readonly<Partial<Record<StrategyName, string>>>;
  readonly warnings: readonly string[];
  readonly haltReason: string | null;
  readonly killed: boolean;
  readonly stopped: boolean;
  readonly signals: number;
  readonly entries: number;
  readonly exits: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  /** Per broker, from the sessions' watchdog (heartbeats, failed calls). */
  readonly brokerConnectivity: Readonly<Record<string, Connectivity>>;
  /** The bar feed, from the sessions' fetches. */
  readonly dataConnectivity: Connectivity;
  /** Per broker: halted for the day (daily loss limit or broker kill), and its sessions' counts. */
  readonly brokers?: readonly BrokerDayStatus[];
  /** Extra attempts the sessions' broker and data calls needed. */
  readonly retries: number;
  /** Failures escalated (alert, broker kill switch, unresolved_orders log). */
  readonly escalations: number;
  readonly errors: number;
}

export interface BrokerDayStatus {
  readonly broker: BrokerName;
  readonly halted: boolean;
  readonly haltReason: string | null;
  readonly haltedAt: string | null;
  readonly cause: 'daily_loss_limit' | 'manual' | null;
  /** Sessions of this broker that were not started because it was already halted. */
  readonly skippedSessions: readonly StrategyName[];
  readonly entries: number;
  readonly exits: number;
  readonly realizedPnl: number;
}

/** Exit all positions and end the day cleanly. */
export const stopSignal = defineSignal<[OperatorAction]>('stop');
/** Halt new entries at once and exit positions. */
export const killSignal = defineSignal<[OperatorAction]>('kill');
export const defenseModeSignal = defineSignal<[{ readonly active: boolean } & OperatorAction]>('defenseMode');
export const confirmTradeSignal = defineSignal<[TradeConfirmation]>('confirmTrade');
/** Sessions report their progress to the day so that one query shows everything. */
export const sessionProgressSignal = defineSignal<[SessionStatus]>('sessionProgress');
export const dayStatusQuery = defineQuery<DayStatus>('status');

export function dayWorkflowId(mode: OutputMode, date: string): string {
  return `tradebot-day-${mode}-${date}`;
}

export type { ReplayClock };
