import { isAssetName } from '../http/assets';
import { sendText } from '../http/request';
import type { RoutePlugin } from './plugin';

/** What needs no login: robots.txt, the health probe, and the stylesheet and script. */
export const publicRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/robots.txt', async (_req, reply) => {
    void reply.header('Cache-Control', 'public, max-age=86400');
    return sendText(reply, 200, 'User-agent: *\nDisallow: /\n');
  });
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/healthz', async (_req, reply) => sendText(reply, 200, 'ok\n'));

  app.get<{ Params: { file: string } }>('/static/:file', async (req, reply) => {
    const name = req.params.file;
    if (!isAssetName(name)) return sendText(reply, 404, 'not found');
    void reply.header('Cache-Control', 'public, max-age=86400, immutable').header('Vary', 'Accept-Encoding');
    void reply.type(name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('Content-Encoding', 'gzip').send(ctx.assets.gzipped[name]);
    return reply.send(ctx.assets.plain[name]);
  });
};
