import { randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * Login sessions, in memory. The cookie holds only a random id; everything else stays on the server.
 * A session lives SESSION_TIMEOUT seconds from login (a lifetime, not an idle timeout: the status page
 * keeps a live connection open, which would otherwise keep a session alive for ever).
 */

export interface Session {
  readonly id: string;
  readonly user: string;
  readonly client: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Synchronizer token: every state-changing request must carry it (CSRF protection). */
  readonly csrf: string;
  /** A one-shot message for the next page (the result of a control). */
  flash: { readonly kind: 'ok' | 'error'; readonly text: string } | null;
}

const MAX_SESSIONS = 1000;

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time string comparison (for tokens). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a === '' || b === '') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: string, client: string): Session {
    this.prune();
    if (this.sessions.size >= MAX_SESSIONS) {
      // Oldest first (Map keeps insertion order).
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const t = this.now();
    const s: Session = { id: randomToken(), user, client, createdAt: t, expiresAt: t + this.timeoutMs, csrf: randomToken(), flash: null };
    this.sessions.set(s.id, s);
    return s;
  }

  get(id: string | undefined): Session | null {
    if (typeof id !== 'string' || id === '') return null;
    const s = this.sessions.get(id);
    if (s === undefined) return null;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Seconds the session has left (for the cookie's Max-Age). */
  secondsLeft(s: Session): number {
    // Rounded up: a 1-second session must not get Max-Age=0, which deletes the cookie at once.
    return Math.max(0, Math.ceil((s.expiresAt - this.now()) / 1000));
  }

  private prune(): void {
    const t = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= t) this.sessions.delete(id);
  }
}
