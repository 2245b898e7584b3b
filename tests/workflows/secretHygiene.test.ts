import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import * as tar from 'tar';
import { decryptFile } from '../../activities/backup/archive';
import { REPO_ROOT, tempOutputDir } from '../helpers/tradingDayHarness';
import { ISOLATED_NAMESPACE, testServerAddress, uniqueTaskQueue } from '../helpers/temporalTestServer';

/**
 * Secret hygiene (issue 9): distinctive fake secrets in `.env`, then a TEST_MODE day that completes, a
 * day that fails (the broker rejects the keys), a configuration that fails, a backup and the config
 * tools, all through the real CLI. No file under output/ or backups/ (inside the archives too, decrypted),
 * nothing printed, and nothing in the days' Temporal histories may contain any of the secrets.
 * The values are fake and exist only in this test.
 */

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

const SECRETS = {
  FINNHUB_API_KEY: 'FAKEfinnhubKey7Qx31W',
  ALPACA_PAPER_API_KEY: 'PKFAKEpaperId5Kq90',
  ALPACA_PAPER_SECRET_KEY: 'FAKEpaperSecret8Zr2Lm',
  ALPACA_LIVE_API_KEY: 'AKFAKEliveId4Jt77',
  ALPACA_LIVE_SECRET_KEY: 'FAKEliveSecret6Yv3Pq',
  SMTP_PASS: 'FAKEsmtpPassW0rd4Lm',
  MANAGER_API_TOKEN: 'FAKEmanagerToken9Vb1',
  PASSWORD_HASH: '$2b$10$FAKEpwHashAbcdefghijklmnopqrstuvwxyz0123456789ABC',
  ENCRYPTION_KEY: b64('FAKEencKey-0123456789abcdefghijk'),
  ENV_BOT_KEY: b64('FAKEenvBotKey-0123456789abcdefgh'),
  IBKR_PAPER_ACCOUNT_NUMBER: 'DUFAKE7731',
  IBKR_LIVE_ACCOUNT_NUMBER: 'UFAKE8842',
  WEBHOOK_TOKEN: 'FAKEwebhookToken2Np8',
  TEMPORAL_API_KEY: 'FAKEtemporalApiKey3Hd',
} as const;

/** Every form a secret could take in a file or a message: as written, URL-encoded, base64. */
const NEEDLES = Object.entries(SECRETS).flatMap(([k, v]) => [v, encodeURIComponent(v), b64(v)].map((form) => ({ key: k, form: form.toLowerCase() })));

function leaks(text: string): string[] {
  const hay = text.toLowerCase();
  return [...new Set(NEEDLES.filter((n) => hay.includes(n.form)).map((n) => n.key))];
}

/** A port with nothing listening: mail and webhook alerts fail at once (and say so in the logs). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function allFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? allFiles(p) : [p];
  });
}

/** Every entry of a tar.gz as text, keyed by its path inside the archive. */
async function tarEntries(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await tar.t({
    file,
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => out.set(entry.path, Buffer.concat(chunks).toString('utf8')));
    },
  });
  return out;
}

/** Strings and byte payloads (decoded as UTF-8) anywhere in a value: what a history holds. */
function textsOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
  else if (Array.isArray(v)) for (const x of v) textsOf(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) textsOf(x, out);
  return out;
}

