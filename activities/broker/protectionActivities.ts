import type { TradeRecord } from '../../domain/trades/tradeRecord';
import {
  adoptedExitReason,
  adoptedTradeRecord,
  attributePositions,
  previousTradingDay,
  regularHoursAt,
  sessionOwnerCandidates,
  stopKindOf,
  type ClosedBy,
  type OwnedPart,
  type PositionFacts,
} from '../../domain/orders/botOrderOwner';
import { currentAttempt, type ActivityDeps, type DataScope } from '../tradingActivities';
import { isRealBroker, type AssetClass, type Broker, type BrokerExtensions, type BrokerOrder, type OrderRequest, type OrderSide, type ProtectiveStopRequest, type ProtectiveStopResult } from './brokerTypes';
import { adoptionExit, defaultIsBotOrder, protectedExit, reconcileOrphanOrders, type AdoptionExit, type Discrepancy } from './reconcile';
import type { BrokerName, Instrument, OutputMode, ExitReason, Side, StrategyName } from '../../domain/vocabulary';

/**
 * Order safety around a position's life (issue 5; docs/brokers.md, "Startup and reconciliation"): the stop a
 * real broker holds, the exit that cancels that stop first, the lookup that settles an order whose submit
 * failed, the watchdog's heartbeat and cancel, and the reconciliation a session starts with. All idempotent
 * by client order id.
 */

export interface ClosePositionResult {
  /** The market exit, or null when the broker's stop had already closed everything. */
  readonly exit: BrokerOrder | null;
  /** The protective stop as it ended, or null when there was none. */
  readonly stop: BrokerOrder | null;
  readonly filledQty: number;
  /** Volume-weighted over the stop's and the exit's fills. */
  readonly avgPrice: number | null;
  readonly fees: number;
  /** The attempt that succeeded (1 = first): retries the session reports in its status. */
  readonly attempt: number;
  /**
   * Which order closed the position. `stop`: the broker's stop fired first, so the trade's exit reason,
   * time and price are the stop's (stopFilledAt, stopFillPrice), not the bot's rule on the bar.
   */
  readonly closedBy: ClosedBy;
  readonly stopFilledQty: number;
  readonly stopFillPrice: number | null;
  readonly stopFilledAt: string | null;
  /** The stop's kind as the caller placed it (placeProtectiveStop's `kind`); null when not given. */
  readonly stopKind: 'trailing' | 'stop' | null;
  /** The last fill's time (stop or exit); null when nothing filled. */
  readonly closedAt: string | null;
}

/** A broker position, or part of one, that a bot session opened (domain/orders/botOrderOwner.ts). */
export interface OwnedPositionView {
  readonly ownerWorkflowId: string;
  readonly ownerSession: StrategyName;
  /** The trading date in the owner's workflow id, when it has one. */
  readonly ownerDate: string | null;
  readonly underlying: string;
  /** The instrument held: the stock, the inverse fund or the OCC put. */
  readonly symbol: string;
  readonly assetClass: AssetClass;
  readonly instrument: Instrument;
  /** Direction of the underlying. */
  readonly side: Side;
  readonly entry: {
    readonly id: string;
    readonly clientOrderId: string;
    readonly side: OrderSide;
    readonly qty: number;
    readonly fillPrice: number;
    readonly filledAt: string | null;
    readonly fees: number;
  };
  /** The bot's quantity (unsigned). */
  readonly qty: number;
  /** The broker's whole position in the symbol (signed) and its average price. */
  readonly positionQty: number;
  readonly avgEntryPrice: number;
  readonly stopClientOrderId: string;
  /** The adoption exit's deterministic id; null without an adopter. */
  readonly exitClientOrderId: string | null;
  /** The owner's trade id: a record written under it is idempotent with anything the owner wrote. */
  readonly tradeId: string;
}

/** A bot position exited at reconciliation, with everything its trade record needs. */
export interface AdoptedPosition extends OwnedPositionView {
  readonly exit: BrokerOrder | null;
  readonly stop: BrokerOrder | null;
  readonly closedBy: ClosedBy;
  readonly filledQty: number;
  readonly avgPrice: number | null;
  readonly fees: number;
  readonly stopKind: 'trailing' | 'stop';
  readonly stopFilledQty: number;
  readonly stopFillPrice: number | null;
  readonly stopFilledAt: string | null;
  readonly closedAt: string | null;
  readonly exitReason: ExitReason;
  /** The trade record, ready for recordTrade and postTradeToLedger. */
  readonly trade: TradeRecord;
}

/** A bot position not exited now: outside regular hours, refused by the broker, or no adopter given. */
export interface PendingAdoption extends OwnedPositionView {
  readonly reason: string;
}

