/*
 * Failed-login limit per client address: after `maxFailures` failures within `windowMs` the client is
 * locked out for `lockoutMs`, during which even the right password is refused (so guessing cannot go on
 * by waiting for a lucky answer). In memory: a restart of the dashboard clears it, as it clears sessions.
 */

export interface LoginLimits {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { maxFailures: 5, windowMs: 15 * 60_000, lockoutMs: 15 * 60_000 };

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/** Bounded so that a flood of addresses cannot grow memory without limit. */
const MAX_CLIENTS = 10_000;

export class LoginLimiter {
  private readonly clients = new Map<string, Entry>();

  constructor(
    readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds left of a lockout, or 0 when the client may try. */
  lockedFor(client: string): number {
    const e = this.clients.get(client);
    if (e === undefined) return 0;
    return Math.max(0, e.lockedUntil - this.now());
  }

  /** Records a failure; returns the lockout it started (ms), or 0. */
  fail(client: string): number {
    const t = this.now();
    let e = this.clients.get(client);
    if (e === undefined) {
      if (this.clients.size >= MAX_CLIENTS) this.prune(true);
      e = { failures: [], lockedUntil: 0 };
      this.clients.set(client, e);
    }
    e.failures = e.failures.filter((f) => t - f < this.limits.windowMs);
    e.failures.push(t);
    if (e.failures.length >= this.limits.maxFailures) {
      e.failures = [];
      e.lockedUntil = t + this.limits.lockoutMs;
      return this.limits.lockoutMs;
    }
    return 0;
  }

  /** A successful login forgets earlier failures of that client. */
  succeed(client: string): void {
    this.clients.delete(client);
  }

  /** Failures left before a lockout (for the message shown after a failure). */
  remaining(client: string): number {
    const t = this.now();
    const e = this.clients.get(client);
    const recent = e === undefined ? 0 : e.failures.filter((f) => t - f < this.limits.windowMs).length;
    return Math.max(0, this.limits.maxFailures - recent);
  }

  private prune(force: boolean): void {
    const t = this.now();
    for (const [k, e] of this.clients) {
      if (e.lockedUntil <= t && e.failures.every((f) => t - f >= this.limits.windowMs)) this.clients.delete(k);
    }
    // Still full: drop the oldest entries that are not locked out.
    if (force && this.clients.size >= MAX_CLIENTS) {
      for (const [k, e] of this.clients) {
        if (this.clients.size < MAX_CLIENTS * 0.9) break;
        if (e.lockedUntil <= t) this.clients.delete(k);
      }
    }
  }
}
