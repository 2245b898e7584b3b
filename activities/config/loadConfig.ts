import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import { ConfigError } from '../../domain/config/configError';
import { ENV_CONFIG_KEYS, type EnvConfig } from '../../domain/config/envSchema';
import { base64DecodedLength } from '../../domain/config/fieldTypes';
import { parseConfig, parseKeyValueText, type ConfigOrigins, type TextSource } from '../../domain/config/parseConfig';
import { decryptEnvBot, isEncryptedEnvBot } from './envBotCrypto';

export { ConfigError } from '../../domain/config/configError';

/*
 * Reads `.env`, `.env_bot` (or `.env_bot.enc`) and VERSION.md, and validates them together.
 *
 * Where things come from, highest precedence first:
 *   .env path:      options.envPath > ENV_PATH in the process environment > <cwd>/.env
 *   .env values:    process environment (non-empty values of known .env keys) > the .env file > defaults.
 *                   USERNAME is the exception: operating systems set it, so only TRADEBOT_USERNAME
 *                   overrides it from the environment.
 *   .env_bot path:  options.envBotPath > ENV_BOT_PATH (environment, then .env) > <cwd>/.env_bot.
 *                   Relative paths are resolved against cwd.
 *   .env_bot text:  the file at that path (decrypted if it is encrypted); else `<path>.enc` decrypted
 *                   in memory with ENV_BOT_KEY; else none, meaning all defaults (TEST_MODE=true).
 *                   When both plain and .enc exist, the plain file wins and a warning says so.
 *   .env_bot values: options.botOverrides (a backtest's --set) > the file > defaults.
 *   VERSION.md:     options.versionFile > <cwd>/VERSION.md; VERSION_TAG must equal its tag.
 */

export interface LoadConfigOptions {
  readonly cwd: string;
  readonly envPath?: string;
  readonly envBotPath?: string;
  readonly versionFile?: string;
  /** Defaults to `process.env`; tests pass their own. */
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
  /** `.env_bot` values that win over the file, e.g. a backtest's `--set KEY=VALUE`. */
  readonly botOverrides?: Readonly<Record<string, string>>;
  /** Label for `botOverrides` in messages; default `--set`. */
  readonly botOverridesLabel?: string;
  /** Require broker credentials when TEST_MODE=false (default true); backtests pass false. */
  readonly checkCredentials?: boolean;
}

export interface ConfigSources {
  /** Absolute path of the `.env` read, or null when there was none. */
  readonly env: string | null;
  /** Absolute path of the `.env_bot` (or `.env_bot.enc`) read, or null when defaults were used. */
  readonly envBot: string | null;
  readonly envBotEncrypted: boolean;
  readonly versionFile: string;
  /** `.env` keys whose value came from the process environment. */
  readonly environmentKeys: readonly string[];
}

export interface LoadedConfig {
  readonly env: EnvConfig;
  readonly bot: BotConfig;
  readonly warnings: readonly string[];
  readonly sources: ConfigSources;
  /** Per key, the label of the source its value came from, or `default`. */
  readonly origins: ConfigOrigins;
}

/** Process environment name for a `.env` key (see the precedence note above). */
export function environmentNameFor(key: string): string {
  return key === 'USERNAME' ? 'TRADEBOT_USERNAME' : key;
}

export const ENVIRONMENT_LABEL = 'environment';

