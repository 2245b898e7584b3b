import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BOT_CONFIG_KEYS, BOT_KEY_ALIASES, type BotConfig } from '../../domain/config/botConfigSchema';
import { ENV_CONFIG_KEYS, isSecretEnvKey, SECRET_ENV_KEYS, type EnvConfig } from '../../domain/config/envSchema';
import { parseConfig, parseKeyValueText } from '../../domain/config/parseConfig';

/*
 * Table-driven: every key of both schemas has a wrong-type value and, where the key has a range or a
 * shape beyond its type, an out-of-range value. Free-text keys have no bad value (null). The table must
 * cover exactly the schema keys, so a new key cannot go untested.
 */

type Bad = { readonly wrong: string; readonly range?: string } | null;

const bool: Bad = { wrong: 'maybe', range: '2' };
const fraction: Bad = { wrong: 'abc', range: '1.5' };
const nonNegative: Bad = { wrong: 'abc', range: '-1' };
const minutes: Bad = { wrong: 'ten', range: '391' };
const shortType: Bad = { wrong: 'Short', range: 'longput-ish' };
const time: Bad = { wrong: 'noon', range: '24:00' };
const cap: Bad = { wrong: 'big', range: '-1' };

const BOT_BAD: Record<keyof BotConfig, Bad> = {
  VERSION_TAG: { wrong: 'latest', range: 'v1.0' },
  BUILD_MODE: { wrong: 'fast' },
  DISABLE_ALL_TRADES: bool,
  TEST_MODE: bool,
  FORCE_PAPER_EXPORT: bool,
  DEBUG_LOG_LEVEL: { wrong: 'loud' },
  ENABLE_LOGGING: bool,
  LOG_FORMAT: { wrong: 'xml' },
  TEST_MODE_TIME_COMPRESSION: { wrong: 'fast', range: '0.5' },
  TEST_MODE_REPLAY_DIR: null,
  SIM_STARTING_CASH: { wrong: 'lots', range: '0' },
  TRADE_CONFIRMATION_REQUIRED: bool,
  TRADE_CONFIRMATION_TIMEOUT: { wrong: '1.5', range: '3601' },
  API_RETRY_LIMIT: { wrong: 'three', range: '21' },
  MAX_SIGNAL_AGE_SECONDS: { wrong: 'soon', range: '1' },
  BAR_FETCH_DELAY_SECONDS: { wrong: 'late', range: '31' },
  API_TIMEOUT: { wrong: '30s', range: '601' },
  FRACTIONAL: bool,
  TOTAL_ALLOCATION: fraction,
  MAX_TRADES: { wrong: 'abc', range: '21' },
  WEIGHTS: { wrong: 'a,b,c,d', range: '1.5,-0.5,0,0' },
  DAILY_LOSS_LIMIT: fraction,
  MAX_RISK_PER_TRADE: fraction,
  MAX_OPEN_POSITIONS: { wrong: 'five', range: '101' },
  CAPITAL_RESERVE: { wrong: 'plenty', range: '-1' },
  MAX_CONCURRENT_TRADES_PER_BROKER: { wrong: '2.5', range: '-1' },
  MAX_SPREAD_PCT: fraction,
  MAX_OPTION_SPREAD_PCT: fraction,
  MIN_PRICE: { wrong: '$5', range: '-1' },
  MAX_PRICE: { wrong: '0x64', range: '-1' },
  MIN_VOLUME_THRESHOLD: { wrong: '1M', range: '-1' },
  SYMBOL_LIST_PATH: null,
  ALPACA_ENABLED: bool,
  IBKR_ENABLED: bool,
  ALPACA_MODE: { wrong: 'demo' },
  IBKR_MODE: { wrong: 'demo' },
  TRADIER_ENABLED: { wrong: 'maybe', range: 'true' },
  WEBULL_ENABLED: { wrong: 'maybe', range: 'true' },
  ROBINHOOD_ENABLED: { wrong: 'maybe', range: 'yes' },
  STRATEGY_SEQUENCE: { wrong: 'open,lunch', range: 'open,open' },
  STRATEGY_OVERRIDE: { wrong: 'lunch', range: 'open,mid' },
  TRADING_DAYS: { wrong: 'monday', range: 'mon,mon' },
  SLEEP_TIME: { wrong: 'soon', range: '-1s' },
  SESSION_TIME_ANCHOR: { wrong: 'local' },
  MAX_GAP_PCT_OPEN: nonNegative,
  MIN_MARKET_CAP_OPEN: cap,
  MAX_MARKET_CAP_OPEN: cap,
  STRAT_OPEN_ENABLED: bool,
  START_TIME_OPEN: time,
  OPEN_ANALYSIS_TIME: minutes,
  OPEN_BREAKOUT_TIME: { wrong: '10m', range: '0' },
  OPEN_MONITORING_TIME: minutes,
  STRAT_OPEN_BUFFER: fraction,
  SHORT_TYPE_OPEN: shortType,
  MAX_GAP_PCT_MID: nonNegative,
  MIN_MARKET_CAP_MID: cap,
  MAX_MARKET_CAP_MID: cap,
  STRAT_MID_ENABLED: bool,
  START_TIME_MID: { wrong: '3pm', range: '15:60' },
  MID_ANALYSIS_TIME: minutes,
  MID_BREAKOUT_TIME: minutes,
  MID_MONITORING_TIME: minutes,
  STRAT_MID_VWAP_THRESHOLD: fraction,
  SHORT_TYPE_MID: shortType,
  MAX_GAP_PCT_CLOSE: nonNegative,
  MIN_MARKET_CAP_CLOSE: cap,
  MAX_MARKET_CAP_CLOSE: cap,
  STRAT_CLOSE_ENABLED: bool,
  START_TIME_CLOSE: { wrong: '7:30pm', range: '9:30' },
  CLOSE_ANALYSIS_TIME: minutes,
  CLOSE_BREAKOUT_TIME: minutes,
  CLOSE_MONITORING_TIME: minutes,
  STRAT_CLOSE_VIX_THRESHOLD: nonNegative,
  SHORT_TYPE_CLOSE: shortType,
  STRAT_CLOSE_MODE: { wrong: 'revert' },
  CLOSE_FADE_SPIKE_STD: nonNegative,
  CLOSE_MOMENTUM_MIN_MOVE: nonNegative,
  CLOSE_IMBALANCE_STRONG_RATIO: nonNegative,
  TEST_MODE_APPLY_SPREAD_CHECK: bool,
  NOTIFY_ON_FILL: bool,
  NOTIFY_ON_EXIT: bool,
  NOTIFY_IN_TEST_MODE: bool,
  LEDGER_EXPORT_MODE: { wrong: 'sometimes' },
  DEFENSE_MODE_ACTIVE: bool,
  DEFENSE_MODE_TRADE_LIMIT_PCT: { wrong: '66%', range: '101' },
  DEFENSE_MODE_TOTAL_ALLOCATION: fraction,
  LOG_RETENTION_DAYS: { wrong: 'month', range: '0' },
};

