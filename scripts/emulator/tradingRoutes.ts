import { ALPACA_CODES, isOpen, type EmuOrder, type OrderInput } from '../../domain/emulator/orders';
import type { SubmitResult } from '../../domain/emulator/engine';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { sessionHistory } from '../../domain/emulator/screeningFacts';
import { optionPremium } from '../../domain/emulator/options';
import { accountJson, assetJson, orderJson, positionJson } from './alpacaJson';
import { advanced, type EmulatorContext } from './context';
import { alpacaError, json, notFoundRoute, numberParam, timeParam, listParam, type RouteRequest, type RouteResponse } from './http';
import { postOrderSchema, zodMessage, type PostOrderBody } from './schemas';
import { calendarRoute, clockRoute, optionContractsRoute } from './marketRoutes';

/** Alpaca Trading API v2, the endpoints the bot's adapter calls and their close relatives. */

type Handler = (ctx: EmulatorContext, req: RouteRequest, params: string[]) => RouteResponse;

const ROUTES: [string, RegExp, Handler][] = [
  ['GET', /^\/v2\/account$/, account],
  ['POST', /^\/v2\/orders$/, postOrder],
  ['GET', /^\/v2\/orders$/, listOrders],
  ['DELETE', /^\/v2\/orders$/, cancelAll],
  ['GET', /^\/v2\/orders:by_client_order_id$/, byClientId],
  ['GET', /^\/v2\/orders\/([^/]+)$/, getOrder],
  ['DELETE', /^\/v2\/orders\/([^/]+)$/, cancelOrder],
  ['GET', /^\/v2\/positions$/, listPositions],
  ['DELETE', /^\/v2\/positions$/, closeAll],
  ['GET', /^\/v2\/positions\/([^/]+)$/, getPosition],
  ['DELETE', /^\/v2\/positions\/([^/]+)$/, closePosition],
  ['GET', /^\/v2\/assets$/, listAssets],
  ['GET', /^\/v2\/assets\/([^/]+)$/, getAsset],
  ['GET', /^\/v2\/clock$/, (ctx) => clockRoute(ctx)],
  ['GET', /^\/v2\/calendar$/, (ctx, req) => calendarRoute(ctx, req)],
  ['GET', /^\/v2\/options\/contracts$/, (ctx, req) => optionContractsRoute(ctx, req)],
];

export function tradingRoute(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  for (const [method, re, handler] of ROUTES) {
    const m = re.exec(req.path);
    if (m && method === req.method) return handler(ctx, req, m.slice(1).map(decodeURIComponent));
  }
  return notFoundRoute(`${req.method} ${req.path}`);
}

function account(ctx: EmulatorContext): RouteResponse {
  const m = advanced(ctx);
  return json(accountJson(ctx.engine.values(m), ctx.startingCash));
}

/** The body in the engine's terms, or Alpaca's refusal for what the emulator does not model. */
function toOrderInput(b: PostOrderBody): OrderInput | RouteResponse {
  const unsupported = (what: string) => alpacaError(422, ALPACA_CODES.invalid, `${what} is not supported by the emulator`);
  if (b.type === 'limit' || b.type === 'stop_limit') return unsupported(`order type ${b.type}`);
  if (b.time_in_force !== 'day' && b.time_in_force !== 'gtc') return unsupported(`time_in_force ${b.time_in_force}`);
  if (b.notional !== undefined) return unsupported('notional');
  if (b.trail_price !== undefined) return unsupported('trail_price');
  if (b.extended_hours) return alpacaError(422, ALPACA_CODES.invalid, 'extended hours order must be DAY limit orders');
  if (b.qty === undefined) return alpacaError(422, ALPACA_CODES.invalid, 'qty or notional is required');
  return {
    symbol: b.symbol,
    qty: b.qty,
    side: b.side,
    type: b.type,
    timeInForce: b.time_in_force,
    clientOrderId: b.client_order_id,
    stopPrice: b.stop_price,
    trailPercent: b.trail_percent,
  };
}

function submitted(r: SubmitResult): RouteResponse {
  return r.ok ? json(orderJson(r.order)) : alpacaError(r.status, r.code, r.message);
}

function postOrder(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  if (req.body === undefined) return alpacaError(400, 40010000, 'request body format is invalid');
  const parsed = postOrderSchema.safeParse(req.body);
  if (!parsed.success) return alpacaError(422, ALPACA_CODES.invalid, zodMessage(parsed.error));
  const input = toOrderInput(parsed.data);
  if ('status' in input) return input;
  return submitted(ctx.engine.submit(input, ctx.marketNow()));
}

const CLOSED = new Set(['filled', 'canceled', 'expired']);

