import { asyncLocalStorage } from '@temporalio/activity';
import { fnv1a } from '../../domain/orders/clientOrderId';
import { NetworkError } from '../../domain/errors/errorClasses';
import type { AssetClass, Broker, BrokerAccount, BrokerOrder, BrokerPosition, OrderRequest } from './brokerTypes';

/*
 * A fault-injecting decorator over any Broker, for the reliability drill (scripts/drill.ts) only: it is
 * never built by the production worker. Each call fails with probability `rate` in one of the ways a
 * real broker fails, always as a retryable NetworkError so that Temporal retries the activity:
 *
 * - http_500: the broker answered 500 before doing anything;
 * - rate_limited: the broker answered 429 before doing anything;
 * - timeout: no answer within the deadline (the request is treated as never having arrived);
 * - dropped_response (submitOrder only): the order reaches the inner broker and is accepted, then the
 *   answer is lost. The retried activity must find it by client order id, or it would trade twice.
 *
 * Decisions are a pure function of (seed, method, call key, attempt), so the same seed gives the same
 * faults in every run and in every worker process. The call key is what identifies the call to a real
 * broker (client order id; symbol and bar for quotes; for account and positions, which carry none, the
 * activity that makes the call); the attempt is the Temporal activity attempt when the caller supplies the
 * activity context, so a retry on a restarted worker continues the count. Attempts beyond
 * `maxFaultyAttempts` never fail, so a retry policy with more attempts than that always gets through:
 * the drill measures recovery, not retry exhaustion. Without an activity context (unit tests) identical
 * calls are counted per decorator instance, and keyless calls are numbered and never fail more than
 * `maxFaultyAttempts` times in a row.
 */