export interface SessionReconcileInput extends DataScope {
  readonly broker: BrokerName;
  readonly date: string;
  /**
   * The session reconciling. Without it positions are still told apart (bot or foreign), but nothing is
   * adopted: the bot's come back in adoptPending.
   */
  readonly adopter?: { readonly workflowId: string; readonly dayWorkflowId: string; readonly mode: OutputMode };
  /**
   * Session workflow ids whose entries are the bot's. Default: today's and the previous trading day's
   * sessions of adopter.dayWorkflowId (sessionOwnerCandidates); the adopter's own id is always added.
   */
  readonly ownerCandidates?: readonly string[];
  /** Sessions that may still be running: their positions are left to them (heldBySessions). */
  readonly runningSessions?: readonly string[];
  /** Market time now (epoch ms), from the workflow's clock; default the worker's clock. */
  readonly marketNowMs?: number;
  /** Simulated broker only: the bar whose close fills an adoption exit. */
  readonly simFillBarStart?: number;
}

export interface SessionReconcileResult {
  /** Every position at the broker, the bot's and the user's. */
  readonly positions: number;
  readonly cancelledOrderIds: readonly string[];
  /** Real problems only, one line each with how it was resolved: the workflow alerts on these. */
  readonly discrepancies: readonly string[];
  readonly adopted: readonly AdoptedPosition[];
  readonly adoptPending: readonly PendingAdoption[];
  /** Positions (or parts) no bot entry explains: the user's own holdings. Information, never critical. */
  readonly foreign: readonly PositionFacts[];
  /** Bot positions of sessions named running: left alone. */
  readonly heldBySessions: readonly OwnedPositionView[];
  /** False when the broker cannot list its orders (nothing can be attributed; every position is foreign). */
  readonly orderHistory: boolean;
}

const attempt = currentAttempt;
const EPS = 1e-9;

type OrderHistory = Broker & Partial<Pick<BrokerExtensions, 'ordersSince' | 'openOrders' | 'marketOpen'>>;

function hasOrderHistory(b: OrderHistory): b is OrderHistory & Pick<BrokerExtensions, 'ordersSince'> {
  return typeof b.ordersSince === 'function';
}

export function createProtectionActivities(deps: Pick<ActivityDeps, 'broker'>) {
  const broker = (name: BrokerName, scope: DataScope) => deps.broker(name, scope.replayFolder);
  return {
    /** Places the stop a real broker holds; the simulator has none (the bot's exits enforce the rules). */
    async placeProtectiveStop(input: { broker: BrokerName; request: ProtectiveStopRequest } & DataScope): Promise<ProtectiveStopResult> {
      const b = await broker(input.broker, input);
      if (!isRealBroker(b)) return { placed: false, reason: `${b.name} broker: stops are enforced by the bot on bar closes` };
      const existing = await b.getOrderByClientId(input.request.clientOrderId);
      if (existing) return { placed: true, order: existing, kind: input.request.kind, note: 'already at the broker (retried call)' };
      return b.placeProtectiveStop(input.request);
    },

    /** The bot's exit: cancels the broker's stop first, then closes only what is still held. */
    async closePosition(
      input: { broker: BrokerName; request: OrderRequest; stopClientOrderId: string | null; stopKind?: 'trailing' | 'stop' | null } & DataScope,
    ): Promise<ClosePositionResult> {
      const b = await broker(input.broker, input);
      const r = await protectedExit(b, { exit: input.request, stopClientOrderId: input.stopClientOrderId });
      const fees = (r.exit?.fees ?? 0) + (r.stop?.fees ?? 0);
      const stopFilledQty = r.stop?.filledQty ?? 0;
      const stopFilled = stopFilledQty > EPS;
      return {
        exit: r.exit,
        stop: r.stop,
        filledQty: r.filledQty,
        avgPrice: r.avgPrice,
        fees,
        attempt: attempt(),
        closedBy: r.closedBy,
        stopFilledQty,
        stopFillPrice: stopFilled ? (r.stop?.filledAvgPrice ?? null) : null,
        stopFilledAt: stopFilled ? (r.stop?.filledAt ?? null) : null,
        stopKind: input.stopKind ?? null,
        closedAt: lastFillTime([stopFilled ? r.stop : null, r.exit]),
      };
    },

    /** What the broker knows of a client order id: settles a submit whose answer was lost. */
    async lookupOrder(input: { broker: BrokerName; clientOrderId: string } & DataScope): Promise<BrokerOrder | null> {
      return (await broker(input.broker, input)).getOrderByClientId(input.clientOrderId);
    },

    /** Watchdog heartbeat: the broker answers an account request. */
    async brokerHeartbeat(input: { broker: BrokerName } & DataScope): Promise<{ readonly attempt: number }> {
      await (await broker(input.broker, input)).account();
      return { attempt: attempt() };
    },

    /** Watchdog: cancels every working order of the bot at an unreachable broker (best effort). */
    async cancelBotOrders(input: { broker: BrokerName } & DataScope): Promise<{ readonly cancelledOrderIds: readonly string[] }> {
      const b = await broker(input.broker, input);
      if (!isRealBroker(b)) return { cancelledOrderIds: [] };
      const cancelled: string[] = [];
      for (const o of await b.openOrders()) {
        if (!defaultIsBotOrder(o.clientOrderId)) continue;
        await b.cancelOrder(o.id);
        cancelled.push(o.id);
      }
      return { cancelledOrderIds: cancelled };
    },

    /**
     * A session starts from the broker's truth. Positions are told apart by the bot's deterministic client
     * order ids: the bot's that no running session tracks are adopted (exited at the market with the
     * adopter's deterministic id, the owner's stop cancelled first) and come back with their trade record;
     * the user's own are returned as information. A working bot order from an earlier date is cancelled;
     * one from today is reported, since another session of the day may still own it.
     */
    async reconcileSessionStart(input: SessionReconcileInput): Promise<SessionReconcileResult> {
      return reconcileAtSessionStart(await broker(input.broker, input), input);
    },
  };
}

