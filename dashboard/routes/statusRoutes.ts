import type { FastifyRequest } from 'fastify';
import type { DashboardContext } from '../http/context';
import { pageCtx, requireSession } from '../http/guards';
import { dateOf, sendHtml, sendText } from '../http/request';
import { streamStatus, tooManyStreams } from '../http/statusStream';
import type { Session } from '../sessions';
import type { StatusResult } from '../statusSource';
import { statusFragment, statusPage, type StatusView } from '../views';
import type { RoutePlugin } from './plugin';

/** The day's status: the page, its live fragment (polled or streamed), and its JSON for the page's own use. */
export const statusRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/', async (req, reply) => {
    const s = requireSession(ctx, req, reply);
    if (!s) return reply;
    return sendHtml(reply, statusPage(pageCtx(ctx, 'Status', 'status', s), await statusView(ctx, req, s)));
  });

  app.get('/status/fragment', async (req, reply) => {
    const s = requireSession(ctx, req, reply, false);
    if (!s) return reply;
    return sendHtml(reply, statusFragment(await statusView(ctx, req, s)));
  });

  app.get('/status.json', async (req, reply) => {
    const s = requireSession(ctx, req, reply, false);
    if (!s) return reply;
    const v = await statusView(ctx, req, s);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(v.result));
  });

  app.get('/events', async (req, reply) => {
    const s = requireSession(ctx, req, reply, false);
    if (!s) return reply;
    if (tooManyStreams(ctx, s)) return sendText(reply, 429, 'too many open live views');
    const date = dateOf(req);
    await streamStatus(ctx, req, reply, s, (result) => viewFor(ctx, date, result, s), ctx.dayWorkflowIdFor(date));
  });
};

async function statusView(ctx: DashboardContext, req: FastifyRequest, s: Session): Promise<StatusView> {
  const date = dateOf(req);
  return viewFor(ctx, date, await ctx.status.get(ctx.dayWorkflowIdFor(date)), s);
}

function viewFor(ctx: DashboardContext, date: string, result: StatusResult, s: Session): StatusView {
  return { date, result, temporalUiUrl: ctx.temporalUiUrl, namespace: ctx.config.env.TEMPORAL_NAMESPACE, controlsEnabled: ctx.controlsEnabled, csrf: s.csrf };
}
