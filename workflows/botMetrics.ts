import { log, metricMeter } from '@temporalio/workflow';
import type { SessionStatus } from './sessionApi';

/**
 * The bot's own Prometheus series, emitted from the day and session workflows through the worker's metric
 * meter (docs/temporal.md, "Metrics"). The SDK drops them while a history replays, so each counts once.
 * Metrics are not workflow commands: emitting them needs no patch. They must never fail a workflow task
 * (a gauge refuses a negative value, and a failed task would stall the day): every emission is guarded.
 */
export const DAY_METRICS = {
  entries: 'tradebot_entries',
  exits: 'tradebot_exits',
  /** Gauges take no negative value: a session's realized PnL is its profit and its loss, each >= 0. */
  realizedProfit: 'tradebot_session_realized_profit',
  realizedLoss: 'tradebot_session_realized_loss',
  escalations: 'tradebot_escalations',
  sessionsFailed: 'tradebot_sessions_failed',
  brokerHalts: 'tradebot_broker_halts',
  killSwitches: 'tradebot_kill_switches',
} as const;

/** What a session sees as it runs: the bar feed and its orders (labels mode, broker, strategy). */
export const SESSION_METRICS = {
  barsSeen: 'tradebot_bars_seen',
  /** Market milliseconds from a bar's end to the session deciding on it. */
  barLatency: 'tradebot_bar_latency',
  /** Market seconds since the end of the newest bar the session has, at each fetch. */
  dataStaleness: 'tradebot_data_staleness_seconds',
  ordersSent: 'tradebot_orders_sent',
  ordersFilled: 'tradebot_orders_filled',
  ordersRejected: 'tradebot_orders_rejected',
} as const;

export interface SessionMetricTags {
  readonly mode: string;
  readonly broker: string;
  readonly strategy: string;
}

/**
 * One fetch of the bar loop: how many new bars it brought, the end instants of those that count for
 * latency (not the warm-up history of the first fetch), and the newest bar end the session holds.
 */
export function recordBarFetch(
  tags: SessionMetricTags,
  a: { readonly nowMs: number; readonly newBars: number; readonly latencyBarEndsMs: readonly number[]; readonly newestBarEndMs: number | null },
): void {
  emitSafely('bar fetch', () => {
    const meter = metricMeter.withTags({ ...tags });
    if (a.newBars > 0) meter.createCounter(SESSION_METRICS.barsSeen, 'bars', 'minute bars a session decided on').add(a.newBars);
    if (a.latencyBarEndsMs.length > 0) {
      const latency = meter.createHistogram(SESSION_METRICS.barLatency, 'int', 'ms', "market time from a bar's end to the session deciding on it");
      for (const end of a.latencyBarEndsMs) latency.record(Math.max(0, Math.round(a.nowMs - end)));
    }
    if (a.newestBarEndMs !== null) {
      const staleness = Math.max(0, (a.nowMs - a.newestBarEndMs) / 1000);
      meter.createGauge(SESSION_METRICS.dataStaleness, 'float', 's', 'market seconds since the end of the newest bar a session has').set(staleness);
    }
  });
}

/** An order the broker answered: sent, then filled (in part or whole) or not. */
export function recordOrder(tags: SessionMetricTags, purpose: 'entry' | 'exit', filled: boolean): void {
  emitSafely('order', () => {
    const meter = metricMeter.withTags({ ...tags, purpose });
    meter.createCounter(SESSION_METRICS.ordersSent, 'orders', 'orders the broker answered').add(1);
    if (filled) meter.createCounter(SESSION_METRICS.ordersFilled, 'orders', 'orders filled in part or whole').add(1);
    else meter.createCounter(SESSION_METRICS.ordersRejected, 'orders', 'orders rejected or not filled').add(1);
  });
}

/** A session's figures once it has ended (or failed), tagged by mode, broker and strategy. */
export function recordSessionEnd(status: SessionStatus, tags: { readonly mode: string; readonly broker: string }, failed: boolean): void {
  emitSafely('session end', () => {
    const meter = metricMeter.withTags({ mode: tags.mode, broker: tags.broker, strategy: status.strategy });
    meter.createCounter(DAY_METRICS.entries, 'orders', 'entries filled by a session').add(Math.max(0, status.entries));
    meter.createCounter(DAY_METRICS.exits, 'orders', 'exits filled by a session (closed trades)').add(Math.max(0, status.exits));
    meter.createCounter(DAY_METRICS.escalations, 'failures', 'failures escalated (alert, unresolved orders log, broker halt)').add(Math.max(0, status.escalations));
    meter.createGauge(DAY_METRICS.realizedProfit, 'float', 'USD', 'realized PnL of the latest session of this strategy and broker, when positive').set(Math.max(0, status.realizedPnl));
    meter.createGauge(DAY_METRICS.realizedLoss, 'float', 'USD', 'realized loss of the latest session of this strategy and broker, as a positive amount').set(Math.max(0, -status.realizedPnl));
    if (failed) meter.createCounter(DAY_METRICS.sessionsFailed, 'sessions', 'session workflows that failed').add(1);
  });
}

export function recordBrokerHalt(tags: { readonly mode: string; readonly broker: string; readonly cause: string }): void {
  emitSafely('broker halt', () => metricMeter.withTags(tags).createCounter(DAY_METRICS.brokerHalts, 'halts', 'brokers halted for the day by the account').add(1));
}

export function recordKillSwitch(tags: { readonly mode: string }): void {
  emitSafely('kill switch', () => metricMeter.withTags(tags).createCounter(DAY_METRICS.killSwitches, 'kills', 'kill switches pulled on a day').add(1));
}

function emitSafely(what: string, emit: () => void): void {
  try {
    emit();
  } catch (err) {
    log.warn(`metric not recorded (${what}): ${String(err)}`);
  }
}
