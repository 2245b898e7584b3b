import type { FastifyReply, FastifyRequest } from 'fastify';

/* Small readers of what a request carries, shared by the route plugins. */

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/** `s` when it is a real calendar date written YYYY-MM-DD, else null. */
export function validDate(s: unknown): string | null {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return null;
  const t = Date.parse(`${s}T00:00:00Z`);
  // Date.parse accepts 2025-02-30 as March 2nd; the round trip refuses it.
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s ? s : null;
}

/** A form field as a string ('' when absent or not a string). */
export function field(body: unknown, name: string): string {
  const v = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : '';
}

export function queryParam(req: FastifyRequest, name: string): string | undefined {
  const q = req.query as Record<string, unknown> | undefined;
  const v = q?.[name];
  return typeof v === 'string' ? v : undefined;
}

/** The date a page shows: `?date=` when it is a date, else today (UTC). */
export function dateOf(req: FastifyRequest): string {
  return validDate(queryParam(req, 'date')) ?? todayUtc();
}

export function isHttps(req: FastifyRequest): boolean {
  return req.protocol === 'https';
}

/** The client address: the peer, or X-Forwarded-For from the proxy named in REMOTE_IP. */
export function clientOf(req: FastifyRequest): string {
  return req.ip;
}

/**
 * A browser's Origin (or Referer) must be this site; a request without either (a script, an old
 * browser) passes, since the CSRF token is checked as well.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin ?? (typeof req.headers.referer === 'string' ? originOf(req.headers.referer) : undefined);
  if (origin === undefined || origin === 'null') return origin === undefined;
  return origin === `${req.protocol}://${req.host}`;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

export function cookieOpts(req: FastifyRequest, maxAge: number, cookiePath = '/') {
  return { httpOnly: true, sameSite: 'strict', secure: isHttps(req), path: cookiePath, maxAge } as const;
}

export function sendText(reply: FastifyReply, code: number, text: string): FastifyReply {
  return reply.code(code).type('text/plain; charset=utf-8').send(text);
}

export function sendHtml(reply: FastifyReply, html: string, code = 200): FastifyReply {
  return reply.code(code).type('text/html; charset=utf-8').send(html);
}
