import { randomBytes } from 'node:crypto';
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { BOT_CONFIG_KEYS } from '../../domain/config/botConfigSchema';
import { ConfigError, isConfigError } from '../../domain/config/configError';
import { ENV_CONFIG_KEYS } from '../../domain/config/envSchema';
import { formatConfigValue, parseBotConfigText } from '../../domain/config/parseConfig';
import { maskSecrets, redactText, secretValuesOf } from '../../domain/config/secrets';
import { decodeKey, decryptEnvBot, encryptEnvBot, generateKey, isEncryptedEnvBot } from '../../activities/config/envBotCrypto';
import { labelFor, loadConfig, readEnvBasics, type LoadedConfig } from '../../activities/config/loadConfig';
import { UsageError } from './args';
import { groupCommand, leafCommand, runCommandLine, type CommandIo, type Writable } from './command';
import { reportFailure } from './shared';
import { COMMAND_SUMMARIES } from './catalog';

/*
 * `config` command group. Exit codes: 0 done, 1 failed (invalid config, wrong key, refused overwrite),
 * 2 usage error. Secrets are masked in everything printed.
 */

export interface ConfigCommandIO extends CommandIo {
  /** Project folder the config files are looked up from; default TRADEBOT_HOME or the working directory. */
  readonly cwd?: string;
  /** Process environment; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function context(io: ConfigCommandIO): Ctx {
  const env = io.env ?? process.env;
  return { out: io.stdout ?? process.stdout, err: io.stderr ?? process.stderr, cwd: path.resolve(io.cwd ?? env.TRADEBOT_HOME ?? process.cwd()), env };
}

const IN_OUT = {
  in: { type: 'string', value: 'FILE', description: 'the file to read' },
  out: { type: 'string', value: 'FILE', description: 'the file to write' },
  force: { type: 'boolean', description: 'overwrite an existing file (encrypt: also an invalid .env_bot)' },
} as const;

export const configCommand = groupCommand<ConfigCommandIO>({
  name: 'config',
  summary: COMMAND_SUMMARIES.config,
  description: 'exit codes: 0 done, 1 failed (invalid config, wrong key, refused overwrite), 2 usage error',
  subcommands: [
    leafCommand(
      { name: 'validate', summary: 'check .env, .env_bot (or .env_bot.enc) and VERSION.md; prints "ok" and any warnings, or every problem (exit 1)', options: {} },
      async (_a, io: ConfigCommandIO) => validate(context(io)),
    ),
    leafCommand(
      { name: 'show', summary: 'effective values and where each came from, secrets masked', options: { json: { type: 'boolean', description: 'print them as JSON' } } },
      async ({ values }, io: ConfigCommandIO) => show(values.json === true, context(io)),
    ),
    leafCommand(
      {
        name: 'encrypt',
        summary: 'encrypt .env_bot (default: ENV_BOT_PATH or .env_bot) to FILE.enc with ENV_BOT_KEY from the environment or .env',
        options: { ...IN_OUT, in: { ...IN_OUT.in, description: 'the plain file (default: ENV_BOT_PATH or .env_bot)' }, out: { ...IN_OUT.out, description: 'the encrypted file (default: the input with .enc)' } },
      },
      async ({ values }, io: ConfigCommandIO) => encrypt(values, context(io)),
    ),
    leafCommand(
      {
        name: 'decrypt',
        summary: 'decrypt .env_bot.enc to .env_bot (or stdout with --out -); never overwrites without --force',
        options: { ...IN_OUT, in: { ...IN_OUT.in, description: 'the encrypted file (default: .env_bot.enc)' }, out: { ...IN_OUT.out, value: 'FILE|-', description: 'the plain file, or - for stdout (default: the input without .enc)' } },
      },
      async ({ values }, io: ConfigCommandIO) => decrypt(values, context(io)),
    ),
    leafCommand({ name: 'genkey', summary: 'print a new random key (base64, 32 bytes) for ENV_BOT_KEY, ENCRYPTION_KEY or TEMPORAL_PAYLOAD_KEY', options: {} }, async (_a, io: ConfigCommandIO) => {
      const ctx = context(io);
      ctx.out.write(`${generateKey()}\n`);
      ctx.err.write('put it in .env as ENV_BOT_KEY=... (or ENCRYPTION_KEY=...); keep it out of git\n');
      return 0;
    }),
  ],
});

/** `argv` is what follows `config` on the command line (a leading `config` is tolerated). */
export async function runConfigCommand(argv: string[], io: ConfigCommandIO = {}): Promise<number> {
  const err = io.stderr ?? process.stderr;
  try {
    return await runCommandLine(configCommand, argv[0] === 'config' ? argv.slice(1) : argv, io, '');
  } catch (e) {
    if (isConfigError(e)) {
      writeProblems(err, e);
      return 1;
    }
    if (e instanceof UsageError) return reportFailure(e, err);
    err.write(`config: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

interface Ctx {
  readonly out: Writable;
  readonly err: Writable;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

interface FileFlags {
  readonly in?: string;
  readonly out?: string;
  readonly force?: boolean;
}

function writeProblems(err: Writable, e: ConfigError): void {
  for (const w of e.warnings) err.write(`warning: ${w}\n`);
  err.write(`${e.problems.length === 1 ? 'problem' : `${e.problems.length} problems`}:\n`);
  for (const p of e.problems) err.write(`  ${p}\n`);
}

async function validate(ctx: Ctx): Promise<number> {
  const loaded = await loadConfig({ cwd: ctx.cwd, processEnv: ctx.env });
  const say = safeWriter(ctx.out, loaded);
  say('ok\n');
  say(sourcesLine(ctx.cwd, loaded));
  for (const w of loaded.warnings) say(`warning: ${w}\n`);
  return 0;
}

async function show(json: boolean, ctx: Ctx): Promise<number> {
  const loaded = await loadConfig({ cwd: ctx.cwd, processEnv: ctx.env });
  const say = safeWriter(ctx.out, loaded);
  const env = maskSecrets(loaded.env);
  if (json) {
    say(`${JSON.stringify({ env, bot: loaded.bot, origins: loaded.origins, sources: loaded.sources, warnings: loaded.warnings }, null, 2)}\n`);
    return 0;
  }
  say(sourcesLine(ctx.cwd, loaded));
  const rows = (keys: readonly string[], values: Readonly<Record<string, unknown>>, origins: Readonly<Record<string, string>>) => {
    const lines = keys.map((k) => [`${k}=${formatConfigValue(k, values[k])}`, origins[k] ?? 'default'] as const);
    const width = Math.min(60, Math.max(...lines.map(([l]) => l.length)));
    return lines.map(([l, o]) => `${l.padEnd(width)}  # ${o}\n`).join('');
  };
  say(`# .env\n${rows(ENV_CONFIG_KEYS, env, loaded.origins.env)}`);
  say(`\n# .env_bot\n${rows(BOT_CONFIG_KEYS, loaded.bot, loaded.origins.bot)}`);
  for (const w of loaded.warnings) ctx.err.write(`warning: ${redactText(w, secretValuesOf(loaded.env))}\n`);
  return 0;
}

/** Defence in depth: whatever is printed is scrubbed of every known secret value. */
function safeWriter(w: Writable, loaded: LoadedConfig): (s: string) => void {
  const secrets = secretValuesOf(loaded.env);
  return (s) => void w.write(redactText(s, secrets));
}

function sourcesLine(cwd: string, loaded: LoadedConfig): string {
  const s = loaded.sources;
  const parts = [
    `.env: ${s.env === null ? 'none (defaults)' : labelFor(cwd, s.env)}`,
    `.env_bot: ${s.envBot === null ? 'none (defaults, TEST_MODE=true)' : `${labelFor(cwd, s.envBot)}${s.envBotEncrypted ? ' (encrypted)' : ''}`}`,
    `version: ${labelFor(cwd, s.versionFile)}`,
  ];
  if (s.environmentKeys.length > 0) parts.push(`from the environment: ${s.environmentKeys.join(', ')}`);
  return `# ${parts.join('; ')}\n`;
}

async function envBotKey(ctx: Ctx): Promise<{ key: Buffer; keyB64: string; botPath: string }> {
  const basics = await readEnvBasics({ cwd: ctx.cwd, processEnv: ctx.env });
  const keyB64 = basics.rawEnv('ENV_BOT_KEY');
  if (keyB64 === undefined) {
    throw new ConfigError('ENV_BOT_KEY is not set (in .env or the environment); create one with `config genkey`');
  }
  return { key: decodeKey(keyB64), keyB64, botPath: basics.envBotPath };
}

async function encrypt(flags: FileFlags, ctx: Ctx): Promise<number> {
  const { keyB64, botPath } = await envBotKey(ctx);
  const inPath = path.resolve(ctx.cwd, flags.in ?? (botPath.endsWith('.enc') ? botPath.slice(0, -4) : botPath));
  const outPath = path.resolve(ctx.cwd, flags.out ?? `${inPath}.enc`);
  const inLabel = labelFor(ctx.cwd, inPath);
  const outLabel = labelFor(ctx.cwd, outPath);
  if (inPath === outPath) throw new UsageError('--in and --out are the same file');
  const text = await readText(inPath, inLabel);
  if (isEncryptedEnvBot(text)) throw new ConfigError(`${inLabel} is already encrypted`);
  const check = parseBotConfigText(text, inLabel);
  if (!check.ok) {
    if (flags.force !== true) {
      throw new ConfigError([...check.problems, `not encrypting an invalid ${inLabel} (fix it, or use --force)`], check.warnings);
    }
    for (const p of check.problems) ctx.err.write(`warning: ${p}\n`);
  }
  await writeNew(outPath, outLabel, encryptEnvBot(text, keyB64), flags.force === true);
  ctx.out.write(`encrypted ${inLabel} -> ${outLabel}\n`);
  ctx.err.write(`delete ${inLabel} so that ${outLabel} is the copy the bot reads (the plain file wins when both exist)\n`);
  return 0;
}

async function decrypt(flags: FileFlags, ctx: Ctx): Promise<number> {
  const { keyB64, botPath } = await envBotKey(ctx);
  const defaultIn = botPath.endsWith('.enc') ? botPath : `${botPath}.enc`;
  const inPath = path.resolve(ctx.cwd, flags.in ?? defaultIn);
  const inLabel = labelFor(ctx.cwd, inPath);
  const plain = decryptEnvBot(await readText(inPath, inLabel), keyB64, inLabel);
  const outFlag = flags.out;
  if (outFlag === '-') {
    ctx.out.write(plain);
    return 0;
  }
  const outPath = path.resolve(ctx.cwd, outFlag ?? (inPath.endsWith('.enc') ? inPath.slice(0, -4) : `${inPath}.dec`));
  if (outPath === inPath) throw new UsageError('--in and --out are the same file');
  const outLabel = labelFor(ctx.cwd, outPath);
  await writeNew(outPath, outLabel, plain, flags.force === true);
  ctx.out.write(`decrypted ${inLabel} -> ${outLabel}\n`);
  return 0;
}

async function readText(p: string, label: string): Promise<string> {
  try {
    return await readFile(p, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${label}: ${code === 'ENOENT' ? 'not found' : `cannot read: ${code ?? String(e)}`}`);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Writes owner-only, through a temporary file and a rename, so a crash never leaves half a file. */
async function writeNew(p: string, label: string, content: string, force: boolean): Promise<void> {
  if (!force && (await exists(p))) throw new ConfigError(`${label} exists; refusing to overwrite it (use --force)`);
  const tmp = path.join(path.dirname(p), `.${path.basename(p)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
    await rename(tmp, p);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

if (require.main === module) {
  // `config show | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  runConfigCommand(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    },
  );
}
