import { OrderAction, OrderStatus as IbOrderStatus, type Contract, type Order } from '@stoqey/ib';
import type { BrokerOrder, OrderStatus } from '../brokerTypes';
import { IB_CODES } from './ibApi';
import { symbolOf } from './ibContracts';

/** One order as the adapter follows it: IB's status string, fills and the errors IB sent for its id. */
export interface OrderTrack {
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly contract: Contract;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: number;
  status: string;
  filled: number;
  avgFillPrice: number;
  commission: number;
  submittedAt: string;
  filledAt: string | null;
  errors: { code: number; message: string }[];
}

export function trackFrom(orderId: number, contract: Contract, order: Order, status: string, nowMs: number): OrderTrack {
  return {
    orderId,
    clientOrderId: order.orderRef ?? '',
    contract,
    symbol: symbolOf(contract),
    side: order.action === OrderAction.SELL || order.action === OrderAction.SSHORT ? 'sell' : 'buy',
    qty: Number(order.totalQuantity) || 0,
    status,
    filled: 0,
    avgFillPrice: 0,
    commission: 0,
    submittedAt: new Date(nowMs).toISOString(),
    filledAt: null,
    errors: [],
  };
}

/** How IB says no to an order, mapped to the stable codes the trade log records. */
export function ibRejectionCode(code: number, message: string): string {
  const m = message.toLowerCase();
  if (/buying power|equity with loan|initial margin|insufficient fund|margin requirement/.test(m)) return 'insufficient_buying_power';
  if (/pattern day trad|\bpdt\b/.test(m)) return 'pdt_protection';
  if (/short|locate|not available for short|borrow/.test(m)) return 'not_shortable';
  if (/will not be placed at the exchange until|market is closed|exchange is closed|outside of regular trading hours/.test(m)) return 'market_closed';
  if (code === IB_CODES.NO_SECURITY_DEFINITION) return 'no_security_definition';
  if (code === IB_CODES.DUPLICATE_ORDER_ID) return 'duplicate_order_id';
  if (code === IB_CODES.ORDER_CANCELLED) return 'canceled_by_ib';
  return 'rejected';
}

export function isDone(status: string): boolean {
  return status === IbOrderStatus.Filled || status === IbOrderStatus.Cancelled || status === IbOrderStatus.ApiCancelled || status === IbOrderStatus.Inactive;
}

/** IB's answers to placeOrder that mean the order was never placed: duplicate id (103), no security definition (200), rejected (201). */
const PLACEMENT_REFUSALS: readonly number[] = [IB_CODES.DUPLICATE_ORDER_ID, IB_CODES.NO_SECURITY_DEFINITION, IB_CODES.ORDER_REJECTED];

/**
 * An order IB refused at placement and never reported working: TWS may send no status after such an
 * error, so waiting for one would only run out the fill timeout and hide the reason (docs/ibkr.md, "Order
 * life cycle").
 */
export function refusedAtPlacement(t: Pick<OrderTrack, 'status' | 'filled' | 'errors'>): boolean {
  const neverWorking = t.status === IbOrderStatus.PendingSubmit || t.status === IbOrderStatus.ApiPending;
  return neverWorking && t.filled === 0 && t.errors.some((e) => PLACEMENT_REFUSALS.includes(e.code));
}

function mapIbStatus(t: OrderTrack): OrderStatus {
  if (t.status === IbOrderStatus.Filled) return t.filled >= t.qty || t.qty === 0 ? 'filled' : 'partially_filled';
  if (t.status === IbOrderStatus.Cancelled || t.status === IbOrderStatus.ApiCancelled) return t.filled > 0 ? 'partially_filled' : 'canceled';
  if (t.status === IbOrderStatus.Inactive || refusedAtPlacement(t)) return t.filled > 0 ? 'partially_filled' : 'rejected';
  return t.filled > 0 ? 'partially_filled' : 'accepted';
}

export function toOrder(t: OrderTrack): BrokerOrder {
  const status = mapIbStatus(t);
  const rejection = t.errors.find((e) => PLACEMENT_REFUSALS.includes(e.code) || e.code === IB_CODES.ORDER_CANCELLED);
  let rejectReason: string | null = null;
  if (status === 'rejected' || status === 'canceled') rejectReason = rejection ? `${ibRejectionCode(rejection.code, rejection.message)}:${rejection.code}` : t.status.toLowerCase();
  else if (status === 'partially_filled' && isDone(t.status)) rejectReason = `partial_fill:${t.status.toLowerCase()}`;
  return {
    id: String(t.orderId),
    clientOrderId: t.clientOrderId,
    symbol: t.symbol,
    side: t.side,
    qty: t.qty,
    filledQty: t.filled,
    filledAvgPrice: t.filled > 0 && t.avgFillPrice > 0 ? t.avgFillPrice : null,
    status,
    submittedAt: t.submittedAt,
    filledAt: t.filledAt,
    fees: t.commission,
    rejectReason,
  };
}
