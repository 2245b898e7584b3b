import { PROVIDER_LIMITS, RateLimiter, TokenBucket } from '../../marketData/rateLimiter';

/** Alpaca's rate limits: one token bucket and 429 backoff per host (trading, market data), shared per account. */

export interface AlpacaLimiters {
  readonly trading: RateLimiter;
  readonly data: RateLimiter;
}

export function createAlpacaLimiters(sleep?: (ms: number) => Promise<void>, now?: () => number): AlpacaLimiters {
  const make = () =>
    new RateLimiter({ provider: 'alpaca', bucket: new TokenBucket({ ...PROVIDER_LIMITS.alpaca, sleep, now }), sleep, maxBackoffMs: 10_000 });
  return { trading: make(), data: make() };
}
