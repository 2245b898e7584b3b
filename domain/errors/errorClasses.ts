import { ConfigError, isConfigError } from '../config/configError';

/**
 * The four error classes (docs/brokers.md, "Errors and retry policies"). Each is a plain Error whose `name`
 * is the class, because Temporal uses an error's name as its failure type and retry policies match on that
 * type (see retryPolicy.ts). ConfigError lives in domain/config/configError.ts and is reused, not copied.
 *
 * - NetworkError: the other side could not be reached or did not answer in time (connection refused,
 *   reset, DNS, timeout, HTTP 429, HTTP 5xx, TWS socket down). Transient: retried with backoff.
 * - BrokerError: the broker answered and refused (unknown order, permission, a malformed-but-valid
 *   request). Repeating the identical request gets the identical answer, so it is not retried. Order
 *   rejections (buying power, not shortable, PDT, market closed) are not thrown at all: they come back as
 *   a rejected BrokerOrder with an error code, so the workflow records them and moves on.
 * - LogicError: the bot itself is wrong (an impossible state, a broken invariant). Never retried.
 * - ConfigError: missing, malformed or rejected settings or credentials. Never retried.
 */
export const ERROR_CLASSES = ['NetworkError', 'BrokerError', 'LogicError', 'ConfigError'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/**
 * Every failure type the bot sends to Temporal (ApplicationFailure types, and what nonRetryableErrorTypes
 * in retryPolicy.ts match): the four error classes, then the types a few activities throw themselves.
 * Code names a type through FAILURE_TYPE, never as a string of its own.
 * - LedgerValidationError: the ledger refused the entries or the book (unbalanced, malformed). Not retried.
 * - LedgerBusy: the ledger file's lock was held. Retried.
 * - ManagerApiError: the Manager.io API export failed; retried only when the answer may change (5xx, network).
 * - NotifyDeliveryError: an alert channel failed; retried, and only the failed channels send again.
 * - BacktestDataError: a sweep cell's data or config is bad; the same cell fails the same way. Not retried.
 */
export const FAILURE_TYPES = [
  ...ERROR_CLASSES,
  'LedgerValidationError',
  'LedgerBusy',
  'ManagerApiError',
  'NotifyDeliveryError',
  'BacktestDataError',
] as const;
export type FailureType = (typeof FAILURE_TYPES)[number];

/** The failure types by name: `FAILURE_TYPE.LogicError` is `'LogicError'`. */
export const FAILURE_TYPE = Object.freeze(Object.fromEntries(FAILURE_TYPES.map((t) => [t, t]))) as { readonly [T in FailureType]: T };

export interface ClassifiedErrorOptions {
  /** Stable machine-readable code: the broker's code (`40310000`, IB `502`) or ours (`timeout`, `rate_limited`). */
  readonly code?: string | null;
  /** Which broker or provider the error concerns (`alpaca`, `ibkr`, `finnhub`). */
  readonly provider?: string | null;
  /** HTTP status when the error came from an HTTP answer. */
  readonly status?: number | null;
  /** Suggested wait before a retry, from Retry-After or the rate limiter. */
  readonly retryAfterMs?: number | null;
  readonly cause?: unknown;
}

abstract class ClassifiedError extends Error {
  abstract readonly errorClass: ErrorClass;
  readonly code: string | null;
  readonly provider: string | null;
  readonly status: number | null;
  readonly retryAfterMs: number | null;

  constructor(message: string, opts: ClassifiedErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code ?? null;
    this.provider = opts.provider ?? null;
    this.status = opts.status ?? null;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }

  /** Whether Temporal may retry it: only network errors are transient. */
  get retryable(): boolean {
    return this.errorClass === 'NetworkError';
  }
}

export class NetworkError extends ClassifiedError {
  readonly errorClass = 'NetworkError' as const;
  constructor(message: string, opts?: ClassifiedErrorOptions) {
    super(message, opts);
    this.name = 'NetworkError';
  }
}

export class BrokerError extends ClassifiedError {
  readonly errorClass = 'BrokerError' as const;
  constructor(message: string, opts?: ClassifiedErrorOptions) {
    super(message, opts);
    this.name = 'BrokerError';
  }
}

export class LogicError extends ClassifiedError {
  readonly errorClass = 'LogicError' as const;
  constructor(message: string, opts?: ClassifiedErrorOptions) {
    super(message, opts);
    this.name = 'LogicError';
  }
}

export { ConfigError, isConfigError };

export type TradeBotError = NetworkError | BrokerError | LogicError | ConfigError;

/** What any thrown value means: its class, code and whether a retry may help. Unknown errors are logic errors. */
export interface ErrorDescription {
  readonly errorClass: ErrorClass;
  readonly code: string | null;
  readonly provider: string | null;
  readonly message: string;
  readonly retryable: boolean;
  /** Stack trace cut to `maxStackChars` (the unresolved-orders log keeps a bounded trace). */
  readonly stack: string | null;
}

export const DEFAULT_MAX_STACK_CHARS = 2000;

export function classOf(err: unknown): ErrorClass {
  if (isConfigError(err)) return 'ConfigError';
  if (err instanceof ClassifiedError) return err.errorClass;
  const name = (err as { name?: unknown } | null)?.name;
  const type = (err as { type?: unknown } | null)?.type;
  // ApplicationFailure (from a workflow's view of a failed activity) carries the class as `type`.
  for (const candidate of [type, name]) {
    if (typeof candidate === 'string' && (ERROR_CLASSES as readonly string[]).includes(candidate)) return candidate as ErrorClass;
  }
  return 'LogicError';
}

/**
 * Describes any thrown value. Activity failures seen from a workflow wrap the real failure as `cause`;
 * the innermost classified cause wins, so an ActivityFailure around a NetworkError reads as NetworkError.
 */
export function describeError(err: unknown, maxStackChars = DEFAULT_MAX_STACK_CHARS): ErrorDescription {
  const inner = innermostClassified(err) ?? err;
  const errorClass = classOf(inner);
  const e = inner as { message?: unknown; stack?: unknown; code?: unknown; provider?: unknown; details?: unknown };
  let code: string | null = typeof e?.code === 'string' ? e.code : typeof e?.code === 'number' ? String(e.code) : null;
  let provider: string | null = typeof e?.provider === 'string' ? e.provider : null;
  // An ApplicationFailure made by toApplicationFailure carries code and provider in its details.
  if (Array.isArray(e?.details) && e.details.length > 0) {
    const d = e.details[0] as { code?: unknown; provider?: unknown } | null;
    if (code === null && typeof d?.code === 'string') code = d.code;
    if (provider === null && typeof d?.provider === 'string') provider = d.provider;
  }
  const message = typeof e?.message === 'string' ? e.message : String(inner);
  const stack = typeof e?.stack === 'string' ? boundedStack(e.stack, maxStackChars) : null;
  return { errorClass, code, provider, message, retryable: errorClass === 'NetworkError', stack };
}

/** The innermost classified error in a cause chain, or null. */
export function innermostClassified(err: unknown): unknown {
  let found: unknown = null;
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 10; depth++) {
    const c = cur as { name?: unknown; type?: unknown; cause?: unknown };
    const label = typeof c.type === 'string' ? c.type : c.name;
    if (cur instanceof ClassifiedError || isConfigError(cur) || (typeof label === 'string' && (ERROR_CLASSES as readonly string[]).includes(label))) {
      found = cur;
    }
    cur = c.cause;
  }
  return found;
}

/** Cuts a stack trace to at most `max` characters on a line boundary, marking the cut. */
export function boundedStack(stack: string, max = DEFAULT_MAX_STACK_CHARS): string {
  if (stack.length <= max) return stack;
  const cut = stack.slice(0, max);
  const nl = cut.lastIndexOf('\n');
  return `${nl > 0 ? cut.slice(0, nl) : cut}\n    ... (${stack.length - (nl > 0 ? nl : max)} more characters cut)`;
}
