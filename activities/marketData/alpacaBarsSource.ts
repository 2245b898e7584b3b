import { marketData } from '@alpacahq/alpaca-trade-api';
import { BrokerError } from '../../domain/errors/errorClasses';
import { MINUTE_MS, type Bar } from '../../domain/market/bar';
import { alpacaRateLimitSignal, classifyAlpacaError, MalformedResponseError } from '../broker/alpaca/alpacaErrors';
import { createAlpacaLimiters } from '../broker/alpaca/alpacaLimiters';
import type { MarketDataSource } from './marketDataSource';
import type { RateLimiter } from './rateLimiter';

/**
 * The default one-minute bar source for live and paper sessions: Alpaca's Market Data API
 * (GET /v2/stocks/bars, timeframe 1Min) through @alpacahq/alpaca-trade-api. Market data is the same host
 * for paper and live accounts; either account's keys work. Free accounts get the IEX feed; `sip` needs
 * a paid subscription (Alpaca answers 403 otherwise, reported as a BrokerError naming the feed).
 */
export interface AlpacaBarsSourceOptions {
  readonly keyId: string;
  readonly secret: string;
  /** Normally https://data.alpaca.markets. */
  readonly dataUrl: string;
  readonly timeoutMs: number;
  readonly feed?: 'iex' | 'sip';
  /** Shared with the broker on the same account (data host limiter). */
  readonly limiter?: RateLimiter;
  /** Symbols per request; Alpaca accepts long lists, a URL does not. */
  readonly symbolsPerRequest?: number;
  /** The env keys the credentials came from, for messages. */
  readonly credentialKeys?: string;
}

/** One GET /v2/stocks/bars request: symbols, [startMs, endMs] inclusive, and the page to continue. */
export interface BarsPageRequest {
  readonly symbols: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
  readonly pageToken?: string;
  readonly sort?: 'asc' | 'desc';
  /** Bars per page over all symbols (Alpaca's maximum, 10000, unless given). */
  readonly limit?: number;
}

export interface BarsPage {
  readonly bars: Map<string, Bar[]>;
  /** The token of the next page; undefined on the last page. */
  readonly next: string | undefined;
}

const DAY_MS = 86_400_000;
const PAGE_LIMIT = 10_000;

/** A next_page_token that repeats would page forever: a broken answer, not more data. */
export function repeatedPageTokenError(symbolCount: number): BrokerError {
  return new BrokerError(`alpaca: minute bars for ${symbolCount} symbol(s) answered with a malformed response: next_page_token repeats, so the pages would never end`, { provider: 'alpaca', code: 'bad_response' });
}

export class AlpacaBarsSource implements MarketDataSource {
  private readonly api: marketData.StockApi;
  private readonly limiter: RateLimiter;
  private readonly credentialKeys: string;

  constructor(private readonly opts: AlpacaBarsSourceOptions) {
    this.api = new marketData.StockApi(
      new marketData.Configuration({
        keyId: opts.keyId,
        secret: opts.secret,
        basePath: opts.dataUrl.replace(/\/+$/, ''),
        timeoutMs: opts.timeoutMs,
        userAgent: 'tradebot',
      }),
    );
    this.limiter = opts.limiter ?? createAlpacaLimiters().data;
    this.credentialKeys = opts.credentialKeys ?? 'the Alpaca API key and secret in .env';
  }

  /**
   * One page of GET /v2/stocks/bars (1Min, raw prices), paced and 429-aware through the limiter; errors
   * classified as every Alpaca call's are. `pageToken` continues an earlier page's query, which a
   * resumable download keeps across runs (docs/backtest.md, "Downloading data").
   */
  async barsPage(page: BarsPageRequest): Promise<BarsPage> {
    const what = `minute bars for ${page.symbols.length} symbol(s)`;
    return this.limiter
      .run(
        () =>
          this.api.stockBars({
            symbols: page.symbols.join(','),
            timeframe: '1Min',
            start: new Date(page.startMs),
            end: new Date(page.endMs),
            limit: page.limit ?? PAGE_LIMIT,
            // Raw prices: the strategies compare intraday levels, never across corporate actions.
            adjustment: 'raw',
            feed: this.opts.feed ?? 'iex',
            sort: page.sort ?? 'asc',
            pageToken: page.pageToken,
          }),
        alpacaRateLimitSignal,
      )
      // Read inside the same error handling: a malformed page is a BrokerError naming the field.
      .then(readBarsPage)
      .catch((err: unknown) => {
        throw classifyAlpacaError(err, what, this.credentialKeys);
      });
  }

