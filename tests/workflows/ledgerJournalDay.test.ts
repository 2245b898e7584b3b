import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readBook } from '../../activities/ledger/ledgerStore';
import { exportPlainTextJournal } from '../../activities/ledger/plainTextExport';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { toCents } from '../../domain/math/round';
import { assertToolsAgreeWithTrialBalance, centsOfText, runTool } from '../helpers/accountingTools';
import { OPEN_DAY_DATE, OPEN_DAY_UNIVERSE, ROOMY_OPEN_LIMITS, replayDayInput, startDay, startDayHarness, testConfig, type DayHarness } from '../helpers/tradingDayHarness';

/*
 * The paper book a compressed TEST_MODE day wrote (day, session and account workflows on the real dev
 * server, simulated broker, real bars), exported to beancount and hledger and checked with the real tools.
 */

describe('the ledger of a TEST_MODE day as beancount and hledger journals', () => {
  let h: DayHarness;
  before(async () => {
    h = await startDayHarness({ symbols: OPEN_DAY_UNIVERSE, prefix: 'journal' });
  });
  after(async () => {
    await h.stop();
  });

  test('bean-check and hledger check pass; their balances equal the trial balance; the profit and loss is the day\'s PnL', async () => {
    const config = testConfig(ROOMY_OPEN_LIMITS);
    const input = replayDayInput({ date: OPEN_DAY_DATE, config, universe: OPEN_DAY_UNIVERSE, marketStart: `${OPEN_DAY_DATE}T14:28:00Z`, speed: 240 });
    const summary = await (await startDay(h, input, `test-journal-day-${Date.now()}`)).result();
    assert.equal(summary.mode, 'paper');
    const trades = readTradeHistory(h.outputDir, 'paper');
    assert.ok(trades.length >= 3, `the OPEN day trades several symbols, got ${trades.length}`);

    const book = readBook(h.outputDir, 'paper');
    assert.ok(trades.every((t) => book.some((e) => e.meta.tradeId === t.tradeId)), 'every trade of the day is in the book');
    const files = {
      beancount: exportPlainTextJournal({ outputDir: h.outputDir, book: 'paper', format: 'beancount' }).file,
      hledger: exportPlainTextJournal({ outputDir: h.outputDir, book: 'paper', format: 'hledger' }).file,
    };
    assertToolsAgreeWithTrialBalance(files, book, 'paper');

    // Realised gains minus slippage and fees, as hledger sums them, against the day's trade records.
    const closed = trades.filter((t) => t.exit_price !== null);
    const recordedPnl = closed.reduce((a, t) => a + toCents(t.pnl), 0);
    const csv = runTool('hledger', ['-f', files.hledger, 'balance', 'Income', 'Expenses', '--depth', '0', '-N', '-O', 'csv']);
    const total = csv.trim().split('\n')[1].split(',')[1].replace(/"/g, '');
    const ledgerPnl = -centsOfText(total);
    assert.ok(Math.abs(ledgerPnl - recordedPnl) <= 2 * closed.length, `ledger PnL ${ledgerPnl} cents vs trade records ${recordedPnl} cents`);
  });
});
