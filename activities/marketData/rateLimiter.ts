import { NetworkError } from '../../domain/errors/errorClasses';
import { marketNow, type ReplayClock } from '../../domain/time/replayClock';

/**
 * Client-side rate limiting per provider: a token bucket that callers wait on before each request, and a
 * backoff loop for HTTP 429 answers. Providers publish their limits (Alpaca about 200 requests per minute
 * per account, Finnhub's free tier 60 per minute and 30 per second); staying under them is cheaper than
 * being throttled, and a 429 that still arrives is waited out (Retry-After first, else exponential) before
 * the error reaches Temporal's own retry policy.
 */
export interface TokenBucketOptions {
  /** Burst size: tokens available at once. */
  readonly capacity: number;
  /** Sustained rate, tokens per second. */
  readonly refillPerSecond: number;
  /** Injectable clock and sleep, for tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Where a client's notion of time comes from: the wall clock, or the market clock of a rehearsal, where
 * market time runs `speed` times faster (docs/emulator.md, "The worker on the market clock"). Rate limits,
 * the broker's clock cache and order timestamps then agree with the market the emulator serves.
 */
export interface TimeSource {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** The market clock as it is now (the rehearsal starts it once the worker polls). */
export function marketTimeSource(clock: () => ReplayClock): TimeSource {
  return { now: () => marketNow(clock(), Date.now()), sleep: (ms) => realSleep(ms / clock().speed) };
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Waiters are served in arrival order so a burst cannot starve an early caller. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: TokenBucketOptions) {
    if (!(opts.capacity >= 1) || !(opts.refillPerSecond > 0)) throw new Error('token bucket needs capacity >= 1 and a positive refill rate');
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? realSleep;
    this.tokens = opts.capacity;
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.last) / 1000;
    this.tokens = Math.min(this.opts.capacity, this.tokens + elapsed * this.opts.refillPerSecond);
    this.last = t;
  }

  /** Takes one token, waiting until one is available. */
  acquire(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        this.refill();
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await this.sleep(Math.ceil(((1 - this.tokens) / this.opts.refillPerSecond) * 1000));
      }
    });
    // A failed sleep must not wedge the queue for later callers.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Drops all tokens, e.g. after a 429 says the server's window is spent. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  available(): number {
    this.refill();
    return this.tokens;
  }
}

export interface RateLimitedOptions {
  readonly provider: string;
  readonly bucket: TokenBucket;
  /** 429 answers waited out before giving up (then a NetworkError goes to Temporal's retry policy). */
  readonly max429Retries?: number;
  /** First 429 backoff when the server gives no Retry-After; doubles each time. */
  readonly baseBackoffMs?: number;
  /** Cap per wait, so one activity attempt stays within API_TIMEOUT. */
  readonly maxBackoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a 429 looks like to the rate limiter: the thrown value says so, with an optional Retry-After. */
export interface RateLimitSignal {
  readonly rateLimited: boolean;
  readonly retryAfterMs?: number | null;
}

/**
 * One provider's limiter: every call takes a token first; a call that is answered 429 is retried after
 * a backoff. `isRateLimited` tells a 429 from other failures, which pass through untouched.
 */
export class RateLimiter {
  private readonly sleep: (ms: number) => Promise<void>;
  /** 429 answers seen, for status output and tests. */
  throttled = 0;

  constructor(private readonly opts: RateLimitedOptions) {
    this.sleep = opts.sleep ?? realSleep;
  }

  async run<T>(call: () => Promise<T>, isRateLimited: (err: unknown) => RateLimitSignal): Promise<T> {
    const maxRetries = this.opts.max429Retries ?? 3;
    const base = this.opts.baseBackoffMs ?? 1000;
    const cap = this.opts.maxBackoffMs ?? 10_000;
    for (let attempt = 0; ; attempt++) {
      await this.opts.bucket.acquire();
      try {
        return await call();
      } catch (err) {
        const signal = isRateLimited(err);
        if (!signal.rateLimited) throw err;
        this.throttled++;
        this.opts.bucket.drain();
        if (attempt >= maxRetries) {
          throw new NetworkError(`${this.opts.provider}: rate limited (HTTP 429) after ${attempt + 1} attempts`, {
            code: 'rate_limited',
            provider: this.opts.provider,
            status: 429,
            retryAfterMs: signal.retryAfterMs ?? null,
            cause: err,
          });
        }
        const wait = signal.retryAfterMs != null && signal.retryAfterMs >= 0 ? signal.retryAfterMs : base * 2 ** attempt;
        await this.sleep(Math.min(cap, wait));
      }
    }
  }
}

/** Published limits, used as defaults. Alpaca: 200/min per account. Finnhub free tier: 60/min, 30/s burst. */
export const PROVIDER_LIMITS = {
  alpaca: { capacity: 10, refillPerSecond: 200 / 60 },
  finnhub: { capacity: 5, refillPerSecond: 1 },
} as const;
