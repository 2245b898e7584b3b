import type { Broker, BrokerExtensions, BrokerOrder, BrokerPosition, OrderRequest } from './brokerTypes';
import { flattenClientOrderId, type ClosedBy, type OwnedPart } from '../../domain/orders/botOrderOwner';
import { LogicError } from '../../domain/errors/errorClasses';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { closingSide } from '../../domain/trades/tradeOutcome';

export { flattenClientOrderId, type ClosedBy };

/**
 * After a restart the bot's view of orders and positions is rebuilt from the broker: the broker is the
 * truth for what exists. Every difference is reported with how it was resolved, and nothing is ever
 * placed blindly a second time:
 *
 * - an order the bot thinks it sent but the broker does not know never reached it; it is reported, not
 *   re-sent here (the workflow may submit again with the SAME client order id, which cannot duplicate);
 * - an order whose state moved on (filled while the worker was down) is adopted as the broker says;
 * - an open order with the bot's client-id prefix that the bot no longer expects (a protective stop
 *   left by a crashed session) is cancelled, so it cannot fire against a position the bot no longer tracks;
 * - a position whose size differs is adopted at the broker's size; one the bot thinks it holds but the
 *   broker does not (a stop fired, a manual exit) is dropped;
 * - a position the bot knows nothing about is reported, or, with policy `flatten`, closed with a market
 *   order whose client order id is derived from the date and symbol, so a repeated reconcile finds that
 *   same order instead of placing another.
 */

export interface ExpectedOrder {
  readonly clientOrderId: string;
  readonly symbol: string;
  /** What the bot last knew: `pending` = sent, outcome not seen. */
  readonly state: 'pending' | 'filled' | 'partially_filled' | 'rejected' | 'canceled' | 'working_stop';
}

export interface ExpectedPosition {
  readonly symbol: string;
  /** Signed: negative for a short. */
  readonly qty: number;
}

export type DiscrepancyKind =
  | 'order_missing'
  | 'order_state_changed'
  | 'orphan_order'
  | 'position_size_differs'
  | 'position_gone'
  | 'unknown_position';

export interface Discrepancy {
  readonly kind: DiscrepancyKind;
  readonly symbol: string;
  readonly clientOrderId: string | null;
  readonly expected: string;
  readonly actual: string;
  readonly resolution: string;
}

export interface ReconcileOptions {
  readonly expectedOrders: readonly ExpectedOrder[];
  readonly expectedPositions: readonly ExpectedPosition[];
  /** Whether a client order id is the bot's (deterministic ids start with `tb-` or the workflow id). */
  readonly isBotOrder?: (clientOrderId: string) => boolean;
  readonly unknownPositions?: 'report' | 'flatten';
  /** Date (YYYY-MM-DD) that keys the flattening orders' client ids. */
  readonly date: string;
  /**
   * Only orphan bot orders submitted before this instant (ISO) are cancelled; later ones are reported and
   * left working, because they may belong to another session of the same day that is still running.
   */
  readonly cancelOrphansSubmittedBefore?: string;
}

export interface ReconcileReport {
  /** The broker's answer for every expected order id (null: unknown to the broker). */
  readonly orders: Readonly<Record<string, BrokerOrder | null>>;
  /** The rebuilt view: the broker's positions. */
  readonly positions: readonly BrokerPosition[];
  readonly discrepancies: readonly Discrepancy[];
  readonly cancelledOrderIds: readonly string[];
  readonly flattenOrders: readonly BrokerOrder[];
}

export const defaultIsBotOrder = (id: string): boolean => /^(tb-|tradebot-)/.test(id);

const EPS = 1e-9;

function stateOf(o: BrokerOrder): ExpectedOrder['state'] {
  if (o.status === 'accepted') return 'pending';
  return o.status;
}

