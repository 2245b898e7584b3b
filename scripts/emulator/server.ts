import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALPACA_CODES } from '../../domain/emulator/orders';
import type { EmulatorContext } from './context';
import { dataRoute } from './dataRoutes';
import type { FaultInjector, FaultKind, FaultScope } from './faults';
import { finnhubRoute } from './finnhubRoutes';
import { alpacaError, maskedPath, readBody, writeResponse, type RouteRequest, type RouteResponse } from './http';
import type { Journal } from './journal';
import { tradingRoute } from './tradingRoutes';

/**
 * One loopback HTTP server, four prefixes: `/trading` (Alpaca Trading API v2), `/data` (Alpaca Market Data
 * API), `/finnhub/api/v1` (Finnhub-shaped), `/vix` (the VIX CSV), plus the `/emulator` control surface.
 * Every API request passes, in order: faults, authentication, the route, the rate-limit headers, the journal.
 */

export const PREFIXES = { trading: '/trading', data: '/data', finnhub: '/finnhub/api/v1', vix: '/vix', control: '/emulator' } as const;

export interface ServerOptions {
  readonly keyId: string;
  readonly secret: string;
  readonly finnhubToken: string;
  /** Requests per real minute before Alpaca answers 429 (0: not enforced; the headers still count). */
  readonly rateLimitPerMinute: number;
  readonly control: (req: RouteRequest) => RouteResponse;
}

type Scope = FaultScope | 'vix' | 'control';

const ALPACA_LIMIT = 200;

function scopeOf(pathname: string): { scope: Scope; rest: string } | null {
  for (const [scope, prefix] of Object.entries(PREFIXES) as [Scope, string][]) {
    if (pathname === prefix || pathname.startsWith(`${prefix}/`)) return { scope, rest: pathname.slice(prefix.length) || '/' };
  }
  return null;
}

