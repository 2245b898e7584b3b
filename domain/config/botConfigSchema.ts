import { z } from 'zod';
import {
  boolField,
  enumField,
  numberField,
  numberListField,
  reservedBrokerField,
  textField,
  utcTimeField,
  versionTagField,
  wordListField,
} from './fieldTypes';
import { LIVE_BROKER_NAMES, STRATEGY_NAMES, type StrategyName } from '../vocabulary';

export const SHORT_TYPES = ['LongPut', 'InverseETF', 'ShortSell', 'disabled'] as const;
/** The brokers a configuration may enable (the live ones of domain/vocabulary.ts). */
export const SUPPORTED_BROKERS = LIVE_BROKER_NAMES;
export const RESERVED_BROKERS = ['tradier', 'webull', 'robinhood'] as const;
const STRATEGIES = STRATEGY_NAMES;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const fraction = { min: 0, max: 1 };
const minutes = { min: 1, max: 390, int: true };
const marketCap = { min: 0 };

/**
 * `.env_bot`: trading behaviour (README.md, "Configuration"). Keys and defaults exactly as the spec lists
 * them.
 */
export const botConfigShape = {
  // General
  VERSION_TAG: versionTagField('v1.0.0'),
  BUILD_MODE: enumField(['release', 'debug'], 'release'),
  DISABLE_ALL_TRADES: boolField(false),
  TEST_MODE: boolField(true),
  FORCE_PAPER_EXPORT: boolField(false),
  DEBUG_LOG_LEVEL: enumField(['quiet', 'info', 'verbose'], 'quiet'),
  ENABLE_LOGGING: boolField(true),
  LOG_FORMAT: enumField(['json', 'csv'], 'json'),
  // TEST_MODE replay: virtual minutes per real minute (a day runs in minutes).
  TEST_MODE_TIME_COMPRESSION: numberField(60, { min: 1, max: 100000 }),
  // TEST_MODE skips the spread check before entries (docs/screening.md, "Spread check and one-sided quotes")
  // unless this overrides it.
  TEST_MODE_APPLY_SPREAD_CHECK: boolField(false),
  // TEST_MODE market data: folder of minute-bar CSVs replayed by the simulated broker (relative to the project).
  TEST_MODE_REPLAY_DIR: textField('tests/fixtures/minute'),
  // Starting cash of the simulated broker.
  SIM_STARTING_CASH: numberField(100000, { min: 1 }),
  // Execution and risk
  TRADE_CONFIRMATION_REQUIRED: boolField(false),
  TRADE_CONFIRMATION_TIMEOUT: numberField(120, { min: 1, max: 3600, int: true }),
  API_RETRY_LIMIT: numberField(3, { min: 0, max: 20, int: true }),
  // An entry decided on a bar that closed longer ago than this is skipped, never sent (docs/trading.md).
  MAX_SIGNAL_AGE_SECONDS: numberField(90, { min: 5, max: 3600 }),
  // Market seconds after a minute ends before its bar is asked for: providers publish a little late.
  BAR_FETCH_DELAY_SECONDS: numberField(3, { min: 0, max: 30 }),
  API_TIMEOUT: numberField(30, { min: 1, max: 600 }),
  FRACTIONAL: boolField(true),
  TOTAL_ALLOCATION: numberField(0.02, fraction),
  MAX_TRADES: numberField(4, { min: 1, max: 20, int: true }),
  WEIGHTS: numberListField([0.4, 0.2, 0.2, 0.2], { min: 0, max: 1, minItems: 1 }),
  DAILY_LOSS_LIMIT: numberField(0.05, fraction),
  MAX_RISK_PER_TRADE: numberField(0.025, fraction),
  MAX_OPEN_POSITIONS: numberField(5, { min: 0, max: 100, int: true }),
  MAX_CONCURRENT_TRADES_PER_BROKER: numberField(3, { min: 0, max: 100, int: true }),
  MAX_SPREAD_PCT: numberField(0.015, fraction),
  // Options quote far wider than their underlying (a cheap put is a nickel or more wide): their own limit.
  MAX_OPTION_SPREAD_PCT: numberField(0.3, fraction),
  // Capital kept outside the brokers (dollars): total capital = broker floats + this reserve.
  CAPITAL_RESERVE: numberField(0, { min: 0 }),
  // Filters
  MIN_PRICE: numberField(5, { min: 0 }),
  MAX_PRICE: numberField(100, { min: 0 }),
  MIN_VOLUME_THRESHOLD: numberField(1000000, { min: 0 }),
  SYMBOL_LIST_PATH: textField(''),
  // Routing
  ALPACA_ENABLED: boolField(true),
  IBKR_ENABLED: boolField(false),
  ALPACA_MODE: enumField(['paper', 'live'], 'paper'),
  IBKR_MODE: enumField(['paper', 'live'], 'paper'),
  // Reserved brokers (README.md, "Configuration"): recognised so that enabling one is a clear error.
  TRADIER_ENABLED: reservedBrokerField('tradier', SUPPORTED_BROKERS),
  WEBULL_ENABLED: reservedBrokerField('webull', SUPPORTED_BROKERS),
  ROBINHOOD_ENABLED: reservedBrokerField('robinhood', SUPPORTED_BROKERS),
  STRATEGY_SEQUENCE: wordListField(STRATEGIES, ['open', 'mid', 'close'], { minItems: 1, unique: true }),
  STRATEGY_OVERRIDE: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const t = s.trim().toLowerCase();
      if (t === '') return null;
      if ((STRATEGIES as readonly string[]).includes(t)) return t as StrategyName;
      ctx.addIssue({ code: 'custom', message: 'allowed: empty or one of open | mid | close' });
      return z.NEVER;
    }),
  // Time
  TRADING_DAYS: wordListField(WEEKDAYS, ['mon', 'tue', 'wed', 'thu', 'fri'], { minItems: 1, unique: true }),
  SLEEP_TIME: z
    .string()
    .default('1s')
    .transform((s, ctx) => {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'allowed: a duration such as 500ms, 1s or 2m' });
        return z.NEVER;
      }
      const unit = m[2] ?? 's';
      return Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000);
    }),
  // Anchor START_TIME_* to New York wall time instead of UTC (opt-in).
  SESSION_TIME_ANCHOR: enumField(['utc', 'exchange'], 'utc'),
  // OPEN
  MAX_GAP_PCT_OPEN: numberField(0.1, { min: 0 }),
  MIN_MARKET_CAP_OPEN: numberField(2e9, marketCap),
  MAX_MARKET_CAP_OPEN: numberField(1e10, marketCap),
  STRAT_OPEN_ENABLED: boolField(true),
  START_TIME_OPEN: utcTimeField('14:30'),
  OPEN_ANALYSIS_TIME: numberField(20, minutes),
  OPEN_BREAKOUT_TIME: numberField(10, minutes),
  OPEN_MONITORING_TIME: numberField(30, minutes),
  STRAT_OPEN_BUFFER: numberField(0.02, fraction),
  SHORT_TYPE_OPEN: enumField(SHORT_TYPES, 'LongPut'),
  // MID
  MAX_GAP_PCT_MID: numberField(0.1, { min: 0 }),
  MIN_MARKET_CAP_MID: numberField(2e9, marketCap),
  MAX_MARKET_CAP_MID: numberField(1e10, marketCap),
  STRAT_MID_ENABLED: boolField(true),
  START_TIME_MID: utcTimeField('15:30'),
  MID_ANALYSIS_TIME: numberField(10, minutes),
  MID_BREAKOUT_TIME: numberField(10, minutes),
  MID_MONITORING_TIME: numberField(45, minutes),
  STRAT_MID_VWAP_THRESHOLD: numberField(0.02, fraction),
  SHORT_TYPE_MID: enumField(SHORT_TYPES, 'InverseETF'),
  // CLOSE
  MAX_GAP_PCT_CLOSE: numberField(0.1, { min: 0 }),
  MIN_MARKET_CAP_CLOSE: numberField(2e9, marketCap),
  MAX_MARKET_CAP_CLOSE: numberField(1e10, marketCap),
  STRAT_CLOSE_ENABLED: boolField(true),
  START_TIME_CLOSE: utcTimeField('19:30'),
  CLOSE_ANALYSIS_TIME: numberField(10, minutes),
  CLOSE_BREAKOUT_TIME: numberField(10, minutes),
  CLOSE_MONITORING_TIME: numberField(30, minutes),
  STRAT_CLOSE_VIX_THRESHOLD: numberField(15, { min: 0 }),
  SHORT_TYPE_CLOSE: enumField(SHORT_TYPES, 'LongPut'),
  STRAT_CLOSE_MODE: enumField(['auto', 'momentum', 'fade'], 'auto'),
  CLOSE_FADE_SPIKE_STD: numberField(2.0, { min: 0 }),
  CLOSE_MOMENTUM_MIN_MOVE: numberField(0.01, { min: 0 }),
  // Live CLOSE entries against an opposing closing imbalance of at least this share of the paired volume are blocked.
  CLOSE_IMBALANCE_STRONG_RATIO: numberField(0.5, { min: 0 }),
  // Notifications
  NOTIFY_ON_FILL: boolField(true),
  NOTIFY_ON_EXIT: boolField(true),
  NOTIFY_IN_TEST_MODE: boolField(false),
  // Ledger
  LEDGER_EXPORT_MODE: enumField(['auto', 'off'], 'auto'),
  // Defense
  DEFENSE_MODE_ACTIVE: boolField(false),
  DEFENSE_MODE_TRADE_LIMIT_PCT: numberField(66, { min: 0, max: 100 }),
  DEFENSE_MODE_TOTAL_ALLOCATION: numberField(0.01, fraction),
  // Backups
  LOG_RETENTION_DAYS: numberField(30, { min: 1, max: 3650, int: true }),
} as const;

export const botConfigSchema = z.object(botConfigShape);

/** The validated, typed `.env_bot`. Plain data: safe to pass into workflows. */
export type BotConfig = z.infer<typeof botConfigSchema>;

/** Keys accepted under another name; the loader maps them before validation. */
export const BOT_KEY_ALIASES: Readonly<Record<string, keyof BotConfig>> = {
  ACCOUNTING_EXPORT_MODE: 'LEDGER_EXPORT_MODE',
};

export const BOT_CONFIG_KEYS = Object.keys(botConfigShape) as (keyof BotConfig)[];

/** All defaults: what an empty `.env_bot` means. */
export function defaultBotConfig(): BotConfig {
  return botConfigSchema.parse({});
}
