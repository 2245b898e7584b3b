import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import type { ApplicationFailure } from '@temporalio/common';
import { createAuditActivities } from '../../activities/auditActivities';
import { alertsLogFile, sentStateFile, suppressionReason, type NotifyInput } from '../../activities/notify/notifier';
import { defaultBotConfig, type BotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig, type EnvConfig } from '../../domain/config/envSchema';

interface Received {
  from: string;
  to: string[];
  user: string | null;
  raw: string;
}

const received: Received[] = [];
const hooks: { text: string }[] = [];
let smtp: SMTPServer;
let smtpPort = 0;
let hookServer: http.Server;
let hookPort = 0;
let hookStatus = 200;
const USER = 'alerts@example.com';
const PASS = 'FAKE-smtp-pass-5151';
const TOKEN = 'FAKE-manager-token-7e7e';

before(async () => {
  smtp = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (its built-in certificate is for tests only anyway).
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === USER && auth.password === PASS) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith('reject')) cb(new Error('550 mailbox unavailable'));
      else cb();
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : null,
          raw,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  hookServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (hookStatus === 200) hooks.push(JSON.parse(body) as { text: string });
      res.writeHead(hookStatus);
      res.end(hookStatus === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookPort = (hookServer.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  hookServer.closeAllConnections();
  await new Promise<void>((resolve) => hookServer.close(() => resolve()));
});

function setup(opts: { env?: Partial<EnvConfig>; bot?: Partial<BotConfig> } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-notify-'));
  const env: EnvConfig = {
    ...defaultEnvConfig(),
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: smtpPort,
    SMTP_USER: USER,
    SMTP_PASS: PASS,
    ALERT_EMAIL: 'ops@example.com, desk@example.com',
    MANAGER_API_TOKEN: TOKEN,
    ...opts.env,
  };
  const bot: BotConfig = { ...defaultBotConfig(), NOTIFY_IN_TEST_MODE: true, ...opts.bot };
  const outputDir = path.join(root, 'output');
  return { outputDir, acts: createAuditActivities({ outputDir, backupsDir: path.join(root, 'backups'), env, bot, smtpOptions: { connectionTimeout: 2000, greetingTimeout: 2000 } }) };
}

const unfold = (raw: string) => raw.replace(/\r\n[ \t]+/g, ' ');
const fill: NotifyInput = {
  event: 'fill',
  mode: 'paper',
  subject: 'OPEN bought 10 AAPL @ 190.12',
  lines: ['strategy: open', 'broker: alpaca', `debug: token was ${TOKEN}`],
  eventId: 'wf-1:fill:AAPL',
};

void test('a fill alert is delivered over SMTP (authenticated) to every ALERT_EMAIL address, with no secret in it', async () => {
  received.length = 0;
  const { acts, outputDir } = setup();
  const r = await acts.notify(fill);
  assert.deepEqual({ email: r.email, webhook: r.webhook }, { email: 'sent', webhook: 'not_configured' });
  assert.equal(received.length, 1);
  const m = received[0];
  assert.equal(m.user, USER);
  assert.equal(m.from, USER);
  assert.deepEqual(m.to, ['ops@example.com', 'desk@example.com']);
  const raw = unfold(m.raw);
  assert.match(raw, /^Subject: \[TradeBot PAPER\] Fill: OPEN bought 10 AAPL @ 190\.12$/m);
  assert.match(raw, /strategy: open/);
  assert.match(raw, /event: fill/);
  assert.match(raw, /time \(UTC\): \d{4}-\d{2}-\d{2}T/);
  assert.ok(!raw.includes(TOKEN) && !raw.includes(PASS), 'no secret in the message');
  assert.match(raw, /token was <hidden>/);
  const log = fs.readFileSync(alertsLogFile(outputDir, 'paper'), 'utf8');
  assert.match(log, /"outcome":"sent"/);
  assert.ok(!log.includes(TOKEN));
});

void test('exactly once: the same alert again (a retry) is not sent twice', async () => {
  received.length = 0;
  const { acts, outputDir } = setup();
  await acts.notify(fill);
  const again = await acts.notify(fill);
  assert.equal(again.email, 'already_sent');
  assert.equal(received.length, 1);
  assert.ok(fs.existsSync(sentStateFile(outputDir, 'paper')));
  // Without an explicit id, the content is the id.
  const { eventId, ...noId } = fill;
  assert.ok(eventId);
  await acts.notify(noId);
  assert.equal((await acts.notify(noId)).email, 'already_sent');
  assert.equal(received.length, 2);
});