/** Throws ConfigError listing every problem; otherwise the typed config, its warnings and sources. */
export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const cwd = path.resolve(opts.cwd);
  const penv = opts.processEnv ?? process.env;
  const label = (p: string) => labelFor(cwd, p);
  const problems: string[] = [];
  const warnings: string[] = [];

  const basics = await readEnvBasics({ cwd, envPath: opts.envPath, envBotPath: opts.envBotPath, processEnv: penv });
  const { envFile, envText, environmentValues, rawEnv, envBotPath: botPath } = basics;
  if (basics.envReadError !== undefined) problems.push(`${label(envFile)}: cannot read: ${basics.envReadError}`);
  if (envText !== undefined) {
    const loose = await looseMode(envFile);
    if (loose !== null) warnings.push(`${label(envFile)}: readable by other users (mode ${loose}); run chmod 600 ${label(envFile)}`);
  }

  let bot: TextSource | undefined;
  let botSourcePath: string | null = null;
  let encrypted = false;
  let botUnreadable = false;

  const decrypt = (file: string, text: string): string | undefined => {
    const key = rawEnv('ENV_BOT_KEY');
    if (key === undefined) {
      problems.push(`${label(envFile)}: ENV_BOT_KEY is missing (required to decrypt ${label(file)}; set it in .env or the environment)`);
      return undefined;
    }
    // A malformed key is reported once, by the .env validation below.
    if (base64DecodedLength(key) !== 32) return undefined;
    try {
      return decryptEnvBot(text, key, label(file));
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else throw e;
      return undefined;
    }
  };

  const plain = await readOptional(botPath);
  const encPath = botPath.endsWith('.enc') ? null : `${botPath}.enc`;
  const enc = encPath === null ? { text: undefined } : await readOptional(encPath);
  if (plain.error !== undefined) {
    problems.push(`${label(botPath)}: cannot read: ${plain.error}`);
    botUnreadable = true;
  } else if (plain.text !== undefined) {
    botSourcePath = botPath;
    if (isEncryptedEnvBot(plain.text)) {
      encrypted = true;
      const t = decrypt(botPath, plain.text);
      if (t === undefined) botUnreadable = true;
      else bot = { file: label(botPath), text: t };
    } else {
      bot = { file: label(botPath), text: plain.text };
      if (encPath !== null && enc.text !== undefined) {
        warnings.push(`${label(botPath)}: both ${label(botPath)} and ${label(encPath)} exist; using the plain file (delete one)`);
      }
    }
  } else if (encPath !== null && (enc.text !== undefined || enc.error !== undefined)) {
    botSourcePath = encPath;
    encrypted = true;
    if (enc.error !== undefined) {
      problems.push(`${label(encPath)}: cannot read: ${enc.error}`);
      botUnreadable = true;
    } else {
      const t = decrypt(encPath, enc.text ?? '');
      if (t === undefined) botUnreadable = true;
      else bot = { file: label(encPath), text: t };
    }
  } else {
    warnings.push(`${label(botPath)}: not found (nor ${encPath === null ? 'a plain copy' : label(encPath)}); using defaults, so TEST_MODE=true`);
  }

  const versionFile = path.resolve(cwd, opts.versionFile ?? 'VERSION.md');
  const versionRead = await readOptional(versionFile);
  let version: TextSource | undefined;
  if (versionRead.text !== undefined) version = { file: label(versionFile), text: versionRead.text };
  else {
    problems.push(
      `${label(versionFile)}: ${versionRead.error !== undefined ? `cannot read: ${versionRead.error}` : 'not found'} (required: VERSION_TAG is checked against it)`,
    );
  }

  const result = parseConfig({
    env: envText === undefined ? undefined : { file: label(envFile), text: envText },
    envOverrides: Object.keys(environmentValues).length > 0 ? { label: ENVIRONMENT_LABEL, values: environmentValues } : undefined,
    // Without a readable .env_bot, validate only .env: defaults would hide the real problem.
    bot: botUnreadable ? undefined : bot,
    botOverrides:
      opts.botOverrides !== undefined && Object.keys(opts.botOverrides).length > 0
        ? { label: opts.botOverridesLabel ?? '--set', values: opts.botOverrides }
        : undefined,
    version: botUnreadable ? undefined : version,
    checkCredentials: botUnreadable ? false : opts.checkCredentials,
  });
  warnings.push(...result.warnings);
  if (!result.ok) problems.push(...result.problems);
  if (problems.length > 0 || !result.ok) throw new ConfigError(problems, warnings);

  return {
    env: result.env,
    bot: result.bot,
    warnings,
    origins: result.origins,
    sources: {
      env: envText === undefined ? null : envFile,
      envBot: botSourcePath,
      envBotEncrypted: encrypted,
      versionFile,
      environmentKeys: Object.keys(environmentValues),
    },
  };
}

export interface EnvBasics {
  readonly envFile: string;
  readonly envText: string | undefined;
  readonly envReadError: string | undefined;
  /** Known `.env` keys set (non-empty) in the process environment. */
  readonly environmentValues: Readonly<Record<string, string>>;
  /** A `.env` key's raw value, environment first, before any validation. */
  readonly rawEnv: (key: string) => string | undefined;
  /** Absolute path of `.env_bot` as configured (its `.enc` sibling is looked for next to it). */
  readonly envBotPath: string;
}

/**
 * The `.env` text and the raw values needed before full validation (where `.env_bot` is, and the key
 * that decrypts it), with the precedence documented at the top of this file. Also used by the config CLI.
 */
export async function readEnvBasics(opts: {
  cwd: string;
  envPath?: string;
  envBotPath?: string;
  processEnv?: Readonly<Record<string, string | undefined>>;
}): Promise<EnvBasics> {
  const cwd = path.resolve(opts.cwd);
  const penv = opts.processEnv ?? process.env;
  const envFile = path.resolve(cwd, opts.envPath ?? nonEmpty(penv.ENV_PATH) ?? '.env');
  const envRead = await readOptional(envFile);
  const envText = envRead.text;
  const environmentValues: Record<string, string> = {};
  for (const key of ENV_CONFIG_KEYS) {
    const v = nonEmpty(penv[environmentNameFor(key)]);
    if (v !== undefined) environmentValues[key] = v;
  }
  const rawEnv = (key: string): string | undefined =>
    environmentValues[key] ?? (envText === undefined ? undefined : lastValue(envText, key));
  return {
    envFile,
    envText,
    envReadError: envRead.error,
    environmentValues,
    rawEnv,
    envBotPath: path.resolve(cwd, opts.envBotPath ?? rawEnv('ENV_BOT_PATH') ?? '.env_bot'),
  };
}

/** The file name as the user knows it: relative to cwd when inside it, else absolute. */
export function labelFor(cwd: string, p: string): string {
  const rel = path.relative(cwd, p);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** The last non-empty value of `key` in KEY=VALUE text, ignoring anything malformed. */
export function lastValue(text: string, key: string): string | undefined {
  const hits = parseKeyValueText(text, '').entries.filter((e) => e.key === key && e.value.trim() !== '');
  return hits.at(-1)?.value.trim();
}

async function readOptional(p: string): Promise<{ text?: string; error?: string }> {
  try {
    return { text: await readFile(p, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    return { error: code ?? (e instanceof Error ? e.message : String(e)) };
  }
}

/** The octal mode when group or others may read the file (POSIX only), else null. */
async function looseMode(p: string): Promise<string | null> {
  if (process.platform === 'win32') return null;
  try {
    const m = (await stat(p)).mode & 0o777;
    return (m & 0o077) !== 0 ? m.toString(8).padStart(3, '0') : null;
  } catch {
    return null;
  }
}
