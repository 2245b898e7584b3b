import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runConfigCommand } from '../../scripts/commands/config';
import { generateKey, isEncryptedEnvBot } from '../../activities/config/envBotCrypto';

const VERSION_MD = readFileSync(path.resolve(__dirname, '..', '..', 'VERSION.md'), 'utf8');

// Distinctive fake secrets: none may ever appear in anything the CLI prints.
const FAKE_SECRETS = {
  FINNHUB_API_KEY: 'FAKEfinnhub-4d1c9a',
  ALPACA_PAPER_API_KEY: 'FAKEpaperid-77aa01',
  ALPACA_PAPER_SECRET_KEY: 'FAKEpapersecret-9e0b3c',
  ALPACA_LIVE_API_KEY: 'FAKEliveid-51f7de',
  ALPACA_LIVE_SECRET_KEY: 'FAKElivesecret-c0ffee',
  IBKR_PAPER_ACCOUNT_NUMBER: 'DU7777123',
  IBKR_LIVE_ACCOUNT_NUMBER: 'U8888456',
  SMTP_PASS: 'FAKEsmtp-pass-2b2b',
  PASSWORD_HASH: '$scrypt$FAKEhash-1a2b3c',
  MANAGER_API_TOKEN: 'FAKEmanager-token-6f6f',
  TEMPORAL_API_KEY: 'FAKEtemporal-key-0a0a',
};