export async function reconcileBroker(broker: Broker & Partial<Pick<BrokerExtensions, 'openOrders'>>, opts: ReconcileOptions): Promise<ReconcileReport> {
  const isBot = opts.isBotOrder ?? defaultIsBotOrder;
  const discrepancies: Discrepancy[] = [];
  const orders: Record<string, BrokerOrder | null> = {};

  for (const e of opts.expectedOrders) {
    const o = await broker.getOrderByClientId(e.clientOrderId);
    orders[e.clientOrderId] = o;
    if (!o) {
      if (e.state === 'pending' || e.state === 'working_stop') {
        discrepancies.push({
          kind: 'order_missing',
          symbol: e.symbol,
          clientOrderId: e.clientOrderId,
          expected: e.state,
          actual: 'unknown to the broker',
          resolution: 'never reached the broker; not re-sent by reconciliation (a new attempt must reuse the same client order id)',
        });
      }
      continue;
    }
    const actual = stateOf(o);
    const matches = actual === e.state || (e.state === 'working_stop' && actual === 'pending');
    if (!matches) {
      discrepancies.push({
        kind: 'order_state_changed',
        symbol: e.symbol,
        clientOrderId: e.clientOrderId,
        expected: e.state,
        actual: `${o.status} (${o.filledQty} filled${o.filledAvgPrice !== null ? ` at ${o.filledAvgPrice}` : ''})`,
        resolution: 'adopted the broker state',
      });
    }
  }

  const orphans = await reconcileOrphanOrders(broker, {
    isBotOrder: isBot,
    expected: new Set(opts.expectedOrders.map((e) => e.clientOrderId)),
    cancelOrphansSubmittedBefore: opts.cancelOrphansSubmittedBefore,
  });
  discrepancies.push(...orphans.discrepancies);
  const cancelled = orphans.cancelledOrderIds;

  const positions = await broker.positions();
  const actualBySymbol = new Map(positions.map((p) => [p.symbol, p]));
  const expectedBySymbol = new Map(opts.expectedPositions.map((p) => [p.symbol, p]));
  for (const e of opts.expectedPositions) {
    const a = actualBySymbol.get(e.symbol);
    if (!a || Math.abs(a.qty) < EPS) {
      if (Math.abs(e.qty) > EPS) {
        discrepancies.push({ kind: 'position_gone', symbol: e.symbol, clientOrderId: null, expected: String(e.qty), actual: '0', resolution: 'dropped from the bot view (closed at the broker)' });
      }
    } else if (Math.abs(a.qty - e.qty) > EPS) {
      discrepancies.push({ kind: 'position_size_differs', symbol: e.symbol, clientOrderId: null, expected: String(e.qty), actual: String(a.qty), resolution: 'adopted the broker size' });
    }
  }

  const flatten: BrokerOrder[] = [];
  for (const a of positions) {
    if (expectedBySymbol.has(a.symbol) || Math.abs(a.qty) < EPS) continue;
    if ((opts.unknownPositions ?? 'report') === 'flatten') {
      const req: OrderRequest = {
        clientOrderId: flattenClientOrderId(opts.date, a.symbol),
        symbol: a.symbol,
        assetClass: /\d{6}[CP]\d{8}$/.test(a.symbol) ? 'us_option' : 'us_equity',
        side: a.qty > 0 ? 'sell' : 'buy',
        qty: Math.abs(a.qty),
        type: 'market',
      };
      const o = await broker.submitOrder(req);
      flatten.push(o);
      discrepancies.push({ kind: 'unknown_position', symbol: a.symbol, clientOrderId: req.clientOrderId, expected: '0', actual: String(a.qty), resolution: `flattened: ${o.status}${o.rejectReason ? ` (${o.rejectReason})` : ''}` });
    } else {
      discrepancies.push({ kind: 'unknown_position', symbol: a.symbol, clientOrderId: null, expected: '0', actual: String(a.qty), resolution: 'reported only (not the bot\'s; left for the operator)' });
    }
  }

  return { orders, positions, discrepancies, cancelledOrderIds: cancelled, flattenOrders: flatten };
}

/**
 * Open bot orders no one expects. Only those submitted before the cutoff are cancelled; later ones are
 * reported and left working, because another session of the same day may own them. `keep` names orders
 * known to be in hand (the stop of a position left to a running session or not adoptable yet): neither
 * cancelled nor reported.
 */
