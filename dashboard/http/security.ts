import type { FastifyInstance } from 'fastify';
import { redactText } from '../../domain/config/secrets';
import type { DashboardContext } from './context';
import { isHttps, sendText } from './request';

/*
 * Headers on every answer (docs/dashboard.md, "Security"), and the answers for errors and unknown paths.
 * Installed on the root instance before the route plugins, so every plugin inherits them.
 */

const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function installSecurity(app: FastifyInstance, ctx: DashboardContext): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts, defeating the origin check.
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('X-Robots-Tag', 'noindex, nofollow');
    reply.header('Cache-Control', 'no-store');
    if (isHttps(req)) reply.header('Strict-Transport-Security', 'max-age=31536000');
  });

  app.setErrorHandler((err, _req, reply) => {
    const code = clientErrorCode(err);
    if (code === 500) ctx.onError(redactText(errorText(err), [...ctx.secrets]));
    void sendText(reply, code, code === 500 ? 'internal error (logged)' : 'bad request');
  });
  app.setNotFoundHandler((_req, reply) => {
    void sendText(reply, 404, 'not found');
  });
}

/** A client's mistake keeps its 4xx code; anything else is the dashboard's own failure, 500. */
export function clientErrorCode(err: unknown): number {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' && code >= 400 && code < 500 ? code : 500;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
