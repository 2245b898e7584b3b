import { accountByCode, chartOf, type LedgerAccount, type LedgerBook } from './chartOfAccounts';
import { formatCents, type LedgerEntry } from './postings';

/*
 * Manager.io shapes (sources in docs/ledger.md, "Sources"):
 * - API: POST <server>/api2/journal-entry-form with
 *   { Date, Reference, Narration, Lines: [{ Account, LineDescription, Debit | Credit }] },
 *   Account being the account's key (a GUID) in that business's chart of accounts.
 * - Manual import: tab-separated rows a user pastes into Batch Create, and the same entries as
 *   API-shaped JSON. Both name accounts by name unless a name -> key map is supplied.
 */

export interface ManagerJournalLine {
  readonly Account: string;
  readonly LineDescription: string;
  readonly Debit?: number;
  readonly Credit?: number;
}

export interface ManagerJournalEntryForm {
  readonly Date: string;
  readonly Reference: string;
  readonly Narration: string;
  readonly Lines: readonly ManagerJournalLine[];
}

/** How a line names its account: by default the account name; the API passes the account key. */
export type AccountRef = (account: LedgerAccount) => string;
export const byName: AccountRef = (a) => a.name;

const cents = (c: number) => Math.round(c) / 100;

export function toManagerForm(e: LedgerEntry, ref: AccountRef = byName): ManagerJournalEntryForm {
  return {
    Date: e.date,
    Reference: e.reference,
    Narration: e.narration,
    Lines: e.lines.map((l) => {
      const a = accountByCode(e.book, l.account);
      if (!a) throw new Error(`${e.reference}: account ${l.account} is not in the ${e.book} chart`);
      return l.side === 'debit'
        ? { Account: ref(a), LineDescription: l.description, Debit: cents(l.cents) }
        : { Account: ref(a), LineDescription: l.description, Credit: cents(l.cents) };
    }),
  };
}

/** Column order of the chart block (Settings, Chart of Accounts: name, code, type, group). */
export const CHART_TSV_COLUMNS = ['Name', 'Code', 'Type', 'Group'] as const;
/** Column order of the journal block: Manager's "Journal Entries - Lines" columns, one row per line. */
export const JOURNAL_TSV_COLUMNS = ['Date', 'Reference', 'Narration', 'Account', 'Line description', 'Debit', 'Credit'] as const;

function cell(s: string): string {
  if (/[\t\r\n]/.test(s)) throw new Error(`a value for the Manager.io file has a tab or line break: ${JSON.stringify(s)}`);
  return s;
}

/**
 * The manual-import file: the chart of accounts block, one empty row, then the journal block.
 * Each block starts with its header row; amounts have two decimals and a dot, no thousands separator.
 */
export function formatManagerTsv(book: LedgerBook, entries: readonly LedgerEntry[], ref: AccountRef = byName): string {
  const rows: string[] = [CHART_TSV_COLUMNS.join('\t')];
  for (const a of chartOf(book)) rows.push([a.name, a.code, a.statement, a.group].map(cell).join('\t'));
  rows.push('');
  rows.push(JOURNAL_TSV_COLUMNS.join('\t'));
  for (const e of entries) {
    for (const l of e.lines) {
      const a = accountByCode(book, l.account);
      if (!a) throw new Error(`${e.reference}: account ${l.account} is not in the ${book} chart`);
      const amount = formatCents(l.cents);
      rows.push(
        [e.date, e.reference, e.narration, ref(a), l.description, l.side === 'debit' ? amount : '', l.side === 'credit' ? amount : '']
          .map(cell)
          .join('\t'),
      );
    }
  }
  return `${rows.join('\n')}\n`;
}

export interface ManagerJsonExport {
  readonly format: 'tradebot-manager-export';
  readonly version: 1;
  readonly book: LedgerBook;
  readonly chartOfAccounts: readonly { Name: string; Code: string; Type: string; Group: string }[];
  /** Each item is a body for POST /api2/journal-entry-form. */
  readonly journalEntries: readonly ManagerJournalEntryForm[];
  /** Trade metadata per Reference (trade UUID, broker confirmation, strategy and source tags). */
  readonly metadata: Readonly<Record<string, LedgerEntry['meta']>>;
}

