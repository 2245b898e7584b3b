import type { BrokerOrder, OrderRequest } from './brokerTypes';

/** An order the bot refused or the broker rejected before it existed: nothing filled, the reason as a code. */
export function rejectedOrder(req: Pick<OrderRequest, 'clientOrderId' | 'symbol' | 'side' | 'qty'>, code: string, nowMs: number): BrokerOrder {
  return {
    id: `rejected-${req.clientOrderId}`,
    clientOrderId: req.clientOrderId,
    symbol: req.symbol,
    side: req.side,
    qty: req.qty,
    filledQty: 0,
    filledAvgPrice: null,
    status: 'rejected',
    submittedAt: new Date(nowMs).toISOString(),
    filledAt: null,
    fees: 0,
    rejectReason: code,
  };
}
