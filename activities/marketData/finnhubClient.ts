import path from 'node:path';
import type { VixSeries } from '../../domain/backtest/signalAudit';
import { ConfigError, LogicError, NetworkError } from '../../domain/errors/errorClasses';
import { DEFAULT_FINNHUB_URL } from '../../domain/config/envSchema';
import { addDays } from '../../domain/market/nyTime';
import { loadVixCsv, parseVixCsv } from './vixCsv';
import { PROVIDER_LIMITS, RateLimiter, TokenBucket, type RateLimitSignal } from './rateLimiter';

/**
 * Screening data from Finnhub (quotes, previous close, company profile with market cap, average volume)
 * from three documented REST endpoints: /quote, /stock/profile2 and /stock/metric?metric=all. Not through
 * the `finnhub` npm package (2.0.14): it has a fixed base URL, no timeout, puts the API key in the query
 * string and offers no transport setting short of its private `_callApi` (README.md, "Configuration").
 * This client sends the key in the `X-Finnhub-Token` header, times out after API_TIMEOUT, paces calls with a
 * token bucket (free tier: 60 calls per minute) and waits out HTTP 429.
 */

export const FINNHUB_BASE_URL = DEFAULT_FINNHUB_URL;

export interface FinnhubClientOptions {
  readonly apiKey: string;
  readonly baseUrl?: string;
  readonly timeoutMs: number;
  readonly limiter?: RateLimiter;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface FinnhubQuote {
  readonly current: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly previousClose: number;
  readonly change: number | null;
  readonly percentChange: number | null;
  /** Time of the quote (ISO). */
  readonly time: string;
}

export interface CompanyProfile {
  readonly symbol: string;
  readonly name: string;
  /** Dollars (Finnhub reports millions). */
  readonly marketCap: number | null;
  readonly exchange: string | null;
  readonly industry: string | null;
  /** Shares outstanding (Finnhub reports millions); a company has them, a fund's profile2 is empty. */
  readonly sharesOutstanding: number | null;
}

export interface ScreeningData {
  readonly symbol: string;
  readonly price: number | null;
  readonly open: number | null;
  readonly previousClose: number | null;
  readonly marketCap: number | null;
  /** Average daily volume in shares (10-day, from basic financials). */
  readonly averageVolume: number | null;
  /** An exchange-traded fund by Finnhub's answers (see isFundByFinnhub): no market cap exists for it. */
  readonly fund: boolean;
}

/**
 * Finnhub's profile2 answers a fund (ETF) with an empty object: no market cap, no shares outstanding. A
 * symbol counts as a fund when it trades (a real quote) and its profile carries neither; a profile that
 * names a company (shares outstanding) without a market cap is a company whose cap is unknown, and a
 * symbol without a quote is unknown, not a fund (docs/screening.md "Funds and unknown facts").
 */
export function isFundByFinnhub(quote: FinnhubQuote | null, profile: CompanyProfile | null): boolean {
  if (quote === null) return false;
  if (profile === null) return true;
  return profile.marketCap === null && profile.sharesOutstanding === null;
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly retryAfterMs: number | null,
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

function finnhubRateLimitSignal(err: unknown): RateLimitSignal {
  return err instanceof HttpStatusError && err.status === 429 ? { rateLimited: true, retryAfterMs: err.retryAfterMs } : { rateLimited: false };
}

export function createFinnhubLimiter(sleep?: (ms: number) => Promise<void>, now?: () => number): RateLimiter {
  return new RateLimiter({ provider: 'finnhub', bucket: new TokenBucket({ ...PROVIDER_LIMITS.finnhub, sleep, now }), sleep, maxBackoffMs: 10_000 });
}

export class FinnhubClient {
  private readonly baseUrl: string;
  private readonly limiter: RateLimiter;

  constructor(private readonly opts: FinnhubClientOptions) {
    if (!opts.apiKey) throw new ConfigError('.env: FINNHUB_API_KEY must be set to use Finnhub screening data');
    this.baseUrl = (opts.baseUrl ?? FINNHUB_BASE_URL).replace(/\/+$/, '');
    this.limiter = opts.limiter ?? createFinnhubLimiter(opts.sleep);
  }

  private async transport(p: string, params: Record<string, unknown>): Promise<unknown> {
    const query = Object.entries(params)
      .filter(([k, v]) => v !== undefined && v !== null && k !== 'token')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const url = `${this.baseUrl}${p}${query ? `?${query}` : ''}`;
    const res = await fetch(url, { headers: { 'X-Finnhub-Token': this.opts.apiKey, Accept: 'application/json' }, signal: AbortSignal.timeout(this.opts.timeoutMs) });
    const text = await res.text();
    if (!res.ok) {
      const ra = res.headers.get('retry-after');
      const reset = res.headers.get('x-ratelimit-reset');
      const retryAfterMs = ra !== null && !Number.isNaN(Number(ra)) ? Number(ra) * 1000 : reset !== null ? Math.max(0, Number(reset) * 1000 - Date.now()) : null;
      throw new HttpStatusError(res.status, text, retryAfterMs);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new NetworkError(`finnhub: ${p} answered with something that is not JSON`, { provider: 'finnhub', code: 'bad_response' });
    }
  }

  /** One paced GET of an endpoint; failures come back classified (ConfigError, NetworkError, LogicError). */
  private call(what: string, endpoint: string, params: Record<string, string>): Promise<unknown> {
    return this.limiter.run(() => this.transport(endpoint, params), finnhubRateLimitSignal).catch((err: unknown) => {
      throw classifyFinnhubError(err, what);
    });
  }

  async quote(symbol: string): Promise<FinnhubQuote | null> {
    const what = `quote ${symbol}`;
    const q = responseObject(await this.call(what, '/quote', { symbol }), what);
    if (q === null) return null;
    const n = (k: string) => optionalNumber(q, k, what);
    const [c, pc] = [n('c'), n('pc')];
    // Finnhub answers an unknown symbol with zeros rather than an error.
    if (!((c ?? 0) > 0 || (pc ?? 0) > 0)) return null;
    const t = n('t');
    if (t === null || !Number.isFinite(new Date(t * 1000).getTime())) throw malformed(what, `field t is ${shown(q.t)} (expected a UNIX time)`);
    return {
      current: c ?? NaN,
      open: n('o') ?? NaN,
      high: n('h') ?? NaN,
      low: n('l') ?? NaN,
      previousClose: pc ?? NaN,
      change: n('d'),
      percentChange: n('dp'),
      time: new Date(t * 1000).toISOString(),
    };
  }

  async companyProfile(symbol: string): Promise<CompanyProfile | null> {
    const what = `company profile ${symbol}`;
    const p = responseObject(await this.call(what, '/stock/profile2', { symbol }), what);
    if (p === null || Object.keys(p).length === 0) return null;
    // Facts for the screening filters: one that cannot be read is absent (null), as before; the filters decide.
    const capMillions = lenientNumber(p.marketCapitalization);
    return {
      symbol: typeof p.ticker === 'string' && p.ticker !== '' ? p.ticker : symbol,
      name: typeof p.name === 'string' ? p.name : '',
      marketCap: capMillions !== null && capMillions > 0 ? capMillions * 1e6 : null,
      exchange: typeof p.exchange === 'string' ? p.exchange : null,
      industry: typeof p.finnhubIndustry === 'string' ? p.finnhubIndustry : null,
      sharesOutstanding: positiveOrNull(lenientNumber(p.shareOutstanding)),
    };
  }

  /** 10-day average daily volume in shares (Finnhub's basic financials give millions). */
  async averageVolume(symbol: string): Promise<number | null> {
    const what = `basic financials ${symbol}`;
    const f = responseObject(await this.call(what, '/stock/metric', { symbol, metric: 'all' }), what);
    const metric = f === null ? null : responseObject(f.metric, what, 'metric');
    const v = metric === null ? null : lenientNumber(metric['10DayAverageTradingVolume']);
    return v !== null && v > 0 ? Math.round(v * 1e6) : null;
  }

  async previousClose(symbol: string): Promise<number | null> {
    return (await this.quote(symbol))?.previousClose ?? null;
  }

  /** Everything screening needs for one symbol; absent parts are null (the filters decide what that means). */
  async screening(symbol: string): Promise<ScreeningData> {
    const [q, profile, volume] = [await this.quote(symbol), await this.companyProfile(symbol), await this.averageVolume(symbol)];
    return {
      symbol,
      price: q?.current ?? null,
      open: q && q.open > 0 ? q.open : null,
      previousClose: q?.previousClose ?? null,
      marketCap: profile?.marketCap ?? null,
      averageVolume: volume,
      fund: isFundByFinnhub(q, profile),
    };
  }
}

export function classifyFinnhubError(err: unknown, what: string): Error {
  if (err instanceof NetworkError || err instanceof ConfigError || err instanceof LogicError) return err;
  if (err instanceof HttpStatusError) {
    const detail = `HTTP ${err.status}: ${extractMessage(err.body)}`;
    if (err.status === 401 || err.status === 403) {
      return new ConfigError(`finnhub: ${what} was refused (${detail}); check FINNHUB_API_KEY in .env and that your Finnhub plan includes this endpoint`);
    }
    if (err.status === 429 || err.status >= 500 || err.status === 408) {
      return new NetworkError(`finnhub: ${what} failed (${detail})`, { provider: 'finnhub', code: err.status === 429 ? 'rate_limited' : String(err.status), status: err.status, retryAfterMs: err.retryAfterMs });
    }
    return new LogicError(`finnhub: ${what} failed (${detail})`, { provider: 'finnhub', code: String(err.status), status: err.status });
  }
  const name = (err as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return new NetworkError(`finnhub: ${what} timed out`, { provider: 'finnhub', code: 'timeout', cause: err });
  if (err instanceof TypeError) return new NetworkError(`finnhub: ${what} failed (network error: ${err.message})`, { provider: 'finnhub', code: 'network', cause: err });
  return new LogicError(`finnhub: ${what} failed unexpectedly: ${(err as Error)?.message ?? String(err)}`, { provider: 'finnhub', cause: err });
}

/** A Finnhub answer of the wrong shape: named by request and field; transient like a garbled body. */
function malformed(what: string, detail: string): NetworkError {
  return new NetworkError(`finnhub: ${what} answered with a malformed response: ${detail}`, { provider: 'finnhub', code: 'bad_response' });
}

function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'a list' : 'an object';
}

/** The answer as an object; null (Finnhub's "nothing") stays null; anything else is malformed. */
function responseObject(v: unknown, what: string, field?: string): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw malformed(what, `${field === undefined ? 'the body' : `field ${field}`} is ${shown(v)} (expected an object)`);
  return v as Record<string, unknown>;
}

/** A numeric field: absent (or null) is null, a number or numeric text is the number, anything else is malformed. */
function optionalNumber(o: Record<string, unknown>, key: string, what: string): number | null {
  const v = o[key];
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw malformed(what, `field ${key} is ${shown(v)} (expected a number)`);
  return n;
}

function positiveOrNull(n: number | null): number | null {
  return n !== null && n > 0 ? n : null;
}

function lenientNumber(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function extractMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: unknown };
    if (typeof j.error === 'string') return j.error;
  } catch {
    // Not JSON: show the start of the text.
  }
  return body.slice(0, 200);
}

