import { ApiError, FetchError } from '@alpacahq/alpaca-trade-api';
import { BrokerError, ConfigError, LogicError, NetworkError } from '../../../domain/errors/errorClasses';
import type { RateLimitSignal } from '../../marketData/rateLimiter';

/**
 * What an Alpaca failure means, for the trading adapter and the market data source alike: the error
 * classes of the one error model (domain/errors/errorClasses.ts), the 429 signal for the rate limiter,
 * and the stable codes of business rejections (docs/brokers.md, "Errors and retry policies").
 */

/**
 * A field of an Alpaca answer that does not have the type Alpaca documents. Thrown while reading a
 * response; classifyAlpacaError turns it into a BrokerError naming the request, the field and the value.
 */
export class MalformedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedResponseError';
  }
}


/** A 429 from the SDK, with the wait Alpaca suggested. */
export function alpacaRateLimitSignal(err: unknown): RateLimitSignal {
  if (err instanceof ApiError && err.status === 429) return { rateLimited: true, retryAfterMs: err.retryAfterMs ?? null };
  return { rateLimited: false };
}

/**
 * What an SDK failure means for the bot. `credentialKeys` names the .env keys to check on 401/403 so the
 * message tells the operator exactly what to fix (never the values).
 */
export function classifyAlpacaError(err: unknown, what: string, credentialKeys: string): Error {
  if (err instanceof NetworkError || err instanceof BrokerError || err instanceof ConfigError || err instanceof LogicError) return err;
  if (err instanceof ApiError) {
    const code = err.code === undefined || err.code === null ? String(err.status) : String(err.code);
    const detail = `HTTP ${err.status}${err.code !== undefined ? ` code ${String(err.code)}` : ''}: ${err.message}`;
    if (err.status === 401) {
      return new ConfigError(`alpaca: ${what} was refused, the credentials were rejected (${detail}); check ${credentialKeys}`);
    }
    if (err.status === 408 || err.status === 429 || err.status >= 500) {
      return new NetworkError(`alpaca: ${what} failed (${detail})`, {
        provider: 'alpaca',
        code: err.status === 429 ? 'rate_limited' : code,
        status: err.status,
        // X-RateLimit-Reset speaks of the rate limit only: a 5xx or timeout retries on the policy's backoff,
        // not at the next window (a minute away), which would send CLOSE exits after the bell.
        retryAfterMs: err.status === 429 ? (err.retryAfterMs ?? null) : null,
        cause: err,
      });
    }
    return new BrokerError(`alpaca: ${what} failed (${detail})`, { provider: 'alpaca', code, status: err.status, cause: err });
  }
  if (err instanceof FetchError) {
    const name = (err.cause as { name?: string } | undefined)?.name;
    const timeout = name === 'TimeoutError' || name === 'AbortError';
    return new NetworkError(`alpaca: ${what} failed (${timeout ? 'timed out' : `network error: ${err.cause?.message ?? err.message}`})`, {
      provider: 'alpaca',
      code: timeout ? 'timeout' : 'network',
      cause: err,
    });
  }
  if (err instanceof MalformedResponseError) {
    return new BrokerError(`alpaca: ${what} answered with a malformed response: ${err.message}`, { provider: 'alpaca', code: 'bad_response' });
  }
  // The SDK parses the body before we see it: not JSON at all (a proxy's HTML page, a cut-off body) is
  // a transport problem and may pass; JSON of the wrong shape makes its decoders throw TypeError.
  if (err instanceof SyntaxError) {
    return new NetworkError(`alpaca: ${what} answered with something that is not JSON (${err.message})`, { provider: 'alpaca', code: 'bad_response', cause: err });
  }
  if (err instanceof TypeError || err instanceof RangeError) {
    return new BrokerError(`alpaca: ${what} answered with a malformed response (${err.message})`, { provider: 'alpaca', code: 'bad_response', cause: err });
  }
  if (err instanceof Error && /Alpaca authentication requires/.test(err.message)) {
    return new ConfigError(`alpaca: ${what}: key id and secret are both required; check ${credentialKeys}`);
  }
  return new LogicError(`alpaca: ${what} failed unexpectedly: ${(err as Error)?.message ?? String(err)}`, { provider: 'alpaca', cause: err });
}

/** Business rejections: how Alpaca says no to an order, mapped to the stable codes the trade log records. */
export function rejectionCode(status: number, code: string | null, message: string): string {
  const m = message.toLowerCase();
  if (/buying power/.test(m)) return 'insufficient_buying_power';
  if (/pattern day trad|day trading protection|\bpdt\b/.test(m) || code === '40310100') return 'pdt_protection';
  if (/shortable|short sell|sold short|cannot be sold short|not borrowable/.test(m)) return 'not_shortable';
  if (/market (is )?closed|market hours|outside of market/.test(m)) return 'market_closed';
  if (/insufficient qty|qty available|insufficient quantity/.test(m)) return 'insufficient_qty';
  if (/fractional|not fractionable/.test(m)) return 'not_fractionable';
  if (/not tradable|not active|is not found|asset .* not found/.test(m)) return 'not_tradable';
  if (/rejected by user request|trading blocked|account is blocked/.test(m)) return 'trading_blocked';
  return status === 403 ? 'forbidden' : 'rejected';
}