export function formatManagerJson(book: LedgerBook, entries: readonly LedgerEntry[], ref: AccountRef = byName): ManagerJsonExport {
  return {
    format: 'tradebot-manager-export',
    version: 1,
    book,
    chartOfAccounts: chartOf(book).map((a) => ({ Name: a.name, Code: a.code, Type: a.statement, Group: a.group })),
    journalEntries: entries.map((e) => toManagerForm(e, ref)),
    metadata: Object.fromEntries(entries.map((e) => [e.reference, e.meta])),
  };
}

export interface ParsedManagerTsv {
  readonly chart: readonly Record<(typeof CHART_TSV_COLUMNS)[number], string>[];
  readonly journal: readonly Record<(typeof JOURNAL_TSV_COLUMNS)[number], string>[];
}

/** Reads a file written by formatManagerTsv back, checking the documented layout; throws on a deviation. */
export function parseManagerTsv(text: string): ParsedManagerTsv {
  const lines = text.replace(/\n$/, '').split('\n');
  const gap = lines.indexOf('');
  if (gap < 0) throw new Error('no empty row between the chart block and the journal block');
  const block = <C extends readonly string[]>(rows: string[], columns: C, name: string) => {
    if (rows[0] !== columns.join('\t')) throw new Error(`${name} header is ${JSON.stringify(rows[0])}, expected ${columns.join(' TAB ')}`);
    return rows.slice(1).map((r, i) => {
      const cells = r.split('\t');
      if (cells.length !== columns.length) throw new Error(`${name} row ${i + 1} has ${cells.length} cells, expected ${columns.length}`);
      return Object.fromEntries(columns.map((c, j) => [c, cells[j]])) as Record<C[number], string>;
    });
  };
  return {
    chart: block(lines.slice(0, gap), CHART_TSV_COLUMNS, 'chart of accounts'),
    journal: block(lines.slice(gap + 1), JOURNAL_TSV_COLUMNS, 'journal entries'),
  };
}

/** Problems of a parsed manual-import file: amounts, balance per Reference, accounts present in the chart. */
export function managerTsvProblems(parsed: ParsedManagerTsv): string[] {
  const p: string[] = [];
  const names = new Set(parsed.chart.map((a) => a.Name));
  if (names.size !== parsed.chart.length) p.push('chart of accounts has duplicate names');
  const sums = new Map<string, { d: number; c: number; date: string; narration: string }>();
  const amount = /^\d+\.\d{2}$/;
  for (const [i, r] of parsed.journal.entries()) {
    const where = `journal row ${i + 1} (${r.Reference})`;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(r.Date)) p.push(`${where}: Date ${r.Date} is not YYYY-MM-DD`);
    if (!names.has(r.Account)) p.push(`${where}: Account ${r.Account} is not in the chart block`);
    const hasD = r.Debit !== '';
    const hasC = r.Credit !== '';
    if (hasD === hasC) p.push(`${where}: exactly one of Debit and Credit must be set`);
    if ((hasD && !amount.test(r.Debit)) || (hasC && !amount.test(r.Credit))) p.push(`${where}: amount is not like 123.45`);
    const s = sums.get(r.Reference) ?? { d: 0, c: 0, date: r.Date, narration: r.Narration };
    if (s.date !== r.Date || s.narration !== r.Narration) p.push(`${where}: Date or Narration differs between lines of one entry`);
    if (hasD) s.d += Math.round(Number(r.Debit) * 100);
    if (hasC) s.c += Math.round(Number(r.Credit) * 100);
    sums.set(r.Reference, s);
  }
  for (const [ref, s] of sums) if (s.d !== s.c) p.push(`${ref}: debits ${formatCents(s.d)} != credits ${formatCents(s.c)}`);
  return p;
}