// ---------------------------------------------------------------------------------------------
// VIX for the CLOSE gate (docs/brokers.md, "Finnhub and VIX"). VIX_SOURCE picks where it comes from:
//   - a `date,close` CSV file (backtests, tests, or a file a user maintains);
//   - an http(s) URL of a CSV: `date,close`, or CBOE's own daily history
//     (`DATE,OPEN,HIGH,LOW,CLOSE` with MM/DD/YYYY dates, published at
//     https://cdn.cboe.com/api/global/us_indices/daily_prices/VIX_History.csv);
//   - `finnhub` or `finnhub:<symbol>`: the previous close from a Finnhub quote (default symbol ^VIX;
//     whether a plan includes index quotes is Finnhub's decision).
// When none is configured or it fails, the result carries a warning and no series: the gate then logs
// the warning and does not block (its documented behaviour for missing data).

export interface VixLoadResult {
  readonly series: VixSeries | null;
  readonly warning: string | null;
  readonly source: string;
}

export interface VixSourceDeps {
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly finnhub?: FinnhubClient | null;
  /** The session date the close must precede (finnhub quotes only know "previous close"). */
  readonly sessionDate?: string;
}

export async function loadVixSource(source: string | undefined, deps: VixSourceDeps): Promise<VixLoadResult> {
  const src = (source ?? '').trim();
  const unavailable = (why: string): VixLoadResult => ({
    series: null,
    source: src || '(none)',
    warning: `VIX unavailable (${why}); the CLOSE gate does not block without a VIX value (docs/brokers.md, "Finnhub and VIX")`,
  });
  if (src === '') return unavailable('VIX_SOURCE is not set in .env');
  try {
    if (/^https?:\/\//i.test(src)) {
      const res = await fetch(src, { signal: AbortSignal.timeout(deps.timeoutMs) });
      if (!res.ok) return unavailable(`${src} answered HTTP ${res.status}`);
      return { series: parseAnyVixCsv(await res.text(), src), warning: null, source: src };
    }
    const fh = /^finnhub(?::(.+))?$/i.exec(src);
    if (fh) {
      if (!deps.finnhub) return unavailable('VIX_SOURCE=finnhub but FINNHUB_API_KEY is not set');
      const symbol = fh[1]?.trim() || '^VIX';
      const q = await deps.finnhub.quote(symbol);
      if (!q) return unavailable(`Finnhub has no quote for ${symbol}; set VIX_SOURCE to a CSV file or URL`);
      const quoteDate = q.time.slice(0, 10);
      const session = deps.sessionDate ?? quoteDate;
      // A quote from today carries yesterday's close as `pc`; an older quote's last price is its day's close.
      const entry = quoteDate < session ? { date: quoteDate, close: q.current } : { date: addDays(session, -1), close: q.previousClose };
      return { series: { dates: [entry.date], closes: [entry.close] }, warning: null, source: `finnhub:${symbol}` };
    }
    const file = path.resolve(deps.cwd, src);
    return { series: loadVixCsv(file), warning: null, source: file };
  } catch (err) {
    return unavailable((err as Error).message);
  }
}