const key32Short = 'c2hvcnQ='; // "short": base64 but not 32 bytes
const ENV_BAD: Record<keyof EnvConfig, Bad> = {
  ENVIRONMENT: { wrong: 'staging' },
  CONTROL_DIR: null,
  ENV_BOT_PATH: null,
  LOCAL_IP: { wrong: 'localhost', range: '256.0.0.1' },
  LOCAL_PORT: { wrong: 'http', range: '65536' },
  REMOTE_IP: { wrong: 'bad_host!', range: '300.1.1.1' },
  REMOTE_PORT: { wrong: 'abc', range: '0' },
  USERNAME: null,
  SESSION_TIMEOUT: { wrong: '50m', range: '604801' },
  FINNHUB_API_KEY: null,
  ALPACA_PAPER_API_KEY: null,
  ALPACA_PAPER_SECRET_KEY: null,
  ALPACA_LIVE_API_KEY: null,
  ALPACA_LIVE_SECRET_KEY: null,
  ALPACA_PAPER_URL: { wrong: 'paper-api.alpaca.markets', range: 'https://paper-api.alpaca.markets:70000' },
  ALPACA_LIVE_URL: { wrong: 'ftp://api.alpaca.markets', range: 'https://key:secret@api.alpaca.markets' },
  ALPACA_DATA_URL: { wrong: 'ftp://data.alpaca.markets', range: 'https://key:secret@data.alpaca.markets' },
  FINNHUB_URL: { wrong: 'finnhub', range: 'https://key:secret@finnhub.io' },
  IBKR_HOST: { wrong: 'tws_host!', range: '999.0.0.1' },
  IBKR_PORT: { wrong: 'tws', range: '0' },
  IBKR_CLIENT_ID: { wrong: 'one', range: '-1' },
  IBKR_PAPER_ACCOUNT_NUMBER: { wrong: 'DU-123456', range: 'Q9' },
  IBKR_LIVE_ACCOUNT_NUMBER: { wrong: 'U 123456', range: 'U1234567890123456789012' },
  IBKR_RESTART_WINDOW: { wrong: '23:45', range: '24:00/15' },
  ALERT_EMAIL: { wrong: 'ops', range: 'ops@example.com,nobody' },
  ALERT_WEBHOOK_URL: { wrong: 'hooks.example.com/T0/B0/x', range: 'https://user:pw@hooks.example.com/T0/B0/x' },
  SMTP_USER: null,
  SMTP_PASS: null,
  SMTP_HOST: { wrong: 'smtp host', range: '1.2.3.400' },
  SMTP_PORT: { wrong: 'tls', range: '99999' },
  ENCRYPTION_KEY: { wrong: 'not base64 at all!', range: key32Short },
  PASSWORD_HASH: null,
  DASHBOARD_ENABLED: { wrong: 'maybe', range: '2' },
  DASHBOARD_CONTROLS: { wrong: 'on', range: '-1' },
  DASHBOARD_API_TOKEN: { wrong: 'a token with spaces in it, long enough anyway', range: 'short-token' },
  DASHBOARD_TLS_CERT_PATH: null,
  DASHBOARD_TLS_KEY_PATH: null,
  TEMPORAL_UI_URL: { wrong: '127.0.0.1:8233', range: 'http://admin:pw@127.0.0.1:8233' },
  ENV_BOT_KEY: { wrong: 'ZmFrZS1rZXk*', range: key32Short },
  TEMPORAL_PAYLOAD_KEY: { wrong: 'not a key', range: key32Short },
  TEMPORAL_ADDRESS: { wrong: 'localhost', range: 'localhost:70000' },
  TEMPORAL_NAMESPACE: { wrong: 'my ns', range: 'x'.repeat(300) },
  TEMPORAL_TASK_QUEUE: { wrong: 'trade bot', range: 'q'.repeat(256) },
  TEMPORAL_TLS_CLIENT_CERT_PATH: null,
  TEMPORAL_TLS_CLIENT_KEY_PATH: null,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: null,
  TEMPORAL_TLS_SERVER_NAME: null,
  TEMPORAL_TLS: { wrong: 'maybe', range: '2' },
  TEMPORAL_TLS_CERT_PATH: null,
  TEMPORAL_TLS_KEY_PATH: null,
  TEMPORAL_API_KEY: null,
  MANAGER_API_URL: { wrong: 'manager.local/api2', range: 'https://admin:pw@manager.local/api2' },
  MANAGER_API_TOKEN: null,
  VIX_SOURCE: null,
};

