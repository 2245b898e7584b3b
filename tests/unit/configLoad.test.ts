import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../activities/config/loadConfig';
import { encryptEnvBot, generateKey } from '../../activities/config/envBotCrypto';

const VERSION_MD = readFileSync(path.resolve(__dirname, '..', '..', 'VERSION.md'), 'utf8');

/** A temp working directory with VERSION.md and the given files (mode 600 unless stated). */
function workdir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tradebot-config-'));
  writeFileSync(path.join(dir, 'VERSION.md'), VERSION_MD);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  }
  return dir;
}

async function problemsOf(p: Promise<unknown>): Promise<readonly string[]> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.ok(e.problems.every((x) => e.message.includes(x)), 'the message lists every problem');
    return e.problems;
  }
  return assert.fail('expected a ConfigError');
}

void test('no files at all: every default, TEST_MODE=true, and a warning saying so', async () => {
  const cwd = workdir();
  const c = await loadConfig({ cwd, processEnv: {} });
  assert.equal(c.bot.TEST_MODE, true);
  assert.equal(c.env.TEMPORAL_ADDRESS, '127.0.0.1:7233');
  assert.equal(c.sources.env, null);
  assert.equal(c.sources.envBot, null);
  assert.deepEqual(c.warnings, ['.env_bot: not found (nor .env_bot.enc); using defaults, so TEST_MODE=true']);
});

void test('reads .env and .env_bot; values typed; sources and origins reported', async () => {
  const cwd = workdir({ '.env': 'LOCAL_PORT=9000\nTEMPORAL_NAMESPACE=prod.abc12\n', '.env_bot': 'MAX_TRADES=2\nWEIGHTS=0.6,0.4\n' });
  const c = await loadConfig({ cwd, processEnv: {} });
  assert.equal(c.env.LOCAL_PORT, 9000);
  assert.equal(c.env.TEMPORAL_NAMESPACE, 'prod.abc12');
  assert.deepEqual(c.bot.WEIGHTS, [0.6, 0.4]);
  assert.equal(c.sources.env, path.join(cwd, '.env'));
  assert.equal(c.sources.envBot, path.join(cwd, '.env_bot'));
  assert.equal(c.origins.env.LOCAL_PORT, '.env');
  assert.equal(c.origins.bot.MAX_TRADES, '.env_bot');
  assert.equal(c.origins.bot.TEST_MODE, 'default');
  assert.deepEqual(c.warnings, []);
});

void test('process environment overrides .env; empty values are ignored; USERNAME only via TRADEBOT_USERNAME', async () => {
  const cwd = workdir({ '.env': 'LOCAL_PORT=9000\nUSERNAME=fromfile\nSMTP_PORT=2525\n' });
  const c = await loadConfig({
    cwd,
    processEnv: { LOCAL_PORT: '9100', SMTP_PORT: '  ', USERNAME: 'os-user', PATH: '/bin', MAX_TRADES: '7' },
  });
  assert.equal(c.env.LOCAL_PORT, 9100);
  assert.equal(c.origins.env.LOCAL_PORT, 'environment');
  assert.equal(c.env.SMTP_PORT, 2525);
  assert.equal(c.env.USERNAME, 'fromfile');
  assert.equal(c.bot.MAX_TRADES, 4, '.env_bot keys are not read from the environment');
  assert.deepEqual(c.sources.environmentKeys, ['LOCAL_PORT']);
  const d = await loadConfig({ cwd, processEnv: { TRADEBOT_USERNAME: 'ops' } });
  assert.equal(d.env.USERNAME, 'ops');
  await assert.rejects(loadConfig({ cwd, processEnv: { LOCAL_PORT: 'x' } }), (e: unknown) =>
    e instanceof ConfigError && e.problems.includes('environment: LOCAL_PORT=x is invalid (allowed: a port number from 1 to 65535)'),
  );
});

void test('ENV_PATH and ENV_BOT_PATH move the files; options win over both', async () => {
  const cwd = workdir({ 'conf/main.env': 'ENV_BOT_PATH=conf/bot.cfg\n', 'conf/bot.cfg': 'MAX_TRADES=1\nWEIGHTS=1\n', 'other.cfg': 'MAX_TRADES=3\nWEIGHTS=0.4,0.3,0.3\n' });
  const c = await loadConfig({ cwd, processEnv: { ENV_PATH: 'conf/main.env' } });
  assert.equal(c.bot.MAX_TRADES, 1);
  assert.equal(c.origins.bot.MAX_TRADES, 'conf/bot.cfg');
  const d = await loadConfig({ cwd, processEnv: { ENV_PATH: 'conf/main.env', ENV_BOT_PATH: 'other.cfg' } });
  assert.equal(d.bot.MAX_TRADES, 3);
  const e = await loadConfig({ cwd, envPath: path.join(cwd, 'conf/main.env'), envBotPath: 'other.cfg', processEnv: {} });
  assert.equal(e.bot.MAX_TRADES, 3);
});

