import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createAuditActivities } from '../../activities/auditActivities';
import { managerExportPaths } from '../../activities/ledger/ledgerExport';
import { encodeEntry, ledgerFile, readBook } from '../../activities/ledger/ledgerStore';
import { ManagerApiClient, ManagerApiError } from '../../activities/ledger/managerApi';
import { defaultBotConfig, type BotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { LIVE_CHART, PAPER_CHART, chartOf } from '../../domain/ledger/chartOfAccounts';
import { CHART_TSV_COLUMNS, JOURNAL_TSV_COLUMNS, managerTsvProblems, parseManagerTsv, type ManagerJsonExport } from '../../domain/ledger/manager';
import { buildTradePostings } from '../../domain/ledger/postings';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { makeTrade } from './ledgerFixtures';
import { chartFor, startFakeManager, type FakeManager } from './managerFakeServer';

const servers: FakeManager[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function setup(opts: { bot?: Partial<BotConfig>; chart?: string[]; api?: boolean } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-manager-'));
  const manager = await startFakeManager({ accounts: chartFor(opts.chart ?? PAPER_CHART.map((a) => a.name)) });
  servers.push(manager);
  const env = { ...defaultEnvConfig(), MANAGER_API_URL: manager.baseUrl, MANAGER_API_TOKEN: manager.token };
  const bot = { ...defaultBotConfig(), ...opts.bot };
  const acts = createAuditActivities({ outputDir: path.join(root, 'output'), backupsDir: path.join(root, 'backups'), env, bot });
  return { root, outputDir: path.join(root, 'output'), manager, acts };
}

const trades = (mode: 'paper' | 'live'): TradeRecord[] => [
  makeTrade({ n: 1, mode }),
  makeTrade({ n: 2, mode, broker: 'ibkr', instrument: 'put', entry_price: 1.2, exit_price: 0.9 }),
  makeTrade({ n: 3, mode, instrument: 'short_stock', entry_price: 99.5, exit_price: 98 }),
  makeTrade({ n: 4, mode, instrument: 'inverse_etf', exit_price: null }),
];

void test('API export: balanced journal entries with account keys from the chart, X-API-KEY auth, each Reference once across re-runs', async () => {
  const { acts, manager } = await setup();
  for (const t of trades('paper')) await acts.postTradeToLedger({ mode: 'paper', trade: t });
  const first = await acts.exportLedger({ mode: 'paper', trigger: 'manual', api: true });
  assert.equal(first.api?.posted.length, first.entries);
  assert.ok(manager.requests.every((r) => r.auth === manager.token));
  const keys = new Set(manager.accounts.map((a) => a.key));
  for (const e of manager.entries) {
    assert.ok(e.Lines.every((l) => keys.has(l.Account)), 'accounts are keys');
    assert.match(e.Reference, /^TBOT-PAPER-/);
  }
  const again = await acts.exportLedger({ mode: 'paper', trigger: 'manual', api: true });
  assert.deepEqual(again.api?.posted, []);
  assert.equal(again.api?.alreadyPresent.length, first.entries);
  assert.equal(manager.entries.length, first.entries, 're-run posts nothing');
  // A later trade: only its entries go out.
  await acts.postTradeToLedger({ mode: 'paper', trade: makeTrade({ n: 5 }) });
  const third = await acts.exportLedger({ mode: 'paper', trigger: 'auto', api: true });
  assert.equal(third.api?.posted.length, 3);
  assert.equal(new Set(manager.entries.map((e) => e.Reference)).size, manager.entries.length);
});

void test('API export: the paper book is not posted unless asked; the live book is, when configured', async () => {
  const paper = await setup();
  await paper.acts.postTradeToLedger({ mode: 'paper', trade: makeTrade() });
  assert.equal((await paper.acts.exportLedger({ mode: 'paper' })).api, null);
  assert.equal(paper.manager.entries.length, 0);
  const live = await setup({ bot: { TEST_MODE: false, ALPACA_MODE: 'live' }, chart: LIVE_CHART.map((a) => a.name) });
  await live.acts.postTradeToLedger({ mode: 'live', trade: makeTrade({ mode: 'live' }) });
  const r = await live.acts.exportLedger({ mode: 'live' });
  assert.equal(r.api?.posted.length, 4);
  assert.ok(live.manager.entries.every((e) => e.Reference.startsWith('TBOT-LIVE-')));
});

void test('API export errors: missing accounts named clearly (no retry), bad token (no retry, token not shown), 503 (retry)', async () => {
  const partial = await setup({ chart: PAPER_CHART.slice(0, 3).map((a) => a.name) });
  await partial.acts.postTradeToLedger({ mode: 'paper', trade: makeTrade() });
  await assert.rejects(partial.acts.exportLedger({ mode: 'paper', api: true }), (err: ApplicationFailure) => {
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /lacks .* account\(s\).*Simulated Gains - Alpaca/);
    return true;
  });
  const client = new ManagerApiClient({ baseUrl: partial.manager.baseUrl, token: 'FAKE-wrong-token-999' });
  await assert.rejects(client.chartOfAccounts(), (err: ManagerApiError) => {
    assert.equal(err.retryable, false);
    assert.equal(err.status, 401);
    assert.ok(!err.message.includes('FAKE-wrong-token-999'));
    return true;
  });
  partial.manager.fail503 = 1;
  await assert.rejects(new ManagerApiClient({ baseUrl: partial.manager.baseUrl, token: partial.manager.token }).journalEntryReferences(), (err: ManagerApiError) => err.retryable && err.status === 503);
  const nothing = new ManagerApiClient({ baseUrl: 'http://127.0.0.1:9/api2', token: 't', timeoutMs: 2000 });
  await assert.rejects(nothing.chartOfAccounts(), (err: ManagerApiError) => err.retryable);
});

void test('an entry already entered by hand with the same Reference is not posted again', async () => {
  const { acts, manager } = await setup();
  await acts.postTradeToLedger({ mode: 'paper', trade: makeTrade() });
  const ref = buildTradePostings(makeTrade())[1].reference;
  manager.entries.push({ key: 'by-hand', Date: '2025-03-10', Reference: ref, Narration: 'typed in Manager', Lines: [] });
  const r = await acts.exportLedger({ mode: 'paper', api: true });
  assert.deepEqual(r.api?.alreadyPresent, [ref]);
  assert.equal(manager.entries.filter((e) => e.Reference === ref).length, 1);
});

void test('manual-import files follow the documented format: chart block, journal block, balanced per Reference, JSON accepted by the API shape', async () => {
  const { acts, manager, outputDir } = await setup();
  for (const t of trades('paper')) await acts.postTradeToLedger({ mode: 'paper', trade: t });
  const r = await acts.exportLedger({ mode: 'paper' });
  const paths = managerExportPaths(outputDir, 'paper');
  assert.deepEqual(r.files, [paths.tsv, paths.json]);
  assert.match(paths.tsv, /tbot_paper_ledger\.manager\.tsv$/);
  const text = fs.readFileSync(paths.tsv, 'utf8');
  const lines = text.split('\n');
  assert.equal(lines[0], CHART_TSV_COLUMNS.join('\t'));
  assert.equal(lines[chartOf('paper').length + 2], JOURNAL_TSV_COLUMNS.join('\t'));
  const parsed = parseManagerTsv(text);
  assert.deepEqual(managerTsvProblems(parsed), []);
  assert.deepEqual(parsed.chart.map((a) => a.Name), PAPER_CHART.map((a) => a.name));
  const book = readBook(outputDir, 'paper');
  assert.equal(parsed.journal.length, book.reduce((a, e) => a + e.lines.length, 0));
  assert.equal(new Set(parsed.journal.map((j) => j.Reference)).size, book.length);
  assert.ok(parsed.journal.every((j) => /^\d+\.\d{2}$/.test(j.Debit || j.Credit)));
  // The JSON's entries are bodies for POST /journal-entry-form once account names become keys.
  const json = JSON.parse(fs.readFileSync(paths.json, 'utf8')) as ManagerJsonExport;
  assert.equal(json.journalEntries.length, book.length);
  const keyByName = new Map(manager.accounts.map((a) => [a.name, a.key]));
  const client = new ManagerApiClient({ baseUrl: manager.baseUrl, token: manager.token });
  for (const form of json.journalEntries) {
    await client.createJournalEntry({ ...form, Lines: form.Lines.map((l) => ({ ...l, Account: keyByName.get(l.Account) as string })) });
  }
  assert.equal(manager.entries.length, book.length);
  for (const e of book) assert.deepEqual(json.metadata[e.reference], e.meta);
  // A deviation from the format is caught.
  assert.throws(() => parseManagerTsv(text.replace('Line description', 'Memo')), /journal entries header/);
  assert.match(managerTsvProblems(parseManagerTsv(text.replace(/\t(\d+)\.(\d{2})\t\n/, (_m, a: string, b: string) => `\t${a}.${b === '99' ? '98' : '99'}\t\n`))).join(), /debits .* != credits/);
});

void test('an export validates the book first and fails fast, writing nothing; LEDGER_EXPORT_MODE=off skips automatic exports', async () => {
  const { acts, outputDir } = await setup({ bot: { LEDGER_EXPORT_MODE: 'off' } });
  await acts.postTradeToLedger({ mode: 'paper', trade: makeTrade() });
  assert.equal((await acts.exportLedger({ mode: 'paper', trigger: 'auto' })).skipped, 'LEDGER_EXPORT_MODE is off');
  assert.equal(fs.existsSync(managerExportPaths(outputDir, 'paper').tsv), false);
  assert.equal((await acts.exportLedger({ mode: 'paper', trigger: 'manual' })).skipped, null);
  fs.rmSync(managerExportPaths(outputDir, 'paper').tsv);
  // An unbalanced entry with a valid checksum (written by something other than the store).
  const [, e] = buildTradePostings(makeTrade({ n: 9 }));
  const bad = { ...e, entryKey: 'x#entry', reference: 'TBOT-PAPER-X', lines: e.lines.map((l, i) => (i === 0 ? { ...l, cents: l.cents + 5 } : l)) };
  fs.appendFileSync(ledgerFile(outputDir, 'paper'), `${encodeEntry(bad)}\n`);
  await assert.rejects(acts.exportLedger({ mode: 'paper', trigger: 'manual' }), (err: ApplicationFailure) => {
    assert.equal(err.type, 'LedgerValidationError');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /TBOT-PAPER-X: debits/);
    return true;
  });
  assert.equal(fs.existsSync(managerExportPaths(outputDir, 'paper').tsv), false);
});