void test('the bad-value tables cover exactly the schema keys', () => {
  assert.deepEqual(Object.keys(BOT_BAD).sort(), [...BOT_CONFIG_KEYS].sort());
  assert.deepEqual(Object.keys(ENV_BAD).sort(), [...ENV_CONFIG_KEYS].sort());
});

for (const [key, bad] of Object.entries(BOT_BAD)) {
  if (bad === null) continue;
  for (const [kind, value] of Object.entries(bad)) {
    void test(`.env_bot ${key}: ${kind} value ${JSON.stringify(value)} is one clear problem`, () => {
      const r = parseConfig({ bot: { file: '.env_bot', text: `${key}=${value}\n` }, checkCredentials: false });
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.problems.length, 1, r.problems.join('\n'));
      const p = r.problems[0] ?? '';
      assert.ok(p.startsWith(`.env_bot: ${key}=`), p);
      assert.match(p, / is invalid \(allowed: .+\)$/);
    });
  }
}

for (const [key, bad] of Object.entries(ENV_BAD)) {
  if (bad === null) continue;
  const secret = isSecretEnvKey(key);
  for (const [kind, value] of Object.entries(bad)) {
    void test(`.env ${key}: ${kind} value ${JSON.stringify(value.slice(0, 40))} is one clear problem${secret ? ', value hidden' : ''}`, () => {
      const r = parseConfig({ env: { file: '.env', text: `${key}=${value}\n` } });
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.problems.length, 1, r.problems.join('\n'));
      const p = r.problems[0] ?? '';
      assert.ok(p.startsWith(`.env: ${key}=${secret ? '<hidden> ' : ''}`), p);
      assert.match(p, / is invalid \(allowed: .+\)$/);
      if (secret) assert.ok(!p.includes(value), `secret echoed: ${p}`);
      // URL credentials never show either.
      assert.ok(!p.includes('secret@') && !p.includes(':pw@'), p);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Example files: every key documented, nothing extra, secrets empty, and they validate cleanly.

const root = path.resolve(__dirname, '..', '..');
const readExample = (name: string) => readFileSync(path.join(root, name), 'utf8');

function exampleKeys(name: string): { keys: string[]; values: Record<string, string>; text: string } {
  const text = readExample(name);
  const r = parseKeyValueText(text, name);
  assert.deepEqual(r.problems, []);
  return { keys: r.entries.map((e) => e.key), values: Object.fromEntries(r.entries.map((e) => [e.key, e.value])), text };
}

void test('.env.example lists every .env key once, and nothing else', () => {
  const { keys } = exampleKeys('.env.example');
  assert.deepEqual([...keys].sort(), [...ENV_CONFIG_KEYS].sort());
  assert.equal(new Set(keys).size, keys.length);
});

void test('.env_bot.example lists every .env_bot key once, and nothing else (aliases are documented, not set)', () => {
  const { keys, text } = exampleKeys('.env_bot.example');
  assert.deepEqual([...keys].sort(), [...BOT_CONFIG_KEYS].sort());
  assert.equal(new Set(keys).size, keys.length);
  for (const alias of Object.keys(BOT_KEY_ALIASES)) assert.ok(text.includes(alias), `alias ${alias} undocumented`);
});

void test('every example key has a comment line right above it (or above its group)', () => {
  for (const name of ['.env.example', '.env_bot.example']) {
    const lines = readExample(name).split('\n');
    lines.forEach((l, i) => {
      if (!/^[A-Z_]+=/.test(l)) return;
      let j = i - 1;
      while (j >= 0 && /^[A-Z_]+=/.test(lines[j] ?? '')) j--;
      assert.ok((lines[j] ?? '').startsWith('# '), `${name}: ${l.split('=')[0]} has no comment`);
    });
  }
});

void test('.env.example leaves every secret empty', () => {
  const { values } = exampleKeys('.env.example');
  for (const k of SECRET_ENV_KEYS) assert.equal(values[k], '', `${k} must be empty in .env.example`);
});

void test('the example files validate without problems or warnings, and equal the defaults', () => {
  const r = parseConfig({
    env: { file: '.env.example', text: readExample('.env.example') },
    bot: { file: '.env_bot.example', text: readExample('.env_bot.example') },
    version: { file: 'VERSION.md', text: readExample('VERSION.md') },
  });
  if (!r.ok) assert.fail(r.problems.join('\n'));
  assert.deepEqual(r.warnings, []);
  const defaults = parseConfig({});
  assert.ok(defaults.ok);
  if (defaults.ok) {
    // Unset optional .env keys may be absent or undefined; compare what serialises.
    const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
    assert.deepEqual(plain(r.bot), plain(defaults.bot));
    assert.deepEqual(plain(r.env), plain(defaults.env));
  }
});
