import { accountByCode, chartOf, type AccountClass, type LedgerAccount, type LedgerBook } from './chartOfAccounts';
import { formatCents, type LedgerEntry, type LedgerLine } from './postings';

/*
 * What the beancount and hledger journals share (docs/ledger.md "Plain-text journals"): account names
 * both tools accept, the one commodity, signed amounts and the order entries are written in.
 *
 * Beancount wants a root of Assets, Liabilities, Equity, Income or Expenses and components that start
 * with a capital letter or a digit and hold only letters, digits and dashes; hledger infers the account
 * type from the same roots. So "Slippage / Execution Losses" becomes Expenses:Slippage-Execution-Losses.
 */

export const JOURNAL_COMMODITY = 'USD';

const rootOf: Record<AccountClass, string> = {
  asset: 'Assets',
  liability: 'Liabilities',
  equity: 'Equity',
  income: 'Income',
  expense: 'Expenses',
};

/** The Manager.io name as one journal component: its words, each capitalised, joined by dashes. */
function nameComponent(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  if (words.length === 0) throw new Error(`account name ${JSON.stringify(name)} has no letters or digits`);
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('-');
}

export function journalAccountName(account: LedgerAccount): string {
  return `${rootOf[account.class]}:${nameComponent(account.name)}`;
}

/** The chart with its journal names; throws if two accounts would share a name (the tools would merge them). */
export function journalChart(book: LedgerBook): { readonly account: LedgerAccount; readonly journalName: string }[] {
  const rows = chartOf(book).map((account) => ({ account, journalName: journalAccountName(account) }));
  const seen = new Set<string>();
  for (const r of rows) {
    if (seen.has(r.journalName)) throw new Error(`two ${book} accounts map to the journal account ${r.journalName}`);
    seen.add(r.journalName);
  }
  return rows;
}

export function lineAccountName(book: LedgerBook, entry: LedgerEntry, line: LedgerLine): string {
  const a = accountByCode(book, line.account);
  if (!a) throw new Error(`${entry.reference}: account ${line.account} is not in the ${book} chart`);
  return journalAccountName(a);
}

/** A debit as a positive amount, a credit as a negative one, in exact cents: "-1002.50 USD". */
export function signedAmount(line: LedgerLine): string {
  return `${formatCents(line.side === 'debit' ? line.cents : -line.cents)} ${JOURNAL_COMMODITY}`;
}

/** Entries by date, posting order kept within a date (hledger's ordereddates check wants dates in order). */
export function inDateOrder(entries: readonly LedgerEntry[]): LedgerEntry[] {
  return entries.map((e, i) => ({ e, i })).sort((a, b) => a.e.date.localeCompare(b.e.date) || a.i - b.i).map((x) => x.e);
}

/** The date the accounts are opened on: the book's first entry, so no posting comes before its open. */
export function firstDate(entries: readonly LedgerEntry[]): string {
  if (entries.length === 0) throw new Error('an empty book has no journal');
  return inDateOrder(entries)[0].date;
}

export function journalTitle(book: LedgerBook, entries: readonly LedgerEntry[]): string {
  return `TradeBot ${book} book: ${entries.length} journal entries, the entries of tbot_${book}_ledger.jsonl`;
}
