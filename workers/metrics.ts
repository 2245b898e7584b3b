import type { TelemetryOptions } from '@temporalio/worker';

/**
 * The worker's Prometheus endpoint (docs/temporal.md, "Metrics"): the SDK runtime's series (workflow and
 * activity task latencies, failures, slots, polls) and the bot's (workflows/botMetrics.ts) at
 * http://<address>/metrics. Set TRADEBOT_METRICS_ADDRESS (e.g. 127.0.0.1:9464) in the worker's
 * environment; unset, no endpoint.
 */
export const METRICS_ADDRESS_ENV = 'TRADEBOT_METRICS_ADDRESS';

export function metricsTelemetry(env: NodeJS.ProcessEnv = process.env): TelemetryOptions | undefined {
  const bindAddress = env[METRICS_ADDRESS_ENV]?.trim();
  if (!bindAddress) return undefined;
  return { metrics: { prometheus: { bindAddress, countersTotalSuffix: true } } };
}
