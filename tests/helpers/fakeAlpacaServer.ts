import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { marketData, trading } from '@alpacahq/alpaca-trade-api';
import { AlpacaBroker, type AlpacaBrokerOptions } from '../../activities/broker/alpaca/alpacaBroker';
import { createAlpacaLimiters } from '../../activities/broker/alpaca/alpacaLimiters';

/**
 * A loopback HTTP server that answers like Alpaca's Trading API (paper-api / api) and Market Data API
 * (data.alpaca.markets), for contract tests of the Alpaca adapter. Response bodies are built from the
 * request and response types of @alpacahq/alpaca-trade-api v4 (generated from Alpaca's OpenAPI
 * specifications) and serialised with the SDK's own `...ToJSON` functions, so the JSON has Alpaca's field
 * names and types. Error bodies use Alpaca's `{ code, message }` envelope with the codes Alpaca documents
 * or is known to send (40010001 duplicate client_order_id, 40310000 buying power, 40310100 PDT, 40410000
 * not found, 42210000 unprocessable, 42910000 rate limit, 50010000 internal error).
 *
 * Faults can be injected per route: an HTTP status with a body, a response that never comes (timeout),
 * a reset connection, or "process then fail" (the order is created but the answer is lost), which is the
 * case idempotent client order ids exist for.
 */

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly headers: http.IncomingHttpHeaders;
}

export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'reset' }
  /** Handle the request (e.g. create the order), then answer with this status instead of the result. */
  | { readonly kind: 'process_then_status'; readonly status: number; readonly body?: unknown }
  /** Handle the request, then never answer. */
  | { readonly kind: 'process_then_timeout' };

interface InjectedFault {
  readonly method: string | null;
  readonly path: string | RegExp;
  remaining: number;
  readonly fault: Fault;
}

/** How the fake market fills a market order for a symbol. */
export type FillBehaviour =
  | { readonly kind: 'fill' }
  /** Accepted, then filled on the n-th status read. */
  | { readonly kind: 'fill_after_polls'; readonly polls: number }
  /** Part fills at once and the rest never does (until cancelled). */
  | { readonly kind: 'partial'; readonly fraction: number }
  /** Stays `new` forever. */
  | { readonly kind: 'pending' }
  /** Alpaca accepts the order and later marks it rejected. */
  | { readonly kind: 'async_reject' }
  /** The POST itself is refused with Alpaca's error body. */
  | { readonly kind: 'refuse'; readonly status: number; readonly code: number; readonly message: string; readonly extra?: Record<string, string> };

export interface FakeAsset {
  readonly fractionable: boolean;
  readonly shortable: boolean;
  readonly easyToBorrow: boolean;
  readonly tradable: boolean;
}

export interface FakeAccountState {
  equity: number;
  cash: number;
  buyingPower: number;
  status: trading.AccountStatus;
  optionsTradingLevel: 0 | 1 | 2 | 3;
  shortingEnabled: boolean;
  tradingBlocked: boolean;
}

export const ALPACA_ERRORS = {
  unauthorized: { status: 401, body: { code: 40110000, message: 'request is not authorized' } },
  duplicateClientOrderId: { status: 422, body: { code: 40010001, message: 'client_order_id must be unique' } },
  notFound: { status: 404, body: { code: 40410000, message: 'order not found' } },
  rateLimited: { status: 429, body: { code: 42910000, message: 'rate limit exceeded' } },
  internal: { status: 500, body: { code: 50010000, message: 'internal server error occurred' } },
  pdt: { status: 403, code: 40310100, message: 'trade denied due to pattern day trading protection' },
  buyingPower: { status: 403, code: 40310000, message: 'insufficient buying power' },
  notShortable: (symbol: string) => ({ status: 422, code: 42210000, message: `asset ${symbol} cannot be sold short` }),
} as const;

