import type { BrokerName } from '../../domain/trades/tradeRecord';
import { currentAttempt, type ActivityDeps, type DataScope } from '../tradingActivities';
import type { BrokerOrder, OrderRequest } from './brokerTypes';
import { isRealBroker, type ProtectiveStopRequest, type ProtectiveStopResult } from './brokerFactory';
import { protectedExit, reconcileBroker, defaultIsBotOrder } from './reconcile';

/**
 * Order safety around a position's life (issue 5, spec section 8): the stop a real broker holds, the exit
 * that cancels that stop first, the lookup that settles an order whose submit failed, the watchdog's
 * heartbeat and cancel, and the reconciliation a session starts with. All idempotent by client order id.
 */

export interface ClosePositionResult {
  /** The market exit, or null when the broker's stop had already closed everything. */
  readonly exit: BrokerOrder | null;
  /** The protective stop as it ended, or null when there was none. */
  readonly stop: BrokerOrder | null;
  readonly filledQty: number;
  /** Volume-weighted over the stop's and the exit's fills. */
  readonly avgPrice: number | null;
  readonly fees: number;
  /** The attempt that succeeded (1 = first): retries the session reports in its status. */
  readonly attempt: number;
}

export interface SessionReconcileResult {
  readonly positions: number;
  readonly cancelledOrderIds: readonly string[];
  /** One line per difference, with how it was resolved. */
  readonly discrepancies: readonly string[];
}

const attempt = currentAttempt;

export function createProtectionActivities(deps: Pick<ActivityDeps, 'broker'>) {
  const broker = (name: BrokerName, scope: DataScope) => deps.broker(name, scope.replayFolder);
  return {
    /** Places the stop a real broker holds; the simulator has none (the bot's exits enforce the rules). */
    async placeProtectiveStop(input: { broker: BrokerName; request: ProtectiveStopRequest } & DataScope): Promise<ProtectiveStopResult> {
      const b = await broker(input.broker, input);
      if (!isRealBroker(b)) return { placed: false, reason: `${b.name} broker: stops are enforced by the bot on bar closes` };
      const existing = await b.getOrderByClientId(input.request.clientOrderId);
      if (existing) return { placed: true, order: existing, kind: input.request.kind, note: 'already at the broker (retried call)' };
      return b.placeProtectiveStop(input.request);
    },

    /** The bot's exit: cancels the broker's stop first, then closes only what is still held. */
    async closePosition(input: { broker: BrokerName; request: OrderRequest; stopClientOrderId: string | null } & DataScope): Promise<ClosePositionResult> {
      const b = await broker(input.broker, input);
      const r = await protectedExit(b, { exit: input.request, stopClientOrderId: input.stopClientOrderId });
      const fees = (r.exit?.fees ?? 0) + (r.stop?.fees ?? 0);
      return { exit: r.exit, stop: r.stop, filledQty: r.filledQty, avgPrice: r.avgPrice, fees, attempt: attempt() };
    },

    /** What the broker knows of a client order id: settles a submit whose answer was lost. */
    async lookupOrder(input: { broker: BrokerName; clientOrderId: string } & DataScope): Promise<BrokerOrder | null> {
      return (await broker(input.broker, input)).getOrderByClientId(input.clientOrderId);
    },

    /** Watchdog heartbeat: the broker answers an account request. */
    async brokerHeartbeat(input: { broker: BrokerName } & DataScope): Promise<{ readonly attempt: number }> {
      await (await broker(input.broker, input)).account();
      return { attempt: attempt() };
    },

    /** Watchdog: cancels every working order of the bot at an unreachable broker (best effort). */
    async cancelBotOrders(input: { broker: BrokerName } & DataScope): Promise<{ readonly cancelledOrderIds: readonly string[] }> {
      const b = await broker(input.broker, input);
      if (!isRealBroker(b)) return { cancelledOrderIds: [] };
      const cancelled: string[] = [];
      for (const o of await b.openOrders()) {
        if (!defaultIsBotOrder(o.clientOrderId)) continue;
        await b.cancelOrder(o.id);
        cancelled.push(o.id);
      }
      return { cancelledOrderIds: cancelled };
    },

    /**
     * A session starts from the broker's truth: a working bot order from an earlier date (a stop left by a
     * crashed session) is cancelled; one from today is reported, since another session of the day may still
     * own it; any position is reported, never re-traded.
     */
    async reconcileSessionStart(input: { broker: BrokerName; date: string } & DataScope): Promise<SessionReconcileResult> {
      const b = await broker(input.broker, input);
      const r = await reconcileBroker(b, {
        expectedOrders: [],
        expectedPositions: [],
        date: input.date,
        unknownPositions: 'report',
        cancelOrphansSubmittedBefore: `${input.date}T00:00:00Z`,
      });
      return {
        positions: r.positions.length,
        cancelledOrderIds: r.cancelledOrderIds,
        discrepancies: r.discrepancies.map((d) => `${d.kind} ${d.symbol}${d.clientOrderId ? ` ${d.clientOrderId}` : ''}: expected ${d.expected}, broker ${d.actual}; ${d.resolution}`),
      };
    },
  };
}

export type ProtectionActivities = ReturnType<typeof createProtectionActivities>;