function listOrders(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  advanced(ctx);
  const q = req.query;
  const status = q.get('status') ?? 'open';
  const limit = numberParam(q, 'limit') ?? 50;
  const after = timeParam(q, 'after');
  const until = timeParam(q, 'until');
  const direction = q.get('direction') ?? 'desc';
  if (!['open', 'closed', 'all'].includes(status)) return alpacaError(422, ALPACA_CODES.invalid, `invalid status ${status}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) return alpacaError(422, ALPACA_CODES.invalid, 'limit must be an integer from 1 to 500');
  if (Number.isNaN(after) || Number.isNaN(until)) return alpacaError(422, ALPACA_CODES.invalid, 'after and until must be timestamps');
  if (direction !== 'asc' && direction !== 'desc') return alpacaError(422, ALPACA_CODES.invalid, `invalid direction ${direction}`);
  const symbols = new Set(listParam(q, 'symbols').map((s) => s.replace(/\s+/g, '')));
  const rows = ctx.engine
    .orders()
    .filter((o) => (status === 'all' ? true : status === 'open' ? isOpen(o) : CLOSED.has(o.status)))
    .filter((o) => (after === undefined || o.createdMs > after) && (until === undefined || o.createdMs < until))
    .filter((o) => symbols.size === 0 || symbols.has(o.symbol))
    .sort((a, b) => (direction === 'asc' ? a.createdMs - b.createdMs : b.createdMs - a.createdMs));
  return json(rows.slice(0, limit).map(orderJson));
}

function found(o: EmuOrder | null): RouteResponse {
  return o ? json(orderJson(o)) : alpacaError(404, ALPACA_CODES.notFound, 'order not found');
}

function getOrder(ctx: EmulatorContext, _req: RouteRequest, [id]: string[]): RouteResponse {
  advanced(ctx);
  return found(ctx.engine.order(id!));
}

function byClientId(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  advanced(ctx);
  const id = req.query.get('client_order_id');
  if (!id) return alpacaError(422, ALPACA_CODES.invalid, 'client_order_id is required');
  return found(ctx.engine.orderByClientId(id));
}

function cancelOrder(ctx: EmulatorContext, _req: RouteRequest, [id]: string[]): RouteResponse {
  const r = ctx.engine.cancel(id!, ctx.marketNow());
  return r.ok ? { status: 204 } : alpacaError(r.status, r.code, r.message);
}

function cancelAll(ctx: EmulatorContext): RouteResponse {
  const canceled = ctx.engine.cancelAll(ctx.marketNow());
  // 207 Multi-Status: one entry per order the cancel was attempted on.
  return json(canceled.map((o) => ({ id: o.id, status: 200 })), 207);
}

function positionOut(ctx: EmulatorContext, symbol: string, m: number): Record<string, unknown> | null {
  const p = ctx.engine.position(symbol);
  if (!p) return null;
  return positionJson(p, ctx.engine.priceAt(p.symbol, m), lastdayPrice(ctx, p.symbol, m), ctx.engine.qtyAvailable(p.symbol));
}

/** The previous session's close (Alpaca's lastday_price). */
function lastdayPrice(ctx: EmulatorContext, symbol: string, m: number): number | null {
  const occ = parseOccSymbol(symbol);
  const pc = sessionHistory(ctx.timeline, occ ? occ.underlying : symbol, ctx.date, m).at(-1)?.close ?? null;
  return pc === null ? null : occ ? optionPremium(occ, pc, m, ctx.putVolatility(occ.underlying)) : pc;
}

function listPositions(ctx: EmulatorContext): RouteResponse {
  const m = advanced(ctx);
  return json(ctx.engine.positions().map((p) => positionOut(ctx, p.symbol, m)));
}

function symbolKey(s: string): string {
  return parseOccSymbol(s) ? s.replace(/\s+/g, '') : s.toUpperCase();
}

function getPosition(ctx: EmulatorContext, _req: RouteRequest, [symbol]: string[]): RouteResponse {
  const m = advanced(ctx);
  const out = positionOut(ctx, symbolKey(symbol!), m);
  return out ? json(out) : alpacaError(404, ALPACA_CODES.notFound, 'position does not exist');
}

function closePosition(ctx: EmulatorContext, req: RouteRequest, [symbol]: string[]): RouteResponse {
  const qty = numberParam(req.query, 'qty');
  const percentage = numberParam(req.query, 'percentage');
  if (qty !== undefined && percentage !== undefined) return alpacaError(422, ALPACA_CODES.invalid, 'only one of qty or percentage may be given');
  if ((qty !== undefined && !(qty > 0)) || (percentage !== undefined && !(percentage > 0 && percentage <= 100))) {
    return alpacaError(422, ALPACA_CODES.invalid, 'qty must be > 0 and percentage from 0 to 100');
  }
  return submitted(ctx.engine.closePosition(symbolKey(symbol!), ctx.marketNow(), { qty, percentage }));
}

function closeAll(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  const m = ctx.marketNow();
  if (req.query.get('cancel_orders') === 'true') ctx.engine.cancelAll(m);
  const results = ctx.engine.positions().map((p) => {
    const r = ctx.engine.closePosition(p.symbol, m);
    return r.ok ? { symbol: p.symbol, status: 200, body: orderJson(r.order) } : { symbol: p.symbol, status: r.status, body: { code: r.code, message: r.message } };
  });
  return json(results, 207);
}

function assetOut(ctx: EmulatorContext, symbol: string): Record<string, unknown> | null {
  const a = ctx.assetOf(symbol);
  if (!a) return null;
  const f = ctx.facts.get(symbol);
  return assetJson(a, f?.fund ?? false, f?.name, f?.exchange);
}

function listAssets(ctx: EmulatorContext, req: RouteRequest): RouteResponse {
  const cls = req.query.get('asset_class');
  if (cls !== null && cls !== 'us_equity') return json([]);
  const status = req.query.get('status');
  if (status !== null && status !== 'active') return json([]);
  const symbols = new Set([...ctx.timeline.symbols(), ...ctx.facts.keys()]);
  return json([...symbols].sort().map((s) => assetOut(ctx, s)).filter((a) => a !== null));
}

function getAsset(ctx: EmulatorContext, _req: RouteRequest, [symbol]: string[]): RouteResponse {
  const out = assetOut(ctx, symbol!.toUpperCase());
  return out ? json(out) : alpacaError(404, ALPACA_CODES.notFound, 'asset not found');
}