export async function reconcileOrphanOrders(
  broker: Broker & Partial<Pick<BrokerExtensions, 'openOrders'>>,
  opts: { isBotOrder?: (clientOrderId: string) => boolean; expected?: ReadonlySet<string>; keep?: ReadonlySet<string>; cancelOrphansSubmittedBefore?: string },
): Promise<{ discrepancies: Discrepancy[]; cancelledOrderIds: string[] }> {
  const discrepancies: Discrepancy[] = [];
  const cancelled: string[] = [];
  if (!broker.openOrders) return { discrepancies, cancelledOrderIds: cancelled };
  const isBot = opts.isBotOrder ?? defaultIsBotOrder;
  const cutoff = opts.cancelOrphansSubmittedBefore === undefined ? null : Date.parse(opts.cancelOrphansSubmittedBefore);
  for (const o of await broker.openOrders()) {
    if (opts.expected?.has(o.clientOrderId) || opts.keep?.has(o.clientOrderId) || !isBot(o.clientOrderId)) continue;
    const keep = cutoff !== null && !(Date.parse(o.submittedAt) < cutoff);
    if (!keep) {
      await broker.cancelOrder(o.id);
      cancelled.push(o.id);
    }
    discrepancies.push({
      kind: 'orphan_order',
      symbol: o.symbol,
      clientOrderId: o.clientOrderId,
      expected: 'no open order',
      actual: `open ${o.side} ${o.qty}`,
      resolution: keep ? 'left working (placed today: it may belong to a session still running); check it' : 'cancelled (a bot order no session tracks any more)',
    });
  }
  return { discrepancies, cancelledOrderIds: cancelled };
}


export interface ProtectedExitResult {
  /** The market exit, or null when the protective stop had already closed everything. */
  readonly exit: BrokerOrder | null;
  /** The protective stop as it ended (filled, partially filled or cancelled), or null when there was none. */
  readonly stop: BrokerOrder | null;
  readonly filledQty: number;
  /** Volume-weighted over the stop's and the exit's fills; null when nothing filled. */
  readonly avgPrice: number | null;
  readonly closedBy: ClosedBy;
}

