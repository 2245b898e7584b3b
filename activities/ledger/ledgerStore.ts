import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { LedgerBook } from '../../domain/ledger/chartOfAccounts';
import { entryProblems } from '../../domain/ledger/balance';
import type { LedgerEntry } from '../../domain/ledger/postings';
import { appendDurable } from '../outputs/atomicFile';
import { outputPaths } from '../outputs/outputPaths';
import { withFileLockSync } from './fileLock';

/*
 * The books' embedded store: an append-only journal file per book, output/ledgers/tbot_<book>_ledger.jsonl,
 * one JSON line per posting: {"v":1,"sha256":<hash of the entry JSON>,"entry":{...}}.
 *
 * - Exactly once: under a lock, the postings whose entryKey is already stored are skipped, the rest are
 *   appended in one write and fsynced. A retried activity therefore posts nothing twice.
 * - Crash safety: a process killed mid-append leaves at most a torn last line without its newline. Readers
 *   ignore it; the next writer cuts it off (after backing the file up) before appending, and the retried
 *   activity posts whatever the torn line held again. A complete line that fails its checksum is never
 *   ignored: that is corruption, and the store refuses to go on.
 * - Backup before write: before every append that changes the file, the current file is copied (gzip)
 *   to backups/ledger/ under a new timestamped name, never overwriting an earlier copy.
 */

export const LEDGER_STORE_VERSION = 1;

export function ledgerFile(outputDir: string, book: LedgerBook): string {
  return path.join(outputPaths(outputDir, book).ledgerDir, `tbot_${book}_ledger.jsonl`);
}

export function ledgerBackupDir(backupsDir: string): string {
  return path.join(backupsDir, 'ledger');
}

export class LedgerCorruptError extends Error {
  override name = 'LedgerCorruptError';
}

const hashOf = (entryJson: string) => createHash('sha256').update(entryJson).digest('hex');

export function encodeEntry(e: LedgerEntry): string {
  const entryJson = JSON.stringify(e);
  return `{"v":${LEDGER_STORE_VERSION},"sha256":"${hashOf(entryJson)}","entry":${entryJson}}`;
}

interface ParsedStore {
  readonly entries: LedgerEntry[];
  /** Byte length of the complete lines; anything after it is a torn line. */
  readonly validBytes: number;
  readonly tornBytes: number;
}

function parseStore(file: string, text: string, book: LedgerBook): ParsedStore {
  const entries: LedgerEntry[] = [];
  const lastNl = text.lastIndexOf('\n');
  const complete = lastNl < 0 ? '' : text.slice(0, lastNl + 1);
  const lines = complete.split('\n');
  lines.pop();
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const where = `${file} line ${i + 1}`;
    let rec: { v?: unknown; sha256?: unknown; entry?: LedgerEntry };
    try {
      rec = JSON.parse(raw) as typeof rec;
    } catch {
      throw new LedgerCorruptError(`${where} is not valid JSON; the ledger was not modified`);
    }
    if (rec.v !== LEDGER_STORE_VERSION || typeof rec.sha256 !== 'string' || !rec.entry) {
      throw new LedgerCorruptError(`${where} is not a version ${LEDGER_STORE_VERSION} ledger record`);
    }
    if (hashOf(JSON.stringify(rec.entry)) !== rec.sha256) throw new LedgerCorruptError(`${where} fails its checksum`);
    if (rec.entry.book !== book) throw new LedgerCorruptError(`${where} belongs to the ${rec.entry.book} book`);
    entries.push(rec.entry);
  }
  const validBytes = Buffer.byteLength(complete);
  return { entries, validBytes, tornBytes: Buffer.byteLength(text) - validBytes };
}

/** Every stored posting of a book, in posting order. A missing file is an empty book. */
export function readBook(outputDir: string, book: LedgerBook): LedgerEntry[] {
  const file = ledgerFile(outputDir, book);
  if (!fs.existsSync(file)) return [];
  return parseStore(file, fs.readFileSync(file, 'utf8'), book).entries;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** Copies the ledger file (gzip) into backups/ledger/ under a name no earlier copy has. Returns its path. */
export function backupLedgerFile(file: string, backupsDir: string, now: Date = new Date()): string | null {
  if (!fs.existsSync(file)) return null;
  const dir = ledgerBackupDir(backupsDir);
  fs.mkdirSync(dir, { recursive: true });
  const base = path.basename(file, '.jsonl');
  const data = gzipSync(fs.readFileSync(file));
  for (let n = 0; n < 1000; n++) {
    const target = path.join(dir, `${base}.${stamp(now)}${n === 0 ? '' : `-${n}`}.jsonl.gz`);
    let fd: number;
    try {
      fd = fs.openSync(target, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return target;
  }
  throw new Error(`could not find a free backup name for ${file} in ${dir}`);
}

export interface PostResult {
  /** entryKeys appended by this call. */
  readonly posted: string[];
  /** entryKeys that were already in the book (a retry, or a re-run). */
  readonly alreadyPosted: string[];
  readonly backup: string | null;
}

/**
 * Appends the postings the book does not have yet, exactly once per entryKey. Every entry is validated
 * first (balance, accounts, structure); an invalid one fails the whole call before anything is written.
 */
export function postEntries(opts: {
  outputDir: string;
  backupsDir: string;
  book: LedgerBook;
  entries: readonly LedgerEntry[];
  now?: Date;
}): PostResult {
  const { outputDir, backupsDir, book, entries } = opts;
  const problems = entries.flatMap((e) => entryProblems(e, book));
  if (problems.length > 0) throw new Error(`ledger postings rejected: ${problems.join('; ')}`);
  const file = ledgerFile(outputDir, book);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return withFileLockSync(file, () => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const stored = parseStore(file, text, book);
    const have = new Map(stored.entries.map((e) => [e.entryKey, e]));
    const haveRefs = new Set(stored.entries.map((e) => e.reference));
    const fresh: LedgerEntry[] = [];
    const already: string[] = [];
    for (const e of entries) {
      const prior = have.get(e.entryKey);
      if (prior) {
        already.push(e.entryKey);
        continue;
      }
      if (haveRefs.has(e.reference)) throw new Error(`Reference ${e.reference} is already used by another posting in the ${book} book`);
      if (fresh.some((f) => f.entryKey === e.entryKey)) continue;
      fresh.push(e);
    }
    if (fresh.length === 0 && stored.tornBytes === 0) return { posted: [], alreadyPosted: already, backup: null };
    const backup = backupLedgerFile(file, backupsDir, opts.now);
    if (stored.tornBytes > 0) fs.truncateSync(file, stored.validBytes);
    if (fresh.length > 0) appendDurable(file, fresh.map((e) => `${encodeEntry(e)}\n`).join(''));
    return { posted: fresh.map((e) => e.entryKey), alreadyPosted: already, backup };
  });
}
