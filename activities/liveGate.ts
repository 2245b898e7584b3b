import crypto from 'node:crypto';
import path from 'node:path';
import { BOT_CONFIG_KEYS, type BotConfig } from '../domain/config/botConfigSchema';
import { ConfigError } from '../domain/config/configError';
import type { EnvConfig } from '../domain/config/envSchema';
import { brokerEndpointMode } from '../domain/routing';
import { readJsonFile, writeFileAtomic } from './outputs/atomicFile';
import { outputPaths } from './outputs/outputPaths';

/**
 * The live gate (`check` item 8; docs/brokers.md, "The live gate and the dry run"): live trading refuses to
 * start without a passing TEST_MODE dry run for the current version and the current broker, strategy and
 * accounting settings. The dry run records its result in output/state/dry_run.json with the version and a
 * hash of those settings; the gate recomputes the hash from the config about to trade and looks for a passing
 * record with both.
 *
 * What is hashed: every .env_bot key except the operational ones listed in NOT_HASHED (TEST_MODE itself,
 * logging, notifications, replay settings...), grouped as broker, accounting and strategy (everything
 * else, so a key added later is covered by default), plus the broker endpoints from .env (URLs, TWS
 * host, port and client id) and whether each credential is present. Credential values and account
 * numbers are never hashed or stored.
 */

export const DRY_RUN_COMMAND = 'npm run cli -- dry-run';

/** Settings that do not change how or what the bot trades, so changing them needs no new dry run. */
export const NOT_HASHED: ReadonlySet<keyof BotConfig> = new Set<keyof BotConfig>([
  'VERSION_TAG',
  'TEST_MODE',
  'TEST_MODE_TIME_COMPRESSION',
  'TEST_MODE_REPLAY_DIR',
  'SIM_STARTING_CASH',
  'BUILD_MODE',
  'DEBUG_LOG_LEVEL',
  'ENABLE_LOGGING',
  'LOG_FORMAT',
  'LOG_RETENTION_DAYS',
  'NOTIFY_ON_FILL',
  'NOTIFY_ON_EXIT',
  'NOTIFY_IN_TEST_MODE',
  'DISABLE_ALL_TRADES',
  'DEFENSE_MODE_ACTIVE',
  'TRADE_CONFIRMATION_TIMEOUT',
  'SLEEP_TIME',
]);

const BROKER_KEYS: ReadonlySet<keyof BotConfig> = new Set<keyof BotConfig>([
  'ALPACA_ENABLED',
  'IBKR_ENABLED',
  'ALPACA_MODE',
  'IBKR_MODE',
  'TRADIER_ENABLED',
  'WEBULL_ENABLED',
  'ROBINHOOD_ENABLED',
  'API_RETRY_LIMIT',
  'API_TIMEOUT',
  'FRACTIONAL',
]);

const ACCOUNTING_KEYS: ReadonlySet<keyof BotConfig> = new Set<keyof BotConfig>(['LEDGER_EXPORT_MODE', 'FORCE_PAPER_EXPORT']);

export interface SettingsHashes {
  readonly broker: string;
  readonly strategy: string;
  readonly accounting: string;
  /** Hash of the three together: what the gate compares. */
  readonly combined: string;
}

type HashEnv = Pick<
  EnvConfig,
  | 'ALPACA_PAPER_URL'
  | 'ALPACA_LIVE_URL'
  | 'IBKR_HOST'
  | 'IBKR_PORT'
  | 'IBKR_CLIENT_ID'
  | 'ALPACA_PAPER_API_KEY'
  | 'ALPACA_LIVE_API_KEY'
  | 'IBKR_PAPER_ACCOUNT_NUMBER'
  | 'IBKR_LIVE_ACCOUNT_NUMBER'
  | 'MANAGER_API_URL'
  | 'MANAGER_API_TOKEN'
  | 'VIX_SOURCE'
>;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export function settingsHashes(bot: BotConfig, env: HashEnv): SettingsHashes {
  const broker: Record<string, unknown> = {};
  const strategy: Record<string, unknown> = {};
  const accounting: Record<string, unknown> = {};
  for (const key of BOT_CONFIG_KEYS) {
    if (NOT_HASHED.has(key)) continue;
    const target = BROKER_KEYS.has(key) ? broker : ACCOUNTING_KEYS.has(key) ? accounting : strategy;
    target[key] = bot[key];
  }
  Object.assign(broker, {
    ALPACA_PAPER_URL: env.ALPACA_PAPER_URL,
    ALPACA_LIVE_URL: env.ALPACA_LIVE_URL,
    IBKR_HOST: env.IBKR_HOST,
    IBKR_PORT: env.IBKR_PORT,
    IBKR_CLIENT_ID: env.IBKR_CLIENT_ID,
    // Presence only: secrets and account numbers never enter a stored hash.
    alpacaPaperKeySet: env.ALPACA_PAPER_API_KEY !== undefined,
    alpacaLiveKeySet: env.ALPACA_LIVE_API_KEY !== undefined,
    ibkrPaperAccountSet: env.IBKR_PAPER_ACCOUNT_NUMBER !== undefined,
    ibkrLiveAccountSet: env.IBKR_LIVE_ACCOUNT_NUMBER !== undefined,
  });
  strategy.VIX_SOURCE = env.VIX_SOURCE ?? null;
  Object.assign(accounting, { MANAGER_API_URL: env.MANAGER_API_URL ?? null, managerTokenSet: env.MANAGER_API_TOKEN !== undefined });
  const b = sha256(canonical(broker));
  const s = sha256(canonical(strategy));
  const a = sha256(canonical(accounting));
  return { broker: b, strategy: s, accounting: a, combined: sha256(`${b}:${s}:${a}`) };
}

