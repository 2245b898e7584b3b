import { z } from 'zod';
import {
  accountNumberCheck,
  anyText,
  base64Key32Check,
  type Check,
  defaultedEnvField,
  emailListCheck,
  hostCheck,
  hostPortCheck,
  httpUrlCheck,
  intCheck,
  ipCheck,
  namespaceCheck,
  oneOfCheck,
  optionalEnvField,
  portCheck,
  taskQueueCheck,
} from './fieldTypes';

/** `HH:MM/M`: the gateway's restart start (New York) and its length in minutes, 1 to 240. */
function restartWindowCheck(t: string): ReturnType<Check<{ startNy: string; minutes: number }>> {
  const m = /^([01]\d|2[0-3]):([0-5]\d)\/(\d{1,3})$/.exec(t);
  const minutes = m ? Number(m[3]) : NaN;
  if (m && minutes >= 1 && minutes <= 240) return { ok: true, value: { startNy: `${m[1]}:${m[2]}`, minutes } };
  return { ok: false, allowed: 'allowed: HH:MM/MINUTES, the New York start and length (1 to 240 minutes), e.g. 23:45/15' };
}

/** `.env` booleans, spelled as in `.env_bot`. */
const boolCheck: Check<boolean> = (t) => {
  const v = t.toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return { ok: true, value: true };
  if (v === 'false' || v === '0' || v === 'no') return { ok: true, value: false };
  return { ok: false, allowed: 'allowed: true or false' };
};

/** The dashboard API's bearer token: long and random enough that guessing it is hopeless. */
const apiTokenCheck: Check<string> = (t) =>
  /^[A-Za-z0-9._~+/=-]{32,256}$/.test(t)
    ? { ok: true, value: t }
    : { ok: false, allowed: 'allowed: 32 to 256 characters of letters, digits and ._~+/=-; make one with `openssl rand -hex 32`' };

export const DEFAULT_ALPACA_PAPER_URL = 'https://paper-api.alpaca.markets';
export const DEFAULT_ALPACA_LIVE_URL = 'https://api.alpaca.markets';
export const DEFAULT_ALPACA_DATA_URL = 'https://data.alpaca.markets';
export const DEFAULT_FINNHUB_URL = 'https://finnhub.io/api/v1';

/**
 * `.env`: secrets and infrastructure (README.md, "Configuration"), plus the Temporal TLS / API key settings a
 * real cluster or Temporal Cloud needs. In `.env` an empty value means "not set": keys with a default take
 * it, the others are `undefined`.
 */
