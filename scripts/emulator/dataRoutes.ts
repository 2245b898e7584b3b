import type { Bar } from '../../domain/market/bar';
import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { nyOffsetOnDate, utcMidnightMs, utcMsToNyWallTime } from '../../domain/market/nyTime';
import { listedContracts, optionPremium } from '../../domain/emulator/options';
import { sessionHistory } from '../../domain/emulator/screeningFacts';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { barJson, optionQuoteJson, stockQuoteJson, stockTradeJson } from './alpacaJson';
import { quoteOf, type EmulatorContext } from './context';
import { json, listParam, notFoundRoute, numberParam, timeParam, type RouteRequest, type RouteResponse } from './http';

/**
 * Alpaca Market Data API: stock bars (1Min only), latest quotes, snapshots, and the option endpoints of the
 * put path. Only what the feed has published by the market instant is served (see domain/emulator/timeline.ts).
 * The data API answers errors as `{"code": ..., "message": ...}` too.
 */

type Handler = (ctx: EmulatorContext, req: RouteRequest, params: string[]) => RouteResponse;

const ROUTES: [RegExp, Handler][] = [
  [/^\/v2\/stocks\/bars$/, (ctx, req) => bars(ctx, req, listParam(req.query, 'symbols'), false)],
  [/^\/v2\/stocks\/([^/]+)\/bars$/, (ctx, req, [s]) => bars(ctx, req, [s!], true)],
  [/^\/v2\/stocks\/quotes\/latest$/, (ctx, req) => latestQuotes(ctx, listParam(req.query, 'symbols'))],
  [/^\/v2\/stocks\/([^/]+)\/quotes\/latest$/, (ctx, _req, [s]) => latestQuote(ctx, s!)],
  [/^\/v2\/stocks\/snapshots$/, (ctx, req) => snapshots(ctx, listParam(req.query, 'symbols'))],
  [/^\/v1beta1\/options\/snapshots\/([^/]+)$/, (ctx, req, [u]) => optionSnapshots(ctx, req, u!)],
  [/^\/v1beta1\/options\/quotes\/latest$/, (ctx, req) => optionQuotes(ctx, listParam(req.query, 'symbols'))],
];

export function dataRoute(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  if (req.method !== 'GET') return notFoundRoute(`${req.method} ${req.path}`);
  for (const [re, handler] of ROUTES) {
    const m = re.exec(req.path);
    if (m) return handler(ctx, req, m.slice(1).map(decodeURIComponent));
  }
  return notFoundRoute(`${req.method} ${req.path}`);
}

const bad = (message: string): RouteResponse => ({ status: 400, body: { code: 40010001, message } });
const FEEDS = new Set(['sip', 'iex', 'otc', 'boats', 'overnight', 'delayed_sip']);

function encodeToken(symbol: string, t: number): string {
  return Buffer.from(`${symbol}|${t}`).toString('base64');
}