  private async fetch(symbols: readonly string[], startMs: number, endMs: number, sort: 'asc' | 'desc', limit: number, onePage: boolean): Promise<Map<string, Bar[]>> {
    const out = new Map<string, Bar[]>();
    const seenTokens = new Set<string>();
    let pageToken: string | undefined;
    do {
      const page = await this.barsPage({ symbols, startMs, endMs, sort, limit, pageToken });
      for (const [symbol, list] of page.bars) {
        const arr = out.get(symbol) ?? [];
        arr.push(...list);
        out.set(symbol, arr);
      }
      // A token seen before would page forever: a broken answer, not more data.
      if (page.next !== undefined && seenTokens.has(page.next)) {
        throw repeatedPageTokenError(symbols.length);
      }
      if (page.next !== undefined) seenTokens.add(page.next);
      pageToken = page.next;
    } while (pageToken && !onePage);
    return out;
  }

  async closedBars(symbols: readonly string[], fromMs: number, throughMs: number): Promise<Record<string, Bar[]>> {
    const result: Record<string, Bar[]> = {};
    for (const s of symbols) result[s] = [];
    // The last bar that has closed by `throughMs` starts one minute before it.
    const lastStart = throughMs - MINUTE_MS;
    if (symbols.length === 0 || lastStart < fromMs) return result;
    const per = this.opts.symbolsPerRequest ?? 100;
    for (let i = 0; i < symbols.length; i += per) {
      const chunk = symbols.slice(i, i + per);
      const got = await this.fetch(chunk, fromMs, lastStart, 'asc', PAGE_LIMIT, false);
      for (const s of chunk) {
        // One bar per start time (a page boundary may repeat one), oldest first.
        const byStart = new Map<number, Bar>();
        for (const b of got.get(s) ?? []) if (b.t >= fromMs && b.t + MINUTE_MS <= throughMs) byStart.set(b.t, b);
        result[s] = [...byStart.values()].sort((a, b) => a.t - b.t);
      }
    }
    return result;
  }

  async exhausted(_symbols: readonly string[], _throughMs: number): Promise<string[]> {
    // A live feed cannot know that no more bars will come today.
    return [];
  }

  async symbolsOn(_date: string): Promise<string[]> {
    // The live universe comes from the configured symbol list, not from the bar feed.
    return [];
  }

  async closeAt(symbol: string, barStartMs: number): Promise<number | null> {
    const dayStart = barStartMs - (((barStartMs % DAY_MS) + DAY_MS) % DAY_MS);
    const got = await this.fetch([symbol], dayStart, barStartMs, 'desc', 1, true);
    const bar = (got.get(symbol) ?? []).filter((b) => b.t <= barStartMs).sort((a, b) => b.t - a.t)[0];
    return bar ? bar.c : null;
  }
}

/**
 * One page of GET /v2/stocks/bars as bars. Every bar must have a time and finite prices above zero and a
 * volume of zero or more: a bar that is not one would feed the strategies NaN or size orders by zero.
 */
export function readBarsPage(resp: unknown): BarsPage {
  if (typeof resp !== 'object' || resp === null || Array.isArray(resp)) throw new MalformedResponseError('the bars page is not an object');
  const r = resp as { bars?: unknown; nextPageToken?: unknown };
  const out = new Map<string, Bar[]>();
  const bars = r.bars ?? {};
  if (typeof bars !== 'object' || bars === null || Array.isArray(bars)) throw new MalformedResponseError('bars is not an object of symbol -> bar list');
  for (const [symbol, list] of Object.entries(bars as Record<string, unknown>)) {
    if (list === null || list === undefined) continue;
    if (!Array.isArray(list)) throw new MalformedResponseError(`bars of ${symbol} is not a list`);
    out.set(
      symbol,
      list.map((raw: unknown, i) => {
        const b = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
        const where = `bar ${i} of ${symbol}`;
        const t = b.t instanceof Date ? b.t.getTime() : typeof b.t === 'string' ? Date.parse(b.t) : NaN;
        if (!Number.isFinite(t)) throw new MalformedResponseError(`t of ${where} is not a time`);
        const field = (k: 'o' | 'h' | 'l' | 'c' | 'v') => {
          const x = b[k];
          const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
          if (!Number.isFinite(n) || (k === 'v' ? n < 0 : n <= 0)) throw new MalformedResponseError(`${k} of ${where} is ${(JSON.stringify(x) ?? 'missing').slice(0, 40)} (expected a ${k === 'v' ? 'volume' : 'price above zero'})`);
          return n;
        };
        return { t, o: field('o'), h: field('h'), l: field('l'), c: field('c'), v: field('v') };
      }),
    );
  }
  const next = r.nextPageToken;
  return { bars: out, next: typeof next === 'string' && next !== '' ? next : undefined };
}