export class EmulatorServer {
  private readonly server: http.Server;
  private readonly held = new Set<http.ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private window = { startMs: 0, count: 0 };

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly faults: FaultInjector,
    private readonly journal: Journal,
    private readonly opts: ServerOptions,
  ) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) writeResponse(res, alpacaError(500, ALPACA_CODES.internal, `emulator error: ${(err as Error).message}`));
      });
    });
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const res of this.held) res.destroy();
    this.held.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const where = scopeOf(url.pathname);
    const text = method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readBody(req) : '';
    const record = (status: number | null, fault: string | null) => this.record(method, url, status, fault, started);
    if (where === null) {
      writeResponse(res, alpacaError(404, ALPACA_CODES.notFound, `${url.pathname}: not under /trading, /data, /finnhub/api/v1, /vix or /emulator`));
      return record(404, null);
    }
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      writeResponse(res, alpacaError(400, 40010000, 'request body format is invalid'));
      return record(400, null);
    }
    const request: RouteRequest = { method, path: where.rest, query: url.searchParams, body };
    if (where.scope === 'control') {
      const r = this.opts.control(request);
      writeResponse(res, r);
      return;
    }
    if (where.scope === 'vix') {
      const r = this.ctx.vixCsv === null ? { status: 404, text: 'no VIX series configured\n' } : { status: 200, text: this.ctx.vixCsv };
      writeResponse(res, r);
      return record(r.status, null);
    }
    this.apiRequest(where.scope, request, url, req, res, record);
  }

  private apiRequest(scope: FaultScope, request: RouteRequest, url: URL, req: http.IncomingMessage, res: http.ServerResponse, record: (status: number | null, fault: string | null) => void): void {
    if (this.faults.silent(scope)) {
      this.faults.injected.silent += 1;
      this.hold(res, null);
      return record(null, 'silent_broker');
    }
    const fault = this.faults.decide(scope, request.method, request.path, carriedClientOrderId(request));
    if (fault === 'timeout') {
      this.hold(res, this.faults.current.holdMs);
      return record(null, 'timeout');
    }
    if (fault === 'error' || fault === 'rate_limit') {
      const r = this.faultResponse(scope, fault);
      writeResponse(res, r, this.rateHeaders(scope, fault === 'rate_limit'));
      return record(r.status, fault);
    }
    const auth = this.authenticate(scope, req, url);
    const limited = auth === null && this.overLimit(scope);
    const r = auth ?? (limited ? this.faultResponse(scope, 'rate_limit') : this.route(scope, request));
    this.drainEvents();
    if (fault === 'drop') {
      req.socket.destroy();
      return record(null, 'drop');
    }
    writeResponse(res, r, this.rateHeaders(scope, limited));
    record(r.status, limited ? 'rate_limit' : null);
  }

  private route(scope: FaultScope, request: RouteRequest): RouteResponse {
    if (scope === 'trading') return tradingRoute(this.ctx, request);
    if (scope === 'data') return dataRoute(this.ctx, request);
    return finnhubRoute(this.ctx, request);
  }

  /** Alpaca: both key headers must match the configured pair; Finnhub: the token by header or query. */
  private authenticate(scope: FaultScope, req: http.IncomingMessage, url: URL): RouteResponse | null {
    if (scope === 'finnhub') {
      const token = (req.headers['x-finnhub-token'] as string | undefined) ?? url.searchParams.get('token');
      if (!token) return { status: 401, body: { error: 'Please use an API key.' } };
      return token === this.opts.finnhubToken ? null : { status: 401, body: { error: 'Invalid API key' } };
    }
    const key = req.headers['apca-api-key-id'];
    const secret = req.headers['apca-api-secret-key'];
    if (key === this.opts.keyId && secret === this.opts.secret) return null;
    return alpacaError(401, ALPACA_CODES.unauthorized, 'request is not authorized');
  }

  private overLimit(scope: FaultScope): boolean {
    if (scope === 'finnhub') return false;
    this.tick();
    this.window.count += 1;
    return this.opts.rateLimitPerMinute > 0 && this.window.count > this.opts.rateLimitPerMinute;
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.window.startMs >= 60_000) this.window = { startMs: now, count: 0 };
  }

  private rateHeaders(scope: FaultScope, limited: boolean): Record<string, string> {
    if (scope === 'finnhub') return limited ? { 'X-Ratelimit-Limit': '60', 'X-Ratelimit-Remaining': '0', 'X-Ratelimit-Reset': String(Math.ceil(Date.now() / 1000) + 1) } : {};
    this.tick();
    const limit = this.opts.rateLimitPerMinute > 0 ? this.opts.rateLimitPerMinute : ALPACA_LIMIT;
    return {
      'X-RateLimit-Limit': String(limit),
      'X-RateLimit-Remaining': String(limited ? 0 : Math.max(0, limit - this.window.count)),
      'X-RateLimit-Reset': String(Math.ceil((this.window.startMs + 60_000) / 1000)),
    };
  }

  private faultResponse(scope: FaultScope, fault: Extract<FaultKind, 'error' | 'rate_limit'>): RouteResponse {
    if (scope === 'finnhub') {
      return fault === 'error' ? { status: 500, body: { error: 'internal server error' } } : { status: 429, body: { error: 'API limit reached. Please try again later. Remaining Limit: 0' } };
    }
    return fault === 'error' ? alpacaError(500, ALPACA_CODES.internal, 'internal server error occurred') : alpacaError(429, ALPACA_CODES.rateLimited, 'rate limit exceeded');
  }

  /** Holds an answer: forever (silent broker) or `ms`, then 504; a client that gives up closes it. */
  private hold(res: http.ServerResponse, ms: number | null): void {
    this.held.add(res);
    res.on('close', () => this.held.delete(res));
    if (ms === null) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.held.has(res)) return;
      this.held.delete(res);
      writeResponse(res, alpacaError(504, 50410000, 'gateway timeout'));
    }, ms);
    this.timers.add(t);
  }

  private drainEvents(): void {
    const events = this.ctx.engine.events.splice(0);
    const realTime = new Date().toISOString();
    for (const e of events) {
      this.journal.add({ kind: 'order', realTime, marketTime: new Date(e.marketMs).toISOString(), event: e.event, orderId: e.orderId, clientOrderId: e.clientOrderId, symbol: e.symbol, side: e.side, qty: e.qty, ...(e.price !== undefined ? { price: e.price } : {}), ...(e.detail !== undefined ? { detail: e.detail } : {}) });
    }
  }

  private record(method: string, url: URL, status: number | null, fault: string | null, started: number): void {
    this.journal.add({ kind: 'request', realTime: new Date(started).toISOString(), marketTime: new Date(this.ctx.marketNow()).toISOString(), method, path: maskedPath(url), status, fault, durationMs: Date.now() - started });
  }

  /** Order events that happened with no request (the clock passing a stop, the close) reach the journal here. */
  flushEvents(): void {
    this.drainEvents();
  }
}

/** The client order id a trading request carries: an order's body, or a lookup by client order id. */
function carriedClientOrderId(request: RouteRequest): string | null {
  const fromBody = (request.body as { client_order_id?: unknown } | undefined)?.client_order_id;
  if (typeof fromBody === 'string') return fromBody;
  return request.query.get('client_order_id');
}
