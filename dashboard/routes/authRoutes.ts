import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DashboardContext } from '../http/context';
import { csrfOk, LOGIN_COOKIE, pageCtx, requireSession, SESSION_COOKIE, sessionOf } from '../http/guards';
import { clientOf, cookieOpts, field, sameOrigin, sendHtml, sendText } from '../http/request';
import { checkLogin } from '../password';
import { randomToken, sameToken } from '../sessions';
import { loginPage } from '../views';
import { clip } from '../webLog';
import type { RoutePlugin } from './plugin';

/*
 * Login and logout (docs/dashboard.md, "Security"): the login form carries a token bound to a cookie,
 * failures count per client address towards a lockout, and every login gets a new session id.
 */

export const authRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/login', async (req, reply) => {
    if (sessionOf(ctx, req)) return reply.redirect('/', 303);
    return showLogin(req, reply, 200, null);
  });

  app.post('/login', async (req, reply) => {
    const client = clientOf(req);
    const user = field(req.body, 'username');
    const lockedMs = ctx.loginLimiter.lockedFor(client);
    if (lockedMs > 0) {
      ctx.webLog.authFailure({ event: 'login_refused', reason: 'locked_out', client, user: clip(user) });
      return showLockout(req, reply, lockedMs, user);
    }
    if (!sameToken(field(req.body, '_csrf'), req.cookies[LOGIN_COOKIE]) || !sameOrigin(req)) {
      ctx.webLog.authFailure({ event: 'login_refused', reason: 'csrf', client, user: clip(user) });
      return showLogin(req, reply, 403, 'The login form expired; please try again.', user);
    }
    if (!(await checkLogin(ctx.login, user, field(req.body, 'password')))) return refuseLogin(req, reply, client, user);
    return openSession(ctx, req, reply, client, user);
  });

  app.post('/logout', async (req, reply) => {
    const s = requireSession(ctx, req, reply);
    if (!s) return reply;
    if (!csrfOk(req, s.csrf)) return sendText(reply, 403, 'bad or missing CSRF token');
    ctx.sessions.delete(s.id);
    for (const stream of ctx.streams) if (stream.sessionId === s.id) stream.close();
    ctx.webLog.access({ event: 'logout', user: s.user, client: clientOf(req) });
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  function showLogin(req: FastifyRequest, reply: FastifyReply, code: number, error: string | null, user = ''): FastifyReply {
    const token = randomToken();
    void reply.setCookie(LOGIN_COOKIE, token, cookieOpts(req, 3600, '/login'));
    return sendHtml(reply, loginPage(pageCtx(ctx, 'Log in', null, null), { csrf: token, error, user }), code);
  }

  function showLockout(req: FastifyRequest, reply: FastifyReply, ms: number, user: string): FastifyReply {
    void reply.header('Retry-After', String(Math.ceil(ms / 1000)));
    return showLogin(req, reply, 429, `Too many failed attempts from your address; try again in ${Math.ceil(ms / 60_000)} minute(s).`, user);
  }

  function refuseLogin(req: FastifyRequest, reply: FastifyReply, client: string, user: string): FastifyReply {
    const lockout = ctx.loginLimiter.fail(client);
    ctx.webLog.authFailure({ event: 'login_failed', reason: 'bad_credentials', client, user: clip(user), locked_out: lockout > 0 });
    if (lockout > 0) return showLockout(req, reply, lockout, user);
    return showLogin(req, reply, 401, 'Wrong user name or password.', user);
  }
};

function openSession(ctx: DashboardContext, req: FastifyRequest, reply: FastifyReply, client: string, user: string): FastifyReply {
  ctx.loginLimiter.succeed(client);
  const old = sessionOf(ctx, req);
  if (old) ctx.sessions.delete(old.id);
  // A new id at every login (no session fixation).
  const s = ctx.sessions.create(user, client);
  ctx.webLog.access({ event: 'login', user, client });
  void reply.clearCookie(LOGIN_COOKIE, { path: '/login' });
  void reply.setCookie(SESSION_COOKIE, s.id, cookieOpts(req, ctx.sessions.secondsLeft(s)));
  return reply.redirect('/', 303);
}
