import { OrderStatus as IbOrderStatus, type Contract, type Execution, type Order, type OrderState } from '@stoqey/ib';
import type { BrokerOrder } from '../brokerTypes';
import type { IbListener } from './ibApi';
import type { ConnectionHooks, IbConnection } from './ibConnection';
import { ibTimeToIso } from './ibTime';
import { isDone, toOrder, trackFrom, type OrderTrack } from './ibOrderTrack';

/** IB "unset" double (Double.MAX_VALUE) as it arrives in orderState.commission before a fill. */
const UNSET_DOUBLE = 1e300;

/**
 * The bot's orders at IB, by IB order id and by client order id (IB's `orderRef`): this session's own,
 * kept current from order events, and those found among TWS's open and today's completed orders.
 */
export class IbOrderBook implements ConnectionHooks {
  private readonly tracks = new Map<number, OrderTrack>();
  private readonly byRef = new Map<string, number>();

  constructor(private readonly conn: IbConnection) {}

  listen(on: (event: string, fn: IbListener) => void): void {
    on('orderStatus', (orderId: number, status: string, filled: number, _remaining: number, avgFillPrice: number) => {
      const t = this.tracks.get(orderId);
      if (!t) return;
      t.status = status;
      t.filled = Number(filled) || 0;
      if (Number(avgFillPrice) > 0) t.avgFillPrice = Number(avgFillPrice);
      if (status === IbOrderStatus.Filled && t.filledAt === null) t.filledAt = new Date(this.conn.now()).toISOString();
    });
    on('openOrder', (orderId: number, _contract: Contract, _order: Order, state: OrderState) => {
      const t = this.tracks.get(orderId);
      if (!t) return;
      if (state?.status) t.status = state.status;
      if (typeof state?.commission === 'number' && state.commission < UNSET_DOUBLE) t.commission = state.commission;
    });
  }

  noteError(id: number, code: number, message: string): void {
    this.tracks.get(id)?.errors.push({ code, message });
  }

  /** After a reconnect: working orders' status, fills and prices from IB's open and completed orders. */
  async resync(): Promise<void> {
    const working = [...this.tracks.values()].filter((t) => !isDone(t.status));
    if (working.length === 0) return;
    const seen = new Map([...(await this.scanCompletedOrders()), ...(await this.scanOpenOrders())]);
    for (const t of working) {
      const now = seen.get(t.clientOrderId);
      if (!now) continue;
      t.status = now.status;
      t.filled = now.filled;
      if (now.avgFillPrice > 0) t.avgFillPrice = now.avgFillPrice;
      if (now.filledAt) t.filledAt = now.filledAt;
    }
    const unpriced = working.filter((t) => t.filled > 0 && !(t.avgFillPrice > 0));
    if (unpriced.length > 0) await this.fillPricesFromExecutions(unpriced);
  }

  /** A new track for an order about to be placed, recorded before it is sent so no event is missed. */
  record(orderId: number, contract: Contract, order: Order, symbol: string): OrderTrack {
    const t: OrderTrack = { ...trackFrom(orderId, contract, order, IbOrderStatus.PendingSubmit, this.conn.now()), symbol };
    this.tracks.set(orderId, t);
    this.byRef.set(t.clientOrderId, orderId);
    return t;
  }

  async getOrderByClientId(clientOrderId: string): Promise<BrokerOrder | null> {
    const t = await this.findTrack(clientOrderId);
    return t ? toOrder(t) : null;
  }

  /** This session's orders first, then TWS's open orders, then today's completed orders. */
  async findTrack(ref: string): Promise<OrderTrack | null> {
    const local = this.byRef.get(ref);
    if (local !== undefined) return this.tracks.get(local) ?? null;
    const found = (await this.scanOpenOrders()).get(ref) ?? (await this.scanCompletedOrders()).get(ref) ?? null;
    if (found) {
      this.tracks.set(found.orderId, found);
      this.byRef.set(ref, found.orderId);
      if (found.filled > 0 && !(found.avgFillPrice > 0)) await this.fillPricesFromExecutions([found]);
    }
    return found;
  }

  async openOrders(): Promise<BrokerOrder[]> {
    const open = await this.scanOpenOrders();
    return [...open.values()].filter((t) => !isDone(t.status)).map((t) => toOrder(t));
  }