export const envConfigShape = {
  ENVIRONMENT: defaultedEnvField(oneOfCheck(['production', 'development']), 'development'),
  // Runtime control files (stop/kill markers, pid files); relative paths are from the working directory.
  CONTROL_DIR: defaultedEnvField(anyText, 'output/control'),
  ENV_BOT_PATH: defaultedEnvField(anyText, '.env_bot'),
  // Dashboard bind address.
  LOCAL_IP: defaultedEnvField(ipCheck, '127.0.0.1'),
  LOCAL_PORT: defaultedEnvField(portCheck, 8080),
  REMOTE_IP: optionalEnvField(hostCheck),
  REMOTE_PORT: optionalEnvField(portCheck),
  // Dashboard login user name.
  USERNAME: optionalEnvField(anyText),
  // Dashboard session lifetime, seconds.
  SESSION_TIMEOUT: defaultedEnvField(intCheck(1, 604800, 'a number of seconds'), 3000),
  FINNHUB_API_KEY: optionalEnvField(anyText),
  ALPACA_PAPER_API_KEY: optionalEnvField(anyText),
  ALPACA_PAPER_SECRET_KEY: optionalEnvField(anyText),
  ALPACA_LIVE_API_KEY: optionalEnvField(anyText),
  ALPACA_LIVE_SECRET_KEY: optionalEnvField(anyText),
  ALPACA_PAPER_URL: defaultedEnvField(httpUrlCheck, DEFAULT_ALPACA_PAPER_URL),
  ALPACA_LIVE_URL: defaultedEnvField(httpUrlCheck, DEFAULT_ALPACA_LIVE_URL),
  // Alpaca's market data host (bars, quotes, option snapshots); the same for paper and live accounts.
  // The paper rehearsal points it at the local market emulator (docs/emulator.md).
  ALPACA_DATA_URL: defaultedEnvField(httpUrlCheck, DEFAULT_ALPACA_DATA_URL),
  // Finnhub's API base (screening facts, VIX); the rehearsal points it at the emulator.
  FINNHUB_URL: defaultedEnvField(httpUrlCheck, DEFAULT_FINNHUB_URL),
  IBKR_HOST: defaultedEnvField(hostCheck, '127.0.0.1'),
  // 7497 is TWS paper; 7496 TWS live; 4002 / 4001 the IB Gateway equivalents.
  IBKR_PORT: defaultedEnvField(portCheck, 7497),
  IBKR_CLIENT_ID: defaultedEnvField(intCheck(0, 2147483647), 1),
  IBKR_PAPER_ACCOUNT_NUMBER: optionalEnvField(accountNumberCheck),
  IBKR_LIVE_ACCOUNT_NUMBER: optionalEnvField(accountNumberCheck),
  // The gateway's daily restart, New York wall time and length (docs/ibkr.md "Daily restart"): no order
  // is sent inside it, and a drop that outlives it escalates. Default: IB Gateway's nightly auto-restart.
  IBKR_RESTART_WINDOW: defaultedEnvField(restartWindowCheck, { startNy: '23:45', minutes: 15 }),
  ALERT_EMAIL: optionalEnvField(emailListCheck),
  // Slack-style incoming webhook for the same alerts as e-mail (optional). Holds a token in its path: secret.
  ALERT_WEBHOOK_URL: optionalEnvField(httpUrlCheck),
  SMTP_USER: optionalEnvField(anyText),
  SMTP_PASS: optionalEnvField(anyText),
  SMTP_HOST: optionalEnvField(hostCheck),
  SMTP_PORT: defaultedEnvField(portCheck, 587),
  // Key for encrypted backups.
  ENCRYPTION_KEY: optionalEnvField(base64Key32Check),
  // Dashboard login password hash (never the password itself).
  PASSWORD_HASH: optionalEnvField(anyText),
  // `npm start` also serves the dashboard (it is never needed for trading).
  DASHBOARD_ENABLED: defaultedEnvField(boolCheck, false),
  // Dashboard controls (stop, kill, defense, confirm, settings edits); false is a read-only dashboard.
  DASHBOARD_CONTROLS: defaultedEnvField(boolCheck, false),
  // Bearer token of the dashboard's read-only JSON API (/api/v1); unset: the API is off (docs/dashboard.md).
  DASHBOARD_API_TOKEN: optionalEnvField(apiTokenCheck),
  // Serve the dashboard over TLS with this certificate and key (PEM files); both or neither.
  DASHBOARD_TLS_CERT_PATH: optionalEnvField(anyText),
  DASHBOARD_TLS_KEY_PATH: optionalEnvField(anyText),
  // Temporal Web UI base URL for links to runs; empty: derived from a local TEMPORAL_ADDRESS (port + 1000).
  TEMPORAL_UI_URL: optionalEnvField(httpUrlCheck),
  // Key that decrypts `.env_bot.enc`.
  ENV_BOT_KEY: optionalEnvField(base64Key32Check),
  TEMPORAL_ADDRESS: defaultedEnvField(hostPortCheck, '127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: defaultedEnvField(namespaceCheck, 'default'),
  TEMPORAL_TASK_QUEUE: defaultedEnvField(taskQueueCheck, 'tradebot'),
  // TLS, under Temporal's standard environment names (@temporalio/envconfig; docs/temporal.md,
  // "Connecting"): mTLS client certificate and key, the server's CA and name, TLS on or off.
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalEnvField(anyText),
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalEnvField(anyText),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalEnvField(anyText),
  TEMPORAL_TLS_SERVER_NAME: optionalEnvField(anyText),
  TEMPORAL_TLS: optionalEnvField(boolCheck),
  // The earlier names of the client certificate and key: aliases of the two above.
  TEMPORAL_TLS_CERT_PATH: optionalEnvField(anyText),
  TEMPORAL_TLS_KEY_PATH: optionalEnvField(anyText),
  // Temporal Cloud API key (instead of mTLS).
  TEMPORAL_API_KEY: optionalEnvField(anyText),
  // Encrypts workflow payloads, so the server stores only ciphertext (docs/temporal.md, "Encrypted payloads").
  TEMPORAL_PAYLOAD_KEY: optionalEnvField(base64Key32Check),
  // Manager.io server API (optional ledger export).
  MANAGER_API_URL: optionalEnvField(httpUrlCheck),
  MANAGER_API_TOKEN: optionalEnvField(anyText),
  // Where the CLOSE gate reads VIX: a provider name, a URL, or a `date,close` CSV file.
  VIX_SOURCE: optionalEnvField(anyText),
} as const;

export const envConfigSchema = z.object(envConfigShape);

/** The validated, typed `.env`. Holds secrets: display it only through `maskSecrets`. */
export type EnvConfig = z.infer<typeof envConfigSchema>;

export const ENV_CONFIG_KEYS = Object.keys(envConfigShape) as (keyof EnvConfig)[];

/**
 * Every `.env` key whose value must never be shown: credentials, keys, the password hash, and the IBKR
 * account ids (identifying, so treated the same way).
 */
export const SECRET_ENV_KEYS = [
  'FINNHUB_API_KEY',
  'ALPACA_PAPER_API_KEY',
  'ALPACA_PAPER_SECRET_KEY',
  'ALPACA_LIVE_API_KEY',
  'ALPACA_LIVE_SECRET_KEY',
  'IBKR_PAPER_ACCOUNT_NUMBER',
  'IBKR_LIVE_ACCOUNT_NUMBER',
  'SMTP_PASS',
  'ENCRYPTION_KEY',
  'PASSWORD_HASH',
  'DASHBOARD_API_TOKEN',
  'ENV_BOT_KEY',
  'MANAGER_API_TOKEN',
  'TEMPORAL_API_KEY',
  'TEMPORAL_PAYLOAD_KEY',
  'ALERT_WEBHOOK_URL',
] as const satisfies readonly (keyof EnvConfig)[];

export type SecretEnvKey = (typeof SECRET_ENV_KEYS)[number];

export function isSecretEnvKey(key: string): key is SecretEnvKey {
  return (SECRET_ENV_KEYS as readonly string[]).includes(key);
}

/** All defaults: what a missing `.env` means. */
export function defaultEnvConfig(): EnvConfig {
  return envConfigSchema.parse({});
}
