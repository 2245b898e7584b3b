import type { RetryPolicy } from '@temporalio/common';
import type { ErrorClass } from './errorClasses';

/**
 * Temporal retry policies from API_RETRY_LIMIT and API_TIMEOUT (spec section 8), as plain data that a
 * workflow passes to proxyActivities. Pure: workflows import it.
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
export const NON_RETRYABLE_ERROR_CLASSES: readonly ErrorClass[] = ['ConfigError', 'LogicError', 'BrokerError'];

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
