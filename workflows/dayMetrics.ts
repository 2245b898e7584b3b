import { metricMeter } from '@temporalio/workflow';
import type { SessionStatus } from './sessionApi';

/**
 * The bot's own Prometheus series, emitted from the day workflow through the worker's metric meter
 * (docs/temporal.md, "Metrics"). The SDK drops them while a history replays, so each counts once.
 * Metrics are not workflow commands: emitting them needs no patch.
 */
export const DAY_METRICS = {
  entries: 'tradebot_entries',
  exits: 'tradebot_exits',
  realizedPnl: 'tradebot_session_realized_pnl',
  escalations: 'tradebot_escalations',
  sessionsFailed: 'tradebot_sessions_failed',
  brokerHalts: 'tradebot_broker_halts',
  killSwitches: 'tradebot_kill_switches',
} as const;

/** A session's figures once it has ended (or failed), tagged by mode, broker and strategy. */
export function recordSessionEnd(status: SessionStatus, tags: { readonly mode: string; readonly broker: string }, failed: boolean): void {
  const meter = metricMeter.withTags({ mode: tags.mode, broker: tags.broker, strategy: status.strategy });
  meter.createCounter(DAY_METRICS.entries, 'orders', 'entries filled by a session').add(status.entries);
  meter.createCounter(DAY_METRICS.exits, 'orders', 'exits filled by a session (closed trades)').add(status.exits);
  meter.createCounter(DAY_METRICS.escalations, 'failures', 'failures escalated (alert, unresolved orders log, broker halt)').add(status.escalations);
  meter.createGauge(DAY_METRICS.realizedPnl, 'float', 'USD', 'realized PnL of the latest session of this strategy and broker').set(status.realizedPnl);
  if (failed) meter.createCounter(DAY_METRICS.sessionsFailed, 'sessions', 'session workflows that failed').add(1);
}

export function recordBrokerHalt(tags: { readonly mode: string; readonly broker: string; readonly cause: string }): void {
  metricMeter.withTags(tags).createCounter(DAY_METRICS.brokerHalts, 'halts', 'brokers halted for the day by the account').add(1);
}

export function recordKillSwitch(tags: { readonly mode: string }): void {
  metricMeter.withTags(tags).createCounter(DAY_METRICS.killSwitches, 'kills', 'kill switches pulled on a day').add(1);
}
