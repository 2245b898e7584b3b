import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { bookProblems } from '../../domain/ledger/balance';
import { chartOf, type LedgerBook } from '../../domain/ledger/chartOfAccounts';
import { journalAccountName, journalChart } from '../../domain/ledger/journalAccounts';
import { formatJournal, journalFileName } from '../../domain/ledger/plainTextJournal';
import { buildTradePostings, type LedgerEntry } from '../../domain/ledger/postings';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { assertToolsAgreeWithTrialBalance, beancountBalances, hledgerBalances, runTool } from '../helpers/accountingTools';
import { arbTrade, makeTrade } from './ledgerFixtures';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-journal-'));

/** The book as the store keeps it: each entryKey once (the float of a broker only with its first trade). */
function bookOf(trades: readonly TradeRecord[]): LedgerEntry[] {
  const seen = new Set<string>();
  return trades.flatMap((t) => buildTradePostings(t)).filter((e) => !seen.has(e.entryKey) && !!seen.add(e.entryKey));
}

function writeBoth(name: string, book: LedgerBook, entries: readonly LedgerEntry[]) {
  const files = { beancount: path.join(dir, `${name}.beancount`), hledger: path.join(dir, `${name}.journal`) };
  fs.writeFileSync(files.beancount, formatJournal('beancount', book, entries));
  fs.writeFileSync(files.hledger, formatJournal('hledger', book, entries));
  return files;
}

void test('journal account names: a beancount root, capitalised dash-joined components, one per chart account', () => {
  const valid = /^(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+$/;
  for (const book of ['live', 'paper'] as const) {
    const rows = journalChart(book);
    assert.equal(rows.length, chartOf(book).length);
    assert.equal(new Set(rows.map((r) => r.journalName)).size, rows.length, `${book}: names are unique`);
    for (const r of rows) assert.match(r.journalName, valid, r.account.name);
  }
  const live = (name: string) => journalAccountName(chartOf('live').find((a) => a.name === name)!);
  assert.equal(live('Slippage / Execution Losses'), 'Expenses:Slippage-Execution-Losses');
  assert.equal(live('Realized Gains - IBKR'), 'Income:Realized-Gains-IBKR');
  assert.equal(live('IBKR Securities Sold Short'), 'Liabilities:IBKR-Securities-Sold-Short');
  assert.equal(journalFileName('paper', 'beancount'), 'tbot_paper_ledger.beancount');
  assert.equal(journalFileName('live', 'hledger'), 'tbot_live_ledger.journal');
});

void test('the documented live trade: both tools report the balances worked out by hand (docs/ledger.md example)', () => {
  // 10 AAPL, signal 100.00, filled 100.25, sold 101.50, fees 0.42, first trade of the broker (float 100000).
  const entries = bookOf([makeTrade({ mode: 'live', broker: 'alpaca', size: 10, signal_price: 100, entry_price: 100.25, exit_price: 101.5, fees: 0.42 })]);
  const files = writeBoth('documented', 'live', entries);
  assertToolsAgreeWithTrialBalance(files, entries, 'live');
  const byHand = new Map([
    ['Assets:Alpaca-Cash', 100000_00 - 1002_50 + 1015_00 - 42], // float, paid, proceeds, fees
    ['Equity:Capital-Float', -100000_00],
    ['Expenses:Slippage-Execution-Losses', 2_50], // 10 x (100.25 - 100.00)
    ['Expenses:Broker-Fees-Alpaca', 42],
    ['Income:Realized-Gains-Alpaca', -15_00], // 10 x (101.50 - 100.00), a credit
  ]);
  assert.deepEqual(hledgerBalances(files.hledger), byHand);
  // bean-query also lists the position account, which the exit brought back to zero.
  assert.deepEqual(beancountBalances(files.beancount), new Map([...byHand, ['Assets:Alpaca-Equities', 0]]));
  const text = fs.readFileSync(files.beancount, 'utf8');
  assert.match(text, /reference: "TBOT-LIVE-[0-9a-f-]{36}-ENTRY"/);
  assert.match(text, /  Assets:Alpaca-Cash  -1002\.50 USD\n/);
  assert.match(fs.readFileSync(files.hledger, 'utf8'), /\* \(TBOT-LIVE-[0-9a-f-]{36}-EXIT\) OPEN sell 10 AAPL @ 101\.5/);
});

void test('random books of every instrument, broker and fractional size: both tools accept them and agree with the trial balance to the cent', () => {
  for (const [book, seed] of [['paper', 11], ['live', 12]] as const) {
    const trades = fc.sample(fc.integer({ min: 1, max: 1_000_000 }).chain((n) => arbTrade(book, n)), { numRuns: 60, seed });
    // Distinct trade ids, some of them on a later date, so the book spans days out of posting order.
    const spread = trades.map((t, i) => {
      const day = i % 3 === 0 ? '2025-03-11' : '2025-03-10';
      return { ...t, tradeId: `${t.tradeId}-${i}`, entry_time: t.entry_time.replace('2025-03-10', day), exit_time: t.exit_time?.replace('2025-03-10', day) ?? null };
    });
    const entries = bookOf(spread);
    assert.deepEqual(bookProblems(entries, book), []);
    assert.ok(entries.some((e) => e.date === '2025-03-11') && entries.length > trades.length, `${book}: a book of two days`);
    assertToolsAgreeWithTrialBalance(writeBoth(`random-${book}`, book, entries), entries, book);
  }
});

void test('narrations with quotes, backslashes, semicolons and commas reach both tools intact', () => {
  const odd = 'odd "quoted" \\ back; semi, comma';
  const entries = bookOf([makeTrade({ n: 1 })]).map((e) => ({ ...e, narration: `${e.kind}: ${odd}` }));
  const files = writeBoth('escaping', 'paper', entries);
  assertToolsAgreeWithTrialBalance(files, entries, 'paper');
  const narrations = runTool('bean-query', ['-f', 'csv', files.beancount, 'SELECT DISTINCT narration']);
  assert.ok(narrations.includes(`entry: ${odd}`.replace(/"/g, '""')) || narrations.includes(`entry: ${odd}`), narrations);
  // hledger descriptions cannot hold ';' (it starts a comment): it is written as ','.
  const described = runTool('hledger', ['-f', files.hledger, 'descriptions']);
  assert.ok(described.split('\n').includes('entry: odd "quoted" \\ back, semi, comma'), described);
});

void test('formatting an empty book is an error, not an empty journal', () => {
  assert.throws(() => formatJournal('beancount', 'paper', []), /empty book/);
  assert.throws(() => formatJournal('hledger', 'paper', []), /empty book/);
});
