import type { EmuOrder, OrderInput } from '../../../domain/emulator/orders';
import type { WireOrder } from '../../../domain/emulator/tws/requests';
import type { ContractOut, OrderOut } from '../../../domain/emulator/tws/replies';

/**
 * The IB view of the emulator's orders: IB order ids are per client id, the engine's are uuids; orderRef
 * carries the bot's client order id (the engine's client_order_id). This module maps between the two and
 * says which IB status an engine order shows (docs/ibkr.md "Order life cycle").
 */

export interface IbOrder {
  readonly orderId: number;
  readonly clientId: number;
  readonly permId: number;
  readonly account: string;
  readonly contract: ContractOut;
  readonly wire: WireOrder;
  /** The engine's order; null for an order IB refused before it reached the market. */
  readonly engineId: string | null;
  /** Refused orders: the time IB said so. */
  readonly refusedMs: number | null;
  /** What the owning client was last told. */
  reportedStatus: string;
  reportedFilled: number;
  reportedFills: number;
  readonly placedMs: number;
}

export type OrderShape = { readonly ok: true; readonly input: OrderInput } | { readonly ok: false; readonly code: number; readonly message: string };

/** IB's order in the engine's terms, or IB's refusal for what the emulator does not model. */
export function orderInput(symbol: string, w: WireOrder, clientOrderId: string): OrderShape {
  const refuse = (message: string, code = 201): OrderShape => ({ ok: false, code, message });
  const side = w.action === 'BUY' ? 'buy' : w.action === 'SELL' || w.action === 'SSHORT' ? 'sell' : null;
  if (side === null) return refuse(`Order rejected - reason:invalid action ${w.action}`);
  if (!Number.isInteger(w.totalQuantity)) return refuse('Fractional-sized order cannot be placed via API', 10243);
  if (!(w.totalQuantity > 0)) return refuse('Order rejected - reason:The order size must be positive');
  const tif = w.tif === '' || w.tif === 'DAY' ? 'day' : w.tif === 'GTC' ? 'gtc' : null;
  if (tif === null) return refuse(`Order rejected - reason:time in force ${w.tif} is not supported by the emulator`);
  const base = { symbol, qty: w.totalQuantity, side, timeInForce: tif, clientOrderId } as const;
  if (w.orderType === 'MKT') return { ok: true, input: { ...base, type: 'market' } };
  if (w.orderType === 'STP') {
    if (!(w.auxPrice !== undefined && w.auxPrice > 0)) return refuse('Order rejected - reason:a stop order needs a stop price (auxPrice)');
    return { ok: true, input: { ...base, type: 'stop', stopPrice: w.auxPrice } };
  }
  if (w.orderType === 'TRAIL') {
    if (!(w.trailingPercent !== undefined && w.trailingPercent > 0)) return refuse('Order rejected - reason:trailing amounts are not emulated; give trailingPercent');
    return { ok: true, input: { ...base, type: 'trailing_stop', trailPercent: w.trailingPercent } };
  }
  return refuse(`Order rejected - reason:order type ${w.orderType} is not supported by the emulator`);
}

/** The status IB shows for an engine order: market orders work at the exchange, stops are IB-simulated (held). */
export function ibStatus(o: EmuOrder): string {
  switch (o.status) {
    case 'filled':
      return 'Filled';
    case 'canceled':
    case 'expired':
      return 'Cancelled';
    case 'accepted':
      return 'PreSubmitted';
    case 'new':
      return o.type === 'market' ? 'Submitted' : 'PreSubmitted';
    case 'partially_filled':
      return 'Submitted';
  }
}

export function isDoneStatus(status: string): boolean {
  return status === 'Filled' || status === 'Cancelled' || status === 'Inactive' || status === 'ApiCancelled';
}

export function orderOut(o: IbOrder): OrderOut {
  return {
    orderId: o.orderId,
    clientId: o.clientId,
    permId: o.permId,
    action: o.wire.action === 'BUY' ? 'BUY' : 'SELL',
    totalQuantity: o.wire.totalQuantity,
    orderType: o.wire.orderType,
    auxPrice: o.wire.auxPrice ?? null,
    trailingPercent: o.wire.trailingPercent ?? null,
    trailStopPrice: o.wire.trailStopPrice ?? null,
    tif: o.wire.tif || 'DAY',
    account: o.account,
    orderRef: o.wire.orderRef,
    outsideRth: o.wire.outsideRth,
  };
}
