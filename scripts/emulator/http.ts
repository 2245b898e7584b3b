import type http from 'node:http';
import { ALPACA_CODES } from '../../domain/emulator/orders';

/** What a route sees and answers: plain data, so routes stay synchronous and testable. */
export interface RouteRequest {
  readonly method: string;
  /** Path below the prefix, decoded per segment by the route. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export interface RouteResponse {
  readonly status: number;
  readonly body?: unknown;
  /** A text body (the VIX CSV), sent as is. */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Route = (req: RouteRequest) => RouteResponse;

/** An answer in Alpaca's error shape `{"code": 4xxxxxxx, "message": "..."}`. */
export function alpacaError(status: number, code: number, message: string): RouteResponse {
  return { status, body: { code, message } };
}

export const notFoundRoute = (what: string): RouteResponse => alpacaError(404, ALPACA_CODES.notFound, `${what} is not an endpoint the emulator serves`);

export function json(body: unknown, status = 200): RouteResponse {
  return { status, body };
}

/** A request parameter that must be a number; undefined when absent, NaN when malformed. */
export function numberParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  return Number(v);
}

/** A time parameter (RFC-3339 or YYYY-MM-DD); undefined when absent, NaN when malformed. */
export function timeParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v);
}

export function listParam(q: URLSearchParams, name: string): string[] {
  return (q.get(name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export async function readBody(req: http.IncomingMessage, maxBytes = 1_000_000): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > maxBytes) throw new Error('request body too large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function writeResponse(res: http.ServerResponse, r: RouteResponse, extraHeaders: Record<string, string> = {}): void {
  const headers: Record<string, string> = { ...extraHeaders, ...(r.headers ?? {}) };
  if (r.text !== undefined) {
    res.writeHead(r.status, { 'Content-Type': 'text/csv; charset=utf-8', ...headers });
    res.end(r.text);
    return;
  }
  if (r.body === undefined) {
    res.writeHead(r.status, headers);
    res.end();
    return;
  }
  res.writeHead(r.status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(r.body));
}

/** A request path or query for a log: credential-looking query values hidden. */
export function maskedPath(url: URL): string {
  const q = new URLSearchParams(url.search);
  for (const k of [...q.keys()]) if (/token|key|secret|password/i.test(k)) q.set(k, '<hidden>');
  const s = q.toString();
  return `${url.pathname}${s ? `?${s}` : ''}`;
}