void test('.env_bot.enc is decrypted in memory with ENV_BOT_KEY', async () => {
  const key = generateKey();
  const cwd = workdir({ '.env': `ENV_BOT_KEY=${key}\n`, '.env_bot.enc': encryptEnvBot('MAX_TRADES=1\nWEIGHTS=1\n', key) });
  const c = await loadConfig({ cwd, processEnv: {} });
  assert.equal(c.bot.MAX_TRADES, 1);
  assert.equal(c.sources.envBotEncrypted, true);
  assert.equal(c.sources.envBot, path.join(cwd, '.env_bot.enc'));
  assert.equal(c.origins.bot.MAX_TRADES, '.env_bot.enc');
  // The key may come from the environment instead of .env.
  const cwd2 = workdir({ '.env_bot.enc': encryptEnvBot('MAX_TRADES=1\nWEIGHTS=1\n', key) });
  assert.equal((await loadConfig({ cwd: cwd2, processEnv: { ENV_BOT_KEY: key } })).bot.MAX_TRADES, 1);
});

void test('an invalid decrypted .env_bot is reported against .env_bot.enc', async () => {
  const key = generateKey();
  const cwd = workdir({ '.env': `ENV_BOT_KEY=${key}\n`, '.env_bot.enc': encryptEnvBot('MAX_TRADES=abc\n', key) });
  assert.deepEqual(await problemsOf(loadConfig({ cwd, processEnv: {} })), [
    '.env_bot.enc: MAX_TRADES=abc is invalid (allowed: an integer from 1 to 20)',
  ]);
});

void test('.env_bot.enc with a wrong key, a modified file, or no key: clear errors', async () => {
  const key = generateKey();
  const enc = encryptEnvBot('MAX_TRADES=4\n', key);
  const wrong = workdir({ '.env': `ENV_BOT_KEY=${generateKey()}\n`, '.env_bot.enc': enc });
  assert.deepEqual(await problemsOf(loadConfig({ cwd: wrong, processEnv: {} })), [
    'cannot decrypt .env_bot.enc: wrong ENV_BOT_KEY or the file was modified',
  ]);
  const modified = workdir({ '.env': `ENV_BOT_KEY=${key}\n`, '.env_bot.enc': enc.replace(/.(\n?)$/, (m, nl: string) => (m[0] === 'A' ? 'B' : 'A') + nl) });
  assert.deepEqual(await problemsOf(loadConfig({ cwd: modified, processEnv: {} })), [
    'cannot decrypt .env_bot.enc: wrong ENV_BOT_KEY or the file was modified',
  ]);
  const nokey = workdir({ '.env_bot.enc': enc });
  assert.deepEqual(await problemsOf(loadConfig({ cwd: nokey, processEnv: {} })), [
    '.env: ENV_BOT_KEY is missing (required to decrypt .env_bot.enc; set it in .env or the environment)',
  ]);
  const badkey = workdir({ '.env': 'ENV_BOT_KEY=FAKE-bad-key-0d9c\n', '.env_bot.enc': enc });
  const p = await problemsOf(loadConfig({ cwd: badkey, processEnv: {} }));
  assert.equal(p.length, 1);
  assert.match(p[0] ?? '', /^\.env: ENV_BOT_KEY=<hidden> is invalid/);
  assert.ok(!p.join('\n').includes('FAKE-bad-key-0d9c'));
});

void test('ENV_BOT_PATH pointing at an encrypted file decrypts it; plain and .enc together: plain wins with a warning', async () => {
  const key = generateKey();
  const cwd = workdir({ '.env': `ENV_BOT_KEY=${key}\nENV_BOT_PATH=secret.cfg\n`, 'secret.cfg': encryptEnvBot('MAX_TRADES=1\nWEIGHTS=1\n', key) });
  const c = await loadConfig({ cwd, processEnv: {} });
  assert.equal(c.bot.MAX_TRADES, 1);
  assert.equal(c.sources.envBotEncrypted, true);
  const both = workdir({ '.env': `ENV_BOT_KEY=${key}\n`, '.env_bot': 'MAX_TRADES=2\nWEIGHTS=0.5,0.5\n', '.env_bot.enc': encryptEnvBot('MAX_TRADES=1\nWEIGHTS=1\n', key) });
  const d = await loadConfig({ cwd: both, processEnv: {} });
  assert.equal(d.bot.MAX_TRADES, 2);
  assert.match(d.warnings.join('\n'), /both \.env_bot and \.env_bot\.enc exist; using the plain file/);
});

