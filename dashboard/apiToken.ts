import { createHash, timingSafeEqual } from 'node:crypto';

/* The JSON API's bearer token (DASHBOARD_API_TOKEN): read from the Authorization header, compared in constant time. */

/** The token of an `Authorization: Bearer <token>` header, or null for no header or another scheme. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer +([^\s]+) *$/i.exec(header ?? '');
  return m?.[1] ?? null;
}

/**
 * Whether the token sent is the configured one. Both are hashed first, so the comparison takes the same
 * time whatever their lengths and wherever they first differ.
 */
export function tokenMatches(sent: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(sent), digest(expected));
}