interface PollOptions {
  readonly pollMs?: number;
  readonly maxPolls?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function stillWorking(o: BrokerOrder): boolean {
  return o.status === 'accepted' || (o.status === 'partially_filled' && o.filledQty < o.qty - EPS);
}

/**
 * Cancels a protective stop that is still working and reads how it ended; a stop that already fired is
 * returned as it is. A part-filled stop is cancelled too: its rest would otherwise sell a second time.
 */
export async function settleStop(broker: Broker, stopClientOrderId: string | null, poll: PollOptions = {}): Promise<BrokerOrder | null> {
  if (!stopClientOrderId) return null;
  let stop = await broker.getOrderByClientId(stopClientOrderId);
  if (!stop || !stillWorking(stop)) return stop;
  await broker.cancelOrder(stop.id);
  for (let i = 0; i < (poll.maxPolls ?? 40); i++) {
    stop = await broker.getOrderByClientId(stopClientOrderId);
    if (!stop || stop.status !== 'accepted') break;
    await (poll.sleep ?? realSleep)(poll.pollMs ?? 250);
  }
  return stop;
}

export function closedByOf(stopFilledQty: number, exit: BrokerOrder | null): ClosedBy {
  const byStop = stopFilledQty > EPS;
  const byExit = (exit?.filledQty ?? 0) > EPS;
  if (byStop && byExit) return 'both';
  return byStop ? 'stop' : byExit ? 'exit' : 'none';
}

/** Volume-weighted price of fills; one fill keeps the broker's price exactly (a mean of one can differ in the last bit). */
function weighted(parts: readonly { qty: number; price: number | null }[]): { qty: number; price: number | null } {
  const filled = parts.filter((p): p is { qty: number; price: number } => p.qty > EPS && p.price !== null);
  const qty = filled.reduce((a, p) => a + p.qty, 0);
  if (filled.length === 1) return { qty, price: filled[0]?.price ?? null };
  return { qty, price: qty > 0 ? filled.reduce((a, p) => a + p.qty * p.price, 0) / qty : null };
}

/**
 * The bot's own exit when a protective stop is held at the broker: cancel the stop first and see what it
 * did, then sell (or buy back) only what is still held. Without this the stop and the exit could both
 * fill and turn a long into a short. Safe to retry: lookups by client order id, and the exit carries its
 * own deterministic id.
 */
export async function protectedExit(broker: Broker, input: { exit: OrderRequest; stopClientOrderId: string | null } & PollOptions): Promise<ProtectedExitResult> {
  // Outside regular hours a market exit would be queued for the next session while the cancelled stop no
  // longer protects: when the broker's clock says closed, the stop stays and nothing is sent (the session
  // escalates the unfilled exit; docs/trading.md, "The session's end").
  const marketOpen = (broker as Partial<Pick<BrokerExtensions, 'marketOpen'>>).marketOpen;
  if (input.stopClientOrderId && marketOpen && !(await marketOpen.call(broker))) {
    const stop = await broker.getOrderByClientId(input.stopClientOrderId);
    const stopFilled = stop?.filledQty ?? 0;
    return { exit: null, stop, filledQty: stopFilled, avgPrice: stopFilled > EPS ? (stop?.filledAvgPrice ?? null) : null, closedBy: closedByOf(stopFilled, null) };
  }
  const stop = await settleStop(broker, input.stopClientOrderId, input);
  const stopFilled = stop?.filledQty ?? 0;
  const remaining = Math.max(0, input.exit.qty - stopFilled);
  let exit: BrokerOrder | null = null;
  if (remaining > EPS) {
    // A retried exit finds the first one (same client order id); an existing one is returned as it is.
    const existing = await broker.getOrderByClientId(input.exit.clientOrderId);
    exit = existing ?? (await broker.submitOrder({ ...input.exit, qty: remaining }));
  }
  const w = weighted([
    { qty: stopFilled, price: stop?.filledAvgPrice ?? null },
    { qty: exit?.filledQty ?? 0, price: exit?.filledAvgPrice ?? null },
  ]);
  return { exit, stop, filledQty: w.qty, avgPrice: w.price, closedBy: closedByOf(stopFilled, exit) };
}

// ---------------------------------------------------------------------------------------------
// Adoption: a bot position no running session tracks (domain/orders/botOrderOwner.ts) is exited.

export interface AdoptionExit {
  /** The adopter's market exit (deterministic id), or null when none was needed or sent. */
  readonly exit: BrokerOrder | null;
  /** The owner's protective stop as it ended, or null when it had none. */
  readonly stop: BrokerOrder | null;
  readonly closedBy: ClosedBy;
  /** What the stop filled while reconciliation ran (fills before it already count as closed). */
  readonly stopFilledQty: number;
  readonly filledQty: number;
  readonly avgPrice: number | null;
  readonly fees: number;
  /** The last fill's time; null when nothing filled. */
  readonly closedAt: string | null;
  /** Why nothing filled (the exit's reject reason, `market_closed`), or null. */
  readonly notFilled: string | null;
}

/**
 * Exits one owned part at the market with the adopter's deterministic id: the owner's stop is cancelled
 * first, what it filled meanwhile is taken off, and a retry finds the first exit instead of selling again.
 */
export async function adoptionExit(
  broker: Broker,
  a: { part: OwnedPart; stopBefore: BrokerOrder | null; simFillBarStart?: number } & PollOptions,
): Promise<AdoptionExit> {
  const id = a.part.adoptionClientOrderId;
  if (!id) throw new LogicError(`adoption of ${a.part.entry.order.clientOrderId} without an adopter id`);
  const stop = await settleStop(broker, a.part.stopClientOrderId, a);
  const stopFilledQty = Math.max(0, (stop?.filledQty ?? 0) - (a.stopBefore?.filledQty ?? 0));
  const qty = a.part.qty - stopFilledQty;
  const symbol = a.part.entry.order.symbol;
  const request: OrderRequest = {
    clientOrderId: id,
    symbol,
    assetClass: parseOccSymbol(symbol) ? 'us_option' : 'us_equity',
    side: closingSide(a.part.entry.order.side),
    qty,
    type: 'market',
    underlying: a.part.entry.ticker,
    ...(a.simFillBarStart === undefined ? {} : { simFillBarStart: a.simFillBarStart }),
  };
  // submitOrder looks the id up first, so a retried reconciliation settles the first exit.
  const exit = qty > EPS ? await broker.submitOrder(request) : a.part.priorAdoption ? await broker.getOrderByClientId(id) : null;
  const w = weighted([
    { qty: stopFilledQty, price: stop?.filledAvgPrice ?? null },
    { qty: exit?.filledQty ?? 0, price: exit?.filledAvgPrice ?? null },
  ]);
  const times = [stopFilledQty > EPS ? stop?.filledAt : null, (exit?.filledQty ?? 0) > EPS ? exit?.filledAt : null].filter((t): t is string => typeof t === 'string');
  return {
    exit,
    stop,
    closedBy: closedByOf(stopFilledQty, exit),
    stopFilledQty,
    filledQty: w.qty,
    avgPrice: w.price,
    fees: (exit?.fees ?? 0) + (stopFilledQty > EPS ? (stop?.fees ?? 0) : 0),
    closedAt: times.sort().at(-1) ?? null,
    notFilled: w.qty > EPS ? null : (exit?.rejectReason ?? exit?.status ?? 'nothing to sell'),
  };
}