/** `date,close` or CBOE's `DATE,OPEN,HIGH,LOW,CLOSE` (MM/DD/YYYY). */
export function parseAnyVixCsv(text: string, label: string): VixSeries {
  const clean = text.replace(/^\uFEFF/, '');
  const header = (clean.split('\n')[0] ?? '').trim().toLowerCase();
  if (header === 'date,close') return parseVixCsv(clean, label);
  const cols = header.split(',').map((c) => c.trim());
  const di = cols.indexOf('date');
  const ci = cols.indexOf('close');
  if (di < 0 || ci < 0) throw new Error(`${label}: no DATE and CLOSE columns in "${header.slice(0, 80)}"`);
  const rows: [string, number][] = [];
  for (const line of clean.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const parts = line.split(',');
    const d = (parts[di] ?? '').trim();
    const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(d);
    const iso = m ? `${m[3]}-${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}` : d;
    const close = Number((parts[ci] ?? '').trim());
    if (!/^\d{4}-\d{2}-\d{2}$/.test(iso) || !Number.isFinite(close)) continue;
    rows.push([iso, close]);
  }
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  const dates: string[] = [];
  const closes: number[] = [];
  for (const [d, c] of rows) {
    if (dates[dates.length - 1] === d) continue;
    dates.push(d);
    closes.push(c);
  }
  if (dates.length === 0) throw new Error(`${label}: no VIX rows`);
  return { dates, closes };
}
