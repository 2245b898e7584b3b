import { z } from 'zod';
import { seededRandom } from '../seededRandom';

/**
 * Faults on demand, deterministic for a seed and a request sequence: each API request in scope draws one
 * number from a seeded generator and the rates, in the order error, rate limit, timeout, drop, decide its
 * fault. `next` rules fire first and exactly (for tests: "drop the next POST /v2/orders"). The silent broker
 * holds every trading request unanswered while it is on.
 *
 * - error: 500 in the provider's error shape; the request has no effect.
 * - rate_limit: 429 with X-RateLimit-* headers; no effect.
 * - timeout: held unanswered for `holdMs` (past a client's timeout), then 504; no effect.
 * - drop: the request takes effect, then the socket is destroyed before any answer.
 */

export type FaultKind = 'error' | 'rate_limit' | 'timeout' | 'drop';
export type FaultScope = 'trading' | 'data' | 'finnhub';

const ruleSchema = z.object({
  fault: z.enum(['error', 'rate_limit', 'timeout', 'drop']),
  method: z.string().optional(),
  /** Path below the API prefix, e.g. `/v2/orders` (prefix match). */
  path: z.string().optional(),
  scope: z.enum(['trading', 'data', 'finnhub']).optional(),
  /** Part of the client order id the request carries (an order's body, or a lookup by client order id). */
  clientOrderId: z.string().min(1).optional(),
  /** Matching requests let through before the rule fires ("the stop's second lookup fails"). */
  skip: z.number().int().nonnegative().default(0),
  count: z.number().int().positive().default(1),
});

const rate = z.number().min(0).max(1);

export const faultSettingsSchema = z
  .object({
    errorRate: rate,
    rateLimitRate: rate,
    timeoutRate: rate,
    dropRate: rate,
    silentBroker: z.boolean(),
    scopes: z.array(z.enum(['trading', 'data', 'finnhub'])),
    holdMs: z.number().int().positive(),
    next: z.array(ruleSchema),
  })
  .partial()
  .strict();

export type FaultSettings = z.input<typeof faultSettingsSchema>;
type Rule = z.output<typeof ruleSchema>;

export interface FaultState {
  readonly errorRate: number;
  readonly rateLimitRate: number;
  readonly timeoutRate: number;
  readonly dropRate: number;
  readonly silentBroker: boolean;
  readonly scopes: readonly FaultScope[];
  readonly holdMs: number;
  readonly next: readonly Rule[];
}

export const NO_FAULTS: FaultState = { errorRate: 0, rateLimitRate: 0, timeoutRate: 0, dropRate: 0, silentBroker: false, scopes: ['trading', 'data', 'finnhub'], holdMs: 120_000, next: [] };

export class FaultInjector {
  private state: FaultState = NO_FAULTS;
  private readonly random: () => number;
  readonly injected: Record<FaultKind | 'silent', number> = { error: 0, rate_limit: 0, timeout: 0, drop: 0, silent: 0 };

  constructor(seed: number, initial?: FaultSettings) {
    this.random = seededRandom(seed);
    if (initial) this.set(initial);
  }

  /** Merges settings (validated); `next` rules are appended. Throws a ZodError on bad settings. */
  set(settings: FaultSettings): FaultState {
    const s = faultSettingsSchema.parse(settings);
    this.state = { ...this.state, ...s, next: [...this.state.next, ...(s.next ?? [])] };
    return this.state;
  }

  reset(): void {
    this.state = NO_FAULTS;
  }

  get current(): FaultState {
    return this.state;
  }

  silent(scope: FaultScope): boolean {
    return scope === 'trading' && this.state.silentBroker;
  }

  /** The fault for one request, or null. `clientOrderId`: the one the request carries, if any. */
  decide(scope: FaultScope, method: string, path: string, clientOrderId: string | null = null): FaultKind | null {
    const i = this.state.next.findIndex(
      (r) =>
        (r.scope === undefined || r.scope === scope) &&
        (r.method === undefined || r.method.toUpperCase() === method) &&
        (r.path === undefined || path.startsWith(r.path)) &&
        (r.clientOrderId === undefined || (clientOrderId !== null && clientOrderId.includes(r.clientOrderId))),
    );
    if (i >= 0 && this.state.next[i]!.skip > 0) {
      this.replaceRule(i, { ...this.state.next[i]!, skip: this.state.next[i]!.skip - 1 });
      return null;
    }
    if (i >= 0) return this.consume(i);
    if (!this.state.scopes.includes(scope)) return null;
    const { errorRate, rateLimitRate, timeoutRate, dropRate } = this.state;
    if (errorRate + rateLimitRate + timeoutRate + dropRate <= 0) return null;
    const u = this.random();
    const kinds: [FaultKind, number][] = [['error', errorRate], ['rate_limit', rateLimitRate], ['timeout', timeoutRate], ['drop', dropRate]];
    let acc = 0;
    for (const [kind, r] of kinds) {
      acc += r;
      if (u < acc) return this.count(kind);
    }
    return null;
  }

  private consume(i: number): FaultKind {
    const rule = this.state.next[i]!;
    if (rule.count > 1) this.replaceRule(i, { ...rule, count: rule.count - 1 });
    else this.state = { ...this.state, next: this.state.next.filter((_, j) => j !== i) };
    return this.count(rule.fault);
  }

  private replaceRule(i: number, rule: Rule): void {
    this.state = { ...this.state, next: this.state.next.map((r, j) => (j === i ? rule : r)) };
  }

  private count(kind: FaultKind): FaultKind {
    this.injected[kind] += 1;
    return kind;
  }
}
