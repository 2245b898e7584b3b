import type { trading } from '@alpacahq/alpaca-trade-api';
import type { BrokerOrder, OrderStatus } from '../brokerTypes';
import { MalformedResponseError } from './alpacaErrors';
import { describeValue, num, record, toIso } from './alpacaResponse';
import { fromAlpacaSymbol } from './alpacaSymbols';

/** Alpaca orders read as the port's BrokerOrder: statuses, fills, prices. */

/** Statuses after which an order changes no more. */
export const TERMINAL_STATUSES = new Set(['filled', 'canceled', 'expired', 'rejected', 'done_for_day', 'replaced']);

/** An order answer checked to read as a BrokerOrder, returned as is (the caller may still need its raw fields). */
export function checkedOrder(o: trading.Order): trading.Order {
  toBrokerOrder(o);
  return o;
}

export function roundPrice(p: number): string {
  // Alpaca: two decimals at or above $1, four below.
  return p >= 1 ? p.toFixed(2) : p.toFixed(4);
}

export function mapStatus(status: string, filledQty: number): OrderStatus {
  switch (status) {
    case 'filled':
      return 'filled';
    case 'partially_filled':
      return 'partially_filled';
    case 'rejected':
      return filledQty > 0 ? 'partially_filled' : 'rejected';
    case 'canceled':
    case 'expired':
    case 'done_for_day':
    case 'replaced':
      // The part that filled before the cancel is a real position.
      return filledQty > 0 ? 'partially_filled' : 'canceled';
    default:
      return 'accepted';
  }
}

/** Reads an Alpaca order; throws MalformedResponseError naming the field when it cannot be read. */
export function toBrokerOrder(raw: trading.Order): BrokerOrder {
  const o = record(raw, 'the order') as trading.Order;
  const label = typeof o.clientOrderId === 'string' ? `order ${o.clientOrderId}` : 'the order';
  const filledQty = num(o.filledQty, `filled_qty of ${label}`);
  const qty = num(o.qty, `qty of ${label}`);
  const rawStatus: unknown = o.status;
  if (typeof rawStatus !== 'string' || rawStatus === '') throw new MalformedResponseError(`status of ${label} is ${describeValue(rawStatus)} (expected text)`);
  if (filledQty < 0 || qty < 0) throw new MalformedResponseError(`${label} has a negative qty or filled_qty`);
  const status = mapStatus(rawStatus, filledQty);
  const avg = o.filledAvgPrice === null || o.filledAvgPrice === undefined ? null : num(o.filledAvgPrice, `filled_avg_price of ${label}`);
  // A fill without a price would be booked at 0: refuse it rather than record a wrong trade.
  if (filledQty > 0 && !(avg !== null && avg > 0)) {
    throw new MalformedResponseError(`filled_avg_price of ${label} is ${describeValue(o.filledAvgPrice)} with filled_qty ${filledQty} (expected a positive price)`);
  }
  let rejectReason: string | null = null;
  if (status === 'rejected') rejectReason = 'rejected_by_broker';
  else if (status === 'partially_filled' && TERMINAL_STATUSES.has(String(o.status)) && filledQty < qty) rejectReason = `partial_fill:${String(o.status)}`;
  else if (status === 'canceled') rejectReason = String(o.status);
  return {
    id: String(o.id ?? ''),
    clientOrderId: String(o.clientOrderId ?? ''),
    symbol: fromAlpacaSymbol(String(o.symbol ?? '')),
    side: o.side === 'sell' ? 'sell' : 'buy',
    qty,
    filledQty,
    filledAvgPrice: filledQty > 0 ? avg : null,
    status,
    submittedAt: toIso(o.submittedAt ?? o.createdAt, `submitted_at of ${label}`),
    filledAt: o.filledAt ? toIso(o.filledAt, `filled_at of ${label}`) : null,
    // Alpaca charges no commission on stocks; regulatory fees arrive later as account activities.
    fees: 0,
    rejectReason,
  };
}
