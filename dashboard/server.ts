import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { createContext, type DashboardContext } from './http/context';
import { installSecurity } from './http/security';
import type { Dashboard, DashboardOptions } from './options';
import { prepareLogin } from './password';
import { API_PREFIX, apiRoutes } from './routes/apiRoutes';
import { authRoutes } from './routes/authRoutes';
import { controlRoutes } from './routes/controlRoutes';
import { logsRoutes } from './routes/logsRoutes';
import { publicRoutes } from './routes/publicRoutes';
import { settingsRoutes } from './routes/settingsRoutes';
import { statusRoutes } from './routes/statusRoutes';
import { tradesRoutes } from './routes/tradesRoutes';

/*
 * The monitoring dashboard (docs/dashboard.md): a small server-rendered fastify app with one local
 * stylesheet and one local script. It reads the day's status through Temporal and the files the worker
 * writes, and (when controls are on) sends the same signals as the CLI. Trading never depends on it.
 * Each route group is its own plugin (dashboard/routes/); this file only wires them together.
 */

export type { Dashboard, DashboardOptions } from './options';
export { dashboardLogin, defaultTemporalUiUrl } from './login';

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const ctx = createContext(opts);
  await prepareLogin(ctx.login.passwordHash);
  const app = await buildApp(ctx, opts);
  await app.listen({ host: opts.host, port: opts.port });
  return {
    url: urlOf(app, opts),
    async close() {
      for (const stream of [...ctx.streams]) stream.close();
      await app.close();
    },
  };
}

async function buildApp(ctx: DashboardContext, opts: DashboardOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    trustProxy: ctx.trustProxy,
    bodyLimit: 16 * 1024,
    // Event streams stay open; closing the dashboard must not wait for them.
    forceCloseConnections: true,
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
  });
  await app.register(fastifyFormbody);
  await app.register(fastifyCookie);
  installSecurity(app, ctx);
  for (const routes of [publicRoutes, authRoutes, statusRoutes, logsRoutes, tradesRoutes, settingsRoutes, controlRoutes]) {
    await app.register(routes, { ctx });
  }
  await app.register(apiRoutes, { ctx, prefix: API_PREFIX });
  return app;
}

function urlOf(app: FastifyInstance, opts: DashboardOptions): string {
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return `${opts.tls ? 'https' : 'http'}://${host}:${port}`;
}