export interface DryRunCheck {
  readonly name: string;
  readonly ok: boolean;
  /** Not applicable to this configuration (e.g. ledger export off); counts as passing. */
  readonly skipped?: boolean;
  readonly detail: string;
}

export interface DryRunRecord {
  readonly version: string;
  readonly settingsHash: string;
  readonly hashes: SettingsHashes;
  readonly passed: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** What the dry run traded against: `alpaca-paper`, `ibkr-paper`, `sim`. */
  readonly brokers: readonly string[];
  readonly checks: readonly DryRunCheck[];
}

interface DryRunFile {
  readonly records: DryRunRecord[];
}

const MAX_RECORDS = 50;

export function dryRunFile(outputDir: string): string {
  return path.join(outputPaths(outputDir, 'paper').stateDir, 'dry_run.json');
}

export function readDryRuns(outputDir: string): DryRunRecord[] {
  return readJsonFile<DryRunFile>(dryRunFile(outputDir), { records: [] }).records ?? [];
}

/** Appends a dry-run result (atomically; the oldest are dropped beyond MAX_RECORDS). */
export function recordDryRun(outputDir: string, record: DryRunRecord): void {
  const records = [...readDryRuns(outputDir), record].slice(-MAX_RECORDS);
  writeFileAtomic(dryRunFile(outputDir), `${JSON.stringify({ records }, null, 2)}\n`);
}

export interface LiveGateStatus {
  /** Whether this config trades on any live endpoint (only then is a dry run required). */
  readonly required: boolean;
  readonly ok: boolean;
  readonly message: string;
  readonly record: DryRunRecord | null;
}

/** Which enabled brokers would reach a live endpoint with this config (domain/routing.ts decides). */
export function liveBrokers(bot: Pick<BotConfig, 'TEST_MODE' | 'ALPACA_ENABLED' | 'IBKR_ENABLED' | 'ALPACA_MODE' | 'IBKR_MODE'>): string[] {
  const out: string[] = [];
  if (bot.ALPACA_ENABLED && brokerEndpointMode(bot, bot.ALPACA_MODE) === 'live') out.push('alpaca');
  if (bot.IBKR_ENABLED && brokerEndpointMode(bot, bot.IBKR_MODE) === 'live') out.push('ibkr');
  return out;
}

export function liveGateStatus(outputDir: string, bot: BotConfig, env: HashEnv): LiveGateStatus {
  const live = liveBrokers(bot);
  if (live.length === 0) return { required: false, ok: true, message: 'no live endpoint configured; no dry run needed', record: null };
  const hashes = settingsHashes(bot, env);
  const runs = readDryRuns(outputDir).filter((r) => r.version === bot.VERSION_TAG);
  const passing = [...runs].reverse().find((r) => r.passed && r.settingsHash === hashes.combined) ?? null;
  if (passing) {
    return { required: true, ok: true, message: `dry run passed at ${passing.finishedAt} for ${bot.VERSION_TAG} and these settings (${hashes.combined.slice(0, 12)})`, record: passing };
  }
  const last = runs.at(-1) ?? null;
  let why: string;
  if (runs.length === 0) why = `no dry run has been recorded for ${bot.VERSION_TAG}`;
  else if (last && last.settingsHash !== hashes.combined) {
    const changed = (['broker', 'strategy', 'accounting'] as const).filter((k) => last.hashes[k] !== hashes[k]);
    why = `the ${changed.join(', ') || 'combined'} settings changed since the last dry run for ${bot.VERSION_TAG}`;
  } else why = `the last dry run for ${bot.VERSION_TAG} and these settings failed`;
  return {
    required: true,
    ok: false,
    message: `live trading (${live.join(', ')}) needs a passing dry run for ${bot.VERSION_TAG} and the current broker, strategy and accounting settings: ${why}; run: ${DRY_RUN_COMMAND}`,
    record: last,
  };
}

/** Throws a ConfigError (hard stop, says which command to run) unless the gate is open. */
export function assertLiveGate(outputDir: string, bot: BotConfig, env: HashEnv): LiveGateStatus {
  const s = liveGateStatus(outputDir, bot, env);
  if (!s.ok) throw new ConfigError(s.message);
  return s;
}
