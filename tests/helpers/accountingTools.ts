import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { trialBalance } from '../../domain/ledger/balance';
import { accountByCode, type LedgerBook } from '../../domain/ledger/chartOfAccounts';
import { journalAccountName } from '../../domain/ledger/journalAccounts';
import type { LedgerEntry } from '../../domain/ledger/postings';

/*
 * The real accounting tools on an exported journal: Debian's beancount (bean-check, bean-query) and
 * hledger. npm test installs them on first use (scripts/runTests.js); a missing tool fails the test with
 * the package to install, never skips it.
 */

const TOOL_PACKAGE: Readonly<Record<string, string>> = { 'bean-check': 'beancount', 'bean-query': 'beancount', 'bean-report': 'beancount', hledger: 'hledger' };

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && fs.existsSync(path.join(dir, binary)));
}

/** Runs a tool and returns its stdout; fails on a missing tool (naming its Debian package) or a non-zero exit. */
export function runTool(binary: string, args: readonly string[]): string {
  const pkg = TOOL_PACKAGE[binary] ?? binary;
  if (!onPath(binary)) {
    throw new Error(`${binary} is not installed: install Debian's ${pkg} package (apt-get install -y ${pkg}; npm test does it when run as root)`);
  }
  const r = spawnSync(binary, [...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${binary} ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** "-1002.50" or "-1002.50 USD" as integer cents, from the text (no floating point on the way). */
export function centsOfText(text: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?(?: USD)?$/.exec(text.trim());
  if (!m) throw new Error(`not an amount in whole cents: ${JSON.stringify(text)}`);
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] === '-' ? -cents : cents;
}

function csvRows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map((c) => c.trim().replace(/^"|"$/g, '')));
}

/** Per-account balances (cents) as bean-query computes them; every account with a posting is listed. */
export function beancountBalances(file: string): Map<string, number> {
  const out = runTool('bean-query', ['-f', 'csv', file, 'SELECT account, sum(number) AS total GROUP BY account ORDER BY account']);
  return new Map(csvRows(out).map(([account, total]) => [account, centsOfText(total)]));
}

/** Per-account balances (cents) as `hledger balance` reports them (accounts at zero are left out). */
export function hledgerBalances(file: string): Map<string, number> {
  const out = runTool('hledger', ['-f', file, 'balance', '--flat', '--no-total', '-O', 'csv']);
  return new Map(csvRows(out).map(([account, total]) => [account, centsOfText(total)]));
}

/** The project's own trial balance (debits minus credits) keyed by journal account name. */
export function trialBalanceByJournalName(entries: readonly LedgerEntry[], book: LedgerBook): Map<string, number> {
  return new Map(
    trialBalance(entries, book).map((r) => {
      const a = accountByCode(book, r.code);
      if (!a) throw new Error(`trial balance account ${r.code} is not in the ${book} chart`);
      return [journalAccountName(a), r.balanceCents];
    }),
  );
}

const nonZero = (m: ReadonlyMap<string, number>) => new Map([...m].filter(([, c]) => c !== 0));

/**
 * bean-check and `hledger check --strict` accept the two journals, `hledger balance` runs, and both tools'
 * per-account balances equal the trial balance: bean-query over the same accounts the book used,
 * hledger over every account that does not net to zero.
 */
export function assertToolsAgreeWithTrialBalance(files: { beancount: string; hledger: string }, entries: readonly LedgerEntry[], book: LedgerBook): void {
  runTool('bean-check', [files.beancount]);
  runTool('hledger', ['-f', files.hledger, 'check', '--strict', 'ordereddates', 'uniqueleafnames']);
  const report = runTool('hledger', ['-f', files.hledger, 'balance']);
  assert.match(report, /USD/, 'hledger balance printed balances');
  const expected = trialBalanceByJournalName(entries, book);
  assert.ok(expected.size > 0, 'the book has postings');
  assert.deepEqual(beancountBalances(files.beancount), expected, 'bean-query balances equal the trial balance');
  assert.deepEqual(hledgerBalances(files.hledger), nonZero(expected), 'hledger balances equal the trial balance');
}
