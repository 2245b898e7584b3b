import type { ClosedBy } from '../orders/botOrderOwner';
import { tradePnl, type AssetClass, type OrderSide } from '../trades/tradeOutcome';
import type { ExitReason } from '../vocabulary';

/*
 * What an exit came to, from what the broker answered: the price, quantity and PnL booked, whether the
 * position is gone, and the reason and time the trade record keeps (the broker's stop that filled first
 * gives its own; docs/trading.md, "The broker's stop filled first"). Pure: the session workflow asks the
 * broker, then reads the outcome here.
 */

export interface HeldPosition {
  readonly openSide: OrderSide;
  readonly assetClass: AssetClass;
  readonly entryPrice: number;
  readonly filledQty: number;
  readonly entryFees: number;
  /** The kind of stop the broker holds for it, when the session knows one. */
  readonly stopKind: 'trailing' | 'stop' | null;
}

/** The broker's answer to the exit (closePosition), as far as the outcome reads it. */
export interface BrokerClose {
  readonly exit: { readonly rejectReason: string | null; readonly status: string } | null;
  readonly filledQty: number;
  readonly avgPrice: number | null;
  readonly fees: number;
  readonly closedBy: ClosedBy;
  readonly stopKind: 'trailing' | 'stop' | null;
  readonly stopFilledAt: string | null;
  readonly closedAt: string | null;
}

export interface ExitOutcome {
  readonly exitPrice: number | null;
  readonly closedQty: number;
  readonly fees: number;
  readonly pnl: number;
  /** Nothing of the position is left at the broker. */
  readonly fullyClosed: boolean;
  /** The broker's stop closed it all before the exit. */
  readonly stopClosed: boolean;
  readonly reason: ExitReason;
  readonly exitTime: string;
  /** Why the exit did not close it all: the call's failure, the order's rejection or status, or a partial fill. */
  readonly errorCode: string | null;
}

export function exitOutcome(a: {
  readonly held: HeldPosition;
  /** null: the exit call failed (exitFailure says how). */
  readonly closed: BrokerClose | null;
  readonly exitFailure: string | null;
  /** The session's own reason (a rule, the session's end, a stop or kill). */
  readonly reason: ExitReason;
  /** When the session decided to exit (the decision bar's start). */
  readonly decidedAt: string;
}): ExitOutcome {
  const { held, closed } = a;
  const filled = closed !== null && closed.filledQty > 0 && closed.avgPrice !== null;
  const exitPrice = filled ? closed.avgPrice : null;
  const closedQty = filled ? Math.min(closed.filledQty, held.filledQty) : 0;
  const fees = held.entryFees + (closed?.fees ?? 0);
  const stopClosed = closed?.closedBy === 'stop';
  return {
    exitPrice,
    closedQty,
    fees,
    pnl: tradePnl({ openSide: held.openSide, assetClass: held.assetClass, entryPrice: held.entryPrice, qty: closedQty }, exitPrice, fees),
    fullyClosed: filled && closedQty >= held.filledQty,
    stopClosed,
    reason: stopClosed ? stopReason(closed.stopKind ?? held.stopKind) : a.reason,
    exitTime: exitTimeOf(closed, a.decidedAt),
    errorCode: a.exitFailure ?? (!filled ? (closed?.exit?.rejectReason ?? closed?.exit?.status ?? 'not_filled') : closedQty < held.filledQty ? 'partial_exit' : null),
  };
}

const stopReason = (kind: 'trailing' | 'stop' | null): ExitReason => (kind === 'trailing' ? 'trailing_stop' : 'stop_loss');

/** The stop's fill time when it closed the position, the last fill's when both did, else the decision's. */
function exitTimeOf(closed: BrokerClose | null, decidedAt: string): string {
  if (closed?.closedBy === 'stop' && closed.stopFilledAt) return closed.stopFilledAt;
  if (closed?.closedBy === 'both' && closed.closedAt) return closed.closedAt;
  return decidedAt;
}
