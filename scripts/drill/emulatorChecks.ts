import fs from 'node:fs';
import path from 'node:path';
import type { BrokerOrder, OrderStatus } from '../../activities/broker/brokerTypes';
import type { RehearsalReport } from '../commands/emulatorDay';
import type { JournalEntry } from '../emulator/journal';
import type { EmulatorStats } from '../emulator/stats';
import type { OrderSummary } from '../emulator';
import type { Check } from './checks';

/*
 * The emulator drill's own checks: what the broker (the emulator) saw, the paper-day figures of the
 * rehearsal report, and that the emulator's keys reached no file. The exactly-once and bookkeeping checks
 * are checks.ts's, fed with the emulator's orders instead of the simulator's journal.
 */

const STATUS: Record<string, OrderStatus> = { filled: 'filled', partially_filled: 'partially_filled', canceled: 'canceled', expired: 'canceled' };

/** The emulator's accepted orders in the shape checks.ts reads (a refused order never becomes one). */
export function emulatorBrokerOrders(orders: readonly OrderSummary[]): BrokerOrder[] {
  return orders.map((o) => ({
    id: o.id,
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    side: o.side === 'sell' ? 'sell' : 'buy',
    qty: o.qty,
    filledQty: o.filledQty,
    filledAvgPrice: o.filledAvgPrice,
    status: STATUS[o.status] ?? 'accepted',
    submittedAt: new Date(o.receivedMarketMs).toISOString(),
    filledAt: o.filledAt,
    fees: 0,
    rejectReason: null,
  }));
}

/**
 * Client order ids the emulator received more than once (it refuses the repeats with 422 `client_order_id
 * must be unique`, as Alpaca does): a retry after a lost answer that posted again instead of looking the
 * order up. Not a double order, but a figure worth watching.
 */
export function repeatedSubmissions(journal: readonly JournalEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of journal) if (e.kind === 'order' && e.event === 'received') counts.set(e.clientOrderId, (counts.get(e.clientOrderId) ?? 0) + 1);
  return new Map([...counts].filter(([, n]) => n > 1));
}

/** The paper-day figures the drill's JSON adds, the rehearsal report's own field names and shapes. */
export interface PaperDayFields {
  readonly orders_after_close: readonly unknown[];
  readonly positions_at_close: readonly unknown[];
  readonly working_orders_at_close: readonly unknown[];
  readonly bars_published: number;
  /** Null when the day produced no summary to count them from. */
  readonly bars_seen: number | null;
  /** Feed bars inside a session's covered span that it never decided on (rehearsalReport's bars_missed). */
  readonly bars_missed: readonly string[];
  readonly stale_signals_skipped: number | null;
  readonly stale_entries_sent: number | null;
  readonly unexplained_exit_records: readonly string[];
  /** The sessions' count; the unresolved-orders log's when the day gave no summary. */
  readonly escalations: number;
  readonly alerts: number | null;
  readonly failed_sessions: readonly string[];
  /** Whether the market reached its close while the emulator ran (an OPEN-only day ends before it). */
  readonly close_reached: boolean;
}

/** From the rehearsal report when the day finished, else what the emulator alone can tell. */
export function paperDayFields(report: RehearsalReport | null, stats: EmulatorStats, loggedEscalations: number): PaperDayFields {
  return {
    orders_after_close: report?.orders_after_close ?? stats.ordersAfterClose,
    positions_at_close: report?.positions_at_close ?? stats.positionsAtClose,
    working_orders_at_close: report?.working_orders_at_close ?? stats.workingOrdersAtClose,
    bars_published: report?.bars_published ?? stats.barsPublished.total,
    bars_seen: report?.bars_seen ?? null,
    bars_missed: report?.bars_missed ?? [],
    stale_signals_skipped: report?.stale_signals_skipped ?? null,
    stale_entries_sent: report?.stale_entries_sent ?? null,
    unexplained_exit_records: report?.unexplained_exit_records ?? [],
    escalations: report?.escalations ?? loggedEscalations,
    alerts: report?.alerts ?? null,
    failed_sessions: report?.failed_sessions ?? [],
    close_reached: stats.closeReached,
  };
}

const brief = (xs: readonly unknown[], max = 4) => {
  const shown = xs.slice(0, max).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  return xs.length > max ? `${shown.join('; ')} and ${xs.length - max} more` : shown.join('; ');
};

/** The rehearsal's pass conditions (rehearsalPassed), one check each so a failure names itself. */
export function paperDayChecks(f: PaperDayFields, repeated: ReadonlyMap<string, number>): Check[] {
  const at = f.close_reached ? 'at the close' : "at the day's end (the market had not closed yet)";
  const none = (xs: readonly unknown[], what: string) => (xs.length === 0 ? `none ${what}` : brief(xs));
  return [
    { name: 'no order reached the broker at or after the close', ok: f.orders_after_close.length === 0, detail: none(f.orders_after_close, 'received after 16:00 New York') },
    { name: 'flat and no working order at the close', ok: f.positions_at_close.length + f.working_orders_at_close.length === 0, detail: `${f.positions_at_close.length} position(s), ${f.working_orders_at_close.length} working order(s) ${at}${f.positions_at_close.length + f.working_orders_at_close.length > 0 ? `: ${brief([...f.positions_at_close, ...f.working_orders_at_close])}` : ''}` },
    { name: 'every published bar seen (none missed inside a session)', ok: f.bars_missed.length === 0, detail: f.bars_seen === null ? 'unknown: the day gave no summary' : none(f.bars_missed, `missed; ${f.bars_seen} bars decided on, ${f.bars_published} published`) },
    { name: 'no stale entry sent', ok: f.stale_entries_sent === 0, detail: f.stale_entries_sent === null ? 'unknown: the day gave no summary' : `${f.stale_entries_sent} entries sent past MAX_SIGNAL_AGE_SECONDS, ${f.stale_signals_skipped ?? 0} stale signals skipped` },
    { name: "exit records match the emulator's fills", ok: f.unexplained_exit_records.length === 0, detail: none(f.unexplained_exit_records, 'unexplained') },
    { name: 'no session failed', ok: f.failed_sessions.length === 0, detail: none(f.failed_sessions, 'failed') },
    {
      // Informational: the emulator refused the repeats, so nothing doubled; the count shows how often a retry re-posted.
      name: 'repeated submissions of a client order id were refused by the broker',
      ok: true,
      detail: repeated.size === 0 ? 'no client order id was posted twice' : `${[...repeated.values()].reduce((a, n) => a + n - 1, 0)} repeat(s), each refused with 422: ${brief([...repeated].map(([id, n]) => `${id} x${n}`))}`,
    },
  ];
}

/** Files under `dir` that contain any of `secrets` (the emulator's keys): outputs, logs, journal, SQLite. */
export function filesHolding(dir: string, secrets: readonly string[]): string[] {
  const found: string[] = [];
  const needles = secrets.filter((s) => s.length >= 8).map((s) => Buffer.from(s));
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile() && needles.some((n) => fs.readFileSync(p).includes(n))) found.push(p);
    }
  };
  if (fs.existsSync(dir)) visit(dir);
  return found;
}
