import { isTradingDay, regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { addDays, utcMsToNyWallTime } from '../../domain/market/nyTime';
import { nextOpenClose, nyIso, sessionPhase } from '../../domain/emulator/clock';
import { listedContracts } from '../../domain/emulator/options';
import { ALPACA_CODES } from '../../domain/emulator/orders';
import { uuidV5 } from '../../domain/ledger/uuid';
import { assetId } from './alpacaJson';
import type { EmulatorContext } from './context';
import { alpacaError, json, listParam, numberParam, type RouteRequest, type RouteResponse } from './http';

/** Trading API endpoints about the market rather than the account: clock, calendar, option contracts. */

export function clockRoute(ctx: EmulatorContext): RouteResponse {
  const m = ctx.marketNow();
  const { nextOpenMs, nextCloseMs } = nextOpenClose(m);
  return json({ timestamp: nyIso(m), is_open: sessionPhase(m) === 'open', next_open: nyIso(nextOpenMs), next_close: nyIso(nextCloseMs) });
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function nyHhmm(ms: number): string {
  return utcMsToNyWallTime(ms).hhmm;
}

export function calendarRoute(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  const start = (req.query.get('start') ?? addDays(ctx.date, -365)).slice(0, 10);
  const end = (req.query.get('end') ?? addDays(ctx.date, 365)).slice(0, 10);
  if (!DATE_RE.test(start) || !DATE_RE.test(end)) return alpacaError(422, ALPACA_CODES.invalid, 'start and end must be dates (YYYY-MM-DD)');
  const days: Record<string, unknown>[] = [];
  for (let d = start; d <= end && days.length < 2000; d = addDays(d, 1)) {
    const s = isTradingDay(d) ? regularSessionUtc(d) : null;
    if (s === null) continue;
    let settle = addDays(d, 1);
    while (!isTradingDay(settle)) settle = addDays(settle, 1);
    days.push({ date: d, open: nyHhmm(s.openMs), close: nyHhmm(s.closeMs), session_open: '0400', session_close: '2000', settlement_date: settle });
  }
  return json(days);
}

/** The Saturday that ends `date`'s week (Alpaca's default upper bound of expiration_date_lte: the next weekend). */
function nextWeekend(date: string): string {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, (6 - dow + 7) % 7);
}

function pageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64');
}

function pageOffset(token: string | null): number | null {
  if (token === null || token === '') return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  return m ? Number(m[1]) : null;
}

export function optionContractsRoute(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  const q = req.query;
  const limit = numberParam(q, 'limit') ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return alpacaError(422, ALPACA_CODES.invalid, 'limit must be an integer from 1 to 10000');
  const offset = pageOffset(q.get('page_token'));
  if (offset === null) return alpacaError(422, ALPACA_CODES.invalid, 'invalid page_token');
  const exact = q.get('expiration_date');
  const gte = q.get('expiration_date_gte') ?? (exact === null ? ctx.date : null);
  const lte = q.get('expiration_date_lte') ?? (exact === null ? nextWeekend(ctx.date) : null);
  const sGte = numberParam(q, 'strike_price_gte');
  const sLte = numberParam(q, 'strike_price_lte');
  const type = q.get('type');
  const status = q.get('status') ?? 'active';
  const root = q.get('root_symbol');
  const rows = listParam(q, 'underlying_symbols')
    .flatMap((u) => listedContracts(u.toUpperCase(), ctx.timeline.all(u.toUpperCase()), ctx.date).map((c) => ({ u: u.toUpperCase(), c })))
    .filter(({ c }) => (exact === null || c.expiry === exact) && (gte === null || c.expiry >= gte) && (lte === null || c.expiry <= lte))
    .filter(({ c }) => (sGte === undefined || c.strike >= sGte) && (sLte === undefined || c.strike <= sLte))
    .filter(({ u }) => (type === null || type === 'put') && status === 'active' && (root === null || root === u));
  const page = rows.slice(offset, offset + limit).map(({ u, c }) => contractJson(u, c.symbol.replace(/\s+/g, ''), c.expiry, c.strike));
  const next = offset + limit < rows.length ? pageToken(offset + limit) : null;
  return json({ option_contracts: page, next_page_token: next });
}

function contractJson(underlying: string, symbol: string, expiry: string, strike: number): Record<string, unknown> {
  return {
    id: uuidV5(`contract:${symbol}`, '5e1d2c3b-4a59-4867-9a8b-7c6d5e4f3a2b'),
    symbol,
    name: `${underlying} ${expiry} ${strike} Put`,
    status: 'active',
    tradable: true,
    expiration_date: expiry,
    root_symbol: underlying,
    underlying_symbol: underlying,
    underlying_asset_id: assetId(underlying),
    type: 'put',
    style: 'american',
    strike_price: String(strike),
    multiplier: '100',
    size: '100',
    open_interest: null,
    open_interest_date: null,
    close_price: null,
    close_price_date: null,
  };
}