void test('VERSION_TAG must equal VERSION.md; a missing VERSION.md is refused', async () => {
  const cwd = workdir({ '.env_bot': 'VERSION_TAG=v0.9.0\n' });
  assert.deepEqual(await problemsOf(loadConfig({ cwd, processEnv: {} })), [
    '.env_bot: VERSION_TAG=v0.9.0 is invalid (allowed: v1.0.0, the tag in VERSION.md; the bot refuses to start when they differ)',
  ]);
  const other = workdir({ 'V.md': '# TradeBot v2.0.0\n' });
  assert.deepEqual(await problemsOf(loadConfig({ cwd: other, versionFile: 'V.md', processEnv: {} })), [
    '.env_bot: VERSION_TAG=v1.0.0 (default) is invalid (allowed: v2.0.0, the tag in V.md; the bot refuses to start when they differ)',
  ]);
  assert.deepEqual(await problemsOf(loadConfig({ cwd: other, versionFile: 'missing.md', processEnv: {} })), [
    'missing.md: not found (required: VERSION_TAG is checked against it)',
  ]);
});

void test('the repository VERSION.md carries the default VERSION_TAG', () => {
  assert.match(VERSION_MD.split('\n')[0] ?? '', /^# TradeBot v1\.0\.0$/);
});

void test('every problem of every file at once', async () => {
  const cwd = workdir({ '.env': 'LOCAL_PORT=0\nSMTP_PASS=FAKE-smtp-3b7e\nSMTP_PORT=x\n', '.env_bot': 'MAX_TRADES=abc\nVERSION_TAG=v3.0.0\nALPACA_ENABLED=false\n' });
  const p = await problemsOf(loadConfig({ cwd, processEnv: {} }));
  assert.deepEqual([...p].sort(), [
    '.env: LOCAL_PORT=0 is invalid (allowed: a port number from 1 to 65535)',
    '.env: SMTP_PORT=x is invalid (allowed: a port number from 1 to 65535)',
    '.env_bot: MAX_TRADES=abc is invalid (allowed: an integer from 1 to 20)',
    '.env_bot: VERSION_TAG=v3.0.0 is invalid (allowed: v1.0.0, the tag in VERSION.md; the bot refuses to start when they differ)',
    '.env_bot: no broker enabled; supported: alpaca, ibkr (set ALPACA_ENABLED=true or IBKR_ENABLED=true)',
  ].sort());
});

void test('backtest overrides (--set) and the credential switch', async () => {
  const cwd = workdir({ '.env_bot': 'TEST_MODE=false\nALPACA_MODE=live\n' });
  const p = await problemsOf(loadConfig({ cwd, processEnv: {} }));
  assert.equal(p.length, 2);
  assert.match(p[0] ?? '', /ALPACA_LIVE_API_KEY is missing/);
  const c = await loadConfig({ cwd, processEnv: {}, checkCredentials: false, botOverrides: { MAX_TRADES: '1', WEIGHTS: '1' } });
  assert.equal(c.bot.MAX_TRADES, 1);
  assert.equal(c.origins.bot.MAX_TRADES, '--set');
  assert.deepEqual(await problemsOf(loadConfig({ cwd, processEnv: {}, checkCredentials: false, botOverrides: { STRAT_X: '1' } })), [
    '--set: unknown .env_bot key STRAT_X',
  ]);
});

void test('a .env readable by others gets a chmod warning; unreadable paths are problems', async () => {
  const cwd = workdir({ '.env': 'LOCAL_PORT=9000\n' });
  chmodSync(path.join(cwd, '.env'), 0o644);
  const c = await loadConfig({ cwd, processEnv: {} });
  assert.ok(c.warnings.includes('.env: readable by other users (mode 644); run chmod 600 .env'));
  mkdirSync(path.join(cwd, 'adir'));
  const p = await problemsOf(loadConfig({ cwd, envBotPath: 'adir', processEnv: {} }));
  assert.deepEqual(p, ['adir: cannot read: EISDIR']);
});
