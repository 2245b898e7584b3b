import type { FastifyRequest } from 'fastify';
import { redactText } from '../../domain/config/secrets';
import type { DashboardContext } from '../http/context';
import { pageCtx, requireSession } from '../http/guards';
import { queryParam, sendHtml } from '../http/request';
import { recentLogEntries, type LogEntry, type LogKind } from '../logSource';
import { logsFragment, logsPage } from '../views';
import type { RoutePlugin } from './plugin';

/** The newest events of the worker's logs of the current mode, by kind. */
export const logsRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/logs', async (req, reply) => {
    const s = requireSession(ctx, req, reply);
    if (!s) return reply;
    const kind = logKind(req);
    return sendHtml(reply, logsPage(pageCtx(ctx, 'Logs', 'logs', s), { kind, entries: entriesFor(ctx, kind), mode: ctx.mode }));
  });

  app.get('/logs/fragment', async (req, reply) => {
    const s = requireSession(ctx, req, reply, false);
    if (!s) return reply;
    return sendHtml(reply, logsFragment(entriesFor(ctx, logKind(req))));
  });
};

function logKind(req: FastifyRequest): LogKind | 'all' {
  const k = queryParam(req, 'kind');
  return k === 'strategy' || k === 'alert' || k === 'error' ? k : 'all';
}

function entriesFor(ctx: DashboardContext, kind: LogKind | 'all'): LogEntry[] {
  const entries = recentLogEntries(ctx.outputDir, ctx.mode, { kinds: kind === 'all' ? undefined : [kind], limit: 200 });
  const secrets = [...ctx.secrets];
  // Defence in depth: the writers redact, and so does the page.
  return entries.map((e) => ({ ...e, message: redactText(e.message, secrets), detail: redactText(e.detail, secrets) }));
}
