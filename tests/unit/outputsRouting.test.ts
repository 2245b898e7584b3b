import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { createAuditActivities } from '../../activities/auditActivities';
import { appendTradeRecord, TRADE_HISTORY_COLUMNS } from '../../activities/outputs/tradeHistory';
import { appendStrategyLog } from '../../activities/outputs/strategyLog';
import { writeDailySummary } from '../../activities/outputs/dailySummary';
import { outputPaths } from '../../activities/outputs/outputPaths';
import { UNRESOLVED_COLUMNS } from '../../activities/outputs/unresolvedOrders';
import { defaultBotConfig, type BotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { outputMode, routingFlagsOf, type EndpointMode } from '../../domain/routing';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { makeTrade } from './ledgerFixtures';
import type { OutputMode } from '../../domain/vocabulary';

/*
 * README.md, "Modes and where outputs go": every output file, its fields and its routing in each mode, and a
 * property that no TEST_MODE or FORCE_PAPER_EXPORT run ever creates or modifies a _live path.
 */

const SPEC_TRADE_FIELDS = [
  'timestamp', 'strategy_name', 'ticker', 'side', 'size', 'entry_price', 'exit_price', 'pnl', 'broker', 'mode', 'error_code',
  'entry_time', 'exit_time', 'instrument', 'underlying', 'allocation', 'account_value', 'entry_order_id', 'exit_order_id', 'tags',
] as const;

const extras = { strategiesRun: ['open', 'mid'], closedReason: null, haltReason: null, executionSeconds: [0.8, 1.4], rebalancing: ['ibkr is 12% below target'], warnings: [] };

function root() {
  const r = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-routing-'));
  return { outputDir: path.join(r, 'output'), backupsDir: path.join(r, 'backups') };
}

function botFor(mode: OutputMode): BotConfig {
  const bot = defaultBotConfig();
  return mode === 'live' ? { ...bot, TEST_MODE: false, FORCE_PAPER_EXPORT: false, ALPACA_MODE: 'live' } : bot;
}

/** Everything a trading day writes, through the writers the activities use. */
async function runDay(d: { outputDir: string; backupsDir: string }, mode: OutputMode, bot: BotConfig, format: 'json' | 'csv', trades: TradeRecord[]) {
  const acts = createAuditActivities({ ...d, env: defaultEnvConfig(), bot: { ...bot, LOG_FORMAT: format } });
  for (const t of trades) {
    appendTradeRecord(d.outputDir, mode, t);
    await acts.postTradeToLedger({ mode, trade: t });
    await acts.exportLedger({ mode });
  }
  appendStrategyLog(d.outputDir, mode, format, trades.map((t, i) => ({ eventId: `wf#${i}`, timestamp: t.timestamp, strategy: t.strategy_name, event: 'exit', symbol: t.underlying, message: 'closed', data: { pnl: t.pnl } })));
  await acts.recordUnresolvedOrder({
    mode,
    order: { id: 'c-9-in#1', timestamp: '2025-03-10T15:00:00.000Z', strategy: 'mid', broker: 'alpaca', symbol: 'MSFT', error_type: 'BrokerError', error_code: 'insufficient_buying_power', message: 'rejected', stack: 'Error: x\n'.repeat(1000) },
  });
  writeDailySummary(d.outputDir, mode, '2025-03-10', trades, extras);
  await acts.backupOutputs({ mode, label: 'day-2025-03-10' });
  return acts;
}

for (const mode of ['paper', 'live', 'backtest'] as const) {
  for (const format of ['json', 'csv'] as const) {
    void test(`${mode} mode, LOG_FORMAT=${format}: every output file exists under its _${mode} name with the spec's fields`, async () => {
      const d = root();
      const trades = [makeTrade({ n: 1, mode }), makeTrade({ n: 2, mode, instrument: 'put', entry_price: 2, exit_price: 1.5 }), makeTrade({ n: 3, mode, exit_price: null })];
      await runDay(d, mode, botFor(mode), format, trades);
      const p = outputPaths(d.outputDir, mode);
      // Trade history: both formats, every spec field, UTC times.
      const json = JSON.parse(fs.readFileSync(p.tradeHistoryJson, 'utf8')) as Record<string, unknown>[];
      assert.equal(json.length, 3);
      for (const t of json) {
        for (const f of SPEC_TRADE_FIELDS) assert.ok(f in t, `trade history JSON lacks ${f}`);
        for (const f of ['timestamp', 'entry_time', 'exit_time'] as const) assert.match(String(t[f]), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
        assert.equal(t.mode, mode);
      }
      const csv = fs.readFileSync(p.tradeHistoryCsv, 'utf8').trim().split('\n');
      for (const f of SPEC_TRADE_FIELDS) assert.ok(csv[0].split(',').includes(f), `trade history CSV lacks ${f}`);
      assert.equal(csv[0], TRADE_HISTORY_COLUMNS.join(','));
      assert.equal(csv.length, 4);
      // Strategy log and unresolved orders log in LOG_FORMAT.
      const log = fs.readFileSync(p.strategyLog('open'), 'utf8').trim().split('\n');
      if (format === 'json') for (const l of log) assert.equal((JSON.parse(l) as { strategy: string }).strategy, 'open');
      else assert.match(log[0], /^timestamp,eventId,strategy/);
      const unresolved = fs.readFileSync(p.unresolvedOrdersLog, 'utf8').trim().split('\n');
      if (format === 'json') {
        const rec = JSON.parse(unresolved[0]) as Record<string, string>;
        assert.deepEqual(Object.keys(rec), [...UNRESOLVED_COLUMNS]);
        assert.ok(rec.stack.length <= 2000);
      } else assert.equal(unresolved[0], UNRESOLVED_COLUMNS.join(','));
      // Daily summary with the spec's contents.
      const summary = (JSON.parse(fs.readFileSync(p.dailySummary, 'utf8')) as Record<string, Record<string, unknown>>)['2025-03-10'];
      for (const f of ['trades', 'wins', 'losses', 'winLossRatio', 'realizedPnl', 'executionSpeed', 'mostProfitable', 'leastProfitable', 'strategiesRun', 'rebalancingNeeds']) {
        assert.ok(f in summary, `daily summary lacks ${f}`);
      }
      assert.equal(summary.mode, mode);
      // Ledger: a book and its Manager.io files for paper and live; none for backtests.
      const ledgerFiles = fs.existsSync(p.ledgerDir) ? fs.readdirSync(p.ledgerDir).sort() : [];
      if (mode === 'backtest') assert.deepEqual(ledgerFiles, []);
      else assert.deepEqual(ledgerFiles, [`tbot_${mode}_ledger.jsonl`, `tbot_${mode}_ledger.manager.json`, `tbot_${mode}_ledger.manager.tsv`]);
      // Backup archive named with mode and timestamp.
      assert.ok(fs.readdirSync(d.backupsDir).some((n) => new RegExp(`^tbot_${mode}_day-2025-03-10_\\d{8}T\\d{6}Z\\.tar\\.gz$`).test(n)));
      // Nothing of another mode was written.
      const all = walk(d.outputDir).concat(walk(d.backupsDir));
      for (const other of ['paper', 'live', 'backtest'].filter((m) => m !== mode)) {
        assert.deepEqual(all.filter((f) => f.includes(`_${other}`)), [], `no _${other} path in a ${mode} run`);
      }
    });
  }
}

void test('routing table: TEST_MODE or FORCE_PAPER_EXPORT -> paper; both false -> live only with a live broker; backtests -> backtest', () => {
  for (const TEST_MODE of [true, false]) {
    for (const FORCE_PAPER_EXPORT of [true, false]) {
      for (const brokerModes of [['paper'], ['live'], ['paper', 'live'], ['paper', 'paper']] as EndpointMode[][]) {
        const live = !TEST_MODE && !FORCE_PAPER_EXPORT && brokerModes.includes('live');
        assert.equal(outputMode({ TEST_MODE, FORCE_PAPER_EXPORT, brokerModes }), live ? 'live' : 'paper');
        assert.equal(outputMode({ TEST_MODE, FORCE_PAPER_EXPORT, brokerModes, backtest: true }), 'backtest');
      }
    }
  }
});

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function snapshot(files: string[]): Map<string, string> {
  return new Map(files.map((f) => [f, `${createHash('sha256').update(fs.readFileSync(f)).digest('hex')}:${fs.statSync(f).mtimeMs}`]));
}

type Op =
  | { kind: 'trade'; n: number; instrument: TradeRecord['instrument'] }
  | { kind: 'export' }
  | { kind: 'backup'; label: string }
  | { kind: 'rotate' }
  | { kind: 'notify' }
  | { kind: 'unresolved'; n: number }
  | { kind: 'askLive'; what: 'post' | 'export' | 'backup' | 'rotate' | 'notify' | 'unresolved' };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('trade' as const), n: fc.integer({ min: 1, max: 40 }), instrument: fc.constantFrom('stock', 'put', 'inverse_etf', 'short_stock') as fc.Arbitrary<TradeRecord['instrument']> }),
  fc.constant({ kind: 'export' as const }),
  fc.record({ kind: fc.constant('backup' as const), label: fc.constantFrom('open', 'mid', 'close', 'day') }),
  fc.constant({ kind: 'rotate' as const }),
  fc.constant({ kind: 'notify' as const }),
  fc.record({ kind: fc.constant('unresolved' as const), n: fc.nat(5) }),
  fc.record({ kind: fc.constant('askLive' as const), what: fc.constantFrom('post', 'export', 'backup', 'rotate', 'notify', 'unresolved') as fc.Arbitrary<'post'> }),
);

