import fs from 'node:fs';
import path from 'node:path';
import type { LedgerBook } from '../../domain/ledger/chartOfAccounts';
import { formatJournal, journalFileName, type JournalFormat } from '../../domain/ledger/plainTextJournal';
import { writeFileAtomic } from '../outputs/atomicFile';
import { outputPaths } from '../outputs/outputPaths';
import { LedgerExportError, loadValidBook } from './ledgerExport';
import { ledgerFile } from './ledgerStore';

/*
 * `ledger export --format beancount|hledger`: the validated book as a plain-text journal (docs/ledger.md
 * "Plain-text journals"), written atomically to --out or to output/ledgers/. Read-only on the book.
 */

export interface PlainTextExportResult {
  readonly file: string;
  readonly entries: number;
}

export function defaultJournalPath(outputDir: string, book: LedgerBook, format: JournalFormat): string {
  return path.join(outputPaths(outputDir, book).ledgerDir, journalFileName(book, format));
}

const WRITE_FAILURES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ENOSPC: 'no space left on the device',
  ENOENT: 'its folder cannot hold new files',
};

/** Refuses targets that cannot be a journal file before anything is written (a folder, the book itself). */
function checkTarget(file: string, outputDir: string, book: LedgerBook): void {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new LedgerExportError(`cannot write the journal to ${file}: it is a folder (give a file name)`);
  }
  if (path.resolve(file) === path.resolve(ledgerFile(outputDir, book))) {
    throw new LedgerExportError(`cannot write the journal to ${file}: that is the ${book} book itself`);
  }
}

function writeJournal(file: string, text: string): void {
  try {
    writeFileAtomic(file, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = WRITE_FAILURES[code] ?? (err as Error).message;
    throw new LedgerExportError(`cannot write the journal to ${file}: ${why}`, { cause: err });
  }
}

/** Validates the book, refuses an empty one, and writes it in the format; returns where and how many entries. */
export function exportPlainTextJournal(opts: {
  outputDir: string;
  book: LedgerBook;
  format: JournalFormat;
  /** Target file; default output/ledgers/tbot_<book>_ledger.beancount or .journal. */
  outFile?: string;
}): PlainTextExportResult {
  const { outputDir, book, format } = opts;
  const file = path.resolve(opts.outFile ?? defaultJournalPath(outputDir, book, format));
  const entries = loadValidBook(outputDir, book);
  if (entries.length === 0) {
    throw new LedgerExportError(`the ${book} ledger has no entries yet (${ledgerFile(outputDir, book)} is missing or empty): no ${format} journal written`);
  }
  checkTarget(file, outputDir, book);
  writeJournal(file, formatJournal(format, book, entries));
  return { file, entries: entries.length };
}
