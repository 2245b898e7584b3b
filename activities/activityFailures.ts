import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { NetworkError, describeError, innermostClassified } from '../domain/errors/errorClasses';

/**
 * How an activity's failure reaches Temporal (the error model is domain/errors/errorClasses.ts; this is
 * its Temporal side, kept out of domain code, which imports no Temporal values).
 */

/**
 * The failure an activity should throw for `err`: an ApplicationFailure whose type is the error class,
 * non-retryable for config, logic and broker errors, with code and provider in its details so the
 * workflow can log them in unresolved_orders_<mode>.log without parsing messages.
 */
export function toApplicationFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const d = describeError(err);
  const e = err as { retryAfterMs?: unknown };
  const retryAfter = typeof e?.retryAfterMs === 'number' && e.retryAfterMs > 0 ? e.retryAfterMs : undefined;
  return ApplicationFailure.create({
    message: d.message,
    type: d.errorClass,
    nonRetryable: !d.retryable,
    details: [{ code: d.code, provider: d.provider }],
    // A server's Retry-After beats the policy's backoff for the next attempt.
    nextRetryDelay: d.retryable ? retryAfter : undefined,
    cause: err instanceof Error ? err : undefined,
  });
}

/**
 * Wraps every function of an activities object so that whatever it throws reaches Temporal classified.
 * Errors that are not classified become LogicError (non-retryable) unless `unknownIsTransient` says the
 * activity only does I/O whose unexpected failures are worth another attempt.
 */
export function classifyActivityErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
  opts: { unknownIsTransient?: boolean } = {},
): T {
  const out: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        // A cancelled activity says so: classified, it would become a non-retryable failure.
        if (err instanceof ApplicationFailure || err instanceof CancelledFailure) throw err;
        const known = innermostClassified(err) !== null;
        if (!known && opts.unknownIsTransient) {
          throw toApplicationFailure(new NetworkError((err as Error)?.message ?? String(err), { cause: err }));
        }
        throw toApplicationFailure(err);
      }
    };
  }
  return out as T;
}