void test('policy: nothing in TEST_MODE unless NOTIFY_IN_TEST_MODE; NOTIFY_ON_FILL / NOTIFY_ON_EXIT gate fills and exits only', async () => {
  received.length = 0;
  const quiet = setup({ bot: { NOTIFY_IN_TEST_MODE: false } });
  const r = await quiet.acts.notify(fill);
  assert.equal(r.email, 'suppressed');
  assert.match(r.reason ?? '', /TEST_MODE/);
  const gated = setup({ bot: { NOTIFY_ON_FILL: false, NOTIFY_ON_EXIT: false } });
  assert.equal((await gated.acts.notify(fill)).email, 'suppressed');
  assert.equal((await gated.acts.notify({ ...fill, event: 'exit', eventId: 'e1' })).email, 'suppressed');
  for (const event of ['critical', 'kill_switch', 'defense_mode', 'shutdown'] as const) {
    assert.equal((await gated.acts.notify({ ...fill, event, eventId: `x-${event}` })).email, 'sent', event);
  }
  assert.equal(received.length, 4);
  const live = { ...defaultBotConfig(), TEST_MODE: false };
  assert.equal(suppressionReason('fill', live), null);
});

void test('webhook channel: a Slack-style POST {text} with the same alert; both channels deliver', async () => {
  received.length = 0;
  hooks.length = 0;
  const { acts } = setup({ env: { ALERT_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/services/T0/B0/FAKEsecret` } });
  const r = await acts.notify({ ...fill, event: 'kill_switch', subject: 'kill switch on alpaca', eventId: 'k1' });
  assert.deepEqual([r.email, r.webhook], ['sent', 'sent']);
  assert.equal(hooks.length, 1);
  assert.match(hooks[0].text, /\[TradeBot PAPER\] Kill switch: kill switch on alpaca/);
  assert.ok(!hooks[0].text.includes('FAKEsecret') && !hooks[0].text.includes(TOKEN));
});

void test('a failing mail server never blocks: the call fails fast (retryable), the failure is logged, the webhook still goes, and a retry sends only the e-mail', async () => {
  received.length = 0;
  hooks.length = 0;
  const dead = setup({ env: { SMTP_PORT: 9, ALERT_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hook` } });
  const started = Date.now();
  await assert.rejects(dead.acts.notify({ ...fill, eventId: 'f1' }), (err: ApplicationFailure) => {
    assert.equal(err.type, 'NotifyDeliveryError');
    assert.equal(err.nonRetryable, false);
    return true;
  });
  assert.ok(Date.now() - started < 10_000);
  assert.equal(hooks.length, 1);
  const log = fs.readFileSync(alertsLogFile(dead.outputDir, 'paper'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
  assert.deepEqual(log.map((l) => [l.channel, l.outcome]), [['email', 'failed'], ['webhook', 'sent']]);
  assert.ok(!JSON.stringify(log).includes(PASS));
  // The retry, with the same output folder and a working server now: e-mail only.
  const healed = createAuditActivities({
    outputDir: dead.outputDir,
    backupsDir: path.join(dead.outputDir, '..', 'backups'),
    env: { ...defaultEnvConfig(), SMTP_HOST: '127.0.0.1', SMTP_PORT: smtpPort, SMTP_USER: USER, SMTP_PASS: PASS, ALERT_EMAIL: 'ops@example.com', ALERT_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hook` },
    bot: { ...defaultBotConfig(), NOTIFY_IN_TEST_MODE: true },
  });
  const r = await healed.notify({ ...fill, eventId: 'f1' });
  assert.deepEqual([r.email, r.webhook], ['sent', 'already_sent']);
  assert.equal(received.length, 1);
  assert.equal(hooks.length, 1);
});

void test('a server that refuses the recipient, bad SMTP credentials and a webhook error are failures, logged', async () => {
  const refused = setup({ env: { ALERT_EMAIL: 'reject@example.com' } });
  await assert.rejects(refused.acts.notify({ ...fill, eventId: 'r1' }), /not delivered: email: .*550/);
  const badAuth = setup({ env: { SMTP_PASS: 'FAKE-wrong-pass-000' } });
  await assert.rejects(badAuth.acts.notify({ ...fill, eventId: 'r2' }), (err: Error) => !err.message.includes('FAKE-wrong-pass-000'));
  hookStatus = 500;
  try {
    const hook = setup({ env: { SMTP_HOST: undefined, ALERT_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hook` } });
    await assert.rejects(hook.acts.notify({ ...fill, eventId: 'r3' }), /webhook answered 500/);
  } finally {
    hookStatus = 200;
  }
  // A paper-routed worker refuses to write a live alert state file.
  await assert.rejects(refused.acts.notify({ ...fill, mode: 'live' }), /refusing a _live output/);
});
