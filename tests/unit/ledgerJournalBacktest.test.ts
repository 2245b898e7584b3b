import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createAuditActivities } from '../../activities/auditActivities';
import { runPortfolioBacktest } from '../../activities/backtest/runBacktest';
import { readBook } from '../../activities/ledger/ledgerStore';
import { exportPlainTextJournal } from '../../activities/ledger/plainTextExport';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { toCents } from '../../domain/math/round';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { assertToolsAgreeWithTrialBalance, centsOfText, runTool } from '../helpers/accountingTools';

/*
 * A portfolio backtest writes no ledger (docs/ledger.md: "backtests: no book"; its trades have mode
 * backtest, which the posting code refuses). So its trade records, as the backtester wrote them, are
 * posted to a paper book through the same activity a TEST_MODE day uses, exported, and checked with
 * the real tools.
 */

const DAY_BARS_DIR = path.join(__dirname, '..', 'fixtures', 'days', 'minute');
const DAY_VIX_CSV = path.join(__dirname, '..', 'fixtures', 'days', 'vix_daily.csv');

void test('the trades of a portfolio backtest on the committed replay days, posted and exported: both tools accept the books and agree with the trial balance and the backtest PnL', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-journal-backtest-'));
  const run = runPortfolioBacktest({
    dataSource: DAY_BARS_DIR,
    cacheDir: null,
    symbols: null,
    strategies: ['open', 'mid', 'close'],
    start: '2025-04-07',
    end: '2026-03-13',
    cfg: botConfigSchema.parse({}),
    vixFile: DAY_VIX_CSV,
    execution: { fill: 'next_open', slippageBps: 5, feePerOrder: 1 },
    resultsDir: path.join(root, 'backtest'),
    report: false,
    progress: false,
    runInfo: {},
  });
  assert.ok(run.files, 'the backtest wrote its outputs');
  const written = JSON.parse(fs.readFileSync(run.files.tradeHistoryJson, 'utf8')) as TradeRecord[];
  assert.ok(written.length >= 10, `the replay days give a real backtest, got ${written.length} trades`);
  assert.ok(new Set(written.map((t) => t.instrument)).size >= 2, 'more than one instrument traded');

  const outputDir = path.join(root, 'output');
  const acts = createAuditActivities({ outputDir, backupsDir: path.join(root, 'backups'), env: defaultEnvConfig(), bot: botConfigSchema.parse({}) });
  for (const t of written) await acts.postTradeToLedger({ mode: 'paper', trade: { ...t, mode: 'paper' } });
  const files = {
    beancount: exportPlainTextJournal({ outputDir, book: 'paper', format: 'beancount' }).file,
    hledger: exportPlainTextJournal({ outputDir, book: 'paper', format: 'hledger' }).file,
  };
  const book = readBook(outputDir, 'paper');
  assertToolsAgreeWithTrialBalance(files, book, 'paper');

  // The backtester's own PnL, against the profit and loss hledger computes from the journal: realised
  // gains minus slippage and fees equal each closed trade's pnl within its cent rounding (docs/ledger.md).
  const closed = written.filter((t) => t.exit_price !== null);
  assert.equal(closed.length, written.length, 'every backtest trade closed by its session end');
  const backtestPnl = closed.reduce((a, t) => a + toCents(t.pnl), 0);
  const netIncome = runTool('hledger', ['-f', files.hledger, 'balance', 'Income', 'Expenses', '--depth', '0', '-N', '-O', 'csv']);
  const [, total] = netIncome.trim().split('\n')[1].split(',').map((c) => c.replace(/"/g, ''));
  const ledgerPnl = -centsOfText(total);
  assert.ok(Math.abs(ledgerPnl - backtestPnl) <= 2 * closed.length, `ledger PnL ${ledgerPnl} cents vs backtest ${backtestPnl} cents over ${closed.length} trades`);
});
