import type { LoadedConfig } from '../../activities/config/loadConfig';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { envConfigSchema } from '../../domain/config/envSchema';
import type { EmulatorHandle } from '../emulator';
import type { FaultSettings } from '../emulator/faults';
import { rehearsalConfig } from '../commands/emulatorDay';
import { roomyLimits, type DrillOptions } from './plan';

/*
 * What an emulator drill runs, beside the kill and restart schedule it shares with the TEST_MODE drill
 * (plan.ts): the paper day's settings, the emulator's faults, and the settings its worker processes get.
 * Pure functions of the options, so the drill and every worker it starts agree.
 */

/**
 * Per-request timeout of the drill's paper day. At 120x the default 30 s is an hour of market time, so a
 * single held answer would outlast a session; 4 s (8 market minutes at 120x) still makes a timeout a
 * timeout for the adapter and the activity (their startToClose is API_TIMEOUT too).
 */
export const DRILL_API_TIMEOUT_S = 4;

/**
 * MAX_SIGNAL_AGE_SECONDS of the drill's paper day: 5 real seconds at the drill's speed (at least the
 * default 90). At a real broker the bound is market seconds, and one pass of the bar loop costs the worker
 * about a real second on a 2-core machine, so at 60x or more the default 90 would skip every signal and
 * the drill would send no order at all. The bound still catches what a kill or a server restart delays.
 */
export function drillSignalAgeS(speed: number): number {
  return Math.min(3600, Math.max(90, Math.ceil(5 * speed)));
}

/** Settings of the paper day: the drill's roomy limits and session choice, nothing that depends on TEST_MODE. */
export function emulatorBotOverrides(o: Pick<DrillOptions, 'sessions' | 'speed'>): Record<string, string> {
  return {
    ...(o.sessions === 'all' ? {} : { STRATEGY_OVERRIDE: o.sessions }),
    ...roomyLimits(20),
    API_TIMEOUT: String(DRILL_API_TIMEOUT_S),
    MAX_SIGNAL_AGE_SECONDS: String(drillSignalAgeS(o.speed)),
  };
}

/**
 * Broker faults at rate P, shared evenly by 500, 429, a held answer (past the client's timeout) and a
 * dropped answer (the request takes effect, the socket is destroyed). Trading API only: these are the
 * broker's faults, as in the TEST_MODE drill; the bar feed and Finnhub answer normally.
 */
export function emulatorFaults(rate: number): FaultSettings {
  const r = rate / 4;
  return { errorRate: r, rateLimitRate: r, timeoutRate: r, dropRate: r, scopes: ['trading'], holdMs: (DRILL_API_TIMEOUT_S + 2) * 1000 };
}

/** The emulator's fault counters under the TEST_MODE drill's names, so both JSONs read alike. */
export function faultsByKind(injected: Record<string, number>): Record<string, number> {
  const names: Record<string, string> = { error: 'http_500', rate_limit: 'rate_limited', timeout: 'timeout', drop: 'dropped_response', silent: 'silent_broker' };
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(injected)) if (n > 0) out[names[k] ?? k] = n;
  return out;
}

/**
 * Screening facts for the emulator: the drill's universe is exchange-traded funds (leveraged and inverse
 * ETFs), which Finnhub gives no market cap; without saying so every one would fail the market-cap rule.
 */
export function fundFacts(symbols: readonly string[]): { symbols: Record<string, { fund: true }> } {
  return { symbols: Object.fromEntries(symbols.map((s) => [s, { fund: true as const }])) };
}

/** Non-secret settings of an emulator drill worker (JSON in TB_DRILL_EMULATOR_SETTINGS). */
export interface EmulatorWorkerSettings {
  readonly address: string;
  readonly taskQueue: string;
  /** Stands in for the project folder (audit backups go under it), so the drill writes nothing in the repo. */
  readonly projectDir: string;
  readonly outputDir: string;
  readonly accountWorkflowId: string;
  readonly botOverrides: Record<string, string>;
  readonly urls: Pick<EmulatorHandle, 'tradingUrl' | 'dataUrl' | 'finnhubUrl' | 'vixUrl'>;
  readonly symbolsFile: string;
  readonly alertWebhookUrl: string;
  /**
   * Where the drill writes the day's market clock once it starts it: the worker keeps time by it (rate-limit
   * waits, order deadlines), as the rehearsal's worker does (docs/emulator.md, "The worker on the market clock").
   */
  readonly clockFile: string;
}

/** The emulator's keys reach a worker by these two variables only: never an argument, a file or a log line. */
export const KEY_ID_VAR = 'TB_DRILL_EMULATOR_KEY_ID';
export const SECRET_VAR = 'TB_DRILL_EMULATOR_SECRET';
export const SETTINGS_VAR = 'TB_DRILL_EMULATOR_SETTINGS';

/**
 * The paper day's configuration, built the way the rehearsal builds it (rehearsalConfig): TEST_MODE=false,
 * paper Alpaca at the emulator, its own task queue; alerts to the drill's webhook.
 */
export function emulatorDrillConfig(s: EmulatorWorkerSettings, keys: { keyId: string; secret: string }): Pick<LoadedConfig, 'bot' | 'env'> {
  const base = { bot: botConfigSchema.parse(s.botOverrides), env: envConfigSchema.parse({ ALERT_WEBHOOK_URL: s.alertWebhookUrl }) };
  return rehearsalConfig(base, s.urls, keys, s.symbolsFile, s.taskQueue);
}