class Capture {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

async function run(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runConfigCommand(args, { cwd, env, stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}

function workdir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tradebot-cli-'));
  writeFileSync(path.join(dir, 'VERSION.md'), VERSION_MD);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  return dir;
}

function envWithSecrets(extra = '', envBotKey: string = generateKey()): string {
  const keys = { ...FAKE_SECRETS, ENV_BOT_KEY: envBotKey, ENCRYPTION_KEY: generateKey() };
  return `${Object.entries(keys).map(([k, v]) => `${k}=${v}`).join('\n')}\nMANAGER_API_URL=https://manager.example.com/api2\n${extra}`;
}

function assertNoSecrets(text: string, extra: readonly string[] = []): void {
  for (const s of [...Object.values(FAKE_SECRETS), ...extra]) assert.ok(!text.includes(s), `secret ${s} printed:\n${text}`);
}

void test('genkey prints one base64 32-byte key on stdout', async () => {
  const r = await run(workdir(), ['genkey']);
  assert.equal(r.code, 0);
  const key = r.out.trim();
  assert.equal(Buffer.from(key, 'base64').length, 32);
  assert.equal(r.out, `${key}\n`);
});

void test('validate: ok with warnings; every problem and exit 1 otherwise', async () => {
  const good = await run(workdir({ '.env_bot': 'MAX_TRADES=4\nFOO=1\n' }), ['validate']);
  assert.equal(good.code, 0);
  assert.match(good.out, /^ok\n/);
  assert.match(good.out, /warning: \.env_bot: line 2: unknown key FOO \(ignored\)/);

  const bad = await run(workdir({ '.env_bot': 'MAX_TRADES=abc\nTEST_MODE=maybe\n' }), ['validate']);
  assert.equal(bad.code, 1);
  assert.equal(bad.out, '');
  assert.match(bad.err, /2 problems:/);
  assert.match(bad.err, /\.env_bot: MAX_TRADES=abc is invalid \(allowed: an integer from 1 to 20\)/);
  assert.match(bad.err, /\.env_bot: TEST_MODE=maybe is invalid \(allowed: true or false\)/);
});

void test('validate and show never print a secret, whether the config is valid or not', async () => {
  const valid = workdir({ '.env': envWithSecrets() });
  const ok = await run(valid, ['validate']);
  assert.equal(ok.code, 0, ok.err);
  assertNoSecrets(ok.out + ok.err);

  const show = await run(valid, ['show']);
  assert.equal(show.code, 0, show.err);
  assertNoSecrets(show.out + show.err);
  assert.match(show.out, /^ALPACA_LIVE_SECRET_KEY=<hidden>\s+# \.env$/m);
  assert.match(show.out, /^ENV_BOT_KEY=<hidden>\s+# \.env$/m);
  assert.match(show.out, /^MAX_TRADES=4\s+# default$/m);
  assert.match(show.out, /^SLEEP_TIME=1000ms\s+# default$/m);

  const json = await run(valid, ['show', '--json']);
  assert.equal(json.code, 0);
  assertNoSecrets(json.out + json.err);
  const parsed = JSON.parse(json.out) as { env: Record<string, unknown>; bot: Record<string, unknown> };
  assert.equal(parsed.env.SMTP_PASS, '<hidden>');
  assert.equal(parsed.bot.MAX_TRADES, 4);

  // Invalid: secrets in malformed lines and invalid secret values stay hidden too.
  const invalid = workdir({
    '.env': envWithSecrets('FAKElivesecret-c0ffee\nALPACA_LIVE_SECRET_KEY FAKElivesecret-c0ffee\nLOCAL_PORT=abc\n', 'FAKEbadkey-0e0e'),
  });
  for (const cmd of [['validate'], ['show'], ['show', '--json']]) {
    const r = await run(invalid, cmd);
    assert.equal(r.code, 1);
    assertNoSecrets(r.out + r.err, ['FAKEbadkey-0e0e']);
    assert.match(r.err, /ENV_BOT_KEY=<hidden> is invalid/);
    assert.match(r.err, /LOCAL_PORT=abc is invalid/);
  }
});

void test('encrypt then decrypt round trip; files are owner-only; key from .env or the environment', async () => {
  const key = generateKey();
  const botText = 'MAX_TRADES=2\nWEIGHTS=0.6,0.4\n';
  const cwd = workdir({ '.env': `ENV_BOT_KEY=${key}\n`, '.env_bot': botText });
  const enc = await run(cwd, ['encrypt']);
  assert.equal(enc.code, 0, enc.err);
  assert.equal(enc.out, 'encrypted .env_bot -> .env_bot.enc\n');
  const encText = readFileSync(path.join(cwd, '.env_bot.enc'), 'utf8');
  assert.ok(isEncryptedEnvBot(encText));
  assert.ok(!encText.includes('MAX_TRADES'));
  assert.equal(statSync(path.join(cwd, '.env_bot.enc')).mode & 0o777, 0o600);
  assert.ok(!enc.out.includes(key) && !enc.err.includes(key));

  // Refuses to overwrite the plain file without --force.
  const refused = await run(cwd, ['decrypt']);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /\.env_bot exists; refusing to overwrite it \(use --force\)/);
  assert.equal(readFileSync(path.join(cwd, '.env_bot'), 'utf8'), botText);

  const toStdout = await run(cwd, ['decrypt', '--out', '-']);
  assert.equal(toStdout.code, 0);
  assert.equal(toStdout.out, botText);

  const other = await run(cwd, ['decrypt', '--out=restored.env_bot']);
  assert.equal(other.code, 0, other.err);
  assert.equal(readFileSync(path.join(cwd, 'restored.env_bot'), 'utf8'), botText);
  assert.equal(statSync(path.join(cwd, 'restored.env_bot')).mode & 0o777, 0o600);

  const forced = await run(cwd, ['decrypt', '--force']);
  assert.equal(forced.code, 0, forced.err);

  // The key can come from the environment alone.
  const cwd2 = workdir({ 'bot.cfg': botText });
  const e2 = await run(cwd2, ['encrypt', '--in', 'bot.cfg', '--out', 'bot.cfg.enc'], { ENV_BOT_KEY: key });
  assert.equal(e2.code, 0, e2.err);
  const d2 = await run(cwd2, ['decrypt', '--in', 'bot.cfg.enc', '--out', '-'], { ENV_BOT_KEY: key });
  assert.equal(d2.out, botText);
});

void test('the encrypted file is what loadConfig then reads once the plain file is gone', async () => {
  const key = generateKey();
  const cwd = workdir({ '.env': `ENV_BOT_KEY=${key}\n`, 'plain.txt': 'MAX_TRADES=1\nWEIGHTS=1\n' });
  assert.equal((await run(cwd, ['encrypt', '--in', 'plain.txt', '--out', '.env_bot.enc'])).code, 0);
  const show = await run(cwd, ['show']);
  assert.equal(show.code, 0, show.err);
  assert.match(show.out, /\.env_bot: \.env_bot\.enc \(encrypted\)/);
  assert.match(show.out, /^MAX_TRADES=1\s+# \.env_bot\.enc$/m);
});

void test('decrypt with a wrong key, a tampered file, or no key fails clearly', async () => {
  const key = generateKey();
  const cwd = workdir({ '.env': `ENV_BOT_KEY=${key}\n`, '.env_bot': 'MAX_TRADES=4\n' });
  assert.equal((await run(cwd, ['encrypt'])).code, 0);
  const wrong = await run(cwd, ['decrypt', '--out', '-'], { ENV_BOT_KEY: generateKey() });
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /cannot decrypt \.env_bot\.enc: wrong ENV_BOT_KEY or the file was modified/);
  assert.equal(wrong.out, '');

  const encPath = path.join(cwd, '.env_bot.enc');
  const t = readFileSync(encPath, 'utf8');
  writeFileSync(encPath, t.slice(0, 20) + (t[20] === 'A' ? 'B' : 'A') + t.slice(21));
  const tampered = await run(cwd, ['decrypt', '--out', '-']);
  assert.equal(tampered.code, 1);
  assert.match(tampered.err, /wrong ENV_BOT_KEY or the file was modified/);

  const nokey = await run(workdir({ '.env_bot': 'MAX_TRADES=4\n' }), ['encrypt']);
  assert.equal(nokey.code, 1);
  assert.match(nokey.err, /ENV_BOT_KEY is not set/);
});

void test('encrypt refuses an invalid .env_bot (unless --force), an encrypted input, and an existing output', async () => {
  const key = generateKey();
  const cwd = workdir({ '.env': `ENV_BOT_KEY=${key}\n`, '.env_bot': 'MAX_TRADES=abc\n' });
  const r = await run(cwd, ['encrypt']);
  assert.equal(r.code, 1);
  assert.match(r.err, /MAX_TRADES=abc is invalid/);
  assert.match(r.err, /not encrypting an invalid \.env_bot/);
  assert.ok(!existsSync(path.join(cwd, '.env_bot.enc')));
  assert.equal((await run(cwd, ['encrypt', '--force'])).code, 0);
  writeFileSync(path.join(cwd, '.env_bot'), 'MAX_TRADES=4\n');
  const again = await run(cwd, ['encrypt']);
  assert.equal(again.code, 1);
  assert.match(again.err, /\.env_bot\.enc exists; refusing to overwrite it/);
  const encIn = await run(cwd, ['encrypt', '--in', '.env_bot.enc', '--out', 'x.enc']);
  assert.equal(encIn.code, 1);
  assert.match(encIn.err, /already encrypted/);
});

void test('usage errors exit 2 with the usage text', async () => {
  const cwd = workdir();
  for (const args of [[], ['nope'], ['validate', '--bogus'], ['encrypt', '--in'], ['decrypt', '--out='], ['genkey', 'extra']]) {
    const r = await run(cwd, args);
    assert.equal(r.code, 2, `args ${JSON.stringify(args)}`);
    assert.match(r.err, /usage: config <command>/);
  }
  const help = await run(cwd, ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /usage: config <command>/);
  // A leading "config" (as the top-level CLI passes it) is accepted.
  assert.equal((await run(cwd, ['config', 'validate'])).code, 0);
});
