import type { z } from 'zod';
import { BOT_KEY_ALIASES, botConfigSchema, botConfigShape, SUPPORTED_BROKERS, type BotConfig } from './botConfigSchema';
import { DEFAULT_ALPACA_LIVE_URL, envConfigSchema, envConfigShape, isSecretEnvKey, type EnvConfig } from './envSchema';
import { parseHttpUrl } from './fieldTypes';
import { extractVersionTag, VERSION_HEADING_EXAMPLE } from './versionTag';
import { mixedModeProblem } from '../routing';

/*
 * Pure parsing and validation of `.env` and `.env_bot` (README.md, "Configuration"). Nothing here reads
 * files: `activities/config/loadConfig.ts` does the I/O and hands the texts over.
 *
 * Every problem is one line naming the file (or other source), the key, the value seen and what is
 * allowed; all problems are collected before anything is returned. Secret values are never echoed.
 */

// ---------------------------------------------------------------------------------------------
// KEY=VALUE text

export interface KeyValueEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface KeyValueParse {
  readonly entries: readonly KeyValueEntry[];
  readonly problems: readonly string[];
}

/**
 * Reads KEY=VALUE lines. Accepted: blank lines, `#` comment lines, an optional `export ` prefix,
 * values in single quotes (literal) or double quotes (`\n`, `\t`, `\"`, `\\` escapes), and a trailing
 * ` # comment` after a value (a `#` not preceded by a space is part of the value; quote a value that
 * contains ` #`). Unquoted values are trimmed. With `hideValues`, malformed lines are reported by number
 * only, since they may hold a secret.
 */
export function parseKeyValueText(text: string, file: string, opts: { hideValues?: boolean } = {}): KeyValueParse {
  const entries: KeyValueEntry[] = [];
  const problems: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const quoteLine = (raw: string) => (opts.hideValues ? '' : `: ${showValue(raw.trim())}`);
  lines.forEach((raw, i) => {
    const line = i + 1;
    let s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    s = s.replace(/^export\s+/, '');
    const eq = s.indexOf('=');
    if (eq < 0) {
      problems.push(`${file}: line ${line} is not KEY=VALUE${quoteLine(raw)}`);
      return;
    }
    const key = s.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      problems.push(
        `${file}: line ${line}: ${opts.hideValues ? 'the key' : showValue(key)} is not a valid key name (allowed: letters, digits and _, not starting with a digit)`,
      );
      return;
    }
    const rest = s.slice(eq + 1).trimStart();
    const q = rest[0];
    if (q === '"' || q === "'") {
      const r = readQuoted(rest, q);
      if (r === null) {
        problems.push(`${file}: line ${line}: ${key} has an opening ${q} without a closing one (values are one line)`);
        return;
      }
      const after = r.after.trim();
      if (after !== '' && !after.startsWith('#')) {
        problems.push(`${file}: line ${line}: ${key} has text after its closing quote (allowed: only a # comment)`);
        return;
      }
      entries.push({ key, value: r.value, line });
      return;
    }
    const hash = rest.search(/\s#/);
    entries.push({ key, value: (hash < 0 ? rest : rest.slice(0, hash)).trim(), line });
  });
  return { entries, problems };
}