function lastFillTime(orders: readonly (BrokerOrder | null)[]): string | null {
  const times = orders.filter((o): o is BrokerOrder => o !== null && o.filledQty > EPS && o.filledAt !== null).map((o) => o.filledAt as string);
  return times.sort().at(-1) ?? null;
}

function ownerCandidates(input: SessionReconcileInput): string[] {
  const base = input.ownerCandidates ?? (input.adopter ? sessionOwnerCandidates({ dayWorkflowId: input.adopter.dayWorkflowId, date: input.date, broker: input.broker }) : []);
  return [...new Set([...base, ...(input.adopter ? [input.adopter.workflowId] : [])])];
}

function viewOf(part: OwnedPart): OwnedPositionView {
  const { entry } = part;
  return {
    ownerWorkflowId: entry.owner.workflowId,
    ownerSession: entry.owner.session,
    ownerDate: entry.owner.date,
    underlying: entry.ticker,
    symbol: entry.order.symbol,
    assetClass: entry.instrument === 'put' ? 'us_option' : 'us_equity',
    instrument: entry.instrument,
    side: entry.side,
    entry: {
      id: entry.order.id,
      clientOrderId: entry.order.clientOrderId,
      side: entry.order.side,
      qty: entry.order.filledQty,
      fillPrice: entry.order.filledAvgPrice ?? 0,
      filledAt: entry.order.filledAt,
      fees: entry.order.fees,
    },
    qty: part.qty,
    positionQty: part.position.qty,
    avgEntryPrice: part.position.avgEntryPrice,
    stopClientOrderId: part.stopClientOrderId,
    exitClientOrderId: part.adoptionClientOrderId,
    tradeId: `${entry.owner.workflowId}:${entry.ticker}`,
  };
}

function adoptedOf(part: OwnedPart, x: AdoptionExit, ctx: { broker: BrokerName; mode: OutputMode; date: string; nowMs: number }): AdoptedPosition {
  const stopKind = stopKindOf(part.entry.owner.session);
  const stopFilled = x.stopFilledQty > EPS;
  const orderIds = [stopFilled ? x.stop : null, x.exit].filter((o): o is BrokerOrder => o !== null && o.filledQty > EPS).map((o) => o.id);
  const fill = { closedBy: x.closedBy, filledQty: x.filledQty, avgPrice: x.avgPrice, fees: x.fees, closedAt: x.closedAt, orderIds };
  return {
    ...viewOf(part),
    exit: x.exit,
    stop: x.stop,
    closedBy: x.closedBy,
    filledQty: x.filledQty,
    avgPrice: x.avgPrice,
    fees: x.fees,
    stopKind,
    stopFilledQty: x.stopFilledQty,
    stopFillPrice: stopFilled ? (x.stop?.filledAvgPrice ?? null) : null,
    stopFilledAt: stopFilled ? (x.stop?.filledAt ?? null) : null,
    closedAt: x.closedAt,
    exitReason: adoptedExitReason(x.closedBy, stopKind),
    trade: adoptedTradeRecord({ part, fill, broker: ctx.broker, mode: ctx.mode, date: ctx.date, timestamp: new Date(ctx.nowMs).toISOString() }),
  };
}

function describe(d: Discrepancy): string {
  return `${d.kind} ${d.symbol}${d.clientOrderId ? ` ${d.clientOrderId}` : ''}: expected ${d.expected}, broker ${d.actual}; ${d.resolution}`;
}