void test('property: no TEST_MODE, FORCE_PAPER_EXPORT or paper-account run ever creates or modifies a _live path, whatever it does or asks', async () => {
  const paperAccount = (f: { IBKR_ENABLED: boolean; ALPACA_MODE: string; IBKR_MODE: string }) => f.ALPACA_MODE === 'paper' && (!f.IBKR_ENABLED || f.IBKR_MODE === 'paper');
  await fc.assert(
    fc.asyncProperty(
      fc
        .record({
          TEST_MODE: fc.boolean(),
          FORCE_PAPER_EXPORT: fc.boolean(),
          IBKR_ENABLED: fc.boolean(),
          ALPACA_MODE: fc.constantFrom('paper' as const, 'live' as const),
          IBKR_MODE: fc.constantFrom('paper' as const, 'live' as const),
        })
        .filter((f) => f.TEST_MODE || f.FORCE_PAPER_EXPORT || paperAccount(f)),
      fc.array(arbOp, { minLength: 1, maxLength: 15 }),
      fc.constantFrom('json', 'csv') as fc.Arbitrary<'json' | 'csv'>,
      async (flags, ops, format) => {
        const d = root();
        // Live books and logs from earlier live days are on disk and must stay untouched.
        const seed = createAuditActivities({ ...d, env: defaultEnvConfig(), bot: botFor('live') });
        appendTradeRecord(d.outputDir, 'live', makeTrade({ n: 99, mode: 'live' }));
        await seed.postTradeToLedger({ mode: 'live', trade: makeTrade({ n: 99, mode: 'live' }) });
        await seed.exportLedger({ mode: 'live' });
        appendStrategyLog(d.outputDir, 'live', 'json', [{ eventId: 'live#1', timestamp: '2025-03-07T15:00:00.000Z', strategy: 'open', event: 'x', message: 'live day' }]);
        await seed.backupOutputs({ mode: 'live', label: 'old' });
        const liveBefore = snapshot(walk(d.outputDir).concat(walk(d.backupsDir)).filter((f) => f.includes('_live')));
        assert.ok(liveBefore.size >= 5);

        const bot: BotConfig = { ...defaultBotConfig(), ...flags, LOG_FORMAT: format, NOTIFY_IN_TEST_MODE: true };
        const mode = outputMode(routingFlagsOf(bot));
        assert.equal(mode, 'paper');
        const acts = createAuditActivities({ ...d, env: { ...defaultEnvConfig(), ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/hook' }, bot, fetchImpl: (async () => new Response('ok')) as typeof fetch });
        for (const op of ops) {
          switch (op.kind) {
            case 'trade': {
              const t = makeTrade({ n: op.n, mode, instrument: op.instrument });
              appendTradeRecord(d.outputDir, mode, t);
              appendStrategyLog(d.outputDir, mode, format, [{ eventId: `p#${op.n}`, timestamp: t.timestamp, strategy: 'open', event: 'exit', message: 'x' }]);
              await acts.postTradeToLedger({ mode, trade: t });
              writeDailySummary(d.outputDir, mode, t.date, [t], extras);
              break;
            }
            case 'export':
              await acts.exportLedger({ mode, trigger: 'manual' });
              break;
            case 'backup':
              await acts.backupOutputs({ mode, label: op.label });
              break;
            case 'rotate':
              await acts.rotateLogs({ mode });
              break;
            case 'notify':
              await acts.notify({ event: 'critical', mode, subject: 's', lines: ['l'] });
              break;
            case 'unresolved':
              await acts.recordUnresolvedOrder({ mode, order: { id: `u${op.n}`, timestamp: '2025-03-10T15:00:00.000Z', strategy: 'open', broker: 'alpaca', symbol: null, error_type: 'NetworkError', error_code: null, message: 'm', stack: null } });
              break;
            case 'askLive': {
              const live = makeTrade({ n: 7, mode: 'live' });
              const call = {
                post: () => acts.postTradeToLedger({ mode: 'live', trade: live }),
                export: () => acts.exportLedger({ mode: 'live', trigger: 'manual' }),
                backup: () => acts.backupOutputs({ mode: 'live', label: 'x' }),
                rotate: () => acts.rotateLogs({ mode: 'live' }),
                notify: () => acts.notify({ event: 'critical', mode: 'live', subject: 's', lines: [] }),
                unresolved: () => acts.recordUnresolvedOrder({ mode: 'live', order: { id: 'l', timestamp: '2025-03-10T15:00:00.000Z', strategy: 'open', broker: 'alpaca', symbol: null, error_type: 'x', error_code: null, message: 'm', stack: null } }),
              }[op.what];
              await assert.rejects(call(), /refusing a _live output/);
              break;
            }
          }
        }
        const liveAfter = snapshot(walk(d.outputDir).concat(walk(d.backupsDir)).filter((f) => f.includes('_live')));
        assert.deepEqual(liveAfter, liveBefore);
      },
    ),
    { numRuns: 40 },
  );
});