function readQuoted(rest: string, q: string): { value: string; after: string } | null {
  let value = '';
  for (let i = 1; i < rest.length; i++) {
    const c = rest[i];
    if (c === q) return { value, after: rest.slice(i + 1) };
    if (c === '\\' && q === '"' && i + 1 < rest.length) {
      const n = rest[i + 1];
      const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
      const mapped = n === undefined ? undefined : esc[n];
      if (mapped !== undefined) {
        value += mapped;
        i++;
        continue;
      }
    }
    value += c;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Validation of both files

export interface TextSource {
  /** Label used in messages: the file name as the user knows it (`.env_bot`, `config/.env`). */
  readonly file: string;
  readonly text: string;
}

export interface ValuesSource {
  /** Label used in messages, e.g. `environment` or `--set`. */
  readonly label: string;
  readonly values: Readonly<Record<string, string>>;
}

export interface ParseConfigInput {
  /** `.env` text; omit when there is no file (every key takes its default). */
  readonly env?: TextSource;
  /** Values that win over the `.env` file (the process environment). Unknown keys here are errors. */
  readonly envOverrides?: ValuesSource;
  /** `.env_bot` text (already decrypted); omit when there is none (defaults, so TEST_MODE=true). */
  readonly bot?: TextSource;
  /** Values that win over `.env_bot` (a backtest's `--set KEY=VALUE`). Unknown keys here are errors. */
  readonly botOverrides?: ValuesSource;
  /** VERSION.md; when given, VERSION_TAG must equal the tag on its first line. */
  readonly version?: TextSource;
  /**
   * Require the broker credentials the configured mode needs when TEST_MODE=false (default true).
   * Offline uses of the config (backtests) pass false.
   */
  readonly checkCredentials?: boolean;
}

/** Where each effective value came from: a source label, or `default`. */
export interface ConfigOrigins {
  readonly env: Readonly<Record<keyof EnvConfig, string>>;
  readonly bot: Readonly<Record<keyof BotConfig, string>>;
}

export type ParseConfigResult =
  | {
      readonly ok: true;
      readonly env: EnvConfig;
      readonly bot: BotConfig;
      readonly warnings: readonly string[];
      readonly origins: ConfigOrigins;
    }
  | { readonly ok: false; readonly problems: readonly string[]; readonly warnings: readonly string[] };

export const DEFAULT_ORIGIN = 'default';

interface Setting {
  readonly value: string;
  readonly label: string;
  /** The key as written (an alias stays an alias in messages). */
  readonly writtenKey: string;
  readonly line?: number;
}

interface Group {
  readonly name: string;
  readonly keys: readonly string[];
  readonly aliases: Readonly<Record<string, string>>;
  readonly isSecret: (key: string) => boolean;
  readonly otherName: string;
  readonly otherKeys: readonly string[];
}

const ENV_KEYS = Object.keys(envConfigShape);
const BOT_KEYS = Object.keys(botConfigShape);

const ENV_GROUP: Group = {
  name: '.env',
  keys: ENV_KEYS,
  aliases: {},
  isSecret: isSecretEnvKey,
  otherName: '.env_bot',
  otherKeys: [...BOT_KEYS, ...Object.keys(BOT_KEY_ALIASES)],
};

const BOT_GROUP: Group = {
  name: '.env_bot',
  keys: BOT_KEYS,
  aliases: BOT_KEY_ALIASES,
  isSecret: () => false,
  otherName: '.env',
  otherKeys: ENV_KEYS,
};

/**
 * Parses and validates `.env` and `.env_bot` together, with their overrides and the VERSION.md check.
 * Never throws: either the typed config and warnings, or every problem found.
 */
export function parseConfig(input: ParseConfigInput): ParseConfigResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const envLabel = input.env?.file ?? '.env';
  const botLabel = input.bot?.file ?? '.env_bot';

  const envSettings = collect(ENV_GROUP, input.env, input.envOverrides, problems, warnings, true);
  const botSettings = collect(BOT_GROUP, input.bot, input.botOverrides, problems, warnings, false);

  const env = validateFields(envConfigShape, envSettings, ENV_GROUP, problems) as Partial<EnvConfig>;
  const bot = validateFields(botConfigShape, botSettings, BOT_GROUP, problems) as Partial<BotConfig>;

  const envRef = refFor(envSettings, envLabel, ENV_GROUP);
  const botRef = refFor(botSettings, botLabel, BOT_GROUP);
  envCrossChecks(env, envRef, problems, warnings);
  botCrossChecks(bot, botRef, problems, warnings);
  crossFileChecks(env, bot, envRef, input.checkCredentials ?? true, problems, warnings);
  if (input.version !== undefined && bot.VERSION_TAG !== undefined) versionCheck(bot.VERSION_TAG, botRef, input.version, problems);

  if (problems.length > 0) return { ok: false, problems, warnings };
  const rawOf = (m: Map<string, Setting>) => Object.fromEntries([...m].map(([k, s]) => [k, s.value]));
  // An empty `.env` value is "not set": its origin is the default, not the file.
  const originsOf = (m: Map<string, Setting>, keys: readonly string[], emptyIsUnset: boolean) =>
    Object.fromEntries(
      keys.map((k) => {
        const s = m.get(k);
        return [k, s === undefined || (emptyIsUnset && s.value.trim() === '') ? DEFAULT_ORIGIN : s.label];
      }),
    );
  return {
    ok: true,
    // Parsing again through the object schemas gives the exact inferred types without casts.
    env: envConfigSchema.parse(rawOf(envSettings)),
    bot: botConfigSchema.parse(rawOf(botSettings)),
    warnings,
    origins: {
      env: originsOf(envSettings, ENV_KEYS, true) as Record<keyof EnvConfig, string>,
      bot: originsOf(botSettings, BOT_KEYS, false) as Record<keyof BotConfig, string>,
    },
  };
}

export type BotConfigResult =
  | { readonly ok: true; readonly bot: BotConfig; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problems: readonly string[]; readonly warnings: readonly string[] };

/** `.env_bot` text on its own (no `.env`, no VERSION.md, no credential checks): for backtests and tools. */
export function parseBotConfigText(text: string, file = '.env_bot', overrides?: ValuesSource): BotConfigResult {
  const r = parseConfig({ bot: { file, text }, botOverrides: overrides, checkCredentials: false });
  return r.ok ? { ok: true, bot: r.bot, warnings: r.warnings } : r;
}

// ---------------------------------------------------------------------------------------------
// Collecting settings from the sources

function collect(
  group: Group,
  file: TextSource | undefined,
  overrides: ValuesSource | undefined,
  problems: string[],
  warnings: string[],
  hideValues: boolean,
): Map<string, Setting> {
  const out = new Map<string, Setting>();
  if (file !== undefined) {
    const parsed = parseKeyValueText(file.text, file.file, { hideValues });
    problems.push(...parsed.problems);
    for (const e of parsed.entries) {
      const canonical = canonicalKey(group, e.key);
      if (canonical === null) {
        // In `.env` a "key" that does not look like one may be a pasted secret: do not echo it.
        const name = hideValues && !/^[A-Z][A-Z0-9_]*$/.test(e.key) && hintFor(group, e.key) === '' ? null : e.key;
        warnings.push(
          name === null
            ? `${file.file}: line ${e.line}: unknown key, not shown because it does not look like a key name (ignored)`
            : `${file.file}: line ${e.line}: unknown key ${name} (ignored)${hintFor(group, name)}`,
        );
        continue;
      }
      const prev = out.get(canonical);
      // In `.env` an empty value means "not set", so `KEY=` from the example followed by `KEY=value`
      // is no conflict: the non-empty one counts.
      if (prev !== undefined && hideValues && (prev.value.trim() === '' || e.value.trim() === '')) {
        if (e.value.trim() !== '') out.set(canonical, { value: e.value, label: file.file, writtenKey: e.key, line: e.line });
        continue;
      }
      if (prev !== undefined) {
        const same = prev.value === e.value;
        const what =
          prev.writtenKey === e.key
            ? `${e.key} is set again (first on line ${prev.line ?? '?'})`
            : `${e.key} and ${prev.writtenKey} (line ${prev.line ?? '?'}) are the same key`;
        if (same) warnings.push(`${file.file}: line ${e.line}: ${what}, to the same value`);
        else {
          problems.push(`${file.file}: line ${e.line}: ${what}, with a different value; keep one`);
          continue;
        }
      }
      out.set(canonical, { value: e.value, label: file.file, writtenKey: e.key, line: e.line });
    }
  }
  if (overrides !== undefined) {
    for (const [key, value] of Object.entries(overrides.values)) {
      const canonical = canonicalKey(group, key);
      if (canonical === null) {
        problems.push(`${overrides.label}: unknown ${group.name} key ${showValue(key)}${hintFor(group, key)}`);
        continue;
      }
      out.set(canonical, { value, label: overrides.label, writtenKey: key });
    }
  }
  return out;
}

function canonicalKey(group: Group, key: string): string | null {
  if (group.keys.includes(key)) return key;
  return group.aliases[key] ?? null;
}

function hintFor(group: Group, key: string): string {
  if (group.otherKeys.includes(key)) return `; ${key} belongs in ${group.otherName}`;
  const candidates = [...group.keys, ...Object.keys(group.aliases)];
  const upper = key.toUpperCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c === upper ? 0 : editDistance(upper, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = upper.length >= 8 ? 2 : 1;
  return best !== null && bestD <= limit ? `; did you mean ${best}?` : '';
}

/** Levenshtein distance, bounded work: config keys are short. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 99;
}

// ---------------------------------------------------------------------------------------------
// Per-field validation

function validateFields(
  shape: Readonly<Record<string, z.ZodType>>,
  settings: Map<string, Setting>,
  group: Group,
  problems: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    const s = settings.get(key);
    const r = field.safeParse(s?.value);
    if (r.success) {
      out[key] = r.data;
      continue;
    }
    const messages = [...new Set(r.error.issues.map((i) => i.message))];
    for (const m of messages) {
      const allowed = m.startsWith('allowed') ? m : `allowed: ${m}`;
      problems.push(invalidLine(s?.label ?? group.name, s?.writtenKey ?? key, s?.value, allowed, group.isSecret(key)));
    }
  }
  return out;
}

function invalidLine(label: string, key: string, raw: string | undefined, allowed: string, secret: boolean, note = ''): string {
  if (raw === undefined) return `${label}: ${key} is missing (${allowed})`;
  if (raw.trim() === '') return `${label}: ${key} is empty (${allowed})`;
  return `${label}: ${key}=${secret ? SECRET_PLACEHOLDER : showValue(raw)}${note} is invalid (${allowed})`;
}

const SECRET_PLACEHOLDER = '<hidden>';

/** A value as shown in a message: URL credentials removed, long values cut, odd characters quoted. */
export function showValue(v: string): string {
  let s = v.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/\s]*@/g, `$1${SECRET_PLACEHOLDER}@`);
  if (s.length > 60) s = `${s.slice(0, 57)}...`;
  return /[\s"'\\=]|[\u0000-\u001f\u007f]/.test(s) || s === '' ? JSON.stringify(s) : s;
}

/** Formats a typed value back to the text a config file would hold (used by messages and `config show`). */
export function formatConfigValue(key: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (key === 'SLEEP_TIME' && typeof value === 'number') return `${value}ms`;
  if (Array.isArray(value)) return value.map((x) => String(x)).join(',');
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// Cross-field checks

/** Describes a key for a message: where it was set (or its default) and the value shown. */
interface KeyRef {
  isSet(key: string): boolean;
  label(key: string): string;
  written(key: string): string;
  /** `KEY=value` or `KEY=value (default)`; secrets hidden. */
  show(key: string, typed: unknown): string;
  invalid(key: string, typed: unknown, allowed: string): string;
  missing(key: string, why: string): string;
}

function refFor(settings: Map<string, Setting>, defaultLabel: string, group: Group): KeyRef {
  const ref: KeyRef = {
    // Set means present with a non-empty value (in `.env` an empty value means not set).
    isSet: (k) => (settings.get(k)?.value.trim() ?? '') !== '',
    label: (k) => settings.get(k)?.label ?? defaultLabel,
    written: (k) => settings.get(k)?.writtenKey ?? k,
    show: (k, typed) => {
      const s = settings.get(k);
      const v = group.isSecret(k) ? SECRET_PLACEHOLDER : showValue(s?.value ?? formatConfigValue(k, typed));
      return `${ref.written(k)}=${v}${s === undefined ? ' (default)' : ''}`;
    },
    invalid: (k, typed, allowed) => `${ref.label(k)}: ${ref.show(k, typed)} is invalid (${allowed})`,
    missing: (k, why) => `${ref.label(k)}: ${k} is missing (required ${why})`,
  };
  return ref;
}

/** Of two keys in a relation, the one to blame: the one the user set (the first if both or neither). */
function blame(ref: KeyRef, a: string, b: string): 'a' | 'b' {
  return !ref.isSet(a) && ref.isSet(b) ? 'b' : 'a';
}

const WEIGHT_SUM_TOLERANCE = 1e-9;

function botCrossChecks(b: Partial<BotConfig>, ref: KeyRef, problems: string[], warnings: string[]): void {
  if (b.MIN_PRICE !== undefined && b.MAX_PRICE !== undefined && b.MIN_PRICE > b.MAX_PRICE) {
    problems.push(
      blame(ref, 'MIN_PRICE', 'MAX_PRICE') === 'a'
        ? ref.invalid('MIN_PRICE', b.MIN_PRICE, `allowed: at most ${ref.show('MAX_PRICE', b.MAX_PRICE)}`)
        : ref.invalid('MAX_PRICE', b.MAX_PRICE, `allowed: at least ${ref.show('MIN_PRICE', b.MIN_PRICE)}`),
    );
  }
  for (const s of ['OPEN', 'MID', 'CLOSE'] as const) {
    const minK = `MIN_MARKET_CAP_${s}` as const;
    const maxK = `MAX_MARKET_CAP_${s}` as const;
    const lo = b[minK];
    const hi = b[maxK];
    if (lo !== undefined && hi !== undefined && lo > hi) {
      problems.push(
        blame(ref, minK, maxK) === 'a'
          ? ref.invalid(minK, lo, `allowed: at most ${ref.show(maxK, hi)}`)
          : ref.invalid(maxK, hi, `allowed: at least ${ref.show(minK, lo)}`),
      );
    }
  }

  // WEIGHTS is the split of a session's allocation when all MAX_TRADES slots are filled (docs/risk.md,
  // "Formulas": n=4 uses WEIGHTS with the default MAX_TRADES=4), so it has exactly MAX_TRADES entries and
  // sums to 1.
  if (b.WEIGHTS !== undefined) {
    const sum = b.WEIGHTS.reduce((x, y) => x + y, 0);
    if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) {
      problems.push(ref.invalid('WEIGHTS', b.WEIGHTS, `allowed: weights that sum to 1; these sum to ${roundForMessage(sum)}`));
    }
    if (b.MAX_TRADES !== undefined && b.WEIGHTS.length !== b.MAX_TRADES) {
      problems.push(
        blame(ref, 'WEIGHTS', 'MAX_TRADES') === 'a'
          ? ref.invalid(
              'WEIGHTS',
              b.WEIGHTS,
              `allowed: exactly ${ref.show('MAX_TRADES', b.MAX_TRADES)} weights, one per trade slot; found ${b.WEIGHTS.length}`,
            )
          : ref.invalid(
              'MAX_TRADES',
              b.MAX_TRADES,
              `allowed: the number of weights in ${ref.show('WEIGHTS', b.WEIGHTS)}, which is ${b.WEIGHTS.length}; set WEIGHTS to ${b.MAX_TRADES} weights too`,
            ),
      );
    }
  }

  if (b.ALPACA_ENABLED === false && b.IBKR_ENABLED === false) {
    problems.push(
      `${ref.label('ALPACA_ENABLED')}: no broker enabled; supported: ${SUPPORTED_BROKERS.join(', ')} (set ALPACA_ENABLED=true or IBKR_ENABLED=true)`,
    );
  }
  brokerModeMix(b, ref, problems);

  const enabled = {
    open: b.STRAT_OPEN_ENABLED,
    mid: b.STRAT_MID_ENABLED,
    close: b.STRAT_CLOSE_ENABLED,
  };
  if (b.STRATEGY_OVERRIDE !== undefined && b.STRATEGY_OVERRIDE !== null && enabled[b.STRATEGY_OVERRIDE] === false) {
    warnings.push(
      `${ref.label('STRATEGY_OVERRIDE')}: STRATEGY_OVERRIDE=${b.STRATEGY_OVERRIDE} names a strategy whose STRAT_${b.STRATEGY_OVERRIDE.toUpperCase()}_ENABLED=false: no session will run`,
    );
  } else if (enabled.open === false && enabled.mid === false && enabled.close === false) {
    warnings.push(`${ref.label('STRAT_OPEN_ENABLED')}: every strategy is disabled (STRAT_*_ENABLED=false): no session will run`);
  }
}

/** One day has one mode: paper and live brokers together are refused (domain/routing.ts mixedModeProblem). */
function brokerModeMix(b: Partial<BotConfig>, ref: KeyRef, problems: string[]): void {
  const { TEST_MODE, ALPACA_ENABLED, ALPACA_MODE, IBKR_ENABLED, IBKR_MODE } = b;
  if (TEST_MODE === undefined || ALPACA_ENABLED === undefined || ALPACA_MODE === undefined || IBKR_ENABLED === undefined || IBKR_MODE === undefined) return;
  const problem = mixedModeProblem({ TEST_MODE, ALPACA_ENABLED, ALPACA_MODE, IBKR_ENABLED, IBKR_MODE });
  if (problem !== null) problems.push(`${ref.label('IBKR_MODE')}: ${problem}`);
}

function roundForMessage(x: number): string {
  return String(Math.round(x * 1e12) / 1e12);
}

function envCrossChecks(e: Partial<EnvConfig>, ref: KeyRef, problems: string[], warnings: string[]): void {
  // TEST_MODE must never reach a live endpoint: the paper URL may not point at the live API.
  if (e.ALPACA_PAPER_URL !== undefined && e.ALPACA_LIVE_URL !== undefined) {
    const paper = parseHttpUrl(e.ALPACA_PAPER_URL)?.host;
    const liveHosts = [parseHttpUrl(e.ALPACA_LIVE_URL)?.host, parseHttpUrl(DEFAULT_ALPACA_LIVE_URL)?.host];
    if (paper !== undefined && liveHosts.includes(paper)) {
      problems.push(
        ref.invalid('ALPACA_PAPER_URL', e.ALPACA_PAPER_URL, 'allowed: a paper endpoint; this host serves live trading, which TEST_MODE must never call'),
      );
    }
  }

  const pairs: [keyof EnvConfig, keyof EnvConfig][] = [
    ['ALPACA_PAPER_API_KEY', 'ALPACA_PAPER_SECRET_KEY'],
    ['ALPACA_LIVE_API_KEY', 'ALPACA_LIVE_SECRET_KEY'],
    ['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH'],
    ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH'],
  ];
  for (const [a, b] of pairs) {
    // An invalid partner was reported already; only an absent one is "missing".
    if (e[a] !== undefined && !ref.isSet(b)) problems.push(ref.missing(b, `when ${a} is set`));
    if (e[b] !== undefined && !ref.isSet(a)) problems.push(ref.missing(a, `when ${b} is set`));
  }
  if (e.MANAGER_API_URL !== undefined && !ref.isSet('MANAGER_API_TOKEN')) {
    problems.push(ref.missing('MANAGER_API_TOKEN', 'when MANAGER_API_URL is set (an access token from Manager.io settings)'));
  }
  if (e.MANAGER_API_TOKEN !== undefined && !ref.isSet('MANAGER_API_URL')) {
    warnings.push(`${ref.label('MANAGER_API_TOKEN')}: MANAGER_API_TOKEN is set but MANAGER_API_URL is not: the token is unused`);
  }

  if (e.IBKR_PAPER_ACCOUNT_NUMBER !== undefined && e.IBKR_PAPER_ACCOUNT_NUMBER === e.IBKR_LIVE_ACCOUNT_NUMBER) {
    problems.push(
      `${ref.label('IBKR_PAPER_ACCOUNT_NUMBER')}: IBKR_PAPER_ACCOUNT_NUMBER and IBKR_LIVE_ACCOUNT_NUMBER are the same account (allowed: two different accounts)`,
    );
  } else if (e.IBKR_PAPER_ACCOUNT_NUMBER !== undefined && !e.IBKR_PAPER_ACCOUNT_NUMBER.startsWith('D')) {
    warnings.push(
      `${ref.label('IBKR_PAPER_ACCOUNT_NUMBER')}: IBKR_PAPER_ACCOUNT_NUMBER does not start with D as IBKR paper accounts do; make sure it is not a live account`,
    );
  }

  if (e.ALERT_EMAIL !== undefined && e.SMTP_HOST === undefined) {
    warnings.push(`${ref.label('ALERT_EMAIL')}: ALERT_EMAIL is set but SMTP_HOST is not: alerts cannot be sent`);
  }
  if (e.LOCAL_IP !== undefined && !isLoopback(e.LOCAL_IP) && e.PASSWORD_HASH === undefined) {
    warnings.push(
      `${ref.label('LOCAL_IP')}: LOCAL_IP=${e.LOCAL_IP} exposes the dashboard beyond this machine but PASSWORD_HASH is not set`,
    );
  }
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

function crossFileChecks(
  e: Partial<EnvConfig>,
  b: Partial<BotConfig>,
  envRef: KeyRef,
  checkCredentials: boolean,
  problems: string[],
  warnings: string[],
): void {
  if (b.TEST_MODE === undefined) return;
  const alpacaMode = b.TEST_MODE ? 'paper' : b.ALPACA_MODE;
  const ibkrMode = b.TEST_MODE ? 'paper' : b.IBKR_MODE;

  // Outside TEST_MODE there is no simulated broker to fall back on: the mode's credentials must exist.
  if (checkCredentials && !b.TEST_MODE) {
    if (b.ALPACA_ENABLED === true && alpacaMode !== undefined) {
      const M = alpacaMode.toUpperCase() as 'PAPER' | 'LIVE';
      const why = `because ALPACA_ENABLED=true, ALPACA_MODE=${alpacaMode} and TEST_MODE=false`;
      for (const k of [`ALPACA_${M}_API_KEY`, `ALPACA_${M}_SECRET_KEY`] as const) {
        if (e[k] === undefined && !envRef.isSet(k)) problems.push(envRef.missing(k, why));
      }
    }
    if (b.IBKR_ENABLED === true && ibkrMode !== undefined) {
      const k = `IBKR_${ibkrMode.toUpperCase() as 'PAPER' | 'LIVE'}_ACCOUNT_NUMBER` as const;
      if (e[k] === undefined && !envRef.isSet(k)) {
        problems.push(envRef.missing(k, `because IBKR_ENABLED=true, IBKR_MODE=${ibkrMode} and TEST_MODE=false`));
      }
    }
  }

  // TWS / Gateway conventions: 7497 / 4002 paper, 7496 / 4001 live. Only a hint; ports are configurable.
  if (b.IBKR_ENABLED === true && e.IBKR_PORT !== undefined && ibkrMode !== undefined) {
    const livePorts = [7496, 4001];
    const paperPorts = [7497, 4002];
    const odd = ibkrMode === 'paper' ? livePorts.includes(e.IBKR_PORT) : paperPorts.includes(e.IBKR_PORT);
    if (odd) {
      warnings.push(
        `${envRef.label('IBKR_PORT')}: IBKR_PORT=${e.IBKR_PORT} is the usual ${ibkrMode === 'paper' ? 'live' : 'paper'} TWS/Gateway port, but IBKR runs in ${ibkrMode} mode${b.TEST_MODE ? ' (TEST_MODE=true)' : ''}`,
      );
    }
  }
}

function versionCheck(tag: string, botRef: KeyRef, version: TextSource, problems: string[]): void {
  const expected = extractVersionTag(version.text);
  if (expected === null) {
    problems.push(`${version.file}: no version tag on its first line (allowed: a first line like "${VERSION_HEADING_EXAMPLE}")`);
  } else if (expected !== tag) {
    problems.push(botRef.invalid('VERSION_TAG', tag, `allowed: ${expected}, the tag in ${version.file}; the bot refuses to start when they differ`));
  }
}
