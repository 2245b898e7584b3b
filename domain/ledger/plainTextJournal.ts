import { formatBeancount } from './beancountJournal';
import type { LedgerBook } from './chartOfAccounts';
import { formatHledger } from './hledgerJournal';
import type { LedgerEntry } from './postings';

/** The plain-text journal formats `ledger export --format` writes besides the Manager.io files. */
export const JOURNAL_FORMATS = ['beancount', 'hledger'] as const;
export type JournalFormat = (typeof JOURNAL_FORMATS)[number];

export function isJournalFormat(s: string): s is JournalFormat {
  return (JOURNAL_FORMATS as readonly string[]).includes(s);
}

/** The file name the journal gets in output/ledgers/ when no --out is given. */
export function journalFileName(book: LedgerBook, format: JournalFormat): string {
  return `tbot_${book}_ledger.${format === 'beancount' ? 'beancount' : 'journal'}`;
}

/** The whole book (validated by the caller) as the format's text. */
export function formatJournal(format: JournalFormat, book: LedgerBook, entries: readonly LedgerEntry[]): string {
  return format === 'beancount' ? formatBeancount(book, entries) : formatHledger(book, entries);
}
