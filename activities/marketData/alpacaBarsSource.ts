import { marketData } from '@alpacahq/alpaca-trade-api';
import { MINUTE_MS, type Bar } from '../../domain/market/bar';
import { alpacaRateLimitSignal, classifyAlpacaError, createAlpacaLimiters } from '../broker/alpacaBroker';
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

const DAY_MS = 86_400_000;
const PAGE_LIMIT = 10_000;

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

  private async fetch(symbols: readonly string[], startMs: number, endMs: number, sort: 'asc' | 'desc', limit: number, onePage: boolean): Promise<Map<string, Bar[]>> {
    const out = new Map<string, Bar[]>();
    let pageToken: string | undefined;
    do {
      const resp = await this.limiter
        .run(
          () =>
            this.api.stockBars({
              symbols: symbols.join(','),
              timeframe: '1Min',
              start: new Date(startMs),
              end: new Date(endMs),
              limit,
              // Raw prices: the strategies compare intraday levels, never across corporate actions.
              adjustment: 'raw',
              feed: this.opts.feed ?? 'iex',
              sort,
              pageToken,
            }),
          alpacaRateLimitSignal,
        )
        .catch((err: unknown) => {
          throw classifyAlpacaError(err, `minute bars for ${symbols.length} symbol(s)`, this.credentialKeys);
        });
      const bars = (resp.bars ?? {}) as Record<string, { t: string | Date; o: number; h: number; l: number; c: number; v: number }[]>;
      for (const [symbol, list] of Object.entries(bars)) {
        const arr = out.get(symbol) ?? [];
        for (const b of list ?? []) {
          const t = b.t instanceof Date ? b.t.getTime() : Date.parse(b.t);
          arr.push({ t, o: Number(b.o), h: Number(b.h), l: Number(b.l), c: Number(b.c), v: Number(b.v) });
        }
        out.set(symbol, arr);
      }
      pageToken = resp.nextPageToken ?? undefined;
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
