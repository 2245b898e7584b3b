import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { isOpen, type EmuOrder } from '../../domain/emulator/orders';
import type { EmuPosition } from '../../domain/emulator/accounts';
import type { EmulatorContext } from './context';
import type { FaultInjector } from './faults';

/** What a run of the emulator shows: bars published, orders, what was held and working at the close, fills. */

export interface EmulatorStats {
  readonly date: string;
  readonly marketTime: string;
  /** Regular-session bars of the date visible by now. */
  readonly barsPublished: { readonly total: number; readonly perSymbol: Record<string, number> };
  readonly ordersReceived: number;
  readonly ordersAfterClose: readonly { clientOrderId: string; symbol: string; side: string; qty: number; time: string }[];
  /** True once the clock has passed the close; before that, the close fields describe now. */
  readonly closeReached: boolean;
  readonly positionsAtClose: readonly { symbol: string; qty: number; avgEntryPrice: number }[];
  readonly workingOrdersAtClose: readonly { id: string; clientOrderId: string; symbol: string; side: string; type: string; qty: number; status: string }[];
  readonly fills: readonly { orderId: string; clientOrderId: string; symbol: string; side: string; type: string; qty: number; price: number; time: string; gap: boolean }[];
  readonly faultsInjected: Record<string, number>;
}

const positionRow = (p: EmuPosition) => ({ symbol: p.symbol, qty: p.qty, avgEntryPrice: p.avgEntryPrice });
const orderRow = (o: EmuOrder) => ({ id: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.type, qty: o.qty, status: o.status });

export function computeStats(ctx: EmulatorContext, symbols: readonly string[], faults: FaultInjector): EmulatorStats {
  const m = ctx.marketNow();
  const s = regularSessionUtc(ctx.date)!;
  const perSymbol: Record<string, number> = {};
  for (const sym of symbols) perSymbol[sym] = ctx.timeline.countVisible(sym, m, s.openMs, s.closeMs);
  const received = ctx.engine.orders();
  const snap = ctx.engine.closeSnapshot;
  return {
    date: ctx.date,
    marketTime: new Date(m).toISOString(),
    barsPublished: { total: Object.values(perSymbol).reduce((a, b) => a + b, 0), perSymbol },
    ordersReceived: ctx.engine.receivedCount,
    ordersAfterClose: ctx.engine.receivedAfter(s.closeMs).map((r) => ({ clientOrderId: r.clientOrderId, symbol: r.symbol, side: r.side, qty: r.qty, time: new Date(r.marketMs).toISOString() })),
    closeReached: snap !== null,
    positionsAtClose: (snap?.positions ?? ctx.engine.positions()).map(positionRow),
    workingOrdersAtClose: (snap?.workingOrders ?? received.filter(isOpen)).map(orderRow),
    fills: ctx.engine.fills.map((f) => ({ orderId: f.orderId, clientOrderId: f.clientOrderId, symbol: f.symbol, side: f.side, type: f.type, qty: f.qty, price: f.price, time: new Date(f.marketMs).toISOString(), gap: f.gap })),
    faultsInjected: { ...faults.injected },
  };
}