export class FakeAlpacaServer {
  readonly requests: FakeRequest[] = [];
  readonly orders: trading.Order[] = [];
  readonly account: FakeAccountState = {
    equity: 100_000,
    cash: 100_000,
    buyingPower: 200_000,
    status: 'ACTIVE',
    optionsTradingLevel: 2,
    shortingEnabled: true,
    tradingBlocked: false,
  };
  readonly prices = new Map<string, number>();
  readonly assets = new Map<string, FakeAsset>();
  readonly fills = new Map<string, FillBehaviour>();
  /** Minute bars per symbol (t = epoch ms of the bar start). */
  readonly bars = new Map<string, { t: number; o: number; h: number; l: number; c: number; v: number }[]>();
  readonly optionContracts: { symbol: string; underlying: string; expiry: string; strike: number }[] = [];
  clock = { isOpen: true, nextOpen: '2030-01-02T14:30:00Z', nextClose: '2030-01-01T21:00:00Z' };
  /** Max bars per page of /v2/stocks/bars (Alpaca defaults to 1000). */
  barsPageLimit = 1000;
  private readonly faults: InjectedFault[] = [];
  private readonly pollCounts = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly credentials: { keyId: string; secret: string },
  ) {}

  static async start(credentials = { keyId: 'PKTESTKEY', secret: 'test-secret' }): Promise<FakeAlpacaServer> {
    let self: FakeAlpacaServer | null = null;
    const server = http.createServer((req, res) => {
      void self?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new FakeAlpacaServer(server, `http://127.0.0.1:${port}`, credentials);
    server.on('connection', (s) => {
      self?.sockets.add(s);
      s.on('close', () => self?.sockets.delete(s));
    });
    return self;
  }

  async close(): Promise<void> {
    for (const r of this.held) r.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Injects a fault on the next `times` requests matching method and path. */
  inject(path: string | RegExp, fault: Fault, opts: { method?: string; times?: number } = {}): void {
    this.faults.push({ method: opts.method?.toUpperCase() ?? null, path, remaining: opts.times ?? 1, fault });
  }

  count(method: string, path: string | RegExp): number {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path))).length;
  }

  private takeFault(method: string, path: string): Fault | null {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      if (f.method !== null && f.method !== method) continue;
      if (typeof f.path === 'string' ? f.path !== path : !f.path.test(path)) continue;
      f.remaining--;
      return f.fault;
    }
    return null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const request: FakeRequest = { method, path: u.pathname, query: u.searchParams, body: text ? JSON.parse(text) : null, headers: req.headers };
    this.requests.push(request);

    const fault = this.takeFault(method, u.pathname);
    if (fault?.kind === 'timeout') {
      this.held.add(res);
      return;
    }
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      this.send(res, fault.status, fault.body ?? { code: fault.status * 100000, message: http.STATUS_CODES[fault.status] ?? 'error' }, fault.headers);
      return;
    }

    if (req.headers['apca-api-key-id'] !== this.credentials.keyId || req.headers['apca-api-secret-key'] !== this.credentials.secret) {
      this.send(res, ALPACA_ERRORS.unauthorized.status, ALPACA_ERRORS.unauthorized.body);
      return;
    }

    const [status, body] = this.route(request);
    if (fault?.kind === 'process_then_status') {
      this.send(res, fault.status, fault.body ?? ALPACA_ERRORS.internal.body);
      return;
    }
    if (fault?.kind === 'process_then_timeout') {
      this.held.add(res);
      return;
    }
    this.send(res, status, body);
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const rateHeaders = { 'X-RateLimit-Limit': '200', 'X-RateLimit-Remaining': status === 429 ? '0' : '199', 'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 1) };
    if (status === 204) {
      res.writeHead(204, { ...rateHeaders, 'X-Request-ID': randomUUID(), ...headers });
      res.end();
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Request-ID': randomUUID(), ...rateHeaders, ...headers });
    res.end(JSON.stringify(body));
  }

  private route(r: FakeRequest): [number, unknown] {
    const p = r.path;
    if (r.method === 'GET' && p === '/v2/account') return [200, trading.AccountToJSON(this.accountModel())];
    if (r.method === 'GET' && p === '/v2/clock') return [200, trading.LegacyClockToJSON(this.clockModel())];
    if (r.method === 'GET' && p === '/v2/calendar') return [200, this.calendar(r)];
    if (r.method === 'GET' && p === '/v2/positions') return [200, this.positionModels().map((x) => trading.PositionToJSON(x))];
    if (r.method === 'POST' && p === '/v2/orders') return this.postOrder(r);
    if (r.method === 'GET' && p === '/v2/orders') return [200, this.listOrders(r).map((o) => trading.OrderToJSON(o))];
    if (r.method === 'GET' && p === '/v2/orders:by_client_order_id') {
      const o = this.orders.find((x) => x.clientOrderId === r.query.get('client_order_id'));
      return o ? [200, trading.OrderToJSON(this.advance(o))] : [404, ALPACA_ERRORS.notFound.body];
    }
    let m = /^\/v2\/orders\/([^/]+)$/.exec(p);
    if (m) {
      const o = this.orders.find((x) => x.id === m?.[1]);
      if (!o) return [404, ALPACA_ERRORS.notFound.body];
      if (r.method === 'GET') return [200, trading.OrderToJSON(this.advance(o))];
      if (r.method === 'DELETE') return this.cancel(o);
    }
    m = /^\/v2\/assets\/([^/]+)$/.exec(p);
    if (m && r.method === 'GET') {
      const sym = decodeURIComponent(m[1]);
      const a = this.assets.get(sym) ?? (this.prices.has(sym) ? { fractionable: true, shortable: true, easyToBorrow: true, tradable: true } : null);
      if (!a) return [404, { code: 40410000, message: 'asset not found' }];
      return [200, trading.AssetsToJSON(this.assetModel(sym, a))];
    }
    if (r.method === 'GET' && p === '/v2/options/contracts') return [200, this.contracts(r)];
    if (r.method === 'GET' && p === '/v2/stocks/bars') return [200, this.stockBars(r)];
    if (r.method === 'GET' && p === '/v2/stocks/quotes/latest') return [200, this.stockQuotes(r)];
    if (r.method === 'GET' && p === '/v1beta1/options/quotes/latest') return [200, this.optionQuotes(r)];
    return [404, { code: 40410000, message: 'endpoint not found' }];
  }

  private accountModel(): trading.Account {
    const a = this.account;
    return {
      id: 'c8f1ef5d-edc0-4f23-9ee4-378f19cb92a4',
      accountNumber: 'PA3ABCDEFGH1',
      status: a.status,
      currency: 'USD',
      cash: a.cash.toFixed(2),
      equity: a.equity.toFixed(2),
      lastEquity: a.equity.toFixed(2),
      portfolioValue: a.equity.toFixed(2),
      buyingPower: a.buyingPower.toFixed(2),
      regtBuyingPower: a.buyingPower.toFixed(2),
      nonMarginableBuyingPower: a.cash.toFixed(2),
      patternDayTrader: false,
      tradingBlocked: a.tradingBlocked,
      transfersBlocked: false,
      accountBlocked: false,
      tradeSuspendedByUser: false,
      shortingEnabled: a.shortingEnabled,
      multiplier: '2',
      optionsApprovedLevel: a.optionsTradingLevel,
      optionsTradingLevel: a.optionsTradingLevel,
      createdAt: new Date('2024-01-02T15:00:00Z'),
    };
  }

  private clockModel(): trading.LegacyClock {
    return { timestamp: new Date(), isOpen: this.clock.isOpen, nextOpen: new Date(this.clock.nextOpen), nextClose: new Date(this.clock.nextClose) };
  }

  private calendar(r: FakeRequest): unknown[] {
    // Alpaca takes a date or an RFC 3339 time for start and end.
    const start = (r.query.get('start') ?? '2025-01-02').slice(0, 10);
    const end = (r.query.get('end') ?? start).slice(0, 10);
    const out: unknown[] = [];
    for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`); t += 86_400_000) {
      const d = new Date(t);
      if (d.getUTCDay() === 0 || d.getUTCDay() === 6) continue;
      const day: trading.LegacyCalendarDay = { date: d, open: '09:30', close: '16:00', sessionOpen: '0400', sessionClose: '2000', settlementDate: new Date(t + 86_400_000) };
      out.push(trading.LegacyCalendarDayToJSON(day));
    }
    return out;
  }

  private assetModel(symbol: string, a: FakeAsset): trading.Assets {
    return {
      id: randomUUID(),
      _class: 'us_equity',
      exchange: 'NASDAQ',
      symbol,
      name: `${symbol} Inc.`,
      status: 'active',
      tradable: a.tradable,
      marginable: true,
      shortable: a.shortable,
      easyToBorrow: a.easyToBorrow,
      fractionable: a.fractionable,
    };
  }

  /** Net positions from the filled quantities of every order, as Alpaca reports them. */
  positionModels(): trading.Position[] {
    const net = new Map<string, { qty: number; cost: number }>();
    for (const o of this.orders) {
      const filled = Number(o.filledQty ?? 0);
      if (!(filled > 0)) continue;
      const price = Number(o.filledAvgPrice ?? 0);
      const p = net.get(String(o.symbol)) ?? { qty: 0, cost: 0 };
      const signed = o.side === 'buy' ? filled : -filled;
      if (p.qty === 0 || Math.sign(p.qty) === Math.sign(signed)) p.cost += signed * price;
      else p.cost = p.qty + signed === 0 ? 0 : (p.cost / p.qty) * (p.qty + signed);
      p.qty += signed;
      net.set(String(o.symbol), p);
    }
    const out: trading.Position[] = [];
    for (const [symbol, p] of net) {
      if (Math.abs(p.qty) < 1e-9) continue;
      const avg = p.cost / p.qty;
      const current = this.prices.get(symbol) ?? avg;
      const option = /\d{6}[CP]\d{8}$/.test(symbol);
      out.push({
        assetId: randomUUID(),
        symbol,
        exchange: option ? '' : 'NASDAQ',
        assetClass: option ? 'us_option' : 'us_equity',
        assetMarginable: !option,
        avgEntryPrice: avg.toFixed(4),
        qty: String(p.qty),
        qtyAvailable: String(p.qty),
        side: p.qty > 0 ? 'long' : 'short',
        marketValue: (current * p.qty).toFixed(2),
        costBasis: (avg * p.qty).toFixed(2),
        unrealizedPl: ((current - avg) * p.qty).toFixed(2),
        unrealizedPlpc: '0',
        unrealizedIntradayPl: '0',
        unrealizedIntradayPlpc: '0',
        currentPrice: current.toFixed(2),
        lastdayPrice: current.toFixed(2),
        changeToday: '0',
      } as trading.Position);
    }
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  private postOrder(r: FakeRequest): [number, unknown] {
    const req = trading.PostOrderRequestFromJSON(r.body);
    if (req.clientOrderId && this.orders.some((o) => o.clientOrderId === req.clientOrderId)) {
      return [ALPACA_ERRORS.duplicateClientOrderId.status, ALPACA_ERRORS.duplicateClientOrderId.body];
    }
    const symbol = String(req.symbol);
    const qty = Number(req.qty);
    if (!(qty > 0)) return [422, { code: 40010001, message: 'qty must be > 0' }];
    const isStop = req.type === 'stop' || req.type === 'trailing_stop';
    if (!Number.isInteger(qty) && req.type === 'trailing_stop') {
      return [422, { code: 42210000, message: 'fractional orders must be market, limit, stop or stop_limit orders' }];
    }
    const behaviour = isStop ? ({ kind: 'pending' } as const) : (this.fills.get(symbol) ?? { kind: 'fill' as const });
    if (behaviour.kind === 'refuse') {
      return [behaviour.status, { ...(behaviour.extra ?? {}), code: behaviour.code, message: behaviour.message }];
    }
    if (this.account.tradingBlocked) return [403, { code: 40310000, message: 'new orders are rejected by user request' }];
    const now = new Date();
    const order: trading.Order = {
      id: randomUUID(),
      clientOrderId: req.clientOrderId ?? randomUUID(),
      createdAt: now,
      updatedAt: now,
      submittedAt: now,
      filledAt: null,
      expiredAt: null,
      canceledAt: null,
      failedAt: null,
      replacedAt: null,
      replacedBy: null,
      replaces: null,
      assetId: randomUUID(),
      symbol,
      assetClass: /\d{6}[CP]\d{8}$/.test(symbol) ? 'us_option' : 'us_equity',
      notional: null,
      qty: String(qty),
      filledQty: '0',
      filledAvgPrice: null,
      orderClass: 'simple',
      orderType: req.type,
      type: req.type,
      side: req.side,
      timeInForce: req.timeInForce,
      limitPrice: null,
      stopPrice: req.stopPrice ?? null,
      trailPercent: req.trailPercent ?? null,
      trailPrice: null,
      hwm: null,
      status: 'accepted',
      extendedHours: false,
      legs: null,
    };
    this.orders.push(order);
    this.applyFill(order, behaviour, true);
    return [200, trading.OrderToJSON(order)];
  }

  private applyFill(o: trading.Order, b: FillBehaviour, onCreate: boolean): void {
    const price = this.prices.get(String(o.symbol)) ?? 100;
    const qty = Number(o.qty);
    const fill = (q: number) => {
      o.filledQty = String(q);
      o.filledAvgPrice = price.toFixed(2);
      o.filledAt = new Date();
      o.updatedAt = new Date();
    };
    if (o.status === 'canceled' || o.status === 'filled' || o.status === 'rejected') return;
    switch (b.kind) {
      case 'fill':
        fill(qty);
        o.status = 'filled';
        break;
      case 'fill_after_polls': {
        const n = this.pollCounts.get(String(o.id)) ?? 0;
        if (!onCreate && n >= b.polls) {
          fill(qty);
          o.status = 'filled';
        } else o.status = 'new';
        break;
      }
      case 'partial':
        if (onCreate) {
          fill(Math.max(1, Math.floor(qty * b.fraction)));
          o.status = 'partially_filled';
        }
        break;
      case 'pending':
        o.status = 'new';
        break;
      case 'async_reject':
        if (onCreate) o.status = 'new';
        else {
          o.status = 'rejected';
          o.failedAt = new Date();
        }
        break;
      case 'refuse':
        break;
    }
  }

  /** A status read: lets time-based behaviours progress. */
  private advance(o: trading.Order): trading.Order {
    this.pollCounts.set(String(o.id), (this.pollCounts.get(String(o.id)) ?? 0) + 1);
    const isStop = o.type === 'stop' || o.type === 'trailing_stop';
    if (!isStop) this.applyFill(o, this.fills.get(String(o.symbol)) ?? { kind: 'fill' }, false);
    return o;
  }

  private cancel(o: trading.Order): [number, unknown] {
    if (o.status === 'filled' || o.status === 'canceled' || o.status === 'expired' || o.status === 'rejected') {
      return [422, { code: 42210000, message: `order is already in "${String(o.status)}" state` }];
    }
    o.status = 'canceled';
    o.canceledAt = new Date();
    o.updatedAt = new Date();
    return [204, null];
  }

  /** Marks a working stop order filled (the market hit it), now or at the given time. */
  triggerStop(clientOrderId: string, price: number, at?: string): void {
    const o = this.orders.find((x) => x.clientOrderId === clientOrderId);
    if (!o) throw new Error(`no order ${clientOrderId}`);
    o.status = 'filled';
    o.filledQty = o.qty ?? '0';
    o.filledAvgPrice = price.toFixed(2);
    o.filledAt = at === undefined ? new Date() : new Date(at);
  }

  /**
   * GET /v2/orders as Alpaca documents it: status open (default), closed or all; `after` and `until`
   * exclusive on the submission time; `direction` desc (default) or asc; `limit` 50 by default, at most 500.
   */
  private listOrders(r: FakeRequest): trading.Order[] {
    const status = r.query.get('status') ?? 'open';
    const open = (o: trading.Order) => !['filled', 'canceled', 'expired', 'rejected', 'replaced', 'done_for_day'].includes(String(o.status));
    const after = r.query.get('after') ? Date.parse(r.query.get('after') as string) : -Infinity;
    const until = r.query.get('until') ? Date.parse(r.query.get('until') as string) : Infinity;
    const at = (o: trading.Order) => (o.submittedAt ?? o.createdAt ?? new Date(0)).getTime();
    const list = this.orders
      .filter((o) => (status === 'all' ? true : status === 'open' ? open(o) : !open(o)))
      .filter((o) => at(o) > after && at(o) < until)
      .sort((a, b) => at(a) - at(b));
    if (r.query.get('direction') !== 'asc') list.reverse();
    return list.slice(0, Math.min(500, Number(r.query.get('limit') ?? 50)));
  }

  /** Moves an order's submission (and fill) back in time: an order placed on an earlier day. */
  backdate(clientOrderId: string, submittedAt: string): void {
    const o = this.orders.find((x) => x.clientOrderId === clientOrderId);
    if (!o) throw new Error(`no order ${clientOrderId}`);
    const t = new Date(submittedAt);
    o.submittedAt = t;
    o.createdAt = t;
    if (o.filledAt) o.filledAt = new Date(t.getTime() + 1000);
  }

  private contracts(r: FakeRequest): unknown {
    const under = (r.query.get('underlying_symbols') ?? '').split(',');
    const gte = r.query.get('expiration_date_gte') ?? '0000';
    const lte = r.query.get('expiration_date_lte') ?? '9999';
    const list = this.optionContracts.filter((c) => under.includes(c.underlying) && c.expiry >= gte && c.expiry <= lte);
    const models = list.map((c) => {
      const model: trading.OptionContract = {
        id: randomUUID(),
        symbol: c.symbol,
        name: `${c.underlying} put`,
        status: 'active',
        tradable: true,
        expirationDate: new Date(`${c.expiry}T00:00:00Z`),
        rootSymbol: c.underlying,
        underlyingSymbol: c.underlying,
        underlyingAssetId: randomUUID(),
        type: 'put',
        style: 'american',
        strikePrice: c.strike.toFixed(2),
        multiplier: '100',
        size: '100',
      };
      return trading.OptionContractToJSON(model);
    });
    return { option_contracts: models, next_page_token: null };
  }

  private stockBars(r: FakeRequest): unknown {
    const symbols = (r.query.get('symbols') ?? '').split(',').filter(Boolean);
    const start = Date.parse(r.query.get('start') ?? '1970-01-01T00:00:00Z');
    const end = r.query.get('end') ? Date.parse(r.query.get('end') as string) : Infinity;
    const desc = r.query.get('sort') === 'desc';
    const limit = Math.min(Number(r.query.get('limit') ?? this.barsPageLimit), this.barsPageLimit);
    const token = r.query.get('page_token');
    // Alpaca sorts by symbol, then time; the page token resumes after the last bar sent.
    const all: { s: string; b: marketData.StockBar }[] = [];
    for (const s of [...symbols].sort()) {
      const list = (this.bars.get(s) ?? []).filter((b) => b.t >= start && b.t <= end);
      const ordered = desc ? [...list].reverse() : list;
      for (const b of ordered) all.push({ s, b: { t: new Date(b.t), o: b.o, h: b.h, l: b.l, c: b.c, v: b.v, n: 1, vw: b.c } });
    }
    const from = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
    const page = all.slice(from, from + limit);
    const out: Record<string, unknown[]> = {};
    for (const { s, b } of page) (out[s] ??= []).push(marketData.StockBarToJSON(b));
    const next = from + limit < all.length ? Buffer.from(String(from + limit)).toString('base64') : null;
    return { bars: out, next_page_token: next };
  }

  private stockQuotes(r: FakeRequest): unknown {
    const quotes: Record<string, unknown> = {};
    for (const s of (r.query.get('symbols') ?? '').split(',')) {
      const p = this.prices.get(s);
      if (p === undefined) continue;
      const q: marketData.StockQuote = { ap: p + 0.01, as: 3, ax: 'V', bp: p - 0.01, bs: 2, bx: 'V', c: ['R'], t: new Date(), z: 'C' };
      quotes[s] = marketData.StockQuoteToJSON(q);
    }
    return { quotes };
  }

  private optionQuotes(r: FakeRequest): unknown {
    const quotes: Record<string, unknown> = {};
    for (const s of (r.query.get('symbols') ?? '').split(',')) {
      const p = this.prices.get(s);
      if (p === undefined) continue;
      const q: marketData.OptionQuote = { ap: p + 0.05, as: 10, ax: 'C', bp: p - 0.05, bs: 10, bx: 'C', c: 'A', t: new Date() };
      quotes[s] = marketData.OptionQuoteToJSON(q);
    }
    return { quotes };
  }
}

/** The Alpaca adapter pointed at a fake server, with waits cut short so tests run in milliseconds. */
export function fakeServerBroker(server: FakeAlpacaServer, credentials: { keyId: string; secret: string }, over: Partial<AlpacaBrokerOptions> = {}): AlpacaBroker {
  return new AlpacaBroker({
    ...credentials,
    tradingUrl: server.url,
    dataUrl: server.url,
    endpointMode: 'paper',
    timeoutMs: 400,
    fractional: true,
    fillTimeoutMs: 200,
    pollIntervalMs: 5,
    limiters: createAlpacaLimiters(() => new Promise((r) => setImmediate(r))),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
    ...over,
  });
}
