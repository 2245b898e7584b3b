import type { RetryPolicy } from '@temporalio/common';
import { FAILURE_TYPE, type ErrorClass } from './errorClasses';

/**
 * Temporal retry policies from API_RETRY_LIMIT and API_TIMEOUT (docs/brokers.md,
 * "Errors and retry policies"), as plain data that a workflow passes to proxyActivities. Pure: workflows
 * import it.
 *
 * - Transient failures (NetworkError: unreachable, timeout, 429, 5xx) retry with exponential backoff,
 *   at most API_RETRY_LIMIT times after the first attempt, each attempt bounded by API_TIMEOUT seconds.
 * - ConfigError, LogicError and BrokerError never retry: the same request would fail the same way.
 * - When the retries are exhausted the activity fails; the workflow then escalates (alert, kill switch
 *   for that broker, unresolved_orders_<mode>.log).
 */
export interface RetrySettings {
  /** Retries after the first attempt (0 = one attempt only). */
  readonly API_RETRY_LIMIT: number;
  /** Seconds one attempt may take. */
  readonly API_TIMEOUT: number;
}

/** Error classes Temporal must not retry. NetworkError is the only transient class. */
export const NON_RETRYABLE_ERROR_CLASSES: readonly ErrorClass[] = [FAILURE_TYPE.ConfigError, FAILURE_TYPE.LogicError, FAILURE_TYPE.BrokerError];

/**
 * - `broker`: account, positions, quotes, orders, cancels. Orders are safe to retry because every order
 *   carries a deterministic client order id and the adapters look it up before submitting.
 * - `marketData`: bars, quotes, screening data, VIX. Cheaper and more frequent: shorter backoff.
 */
export type ApiActivityKind = 'broker' | 'marketData';

interface Backoff {
  readonly initialMs: number;
  readonly coefficient: number;
  readonly maximumMs: number;
}

const BACKOFF: Record<ApiActivityKind, Backoff> = {
  broker: { initialMs: 1000, coefficient: 2, maximumMs: 30_000 },
  marketData: { initialMs: 500, coefficient: 2, maximumMs: 10_000 },
};

/** The RetryPolicy for an API-calling activity. */
export function retryPolicyFor(settings: RetrySettings, kind: ApiActivityKind = 'broker'): RetryPolicy {
  const b = BACKOFF[kind];
  return {
    initialInterval: b.initialMs,
    backoffCoefficient: b.coefficient,
    maximumInterval: b.maximumMs,
    // Temporal reads 0 as "unlimited"; the first attempt always counts.
    maximumAttempts: attemptsFor(settings),
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_CLASSES],
  };
}

/** Options for proxyActivities: per-attempt timeout from API_TIMEOUT plus the retry policy. */
export function activityOptionsFor(
  settings: RetrySettings,
  kind: ApiActivityKind = 'broker',
): { startToCloseTimeout: number; retry: RetryPolicy } {
  return { startToCloseTimeout: Math.round(settings.API_TIMEOUT * 1000), retry: retryPolicyFor(settings, kind) };
}

export function attemptsFor(settings: RetrySettings): number {
  const limit = Number.isFinite(settings.API_RETRY_LIMIT) ? Math.max(0, Math.floor(settings.API_RETRY_LIMIT)) : 0;
  return limit + 1;
}

/**
 * The waits between attempts the policy produces (before Temporal's own jitter-free schedule), in ms:
 * what docs and tests quote. Length = attempts - 1.
 */
export function retryDelaysMs(settings: RetrySettings, kind: ApiActivityKind = 'broker'): number[] {
  const b = BACKOFF[kind];
  const out: number[] = [];
  for (let i = 0; i < attemptsFor(settings) - 1; i++) out.push(Math.min(b.maximumMs, b.initialMs * b.coefficient ** i));
  return out;
}

/** Longest time an activity with this policy can take before it is given up (all attempts time out). */
export function worstCaseMs(settings: RetrySettings, kind: ApiActivityKind = 'broker'): number {
  const perAttempt = Math.round(settings.API_TIMEOUT * 1000);
  return attemptsFor(settings) * perAttempt + retryDelaysMs(settings, kind).reduce((a, b) => a + b, 0);
}

const T = FAILURE_TYPE; // every type named here comes from the one list (errorClasses.ts)
const LOGIC_AND_CONFIG = [T.ConfigError, T.LogicError];
const AUDIT_REFUSALS = [T.ConfigError, T.LedgerValidationError, T.LogicError];

/**
 * Every fixed retry policy of the workflows, by name (the API calls follow retryPolicyFor). Each says what
 * a failure of those activities costs: trading records retry long, alerts and exports give up soon (trading
 * goes on), updates to the account are deduplicated by their ids.
 */
export const RETRY_POLICIES = {
  /** Screening a session's universe (a live scan takes seconds per symbol). */
  screening: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: LOGIC_AND_CONFIG },
  vixLookup: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 10 },
  /** Optional facts (imbalance, build): a failure means "no data", which the rule handles. */
  optionalFacts: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 3 },
  /** A session's capacity requests and releases: the request id is the update id, a retry gets the first answer. */
  sessionAccountUpdates: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 10, nonRetryableErrorTypes: [T.LogicError] },
  /** Ledger postings and the unresolved-orders log: records that must be written. */
  auditRecords: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: AUDIT_REFUSALS },
  /** Ledger export and alerts from a session: bounded, then the session goes on. */
  sessionAlertsAndExport: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 4, nonRetryableErrorTypes: AUDIT_REFUSALS },
  backup: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '60 seconds', maximumAttempts: 4, nonRetryableErrorTypes: AUDIT_REFUSALS },
  /** Trade history and strategy log lines (idempotent by their ids). */
  outputRecords: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
  /** Settling a lost order answer or cancelling at a failing broker: a few quick tries, then unknown. */
  settleAtBroker: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 3, nonRetryableErrorTypes: [T.ConfigError, T.LogicError, T.BrokerError] },
  dayStartupChecks: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3 },
  dayAccount: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 10, nonRetryableErrorTypes: [T.LogicError] },
  dayAlerts: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '60 seconds', maximumAttempts: 4, nonRetryableErrorTypes: LOGIC_AND_CONFIG },
  /** The day exiting a failed session's positions. */
  dayExits: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: LOGIC_AND_CONFIG },
  searchAttributeProbe: { initialInterval: '1 second', maximumAttempts: 3 },
  daySummary: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
  /** The account workflow's alerts and kill records. */
  accountEvents: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
  /** A backtest sweep cell (deterministic: a retry after a lost worker recomputes the same result). */
  sweepCell: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 3, nonRetryableErrorTypes: [T.BacktestDataError, T.ConfigError] },
  schedulePlan: { maximumAttempts: 5 },
} as const satisfies Record<string, RetryPolicy>;
