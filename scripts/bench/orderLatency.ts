import type { ReplayClock } from '../../domain/time/replayClock';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import type { OrderSummary } from '../emulator';

/**
 * Order latency of an emulator day: real milliseconds from the instant the emulator makes a bar visible
 * (bar start + 60 s + its publish delay, in market time) to the instant the order decided on that bar
 * reaches it (the order's receivedMarketMs). Both are market instants on one clock, so the real gap is the
 * market gap divided by the speed. docs/backtest.md, "Paper day at the emulator".
 */

const MINUTE_MS = 60_000;

export type OrderLeg = 'entry' | 'exit';

export interface OrderLatency {
  readonly clientOrderId: string;
  readonly leg: OrderLeg;
  /** Start of the bar the order was decided on (ISO). */
  readonly decisionBar: string;
  readonly realMs: number;
}

type TradeOrders = Pick<TradeRecord, 'entry_time' | 'exit_time' | 'client_order_ids'>;
type ReceivedOrder = Pick<OrderSummary, 'clientOrderId' | 'receivedMarketMs' | 'filledQty'>;

/** Real ms from a bar's publication to an order's arrival, both in market time on `clock`. */
export function realLatencyMs(decisionBarStartMs: number, receivedMarketMs: number, publishDelayMs: number, clock: Pick<ReplayClock, 'speed'>): number {
  const visibleMarketMs = decisionBarStartMs + MINUTE_MS + publishDelayMs;
  return (receivedMarketMs - visibleMarketMs) / clock.speed;
}

/**
 * The trade's orders that a bar decided: its entry (entry_time), and its bot exit (exit_time) unless the
 * broker's stop closed the position, in which case no bot decision sent anything (the rule session.ts
 * records it by: the stop filled and the exit order did not). Orders the emulator never received are left out.
 */
export function decidedOrders(trade: TradeOrders, received: ReadonlyMap<string, ReceivedOrder>): { leg: OrderLeg; order: ReceivedOrder; barIso: string }[] {
  // Legs by the client order id's suffix (domain/orders/clientOrderId.ts): a trade closed by the broker's
  // stop lists no exit id.
  const byLeg = (leg: string) => trade.client_order_ids.find((id) => id.endsWith(`:${leg}`) || id.endsWith(`-${leg}`));
  const [entryId, exitId, stopId] = [trade.client_order_ids[0], byLeg('exit'), byLeg('stop')];
  const out: { leg: OrderLeg; order: ReceivedOrder; barIso: string }[] = [];
  const entry = received.get(entryId ?? '');
  if (entry) out.push({ leg: 'entry', order: entry, barIso: trade.entry_time });
  const exit = received.get(exitId ?? '');
  const stop = received.get(stopId ?? '');
  const stopClosed = stop !== undefined && stop.filledQty > 0 && (exit === undefined || exit.filledQty === 0);
  if (exit && trade.exit_time !== null && !stopClosed) out.push({ leg: 'exit', order: exit, barIso: trade.exit_time });
  return out;
}

export function orderLatencies(a: {
  readonly trades: readonly TradeOrders[];
  readonly orders: readonly ReceivedOrder[];
  readonly clock: Pick<ReplayClock, 'speed'>;
  readonly publishDelayMs: number;
}): OrderLatency[] {
  const received = new Map(a.orders.map((o) => [o.clientOrderId, o]));
  return a.trades.flatMap((t) =>
    decidedOrders(t, received).map(({ leg, order, barIso }) => ({
      clientOrderId: order.clientOrderId,
      leg,
      decisionBar: barIso,
      realMs: realLatencyMs(Date.parse(barIso), order.receivedMarketMs, a.publishDelayMs, a.clock),
    })),
  );
}

/** Nearest-rank percentile (p in 0..100); null for no values. With fewer than 100 values p99 is the maximum. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}