function decodeToken(token: string): { symbol: string; t: number } | null {
  const m = /^([^|]+)\|(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  return m ? { symbol: m[1]!, t: Number(m[2]) } : null;
}

/** NY midnight of the market instant's New York date (Alpaca's default start: the beginning of the current day). */
function startOfNyDay(m: number): number {
  const date = utcMsToNyWallTime(m).date;
  return utcMidnightMs(date) - nyOffsetOnDate(date) * 60_000;
}

interface BarsQuery {
  readonly from: number;
  readonly to: number;
  readonly limit: number;
  readonly desc: boolean;
  readonly after: { symbol: string; t: number } | null;
}

function barsQuery(req: RouteRequest, m: number): BarsQuery | RouteResponse {
  const q = req.query;
  const tf = q.get('timeframe');
  if (tf === null) return bad('timeframe is required');
  if (!['1Min', '1T', '1min'].includes(tf)) return { status: 422, body: { code: 42210000, message: `timeframe ${tf} is not served by the emulator (1Min only)` } };
  const feed = q.get('feed');
  if (feed !== null && !FEEDS.has(feed)) return bad(`invalid feed ${feed}`);
  const start = timeParam(q, 'start');
  const end = timeParam(q, 'end');
  if (Number.isNaN(start) || Number.isNaN(end)) return bad('start and end must be RFC-3339 times or dates');
  const limit = numberParam(q, 'limit') ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return bad('invalid limit: must be from 1 to 10000');
  const sort = q.get('sort') ?? 'asc';
  if (sort !== 'asc' && sort !== 'desc') return bad(`invalid sort ${sort}`);
  const token = q.get('page_token');
  const after = token ? decodeToken(token) : null;
  if (token && after === null) return bad('invalid page_token');
  return { from: start ?? startOfNyDay(m), to: end ?? m, limit, desc: sort === 'desc', after };
}

/** Symbols ascending, then bars by time; the limit counts bars over all symbols; a page resumes at its token. */
function bars(ctx: EmulatorContext, req: RouteRequest, symbols: string[], single: boolean): RouteResponse {
  if (symbols.length === 0) return bad('symbols is required');
  const m = ctx.marketNow();
  const bq = barsQuery(req, m);
  if ('status' in bq) return bq;
  const out: Record<string, Record<string, unknown>[]> = {};
  let count = 0;
  let next: string | null = null;
  for (const symbol of [...new Set(symbols.map((s) => s.toUpperCase()))].sort()) {
    if (next !== null) break;
    if (bq.after && symbol < bq.after.symbol) continue;
    let list: Bar[] = ctx.timeline.visible(symbol, m, bq.from, bq.to);
    if (bq.desc) list = list.reverse();
    if (bq.after && symbol === bq.after.symbol) list = list.filter((b) => (bq.desc ? b.t <= bq.after!.t : b.t >= bq.after!.t));
    for (const b of list) {
      if (count === bq.limit) {
        next = encodeToken(symbol, b.t);
        break;
      }
      (out[symbol] ??= []).push(barJson(b));
      count += 1;
    }
  }
  if (single) return json({ bars: out[symbols[0]!.toUpperCase()] ?? [], symbol: symbols[0]!.toUpperCase(), next_page_token: next });
  return json({ bars: out, next_page_token: next });
}

function latestQuotes(ctx: EmulatorContext, symbols: string[]): RouteResponse {
  if (symbols.length === 0) return bad('symbols is required');
  const m = ctx.marketNow();
  const quotes: Record<string, unknown> = {};
  for (const s of symbols.map((x) => x.toUpperCase())) {
    const q = quoteOf(ctx, s, m);
    if (q) quotes[s] = stockQuoteJson(q);
  }
  return json({ quotes });
}

function latestQuote(ctx: EmulatorContext, symbol: string): RouteResponse {
  const s = symbol.toUpperCase();
  const q = quoteOf(ctx, s, ctx.marketNow());
  return q ? json({ symbol: s, quote: stockQuoteJson(q) }) : { status: 404, body: { code: 40410000, message: `no quote found for ${s}` } };
}

function aggregate(list: readonly Bar[]): Bar | null {
  if (list.length === 0) return null;
  return { t: list[0]!.t, o: list[0]!.o, h: Math.max(...list.map((b) => b.h)), l: Math.min(...list.map((b) => b.l)), c: list[list.length - 1]!.c, v: list.reduce((s, b) => s + b.v, 0) };
}

function sessionAggregate(ctx: EmulatorContext, symbol: string, date: string, m: number): Bar | null {
  const s = regularSessionUtc(date);
  return s === null ? null : aggregate(ctx.timeline.visible(symbol, m, s.openMs, s.closeMs - 1));
}

function snapshots(ctx: EmulatorContext, symbols: string[]): RouteResponse {
  if (symbols.length === 0) return bad('symbols is required');
  const m = ctx.marketNow();
  const out: Record<string, unknown> = {};
  for (const s of symbols.map((x) => x.toUpperCase())) {
    const last = ctx.timeline.latestVisible(s, m);
    if (last === null) continue;
    const q = quoteOf(ctx, s, m);
    const prevDate = sessionHistory(ctx.timeline, s, ctx.date, m).at(-1)?.date;
    const daily = sessionAggregate(ctx, s, ctx.date, m);
    const prev = prevDate ? sessionAggregate(ctx, s, prevDate, m) : null;
    out[s] = {
      latestTrade: stockTradeJson(last, 1),
      latestQuote: q ? stockQuoteJson(q) : null,
      minuteBar: barJson(last),
      dailyBar: daily ? barJson(daily) : null,
      prevDailyBar: prev ? barJson(prev) : null,
    };
  }
  return json(out);
}

function optionSnapshots(ctx: EmulatorContext, req: RouteRequest, underlying: string): RouteResponse {
  const q = req.query;
  const u = underlying.toUpperCase();
  const limit = numberParam(q, 'limit') ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return bad('invalid limit: must be from 1 to 1000');
  const offset = q.get('page_token') ? Number(Buffer.from(q.get('page_token')!, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) return bad('invalid page_token');
  const m = ctx.marketNow();
  const sGte = numberParam(q, 'strike_price_gte');
  const sLte = numberParam(q, 'strike_price_lte');
  const [exact, gte, lte, type] = ['expiration_date', 'expiration_date_gte', 'expiration_date_lte', 'type'].map((k) => q.get(k));
  const rows = listedContracts(u, ctx.timeline.all(u), ctx.date).filter(
    (c) =>
      (type === null || type === 'put') &&
      (exact === null || c.expiry === exact) &&
      (gte === null || c.expiry >= gte!) &&
      (lte === null || c.expiry <= lte!) &&
      (sGte === undefined || c.strike >= sGte) &&
      (sLte === undefined || c.strike <= sLte),
  );
  const snaps: Record<string, unknown> = {};
  for (const c of rows.slice(offset, offset + limit)) {
    const sym = c.symbol.replace(/\s+/g, '');
    const quote = quoteOf(ctx, sym, m);
    const bar = ctx.timeline.latestVisible(u, m);
    if (!quote || !bar) continue;
    const occ = parseOccSymbol(sym)!;
    snaps[sym] = { latestQuote: optionQuoteJson(quote), latestTrade: { t: new Date(bar.t + 59_999).toISOString(), p: optionPremium(occ, bar.c, bar.t + 59_999, ctx.putVolatility(occ.underlying)), s: 1, x: 'N', c: 'I' } };
  }
  const next = offset + limit < rows.length ? Buffer.from(String(offset + limit)).toString('base64') : null;
  return json({ snapshots: snaps, next_page_token: next });
}

function optionQuotes(ctx: EmulatorContext, symbols: string[]): RouteResponse {
  if (symbols.length === 0) return bad('symbols is required');
  const m = ctx.marketNow();
  const quotes: Record<string, unknown> = {};
  for (const s of symbols) {
    const sym = s.replace(/\s+/g, '');
    const occ = parseOccSymbol(sym);
    if (occ === null || !listedContracts(occ.underlying, ctx.timeline.all(occ.underlying), ctx.date).some((c) => c.expiry === occ.expiry && c.strike === occ.strike)) continue;
    const q = quoteOf(ctx, sym, m);
    if (q) quotes[sym] = optionQuoteJson(q);
  }
  return json({ quotes });
}