interface CliResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** The real CLI, asynchronously (the fake broker answers from this process meanwhile). */
function cli(home: string, args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/cli.ts'), ...args], {
      cwd: REPO_ROOT,
      // `config` reads from the working directory, not TRADEBOT_HOME: point it at the same files.
      env: { ...process.env, TRADEBOT_HOME: home, ENV_PATH: path.join(home, '.env'), ENV_BOT_PATH: path.join(home, '.env_bot') },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('secret hygiene: fake secrets in .env never reach outputs, backups, histories or the terminal', () => {
  let home: string;
  let broker: http.Server;
  let brokerUrl = '';
  const brokerSawKeys: boolean[] = [];
  const printed: { what: string; text: string }[] = [];
  const workflowIds: string[] = [];
  const taskQueue = uniqueTaskQueue('secrets');

  const run = async (...args: string[]) => {
    const r = await cli(home, args);
    printed.push({ what: `${args.join(' ')} (stdout)`, text: r.out }, { what: `${args.join(' ')} (stderr)`, text: r.err });
    return r;
  };

  /** `.env` with every secret; `paperKeys` makes TEST_MODE use the (fake, refusing) Alpaca paper API. */
  const writeEnv = async (opts: { paperKeys: boolean; extra?: string[] }) => {
    const [smtp, hook, manager] = [await closedPort(), await closedPort(), await closedPort()];
    const lines = [
      `TEMPORAL_ADDRESS=${testServerAddress()}`,
      `TEMPORAL_NAMESPACE=${ISOLATED_NAMESPACE}`,
      `TEMPORAL_TASK_QUEUE=${taskQueue}`,
      `FINNHUB_API_KEY=${SECRETS.FINNHUB_API_KEY}`,
      `ALPACA_LIVE_API_KEY=${SECRETS.ALPACA_LIVE_API_KEY}`,
      `ALPACA_LIVE_SECRET_KEY=${SECRETS.ALPACA_LIVE_SECRET_KEY}`,
      'SMTP_HOST=127.0.0.1',
      `SMTP_PORT=${smtp}`,
      'SMTP_USER=bot',
      `SMTP_PASS=${SECRETS.SMTP_PASS}`,
      'ALERT_EMAIL=ops@example.com',
      `ALERT_WEBHOOK_URL=http://127.0.0.1:${hook}/hooks/${SECRETS.WEBHOOK_TOKEN}`,
      `MANAGER_API_URL=http://127.0.0.1:${manager}/api2`,
      `MANAGER_API_TOKEN=${SECRETS.MANAGER_API_TOKEN}`,
      'USERNAME=admin',
      `PASSWORD_HASH=${SECRETS.PASSWORD_HASH}`,
      `ENCRYPTION_KEY=${SECRETS.ENCRYPTION_KEY}`,
      `ENV_BOT_KEY=${SECRETS.ENV_BOT_KEY}`,
      `IBKR_PAPER_ACCOUNT_NUMBER=${SECRETS.IBKR_PAPER_ACCOUNT_NUMBER}`,
      `IBKR_LIVE_ACCOUNT_NUMBER=${SECRETS.IBKR_LIVE_ACCOUNT_NUMBER}`,
      ...(opts.paperKeys
        ? [`ALPACA_PAPER_URL=${brokerUrl}`, `ALPACA_PAPER_API_KEY=${SECRETS.ALPACA_PAPER_API_KEY}`, `ALPACA_PAPER_SECRET_KEY=${SECRETS.ALPACA_PAPER_SECRET_KEY}`]
        : []),
      ...(opts.extra ?? []),
      '',
    ];
    fs.writeFileSync(path.join(home, '.env'), lines.join('\n'), { mode: 0o600 });
  };

  const writeEnvBot = (extra: string[] = []) =>
    fs.writeFileSync(
      path.join(home, '.env_bot'),
      [`TEST_MODE_REPLAY_DIR=${path.join(REPO_ROOT, 'tests/fixtures/minute')}`, 'STRATEGY_OVERRIDE=open', 'NOTIFY_IN_TEST_MODE=true', ...extra, ''].join('\n'),
    );

  before(async () => {
    home = tempOutputDir('secrets-home');
    fs.copyFileSync(path.join(REPO_ROOT, 'VERSION.md'), path.join(home, 'VERSION.md'));
    // An Alpaca that refuses every key, as Alpaca does with revoked keys: 401 with its error envelope.
    broker = http.createServer((req, res) => {
      brokerSawKeys.push(req.headers['apca-api-key-id'] === SECRETS.ALPACA_PAPER_API_KEY);
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: 40110000, message: 'request is not authorized' }));
    });
    await new Promise<void>((r) => broker.listen(0, '127.0.0.1', r));
    brokerUrl = `http://127.0.0.1:${(broker.address() as AddressInfo).port}`;
  });

  after(async () => {
    broker.closeAllConnections();
    await new Promise<void>((r) => broker.close(() => r()));
  });

  test('a TEST_MODE day completes, and backup, status and the config tools run', async () => {
    await writeEnv({ paperKeys: false });
    writeEnvBot();
    const day = await run('day', '--date', '2025-04-09', '--speed', '600');
    assert.equal(day.code, 0, day.err);
    workflowIds.push('tradebot-day-paper-2025-04-09');
    const backup = await run('backup', 'now', '--label', 'secrets');
    assert.equal(backup.code, 0, backup.err);
    assert.match(backup.out, /\(encrypted\)/);
    for (const args of [['status', '--date', '2025-04-09', '--json'], ['config', 'show'], ['config', 'validate']]) {
      const r = await run(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    }
  });

  test('a day on broken replay data fails (alerts going to an unreachable mail server and webhook), without showing them', async () => {
    await writeEnv({ paperKeys: false });
    writeEnvBot();
    // Every bar file of the replay has a broken row: the day cannot get its data.
    const replay = path.join(home, 'replay-broken');
    fs.mkdirSync(replay);
    for (const name of fs.readdirSync(path.join(REPO_ROOT, 'tests/fixtures/minute')).filter((n) => n.endsWith('.csv'))) {
      const lines = fs.readFileSync(path.join(REPO_ROOT, 'tests/fixtures/minute', name), 'utf8').split('\n');
      lines.splice(3, 0, '2025-04-08T13:33:00Z,1,1,1,not-a-number,1');
      fs.writeFileSync(path.join(replay, name), lines.join('\n'));
    }
    const day = await run('day', '--date', '2025-04-08', '--speed', '600', '--replay', replay);
    workflowIds.push('tradebot-day-paper-2025-04-08');
    assert.notEqual(day.code, 0, `the day should fail on broken data:\n${day.out}\n${day.err}`);
  });

  test('the Alpaca paper broker refusing the keys is a clear failure, without showing them', async () => {
    await writeEnv({ paperKeys: true });
    writeEnvBot();
    // The dry run authenticates every enabled broker against its paper account (this one answers 401 to
    // the fake keys), runs a replayed session and sends a test alert to every channel (all unreachable).
    const dry = await run('dry-run', '--date', '2025-04-09', '--speed', '600');
    assert.notEqual(dry.code, 0, `the dry run should fail when the broker refuses the keys:\n${dry.out}\n${dry.err}`);
    assert.match(dry.out + dry.err, /ALPACA_PAPER_API_KEY/);
    assert.ok(brokerSawKeys.includes(true), 'the paper keys were sent to the (fake) broker');
  });

  test('a configuration that fails names the keys, without showing their values', async () => {
    await writeEnv({
      paperKeys: false,
      extra: [
        // A secret pasted on a line of its own, a malformed secret and an invalid key for it.
        `${SECRETS.ALPACA_PAPER_SECRET_KEY}`,
        `ENCRYPTION_KEY=${SECRETS.ALPACA_LIVE_SECRET_KEY}`,
        `TEMPORAL_API_KEY=${SECRETS.TEMPORAL_API_KEY}`,
        `ALPACA_PAPER_API_KEY=${SECRETS.ALPACA_PAPER_API_KEY}`,
      ],
    });
    writeEnvBot(['MAX_TRADES=abc']);
    const day = await run('day', '--date', '2025-04-11');
    assert.equal(day.code, 1);
    assert.match(day.err, /configuration problems/);
    assert.match(day.err, /MAX_TRADES=abc is invalid/);
    assert.match(day.err, /ALPACA_PAPER_SECRET_KEY is missing/);
    const validate = await run('config', 'validate');
    assert.notEqual(validate.code, 0, `${validate.out}\n${validate.err}`);
  });

  test('no secret in any file under output/ or backups/, inside the archives, in the histories or in what was printed', async () => {
    const found: string[] = [];
    const check = (where: string, text: string) => {
      const keys = leaks(text);
      if (keys.length > 0) found.push(`${where}: ${keys.join(', ')}`);
    };
    const files = [...allFiles(path.join(home, 'output')), ...allFiles(path.join(home, 'backups'))];
    assert.ok(files.some((f) => f.includes(`${path.sep}backups${path.sep}`)), 'a backup was written');
    let archives = 0;
    for (const f of files) {
      check(path.relative(home, f), fs.readFileSync(f, 'latin1'));
      check(path.relative(home, f), fs.readFileSync(f, 'utf8'));
      let tarFile: string | null = /\.tar\.gz$/.test(f) ? f : null;
      if (/\.tar\.gz\.enc$/.test(f)) {
        tarFile = `${f}.decrypted.tar.gz`;
        await decryptFile(f, tarFile, SECRETS.ENCRYPTION_KEY);
      }
      if (tarFile !== null) {
        archives++;
        const entries = await tarEntries(tarFile);
        assert.ok(entries.size > 0, `${f} holds files`);
        for (const [name, text] of entries) check(`${path.relative(home, f)}!${name}`, text);
        if (tarFile !== f) fs.rmSync(tarFile);
      }
    }
    assert.ok(archives > 0, 'at least one archive was opened');
    for (const p of printed) check(p.what, p.text);

    const connection = await Connection.connect({ address: testServerAddress() });
    try {
      const client = new Client({ connection, namespace: ISOLATED_NAMESPACE });
      for (const id of workflowIds) {
        const history = await client.workflow.getHandle(id).fetchHistory();
        check(`history of ${id}`, textsOf(history).join('\n'));
      }
    } finally {
      await connection.close();
    }
    assert.deepEqual(found, [], `secrets leaked:\n${found.join('\n')}`);
  });
});