export const FAULT_KINDS = ['http_500', 'rate_limited', 'timeout', 'dropped_response'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultableMethod = 'submitOrder' | 'getOrderByClientId' | 'cancelOrder' | 'positions' | 'account' | 'quote' | 'ordersSince';

export interface InjectedFault {
  readonly method: FaultableMethod;
  readonly key: string;
  readonly attempt: number;
  readonly kind: FaultKind;
}

export interface FaultInjectionOptions {
  readonly seed: number;
  /** Probability in [0, 1] that a call fails. */
  readonly rate: number;
  /** Attempts 1..maxFaultyAttempts of a call may fail; later ones never do. Default 3. */
  readonly maxFaultyAttempts?: number;
  /** How long a simulated timeout waits before failing, in ms. Default 300. */
  readonly timeoutDelayMs?: number;
  /**
   * The Temporal activity making the current call: its attempt (1-based) and an id stable across its
   * attempts (workflow id and activity id); null outside an activity. With it, decisions do not depend
   * on which worker process makes the call.
   */
  readonly activity?: () => { readonly attempt: number; readonly callId: string } | null;
  /** Told of every injected fault (the drill journals them to count them). */
  readonly onFault?: (fault: InjectedFault) => void;
}

/** The `activity` option for a worker: the running activity's attempt and id, from Temporal's activity context. */
export function temporalActivityCall(): { attempt: number; callId: string } | null {
  const info = asyncLocalStorage.getStore()?.info;
  return info ? { attempt: info.attempt, callId: `${info.workflowExecution?.workflowId ?? ''}/${info.activityId}` } : null;
}

/** A uniform number in [0, 1) from a string: the first 52 bits of its FNV-1a pair. */
function unitFromHash(text: string): number {
  const h = fnv1a(text);
  return parseInt(h.slice(0, 13), 16) / 2 ** 52;
}

/** The fault (or none) for one call: pure, so the same inputs always decide the same way. */
export function decideFault(
  seed: number,
  rate: number,
  method: FaultableMethod,
  key: string,
  attempt: number,
  maxFaultyAttempts = 3,
): FaultKind | null {
  if (!(rate > 0) || attempt > maxFaultyAttempts) return null;
  const base = `${seed}|${method}|${key}|${attempt}`;
  if (unitFromHash(`${base}|fail`) >= rate) return null;
  // Only an order can be accepted and then lose its answer; other calls fail before doing anything.
  const kinds: readonly FaultKind[] = method === 'submitOrder' ? FAULT_KINDS : FAULT_KINDS.slice(0, 3);
  return kinds[Math.floor(unitFromHash(`${base}|kind`) * kinds.length)] ?? kinds[0];
}

export class FaultInjectingBroker implements Broker {
  readonly name: Broker['name'];
  readonly capabilities: Broker['capabilities'];
  /** Identical calls seen, per method and key: the attempt number when no activity attempt is given. */
  private readonly seen = new Map<string, number>();
  /** Consecutive faults of keyless calls, per method. */
  private readonly streak = new Map<FaultableMethod, number>();
  private injected = 0;

  constructor(
    private readonly inner: Broker,
    private readonly opts: FaultInjectionOptions,
  ) {
    if (!(opts.rate >= 0 && opts.rate <= 1)) throw new RangeError(`fault rate ${opts.rate} is not in [0, 1]`);
    this.name = inner.name;
    this.capabilities = inner.capabilities;
    // Present only when the inner broker lists its orders, so reconciliation sees the same capability.
    const history = (inner as Broker & { ordersSince?: (since: string) => Promise<BrokerOrder[]> }).ordersSince;
    if (typeof history === 'function') {
      this.ordersSince = (since: string) => this.guarded('ordersSince', since, () => history.call(inner, since));
    }
  }

  /** The inner broker's order history (reconciliation), with faults like any other call. */
  readonly ordersSince?: (since: string) => Promise<BrokerOrder[]>;

  /** Faults injected by this instance so far. */
  get faultsInjected(): number {
    return this.injected;
  }

  /** The key and attempt a call is decided on. */
  private identify(method: FaultableMethod, key: string | null): { key: string; attempt: number; streaked: boolean } {
    const activity = this.opts.activity?.() ?? null;
    if (activity) return { key: key ?? activity.callId, attempt: activity.attempt, streaked: false };
    const id = `${method}|${key ?? ''}`;
    const n = (this.seen.get(id) ?? 0) + 1;
    this.seen.set(id, n);
    if (key === null) {
      // Nothing tells one account call from the next: number them, and cap the run of faults instead.
      return { key: `#${n}`, attempt: (this.streak.get(method) ?? 0) + 1, streaked: true };
    }
    return { key, attempt: n, streaked: false };
  }

  private async guarded<T>(method: FaultableMethod, callKey: string | null, call: () => Promise<T>): Promise<T> {
    const { key, attempt, streaked } = this.identify(method, callKey);
    const kind = decideFault(this.opts.seed, this.opts.rate, method, key, attempt, this.opts.maxFaultyAttempts);
    if (streaked) this.streak.set(method, kind === null ? 0 : attempt);
    if (kind === null) return call();
    this.injected += 1;
    this.opts.onFault?.({ method, key, attempt, kind });
    const where = `${this.inner.name} ${method} ${key} (attempt ${attempt}, injected)`;
    switch (kind) {
      case 'http_500':
        throw new NetworkError(`${where}: HTTP 500 internal server error`, { code: 'http_500', status: 500, provider: this.inner.name });
      case 'rate_limited':
        throw new NetworkError(`${where}: HTTP 429 too many requests`, {
          code: 'rate_limited',
          status: 429,
          retryAfterMs: 1000,
          provider: this.inner.name,
        });
      case 'timeout':
        await new Promise((r) => setTimeout(r, this.opts.timeoutDelayMs ?? 300));
        throw new NetworkError(`${where}: no answer before the deadline`, { code: 'timeout', provider: this.inner.name });
      case 'dropped_response': {
        // The broker accepted the order; only its answer is lost on the way back.
        await call();
        throw new NetworkError(`${where}: connection reset after the broker accepted the order`, {
          code: 'connection_reset',
          provider: this.inner.name,
        });
      }
    }
  }

  authenticate(): Promise<void> {
    return this.inner.authenticate();
  }

  submitOrder(req: OrderRequest): Promise<BrokerOrder> {
    return this.guarded('submitOrder', req.clientOrderId, () => this.inner.submitOrder(req));
  }

  getOrderByClientId(clientOrderId: string): Promise<BrokerOrder | null> {
    return this.guarded('getOrderByClientId', clientOrderId, () => this.inner.getOrderByClientId(clientOrderId));
  }

  cancelOrder(orderId: string): Promise<void> {
    return this.guarded('cancelOrder', orderId, () => this.inner.cancelOrder(orderId));
  }

  positions(): Promise<BrokerPosition[]> {
    return this.guarded('positions', null, () => this.inner.positions());
  }

  account(): Promise<BrokerAccount> {
    return this.guarded('account', null, () => this.inner.account());
  }

  quote(symbol: string, assetClass: AssetClass, barStart: number): Promise<number | null> {
    return this.guarded('quote', `${symbol}@${barStart}`, () => this.inner.quote(symbol, assetClass, barStart));
  }
}
