import type { FastifyReply, FastifyRequest } from 'fastify';
import { sameToken, type Session } from '../sessions';
import { errorPage, type PageContext } from '../views';
import type { DashboardContext } from './context';
import { clientOf, field, sameOrigin, sendHtml, sendText } from './request';

/* Who may do what: the session behind a request, the CSRF check, and the refusals. */

export const SESSION_COOKIE = 'tb_session';
export const LOGIN_COOKIE = 'tb_login';

export function sessionOf(ctx: DashboardContext, req: FastifyRequest): Session | null {
  return ctx.sessions.get(req.cookies[SESSION_COOKIE]);
}

/** The session, or null after answering: a redirect to the login page for pages, 401 otherwise. */
export function requireSession(ctx: DashboardContext, req: FastifyRequest, reply: FastifyReply, html = true): Session | null {
  const s = sessionOf(ctx, req);
  if (s) return s;
  if (html) void reply.redirect('/login', 303);
  else void sendText(reply, 401, 'login required');
  return null;
}

/**
 * CSRF: the form's token must equal the session's (synchronizer token), and a browser's Origin (or
 * Referer) must be this site. Either alone would do against today's browsers; both cost nothing.
 */
export function csrfOk(req: FastifyRequest, expected: string | undefined): boolean {
  return sameToken(field(req.body, '_csrf'), expected) && sameOrigin(req);
}

/** The page frame's values; takes the session's one-shot message. */
export function pageCtx(ctx: DashboardContext, title: string, nav: PageContext['nav'], s: Session | null): PageContext {
  const flash = s?.flash ?? null;
  if (s) s.flash = null;
  return { title, nav, user: s?.user ?? null, csrf: s?.csrf ?? null, assetVersion: ctx.assets.version, flash };
}

/** A stale or forged form: refused, and recorded in auth_failures.log. */
export function refuseForged(ctx: DashboardContext, req: FastifyRequest, reply: FastifyReply, s: Session, reason: string): FastifyReply {
  ctx.webLog.authFailure({ event: 'request_refused', reason, client: clientOf(req), user: s.user, path: req.url });
  return sendHtml(reply, errorPage(pageCtx(ctx, 'Refused', null, s), 'Request refused', 'The form was stale or came from another site. Reload the page and try again.'), 403);
}

/** A change asked of a read-only dashboard. */
export function refuseReadOnly(ctx: DashboardContext, reply: FastifyReply, s: Session, what: string): FastifyReply {
  return sendHtml(reply, errorPage(pageCtx(ctx, 'Read-only', null, s), 'Read-only dashboard', `${what} switched off (DASHBOARD_CONTROLS=false).`), 403);
}
