import type { FastifyReply, FastifyRequest } from 'fastify';
import { redactText } from '../../domain/config/secrets';
import { bearerToken, tokenMatches } from '../apiToken';
import type { DashboardContext } from '../http/context';
import { clientOf, todayUtc, validDate } from '../http/request';
import { clientErrorCode, errorText } from '../http/security';
import { queryTrades } from '../trades/tradeQuery';
import { clip } from '../webLog';
import type { RoutePlugin } from './plugin';

/*
 * The read-only JSON API for scripts (docs/dashboard.md, "JSON API"), under /api/v1: the day's status and
 * the trade history with the trades page's filters. Authenticated by `Authorization: Bearer
 * <DASHBOARD_API_TOKEN>` only (no cookie, so a browser session cannot be abused through it, and no query
 * parameter, which proxies log). Without a configured token the API is off and answers 404. Wrong tokens
 * count per client like failed logins and lock the client out the same way.
 */

export const API_PREFIX = '/api/v1';
/** Trades one answer holds unless `limit` says otherwise. */
export const API_TRADE_LIMIT = 1000;

export const apiRoutes: RoutePlugin = async (app, { ctx }) => {
  app.addHook('onRequest', async (req, reply) => {
    const refusal = refusalOf(ctx, req);
    if (refusal !== null) return sendJson(reply, refusal.status, { error: refusal.error }, refusal.headers);
    return undefined;
  });
  app.setErrorHandler((err, _req, reply) => {
    const code = clientErrorCode(err);
    if (code === 500) ctx.onError(redactText(errorText(err), [...ctx.secrets]));
    void sendJson(reply, code, { error: code === 500 ? 'internal error (logged)' : 'bad request' });
  });
  app.setNotFoundHandler((req, reply) => {
    void sendJson(reply, 404, { error: `no such API path ${clip(req.url.split('?')[0], 80)}; there are GET ${API_PREFIX}/status and GET ${API_PREFIX}/trades` });
  });

  app.get('/status', async (req, reply) => {
    const problems = statusQueryProblems(req.query);
    if (problems.length > 0) return sendJson(reply, 400, { error: problems.join('; '), problems });
    const date = validDate((req.query as Record<string, unknown>).date) ?? todayUtc();
    const result = await ctx.status.get(ctx.dayWorkflowIdFor(date));
    return sendJson(reply, 200, { date, ...result, fetchedAt: new Date(result.fetchedAt).toISOString() });
  });

  app.get('/trades', async (req, reply) => {
    const r = queryTrades(ctx.trades, req.query, { mode: ctx.mode, limit: API_TRADE_LIMIT });
    if (!r.ok) return sendJson(reply, 400, { error: r.problems.join('; '), problems: r.problems });
    const { limit, ...filter } = r.filter;
    const cents = r.matched.reduce((sum, t) => sum + Math.round(t.pnl * 100), 0);
    return sendJson(reply, 200, {
      filter,
      limit,
      count: r.matched.length,
      realizedPnl: cents / 100,
      unreadable: r.history.unreadable,
      problem: r.history.problem,
      trades: r.matched.slice(0, limit),
    });
  });
};

interface Refusal {
  readonly status: number;
  readonly error: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Why a request may not use the API, or null when its token is right. */
function refusalOf(ctx: DashboardContext, req: FastifyRequest): Refusal | null {
  if (ctx.apiToken === null) return { status: 404, error: 'the JSON API is off: set DASHBOARD_API_TOKEN in .env to switch it on' };
  const client = clientOf(req);
  const challenge = { 'WWW-Authenticate': 'Bearer realm="tradebot"' };
  const lockedMs = ctx.apiLimiter.lockedFor(client);
  if (lockedMs > 0) return refuse(ctx, req, 'locked_out', lockout(lockedMs));
  const sent = bearerToken(req.headers.authorization);
  if (sent === null) return refuse(ctx, req, 'missing_token', { status: 401, error: 'send the token in the header Authorization: Bearer <DASHBOARD_API_TOKEN>', headers: challenge });
  if (tokenMatches(sent, ctx.apiToken)) {
    ctx.apiLimiter.succeed(client);
    return null;
  }
  const lockedNow = ctx.apiLimiter.fail(client);
  return refuse(ctx, req, 'wrong_token', lockedNow > 0 ? lockout(lockedNow) : { status: 401, error: 'wrong API token', headers: challenge });
}

function lockout(ms: number): Refusal {
  const seconds = Math.ceil(ms / 1000);
  return { status: 429, error: `too many wrong tokens from your address; try again in ${seconds} s`, headers: { 'Retry-After': String(seconds) } };
}

/** Recorded in auth_failures.log with the address and path, never the token sent. */
function refuse(ctx: DashboardContext, req: FastifyRequest, reason: string, r: Refusal): Refusal {
  ctx.webLog.authFailure({ event: 'api_refused', reason, client: clientOf(req), path: clip(req.url.split('?')[0], 120) });
  return r;
}

function statusQueryProblems(query: unknown): string[] {
  const q = (query ?? {}) as Record<string, unknown>;
  const problems = Object.keys(q)
    .filter((k) => k !== 'date')
    .map((k) => `unknown parameter ${clip(k, 40)} (allowed: date)`);
  if (q.date !== undefined && validDate(q.date) === null) problems.push(`date=${clip(q.date, 40)} is invalid (allowed: a date YYYY-MM-DD)`);
  return problems;
}

function sendJson(reply: FastifyReply, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): FastifyReply {
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
