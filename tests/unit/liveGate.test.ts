import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertLiveGate, DRY_RUN_COMMAND, liveGateStatus, readDryRuns, settingsHashes } from '../../activities/liveGate';
import { runDryRun, runDryRunCommand, type DryRunSessionContext } from '../../scripts/commands/dryRun';
import { createAuditActivities } from '../../activities/auditActivities';
import { appendTradeRecord } from '../../activities/outputs/tradeHistory';
import { defaultBotConfig, type BotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig, type EnvConfig } from '../../domain/config/envSchema';
import { ConfigError } from '../../domain/errors/errorClasses';
import type { LoadedConfig } from '../../activities/config/loadConfig';
import { FakeAlpacaServer } from '../helpers/fakeAlpacaServer';
import { makeTrade } from './ledgerFixtures';

const PAPER = { keyId: 'PKGATE', secret: 'gate-secret' };
let paper: FakeAlpacaServer;

before(async () => {
  paper = await FakeAlpacaServer.start(PAPER);
});
after(async () => {
  await paper.close();
});

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tradebot-${p}-`));

function bot(over: Partial<BotConfig> = {}): BotConfig {
  return { ...defaultBotConfig(), ...over };
}

function env(over: Partial<EnvConfig> = {}): EnvConfig {
  return {
    ...defaultEnvConfig(),
    ALPACA_PAPER_API_KEY: PAPER.keyId,
    ALPACA_PAPER_SECRET_KEY: PAPER.secret,
    ALPACA_LIVE_API_KEY: 'AKLIVE',
    ALPACA_LIVE_SECRET_KEY: 'live-secret',
    ALPACA_PAPER_URL: paper.url,
    ...over,
  };
}

function loaded(b: BotConfig, e: EnvConfig): LoadedConfig {
  return { bot: b, env: e, warnings: [], origins: {}, sources: { env: null, envBot: null, envBotEncrypted: false, versionFile: 'VERSION.md', environmentKeys: [] } } as unknown as LoadedConfig;
}

void test('settings hash: TEST_MODE, logging and notification keys do not count; broker, strategy and accounting keys do, each in its group', () => {
  const base = settingsHashes(bot(), env());
  assert.equal(settingsHashes(bot({ TEST_MODE: false, DEBUG_LOG_LEVEL: 'verbose', NOTIFY_ON_FILL: false, TEST_MODE_TIME_COMPRESSION: 999 }), env()).combined, base.combined);
  const strat = settingsHashes(bot({ STRAT_OPEN_BUFFER: 0.03 }), env());
  assert.notEqual(strat.strategy, base.strategy);
  assert.equal(strat.broker, base.broker);
  assert.equal(strat.accounting, base.accounting);
  assert.notEqual(settingsHashes(bot({ ALPACA_MODE: 'live' }), env()).broker, base.broker);
  assert.notEqual(settingsHashes(bot({ LEDGER_EXPORT_MODE: 'off' }), env()).accounting, base.accounting);
  assert.notEqual(settingsHashes(bot({ TOTAL_ALLOCATION: 0.03 }), env()).strategy, base.strategy);
  // Credential values never enter the hash; only whether they are set.
  assert.equal(settingsHashes(bot(), env({ ALPACA_PAPER_SECRET_KEY: 'rotated', ALPACA_LIVE_API_KEY: 'AKOTHER' })).combined, base.combined);
  assert.notEqual(settingsHashes(bot(), env({ ALPACA_LIVE_API_KEY: undefined })).broker, base.broker);
});

void test('live gate: not needed for TEST_MODE or paper; otherwise a hard stop that names the command until a dry run passes', () => {
  const dir = tmp('gate');
  assert.equal(liveGateStatus(dir, bot({ TEST_MODE: true, ALPACA_MODE: 'live' }), env()).required, false);
  assert.equal(liveGateStatus(dir, bot({ TEST_MODE: false, ALPACA_MODE: 'paper' }), env()).required, false);
  const live = bot({ TEST_MODE: false, ALPACA_MODE: 'live' });
  assert.throws(() => assertLiveGate(dir, live, env()), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /needs a passing dry run for v1\.0\.0/);
    assert.match(err.message, /no dry run has been recorded/);
    assert.ok(err.message.includes(DRY_RUN_COMMAND));
    return true;
  });
});

/** A stand-in session that writes what a real one would: a trade, its ledger postings and the export. */
async function fakeSession(ctx: DryRunSessionContext) {
  const trade = makeTrade({ mode: 'paper', date: ctx.date, broker: 'sim' });
  appendTradeRecord(ctx.runDir, 'paper', trade);
  const audit = createAuditActivities({ outputDir: ctx.runDir, backupsDir: path.join(ctx.runDir, 'backups'), env: ctx.config.env, bot: ctx.config.bot });
  await audit.postTradeToLedger({ mode: 'paper', trade });
  await audit.exportLedger({ mode: 'paper', trigger: 'auto' });
  return { ok: true, detail: 'completed (open: 1 entry, 1 exit)' };
}

void test('dry run: paper broker connection, session, trade logging, ledger export, notifications; recorded; then the gate opens until a setting changes', async () => {
  const out = tmp('dryrun');
  const replay = tmp('replay');
  fs.writeFileSync(path.join(replay, 'AAPL_2025-03-10.csv'), 'timestamp,open,high,low,close,volume\n2025-03-10T14:30:00Z,1,1,1,1,100\n');
  const b = bot({ TEST_MODE: true, ALPACA_MODE: 'live' });
  paper.requests.length = 0;
  const record = await runDryRun({ config: loaded(b, env()), cwd: out, outputDir: out, date: '2025-03-10', replayFolder: replay, session: fakeSession, brokerOptions: { alpacaDataUrl: paper.url } });
  const byName = Object.fromEntries(record.checks.map((c) => [c.name, c]));
  assert.equal(byName['broker connection: alpaca paper']?.ok, true, JSON.stringify(record.checks));
  assert.match(byName['broker connection: alpaca paper']?.detail ?? '', /authenticated; account value 100000\.00/);
  assert.equal(byName.session?.ok, true);
  assert.equal(byName['trade logging']?.ok, true);
  assert.equal(byName['ledger export']?.ok, true, byName['ledger export']?.detail);
  assert.equal(byName.notifications?.skipped, true);
  assert.equal(record.passed, true);
  assert.deepEqual(record.brokers, ['alpaca-paper']);
  assert.ok(paper.requests.some((r) => r.path === '/v2/account'));
  // The session's files are in its own folder, not in the real paper outputs.
  assert.ok(!fs.existsSync(path.join(out, 'trades', 'trade_history_paper.csv')));
  assert.equal(readDryRuns(out).length, 1);

  // The same settings with TEST_MODE=false and ALPACA_MODE=live may now start.
  const live = bot({ TEST_MODE: false, ALPACA_MODE: 'live' });
  assert.equal(assertLiveGate(out, live, env()).ok, true);
  // A strategy change closes it again and says what changed.
  assert.throws(() => assertLiveGate(out, bot({ TEST_MODE: false, ALPACA_MODE: 'live', STRAT_OPEN_BUFFER: 0.05 }), env()), /the strategy settings changed since the last dry run/);
  // So does a new version.
  assert.throws(() => assertLiveGate(out, { ...live, VERSION_TAG: 'v1.0.1' }, env()), /no dry run has been recorded for v1\.0\.1/);
});

void test('dry run failures are recorded and keep the gate shut: rejected paper keys, a day with no trades', async () => {
  const out = tmp('dryrun-fail');
  const replay = tmp('replay');
  fs.writeFileSync(path.join(replay, 'AAPL_2025-03-10.csv'), 'timestamp,open,high,low,close,volume\n2025-03-10T14:30:00Z,1,1,1,1,100\n');
  const b = bot({ TEST_MODE: true, ALPACA_MODE: 'live' });
  const lines: string[] = [];
  const sink = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
  const code = await runDryRunCommand(['--date', '2025-03-10'], sink, {
    config: loaded(b, env({ ALPACA_PAPER_SECRET_KEY: 'wrong' })),
    cwd: out,
    outputDir: out,
    replayFolder: replay,
    session: async () => ({ ok: true, detail: 'completed (no entries)' }),
  });
  assert.equal(code, 1);
  const text = lines.join('');
  assert.match(text, /\[FAIL\] broker connection: alpaca paper: .*credentials were rejected/);
  assert.match(text, /\[FAIL\] trade logging: .*made no trade/);
  assert.match(text, /dry run FAILED/);
  assert.doesNotMatch(text, /wrong/);
  assert.equal(readDryRuns(out)[0]?.passed, false);
  assert.throws(() => assertLiveGate(out, bot({ TEST_MODE: false, ALPACA_MODE: 'live' }), env({ ALPACA_PAPER_SECRET_KEY: 'wrong' })), /last dry run for v1\.0\.0 and these settings failed/);
});

void test('the Alpaca paper checklist runs every step against the paper endpoint, orders only while the market is open', async () => {
  const lines: string[] = [];
  const sink = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
  paper.prices.set('SPY', 500);
  paper.bars.set('SPY', [{ t: Date.now() - 3_600_000, o: 500, h: 501, l: 499, c: 500.5, v: 1000 }]);
  paper.clock.isOpen = true;
  paper.orders.length = 0;
  const code = await runDryRunCommand(['--alpaca-paper-check'], sink, { config: loaded(bot({ TEST_MODE: true }), env()), brokerOptions: { alpacaDataUrl: paper.url, pollIntervalMs: 5 } });
  const text = lines.join('');
  assert.equal(code, 0, text);
  assert.match(text, /\[PASS\] one-share market buy of SPY/);
  assert.match(text, /\[PASS\] the same client order id again returns the same order/);
  assert.match(text, /\[PASS\] protective trailing stop/);
  assert.equal(paper.orders.filter((o) => o.clientOrderId?.endsWith('-SPY-buy')).length, 1);
  assert.deepEqual(paper.positionModels(), []);
  lines.length = 0;
  paper.clock.isOpen = false;
  assert.equal(await runDryRunCommand(['--alpaca-paper-check'], sink, { config: loaded(bot({ TEST_MODE: true }), env()), brokerOptions: { alpacaDataUrl: paper.url } }), 0);
  assert.match(lines.join(''), /\[SKIP\] one-share market buy of SPY with a deterministic client order id: market closed/);
});

void test('dry run with the real session: a replayed TEST_MODE day on the Temporal dev server (npm test)', { skip: !process.env.TEMPORAL_TEST_ADDRESS && 'needs the dev server that npm test starts' }, async () => {
  const out = tmp('dryrun-real');
  const e = { ...defaultEnvConfig(), TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS as string };
  const record = await runDryRun({ config: loaded(bot({ TEST_MODE: true, ALPACA_MODE: 'live', DEBUG_LOG_LEVEL: 'quiet' }), e), cwd: path.resolve(__dirname, '..', '..'), outputDir: out, date: '2025-04-08', speed: 1200 });
  const byName = Object.fromEntries(record.checks.map((c) => [c.name, c]));
  assert.equal(byName['broker connection: sim']?.ok, true);
  assert.equal(byName.session?.ok, true, byName.session?.detail);
  assert.equal(byName['trade logging']?.ok, true, byName['trade logging']?.detail);
  assert.equal(byName['ledger export']?.ok, true, byName['ledger export']?.detail);
  assert.equal(record.passed, true);
  assert.equal(liveGateStatus(out, bot({ TEST_MODE: false, ALPACA_MODE: 'live' }), e).ok, true);
});