  /**
   * The bot's orders IB still knows: today's completed orders (reqCompletedOrders covers the current day
   * only), every open order and this connection's own. Orders filled before `since` are left out; IB
   * does not give a submission time, so nothing else is filtered.
   */
  async ordersSince(since: string): Promise<BrokerOrder[]> {
    const byRef = new Map([...(await this.scanCompletedOrders()), ...(await this.scanOpenOrders())]);
    for (const [ref, id] of this.byRef) {
      const t = this.tracks.get(id);
      if (t) byRef.set(ref, t);
    }
    const unpriced = [...byRef.values()].filter((t) => t.filled > 0 && !(t.avgFillPrice > 0));
    if (unpriced.length > 0) await this.fillPricesFromExecutions(unpriced);
    const sinceMs = Date.parse(since);
    return [...byRef.values()]
      .map((t) => toOrder(t))
      .filter((o) => !(o.filledAt !== null && Date.parse(o.filledAt) < sinceMs))
      .sort((a, b) => (a.filledAt ?? a.submittedAt).localeCompare(b.filledAt ?? b.submittedAt));
  }

  /** Whether an order belongs to the configured account and carries a client order id. */
  private ours(order: Order | undefined): order is Order & { orderRef: string } {
    return !!order?.orderRef && !(order.account && order.account !== this.conn.opts.account);
  }

  private async scanOpenOrders(): Promise<Map<string, OrderTrack>> {
    const out = new Map<string, OrderTrack>();
    const statuses = new Map<number, { status: string; filled: number; avg: number }>();
    await this.conn.request({
      what: 'open orders',
      reqId: this.conn.newReqId(),
      send: (api) => api.reqAllOpenOrders(),
      events: {
        openOrder: ((orderId: number, contract: Contract, order: Order, state: OrderState) => {
          if (!this.ours(order)) return;
          out.set(order.orderRef, trackFrom(orderId, contract, order, state?.status ?? 'Submitted', this.conn.now()));
        }),
        orderStatus: ((orderId: number, status: string, filled: number, _rem: number, avg: number) => {
          statuses.set(orderId, { status, filled: Number(filled) || 0, avg: Number(avg) || 0 });
        }),
      },
      endEvent: 'openOrderEnd',
      endHasNoId: true,
      result: () => undefined,
    });
    for (const t of out.values()) {
      const s = statuses.get(t.orderId);
      if (s) Object.assign(t, { status: s.status, filled: s.filled, avgFillPrice: s.avg });
    }
    return out;
  }

  private async scanCompletedOrders(): Promise<Map<string, OrderTrack>> {
    const out = new Map<string, OrderTrack>();
    await this.conn.request({
      what: 'completed orders',
      reqId: this.conn.newReqId(),
      send: (api) => api.reqCompletedOrders(false),
      events: {
        completedOrder: ((contract: Contract, order: Order, state: OrderState) => {
          if (!this.ours(order)) return;
          const t = trackFrom(order.orderId ?? -1, contract, order, state?.status ?? 'Filled', this.conn.now());
          t.filled = Number(order.filledQuantity) || 0;
          // IB writes `20250303 10:00:01 America/New_York`; the bot's times are ISO 8601 UTC.
          if (state?.completedTime) t.filledAt = t.filled > 0 ? ibTimeToIso(state.completedTime) : null;
          out.set(order.orderRef, t);
        }),
      },
      endEvent: 'completedOrdersEnd',
      endHasNoId: true,
      result: () => undefined,
    });
    return out;
  }

  private async fillPricesFromExecutions(tracks: OrderTrack[]): Promise<void> {
    const reqId = this.conn.newReqId();
    const byRef = new Map<string, Execution>();
    await this.conn.request({
      what: 'executions',
      reqId,
      send: (api) => api.reqExecutions(reqId, { acctCode: this.conn.opts.account }),
      events: {
        execDetails: ((id: number, _c: Contract, e: Execution) => {
          if (id !== reqId || !e?.orderRef) return;
          const prev = byRef.get(e.orderRef);
          if (!prev || (e.cumQty ?? 0) >= (prev.cumQty ?? 0)) byRef.set(e.orderRef, e);
        }),
      },
      endEvent: 'execDetailsEnd',
      result: () => undefined,
    });
    for (const t of tracks) {
      const e = byRef.get(t.clientOrderId);
      if (e?.avgPrice) t.avgFillPrice = e.avgPrice;
    }
  }
}
