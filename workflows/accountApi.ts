import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AccountConfig,
  AccountEvent,
  AccountState,
  AccountStatus as DomainAccountStatus,
  DefenseModeEvent,
  BrokerKillRequest,
  BrokerKillResult,
  CapacityGrant,
  CapacityRefusal as DomainCapacityRefusal,
  CapacityRequest,
  RefusalReason as DomainRefusalReason,
  ConfigureRequest,
  ImportRiskHistoryRequest,
  ImportRiskHistoryResult,
  ReleaseRequest,
  ReleaseResult,
  SetDefenseModeRequest,
  SetDefenseModeResult,
} from '../domain/risk/accountState';
import type { TickerBook, TickerRefusal } from '../domain/risk/tickerRule';
import type { OutputMode, BrokerName } from '../domain/vocabulary';

/**
 * The account workflow's message API: definitions shared by the workflow, other workflows, activities and
 * the CLI. Importing this file pulls in only definitions (no workflow code), so clients may import it.
 */

export type {
  AccountEvent,
  DefenseModeEvent,
  GrantExpiredEvent,
  KillSwitchEvent,
  BrokerKillRequest,
  BrokerKillResult,
  CapacityGrant,
  CapacityRequest,
  ConfigureRequest,
  ImportedKill,
  ImportedTrade,
  ImportRiskHistoryRequest,
  ImportRiskHistoryResult,
  ReleaseRequest,
  ReleaseResult,
  SetDefenseModeRequest,
  SetDefenseModeResult,
} from '../domain/risk/accountState';

/**
 * The account workflow adds one rule on top of the pure reducers: a ticker is traded at most once per date,
 * across every session and broker. Checked in the same synchronous handler as the other limits, so two
 * brokers signalling the same ticker at the same moment cannot both get it.
 */
export type RefusalReason = DomainRefusalReason | TickerRefusal['reason'];
export type CapacityRefusal = Omit<DomainCapacityRefusal, 'reason'> & { readonly reason: RefusalReason };
export type CapacityDecision = CapacityGrant | CapacityRefusal;

export interface AccountStatus extends DomainAccountStatus {
  /** Tickers granted per day run (`<date>|<day id>`) or date: the cross-broker blocklist, recent dates only. */
  readonly tickersTraded?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** One account workflow per deployment mode: all sessions and brokers of that mode share its limits. */
export function accountWorkflowId(mode: OutputMode): string {
  return `tradebot-account-${mode}`;
}

/**
 * The account workflow's type name and signature (workflows/account.ts implements it): clients start and
 * signal it by this name, so they need not import the workflow code.
 */
export const ACCOUNT_WORKFLOW_TYPE = 'accountWorkflow';
export type AccountWorkflow = (input: AccountWorkflowInput) => Promise<void>;

export interface AccountWorkflowInput {
  readonly mode: OutputMode;
  readonly config: AccountConfig;
  /** ISO instant of the first start (the state's creation time; workflow code reads no clock). */
  readonly startedAt: string;
  /** The state carried across continue-as-new; absent on the very first run. */
  readonly state?: AccountState;
  /** Continue as new after this many history events (the server's suggestion also counts). */
  readonly continueAsNewAfterEvents?: number;
  /** The workflow-level book (cross-broker ticker blocklist, halt watchers) carried across continue-as-new. */
  readonly book?: AccountBook;
}

/**
 * What the account keeps beside the pure reducer state: the tickers granted per date (a ticker is traded at
 * most once per day, across sessions and brokers), the refusals that rule gave (cached by request id, like
 * every other decision) and the trading days that asked to hear of broker halts.
 */
export type AccountBook = TickerBook & { readonly watchers: readonly WatchBrokerHaltsRequest[] };

/** Grant or refuse capacity for one trade. Use requestId as the update id so that retries are deduplicated. */
export const requestCapacityUpdate = defineUpdate<CapacityDecision, [CapacityRequest]>('requestCapacity');
/** Free a granted slot and record the trade's realised PnL (may fire the broker's kill switch). */
export const releaseCapacityUpdate = defineUpdate<ReleaseResult, [ReleaseRequest]>('releaseCapacity');
/** Operator: defense mode on or off. */
export const setDefenseModeUpdate = defineUpdate<SetDefenseModeResult, [SetDefenseModeRequest]>('setDefenseMode');
/** Halt one broker for the rest of the day (operator kill, or an escalated broker error). */
export const brokerKillUpdate = defineUpdate<BrokerKillResult, [BrokerKillRequest]>('brokerKill');
/**
 * Operator: seed the defense-mode evidence (closed trades, kill-switch firings, starting floats), for
 * example before the first day of a fresh account. Use `import-<importId>` as the update id.
 */
export const importRiskHistoryUpdate = defineUpdate<ImportRiskHistoryResult, [ImportRiskHistoryRequest]>('importRiskHistory');
/** The current config (sent with signal-with-start each trading day). */
export const configureSignal = defineSignal<[ConfigureRequest]>('configure');
export const accountStatusQuery = defineQuery<AccountStatus>('accountStatus');

/** What the account workflow signals to a holder of open grants when their broker is halted. */
export interface BrokerHaltedNotice {
  readonly broker: BrokerName;
  readonly date: string;
  readonly reason: string;
  readonly cause: 'daily_loss_limit' | 'manual';
  /** The holder's open grants at that broker: exit these positions. */
  readonly requestIds: readonly string[];
  readonly at: string;
}

/** Session workflows handle this signal by exiting their positions at the halted broker. */
export const brokerHaltedSignal = defineSignal<[BrokerHaltedNotice]>('accountBrokerHalted');

/**
 * A trading day asks to hear of every broker halt on its date (also halts of brokers where it holds
 * nothing at that moment), so that it can stop that broker's sessions and show the halt in its status.
 * The account answers with brokerHaltedSignal (requestIds empty).
 */
export interface WatchBrokerHaltsRequest {
  readonly workflowId: string;
  readonly date: string;
}
export const watchBrokerHaltsSignal = defineSignal<[WatchBrokerHaltsRequest]>('watchBrokerHalts');

/**
 * The activities that drain the account workflow's event outbox (implemented in activities/disasterLog.ts).
 * Both are idempotent on event id, so a retried or repeated drain never writes an event twice.
 */
export interface AccountEventActivities {
  /** Appends defense-mode changes to `<outputDir>/logs/disaster_log.json`. */
  recordDisasterLogEvents(events: readonly DefenseModeEvent[]): Promise<{ readonly written: number }>;
  /** Logs kill-switch and expired-grant events and sends the kill-switch alert. */
  recordAccountEvents(mode: OutputMode, events: readonly AccountEvent[]): Promise<{ readonly written: number }>;
}