/** Regular hours by the exchange calendar and, where the broker has a clock (Alpaca), by the broker too. */
async function marketTakesOrders(b: OrderHistory, nowMs: number): Promise<boolean> {
  if (!regularHoursAt(nowMs)) return false;
  return typeof b.marketOpen === 'function' ? b.marketOpen() : true;
}

interface Sorted {
  readonly adopted: AdoptedPosition[];
  readonly adoptPending: PendingAdoption[];
  readonly heldBySessions: OwnedPositionView[];
  readonly problems: string[];
  /** Stops of positions left as they are: neither cancelled nor reported as orphans. */
  readonly keep: Set<string>;
}

/** Decides each bot part: left to a running session, pending, or exited now. */
async function settleParts(b: OrderHistory, parts: readonly OwnedPart[], orders: readonly BrokerOrder[], input: SessionReconcileInput): Promise<Sorted> {
  const out: Sorted = { adopted: [], adoptPending: [], heldBySessions: [], problems: [], keep: new Set() };
  const running = new Set(input.runningSessions ?? []);
  const byId = new Map(orders.map((o) => [o.clientOrderId, o]));
  const nowMs = input.marketNowMs ?? Date.now();
  let open: boolean | null = null;
  for (const part of parts) {
    const view = viewOf(part);
    const adopter = input.adopter;
    if (running.has(view.ownerWorkflowId) && view.ownerWorkflowId !== adopter?.workflowId) {
      out.heldBySessions.push(view);
      out.keep.add(part.stopClientOrderId);
      continue;
    }
    if (!adopter) {
      // A caller that adopts nothing still hears of the bot's unattended positions, as before.
      out.adoptPending.push({ ...view, reason: 'not adopted: no adopting session was given' });
      out.problems.push(`bot position ${view.symbol} ${view.qty} of ${view.ownerWorkflowId} is not tracked by any session; not adopted (no adopting session given)`);
      out.keep.add(part.stopClientOrderId);
      continue;
    }
    // A retry settles its first exit at any hour; a new exit only in regular hours (a day order sent
    // outside them would be queued and fill at the next open). The clock is asked once.
    if (part.priorAdoption === null && !(open ??= await marketTakesOrders(b, nowMs))) {
      out.adoptPending.push({ ...view, reason: 'market_closed: outside regular hours, nothing was sent' });
      out.keep.add(part.stopClientOrderId);
      continue;
    }
    const x = await adoptionExit(b, { part, stopBefore: byId.get(part.stopClientOrderId) ?? null, simFillBarStart: input.simFillBarStart });
    if (x.filledQty > EPS) {
      out.adopted.push(adoptedOf(part, x, { broker: input.broker, mode: adopter.mode, date: input.date, nowMs }));
      if (x.filledQty < part.qty - EPS) out.problems.push(`adopted ${view.symbol} (${view.ownerWorkflowId}): exited ${x.filledQty} of ${part.qty}; the rest is still held at ${input.broker}`);
      continue;
    }
    out.adoptPending.push({ ...view, reason: x.notFilled ?? 'not filled' });
    const unprotected = x.stop !== null && x.stop.status === 'canceled';
    out.problems.push(`adopting ${view.symbol} (${view.ownerWorkflowId}) failed: ${x.notFilled ?? 'not filled'}${unprotected ? '; its stop was cancelled, the position is unprotected' : ''}`);
  }
  return out;
}

export async function reconcileAtSessionStart(b: OrderHistory, input: SessionReconcileInput): Promise<SessionReconcileResult> {
  const orderHistory = hasOrderHistory(b);
  // Yesterday's CLOSE may have left a position: orders from the start of the previous trading day.
  const orders = orderHistory ? await b.ordersSince(`${previousTradingDay(input.date)}T00:00:00Z`) : [];
  const positions = await b.positions();
  const attribution = attributePositions({ positions, orders, candidates: ownerCandidates(input), adopterWorkflowId: input.adopter?.workflowId ?? null });
  const sorted = await settleParts(b, attribution.owned, orders, input);
  const orphans = await reconcileOrphanOrders(b, { keep: sorted.keep, cancelOrphansSubmittedBefore: `${input.date}T00:00:00Z` });
  return {
    positions: positions.filter((p) => Math.abs(p.qty) > EPS).length,
    cancelledOrderIds: orphans.cancelledOrderIds,
    discrepancies: [...orphans.discrepancies.map(describe), ...attribution.sizeNotes, ...sorted.problems],
    adopted: sorted.adopted,
    adoptPending: sorted.adoptPending,
    foreign: attribution.foreign,
    heldBySessions: sorted.heldBySessions,
    orderHistory,
  };
}

export type ProtectionActivities = ReturnType<typeof createProtectionActivities>;
