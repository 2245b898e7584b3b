import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, labelFor, loadConfig, type LoadedConfig } from '../activities/config/loadConfig';
import { writeFileAtomic } from '../activities/outputs/atomicFile';
import { BOT_CONFIG_KEYS } from '../domain/config/botConfigSchema';
import { ENV_CONFIG_KEYS } from '../domain/config/envSchema';
import { formatConfigValue } from '../domain/config/parseConfig';
import { isSecretName, maskSecrets, redactText, secretValuesOf } from '../domain/config/secrets';

/*
 * The settings page: the effective configuration with every secret masked, and (when controls are on)
 * editing one `.env_bot` key at a time. An edit is validated exactly as a start validates: the whole
 * candidate file goes through loadConfig (the same zod schemas, the same cross-file checks, the same
 * environment overrides), and only a valid file replaces the old one, by write-then-rename.
 */

export interface SettingRow {
  readonly key: string;
  readonly value: string;
  readonly origin: string;
}

export function settingRows(config: LoadedConfig): { env: SettingRow[]; bot: SettingRow[] } {
  const env = maskSecrets(config.env) as Record<string, unknown>;
  const bot = maskSecrets(config.bot) as Record<string, unknown>;
  const row = (origins: Readonly<Record<string, string>>, values: Record<string, unknown>) => (key: string) => ({
    key,
    value: formatConfigValue(key, values[key]),
    origin: origins[key] ?? 'default',
  });
  return {
    env: ENV_CONFIG_KEYS.map(row(config.origins.env, env)),
    bot: BOT_CONFIG_KEYS.map(row(config.origins.bot, bot)),
  };
}

/** Where `.env_bot` is, and whether the dashboard may edit it (not when it is encrypted). */
export function envBotTarget(config: LoadedConfig, projectDir: string): { file: string; editable: boolean; why: string | null } {
  if (config.sources.envBotEncrypted) {
    return { file: config.sources.envBot ?? '', editable: false, why: '.env_bot is encrypted: edit it with config decrypt / encrypt' };
  }
  const file = config.sources.envBot ?? path.resolve(projectDir, config.env.ENV_BOT_PATH);
  return { file, editable: true, why: null };
}

/** Fingerprint of the file as the form saw it, so an edit never overwrites a change made meanwhile. */
export function fileVersion(file: string): string {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // A missing file is version "empty": the first edit creates it.
  }
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export type EditResult =
  | { readonly ok: true; readonly config: LoadedConfig; readonly key: string; readonly from: string; readonly to: string }
  | { readonly ok: false; readonly problems: readonly string[] };

/** `KEY=value` as the config parser reads it back unchanged (quoted when it would be cut or unquoted). */
export function formatLine(key: string, value: string): string {
  const needsQuotes = /\s#/.test(value) || /^["']/.test(value) || value !== value.trim();
  return needsQuotes ? `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `${key}=${value}`;
}

/** `text` with every line that sets `key` replaced by the new value, or the key appended. */
export function setKeyInText(text: string, key: string, value: string): string {
  const re = new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=`);
  const lines = text === '' ? [] : text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let found = false;
  const out = lines.map((l) => {
    if (!re.test(l)) return l;
    found = true;
    return formatLine(key, value);
  });
  if (!found) out.push(formatLine(key, value));
  return `${out.join('\n')}\n`;
}

export async function editBotSetting(opts: {
  readonly config: LoadedConfig;
  readonly projectDir: string;
  readonly key: string;
  readonly value: string;
  readonly version: string;
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
}): Promise<EditResult> {
  const { config, projectDir, key } = opts;
  const value = opts.value.trim();
  if (!(BOT_CONFIG_KEYS as readonly string[]).includes(key)) return { ok: false, problems: [`${key} is not a .env_bot key`] };
  if (/[\u0000-\u001f\u007f]/.test(value) || value.length > 1000) {
    return { ok: false, problems: [`${key}: the value must be one line of at most 1000 characters`] };
  }
  const target = envBotTarget(config, projectDir);
  if (!target.editable) return { ok: false, problems: [target.why ?? '.env_bot cannot be edited here'] };
  if (fileVersion(target.file) !== opts.version) {
    return { ok: false, problems: ['.env_bot changed since this page was loaded; reload the page and try again'] };
  }
  let before = '';
  let mode: number | null = null;
  try {
    before = fs.readFileSync(target.file, 'utf8');
    mode = fs.statSync(target.file).mode & 0o777;
  } catch {
    // No .env_bot yet: the edit creates one.
  }
  const text = setKeyInText(before, key, value);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-settings-'));
  const candidate = path.join(dir, path.basename(target.file));
  try {
    fs.writeFileSync(candidate, text, { mode: 0o600 });
    const loaded = await loadConfig({
      cwd: projectDir,
      envPath: config.sources.env ?? undefined,
      envBotPath: candidate,
      versionFile: config.sources.versionFile,
      processEnv: opts.processEnv,
    });
    writeFileAtomic(target.file, text);
    if (mode !== null) fs.chmodSync(target.file, mode);
    // The reloaded config names the real file, not the candidate.
    const cfg: LoadedConfig = { ...loaded, sources: { ...loaded.sources, envBot: target.file } };
    const shown = (v: unknown) => (isSecretName(key) ? '<hidden>' : formatConfigValue(key, v));
    return { ok: true, config: cfg, key, from: shown(config.bot[key as keyof typeof config.bot]), to: shown(cfg.bot[key as keyof typeof cfg.bot]) };
  } catch (err) {
    if (err instanceof ConfigError) {
      const realLabel = labelFor(projectDir, target.file);
      const secrets = secretValuesOf(config.env);
      return { ok: false, problems: err.problems.map((p) => redactText(p.split(candidate).join(realLabel), secrets)) };
    }
    throw err;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
