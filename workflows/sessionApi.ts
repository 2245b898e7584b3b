import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BotConfig } from '../domain/config/botConfigSchema';
import type { ReplayClock } from '../domain/time/replayClock';
import type { Side, StrategyName, BrokerName, OutputMode } from '../domain/vocabulary';

// The day forwards operator actions and trade confirmations to its sessions; the day's API imports these
// from here, so the two API modules do not import each other.
export interface OperatorAction {
  /** Who asked (CLI user, dashboard login, control file). Recorded in logs. */
  readonly by: string;
  readonly reason?: string;
}

export interface TradeConfirmation {
  readonly symbol: string;
  readonly approve: boolean;
  readonly by: string;
}

export type SessionState = 'idle' | 'screening' | 'analyzing' | 'trading' | 'monitoring' | 'halted' | 'done';

export interface SessionInput {
  readonly dayWorkflowId: string;
  readonly date: string;
  readonly strategy: StrategyName;
  readonly config: BotConfig;
  readonly mode: OutputMode;
  readonly broker: BrokerName;
  readonly clock: ReplayClock;
  /** TEST_MODE replay: the folder of minute CSVs that is the market; null for the live feed. */
  readonly replayFolder: string | null;
  readonly universe: readonly string[];
  /** Tickers already traded today by earlier sessions (one trade per ticker per day). */
  readonly blockedTickers: readonly string[];
  /** Sessions of the day still running when this one starts: reconciliation leaves their positions alone. */
  readonly runningSessions?: readonly string[];
}

export interface PositionView {
  readonly underlying: string;
  readonly ticker: string;
  readonly side: Side;
  readonly size: number;
  /** Fill price of the instrument held (`ticker`). */
  readonly entryPrice: number;
  /** Price of the instrument held now: the underlying's latest close for stock, else estimated from it. */
  readonly currentPrice: number;
  /** True when `currentPrice` is estimated from the underlying (an inverse ETF, a put). */
  readonly currentPriceEstimated?: boolean;
  /** Latest close of the underlying the signal was on. */
  readonly underlyingPrice?: number;
  /** From entryPrice to currentPrice, for the size held. */
  readonly unrealizedPnl: number;
  /**
   * What closing it takes, so the day can exit a failed session's positions with the session's own ids:
   * the order side that opened it, its asset class, and the client order ids of its exit and broker stop.
   */
  readonly exitPlan?: {
    readonly openSide: 'buy' | 'sell';
    readonly assetClass: 'us_equity' | 'us_option';
    readonly exitClientOrderId: string;
    readonly stopClientOrderId: string | null;
  };
}

export interface SessionStatus {
  readonly strategy: StrategyName;
  /** The session's broker; filled in by the day (several brokers run the same strategy). */
  readonly broker?: BrokerName;
  readonly workflowId: string;
  readonly state: SessionState;
  readonly scheduledStart: string;
  readonly actualStart: string | null;
  readonly candidates: readonly string[];
  readonly signals: number;
  readonly entries: number;
  readonly exits: number;
  readonly positions: readonly PositionView[];
  readonly realizedPnl: number;
  readonly tradedTickers: readonly string[];
  readonly pendingConfirmation: string | null;
  readonly notes: readonly string[];
  readonly errors: number;
  /** Seconds from submission to fill of each filled order, as the broker reports them. */
  readonly executionSeconds: readonly number[];
  /** Watchdog view: `unreachable` once calls failed after every retry. */
  readonly connectivity: { readonly broker: Connectivity; readonly data: Connectivity };
  /** Extra attempts the session's broker and data calls needed (a call that failed for good counts all of its retries). */
  readonly retries: number;
  /** Failures escalated: alert, kill switch for the broker, entry in unresolved_orders_<mode>.log. */
  readonly escalations: number;
  /** Distinct one-minute bars the session decided on (each published bar once). */
  readonly barsSeen?: number;
  /** Per symbol: [first bar start, last bar start, bars decided on] (the rehearsal compares it with the feed). */
  readonly barCoverage?: Readonly<Record<string, readonly [number, number, number]>>;
  /** Entry signals skipped because their bar had closed more than MAX_SIGNAL_AGE_SECONDS before sending. */
  readonly staleSignalsSkipped?: number;
  /** Why the session failed (an activity out of retries, a bug); its positions were exited. Null otherwise. */
  readonly failure?: string | null;
}

export type Connectivity = 'ok' | 'unreachable' | 'unknown';

export const sessionStopSignal = defineSignal<[OperatorAction]>('sessionStop');
export const sessionKillSignal = defineSignal<[OperatorAction]>('sessionKill');
export const sessionConfirmSignal = defineSignal<[TradeConfirmation]>('sessionConfirm');
export const sessionStatusQuery = defineQuery<SessionStatus>('sessionStatus');
