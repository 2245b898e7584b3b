import { OrderAction, OrderType, TimeInForce, type Contract, type Order } from '@stoqey/ib';
import { LogicError, NetworkError } from '../../../domain/errors/errorClasses';
import { round2 } from '../../../domain/math/round';
import type { BrokerOrder, OrderRequest, ProtectiveStopRequest, ProtectiveStopResult } from '../brokerTypes';
import { rejectedOrder } from '../rejectedOrder';
import { IB_CODES } from './ibApi';
import type { IbConnection } from './ibConnection';
import type { IbContracts } from './ibContracts';
import type { IbOrderBook } from './ibOrderBook';
import { ibRejectionCode, isDone, refusedAtPlacement, toOrder, type OrderTrack } from './ibOrderTrack';

/**
 * Placing and cancelling. Every order carries the bot's client order id in IB's `orderRef`, and is looked
 * up in the order book before it is placed, so a retried activity finds the first order instead of
 * placing a second one.
 */
export class IbOrders {
  constructor(
    private readonly conn: IbConnection,
    private readonly contracts: IbContracts,
    private readonly book: IbOrderBook,
  ) {}

  async submitOrder(req: OrderRequest): Promise<BrokerOrder> {
    if (req.type !== 'market') throw new LogicError(`ibkr: only market orders are submitted through submitOrder, got ${String(req.type)}`);
    this.conn.holdDuringRestart(`order ${req.clientOrderId}`);
    const existing = await this.book.findTrack(req.clientOrderId);
    if (existing) return this.settle(existing);
    if (!(req.qty > 0)) return rejectedOrder(req, 'invalid_qty', this.conn.now());
    // IB API orders are whole shares and whole contracts; rounding down stays inside the granted size.
    const qty = Math.floor(req.qty);
    if (qty < 1) return rejectedOrder(req, 'not_fractionable', this.conn.now());
    const contract = await this.contracts.qualify(req.symbol, req.assetClass);
    if (!contract) return rejectedOrder(req, `no_security_definition:${IB_CODES.NO_SECURITY_DEFINITION}`, this.conn.now());
    const order: Order = {
      action: req.side === 'buy' ? OrderAction.BUY : OrderAction.SELL,
      totalQuantity: qty,
      orderType: OrderType.MKT,
      tif: TimeInForce.DAY,
      orderRef: req.clientOrderId,
      account: this.conn.opts.account,
      outsideRth: false,
      transmit: true,
    };
    const t = this.place(contract, order, req.symbol);
    return this.settle(t);
  }

  async cancelOrder(orderId: string): Promise<void> {
    const api = await this.conn.ensureConnected();
    const id = Number(orderId);
    if (!Number.isInteger(id)) throw new LogicError(`ibkr: order id ${orderId} is not an IB order id`);
    api.cancelOrder(id);
  }

  async placeProtectiveStop(req: ProtectiveStopRequest): Promise<ProtectiveStopResult> {
    this.conn.holdDuringRestart(`protective stop ${req.clientOrderId}`);
    const existing = await this.book.findTrack(req.clientOrderId);
    if (existing) return { placed: true, order: toOrder(existing), kind: req.kind, note: 'already placed' };
    const qty = Math.floor(req.qty);
    if (qty < 1) return { placed: false, reason: 'ibkr takes whole shares only; the position is under one share' };
    const contract = await this.contracts.qualify(req.symbol, req.assetClass);
    if (!contract) return { placed: false, reason: `no_security_definition: ${req.symbol}` };
    const order = stopOrderFor(req, qty, this.conn.opts.account);
    if (typeof order === 'string') return { placed: false, reason: order };
    const t = this.place(contract, order, req.symbol);
    // Wait briefly for TWS to accept or reject it; a working stop is the success case.
    const clock = this.conn.answerClock;
    const deadline = clock.now() + Math.min(5_000, this.conn.opts.timeoutMs);
    while (clock.now() < deadline && !['Submitted', 'PreSubmitted'].includes(t.status) && !isDone(t.status) && !refusedAtPlacement(t)) await clock.sleep(50);
    const out = toOrder(t);
    if (out.status === 'rejected' || out.status === 'canceled') return { placed: false, reason: out.rejectReason ?? 'rejected' };
    return { placed: true, order: out, kind: req.kind, note: null };
  }

  private place(contract: Contract, order: Order, symbol: string): OrderTrack {
    const { api, orderId } = this.conn.nextOrder();
    const t = this.book.record(orderId, contract, order, symbol);
    api.placeOrder(orderId, contract, order);
    return t;
  }

  /** Waits for a final state; a market order still working after the fill timeout has its rest cancelled. */
  private async settle(t: OrderTrack): Promise<BrokerOrder> {
    // Real time, also on the rehearsal's market clock: at 80x a 10 s market wait would give TWS 125 ms to answer.
    const clock = this.conn.answerClock;
    const deadline = clock.now() + (this.conn.opts.fillTimeoutMs ?? 10_000);
    while (!isDone(t.status) && !refusedAtPlacement(t) && clock.now() < deadline) {
      if (!this.conn.api) throw new NetworkError(`ibkr: disconnected from ${this.conn.where} while order ${t.clientOrderId} was working`, { provider: 'ibkr', code: String(IB_CODES.NOT_CONNECTED) });
      // A 399 "will not be placed at the exchange until ..." means the market is closed: do not leave it queued.
      if (t.errors.some((e) => e.code === IB_CODES.ORDER_WARNING && ibRejectionCode(e.code, e.message) === 'market_closed')) break;
      await clock.sleep(50);
    }
    if (isDone(t.status) || refusedAtPlacement(t)) return toOrder(t);
    await this.cancelOrder(String(t.orderId));
    const cancelDeadline = clock.now() + 5_000;
    while (!isDone(t.status) && clock.now() < cancelDeadline) await clock.sleep(50);
    const out = toOrder(t);
    const warning = t.errors.find((e) => e.code === IB_CODES.ORDER_WARNING);
    if (out.status === 'canceled' || out.status === 'accepted') {
      return { ...out, rejectReason: warning ? `${ibRejectionCode(warning.code, warning.message)}:${warning.code}` : 'not_filled_in_time' };
    }
    return out;
  }
}

/** The stop or trailing stop for a protective request, or why there is none. */
function stopOrderFor(req: ProtectiveStopRequest, qty: number, account: string): Order | string {
  const base: Order = {
    action: req.side === 'buy' ? OrderAction.BUY : OrderAction.SELL,
    totalQuantity: qty,
    tif: TimeInForce.DAY,
    orderRef: req.clientOrderId,
    account,
    transmit: true,
    orderType: OrderType.STP,
  };
  if (req.kind === 'trailing') {
    if (!(req.trailPercent && req.trailPercent > 0)) return 'a trailing stop needs a positive trail percent';
    return { ...base, orderType: OrderType.TRAIL, trailingPercent: req.trailPercent };
  }
  const stop = req.stopPrice ?? (req.trailPercent ? req.referencePrice * (req.side === 'sell' ? 1 - req.trailPercent / 100 : 1 + req.trailPercent / 100) : undefined);
  if (!(stop && stop > 0)) return 'a stop order needs a stop price';
  return { ...base, auxPrice: round2(stop) };
}
