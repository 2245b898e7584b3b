import { barFacts, finnhubQuote, UNKNOWN_QUOTE } from '../../domain/emulator/screeningFacts';
import type { EmulatorContext } from './context';
import { json, type RouteRequest, type RouteResponse } from './http';

/**
 * Finnhub-shaped endpoints for what activities/marketData/finnhubClient.ts reads: GET /quote,
 * GET /stock/profile2 and GET /stock/metric?metric=all, in Finnhub's documented shapes (marketCapitalization
 * and 10DayAverageTradingVolume in millions). A fund answers profile2 with {} (Finnhub has no company
 * profile, hence no market cap, for an ETF); without a facts file no symbol has a market cap, as the
 * backtester assumes.
 */

export function finnhubRoute(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  if (req.method !== 'GET') return { status: 405, body: { error: 'method not allowed' } };
  const symbol = (req.query.get('symbol') ?? '').toUpperCase();
  if (symbol === '') return { status: 422, body: { error: 'Wrong symbol' } };
  switch (req.path) {
    case '/quote':
      return json(known(ctx, symbol) ? finnhubQuote(ctx.timeline, symbol, ctx.date, ctx.marketNow()) : UNKNOWN_QUOTE);
    case '/stock/profile2':
      return json(profile(ctx, symbol));
    case '/stock/metric':
      return json(metric(ctx, symbol));
    default:
      return { status: 404, body: { error: `${req.path} is not an endpoint the emulator serves` } };
  }
}

function known(ctx: EmulatorContext, symbol: string): boolean {
  return ctx.timeline.has(symbol);
}

function profile(ctx: EmulatorContext, symbol: string): Record<string, unknown> {
  const f = ctx.facts.get(symbol);
  if (!known(ctx, symbol) && f === undefined) return {};
  if (f?.fund) return {};
  const cap = f?.marketCap ?? null;
  return {
    country: 'US',
    currency: 'USD',
    exchange: f?.exchange ?? 'NASDAQ NMS - GLOBAL MARKET',
    finnhubIndustry: '',
    ipo: '',
    name: f?.name ?? symbol,
    ticker: symbol,
    ...(cap !== null ? { marketCapitalization: cap / 1e6 } : {}),
  };
}

function metric(ctx: EmulatorContext, symbol: string): Record<string, unknown> {
  if (!known(ctx, symbol) && !ctx.facts.has(symbol)) return {};
  const f = ctx.facts.get(symbol);
  const volume = f?.averageVolume !== undefined ? f.averageVolume : barFacts(ctx.timeline, symbol, ctx.date, ctx.marketNow()).averageDailyVolume;
  return { metric: volume === null ? {} : { '10DayAverageTradingVolume': volume / 1e6 }, metricType: 'all', series: {}, symbol };
}
