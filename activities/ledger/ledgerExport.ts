import path from 'node:path';
import { bookProblems } from '../../domain/ledger/balance';
import { chartOf, type LedgerAccount, type LedgerBook } from '../../domain/ledger/chartOfAccounts';
import { byName, formatManagerJson, formatManagerTsv, toManagerForm, type AccountRef } from '../../domain/ledger/manager';
import type { LedgerEntry } from '../../domain/ledger/postings';
import { writeFileAtomic } from '../outputs/atomicFile';
import { outputPaths } from '../outputs/outputPaths';
import { readBook } from './ledgerStore';
import { ManagerApiError, type ManagerAccountRef, type ManagerApiClient } from './managerApi';

export class LedgerExportError extends Error {
  override name = 'LedgerExportError';
}

export function managerExportPaths(outputDir: string, book: LedgerBook) {
  const dir = outputPaths(outputDir, book).ledgerDir;
  return {
    tsv: path.join(dir, `tbot_${book}_ledger.manager.tsv`),
    json: path.join(dir, `tbot_${book}_ledger.manager.json`),
  };
}

/** Reads the book and checks balance and structure first: an export never starts on a bad book. */
export function loadValidBook(outputDir: string, book: LedgerBook): LedgerEntry[] {
  const entries = readBook(outputDir, book);
  const problems = bookProblems(entries, book);
  if (problems.length > 0) {
    throw new LedgerExportError(`the ${book} ledger fails validation, nothing exported:\n  ${problems.slice(0, 20).join('\n  ')}`);
  }
  return entries;
}

/** A `Name<TAB>Key` file (or a Map) naming Manager.io account keys, for businesses whose Batch Create wants keys. */
export function accountRefFrom(keys: ReadonlyMap<string, string> | null): AccountRef {
  if (!keys || keys.size === 0) return byName;
  return (a: LedgerAccount) => {
    const k = keys.get(a.name) ?? keys.get(a.code);
    if (!k) throw new LedgerExportError(`no Manager.io key for account "${a.name}" (code ${a.code}) in the account key map`);
    return k;
  };
}

export function parseAccountKeyMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const [name, key] = l.split('\t').map((x) => x.trim());
    if (!name || !key) throw new LedgerExportError(`account key map line ${i + 1}: expected "Name<TAB>Key"`);
    map.set(name, key);
  }
  return map;
}

/** Writes tbot_<book>_ledger.manager.tsv and .manager.json (atomically) from a validated book. */
export function writeManagerFiles(outputDir: string, book: LedgerBook, entries: readonly LedgerEntry[], ref: AccountRef = byName) {
  const paths = managerExportPaths(outputDir, book);
  const tsv = formatManagerTsv(book, entries, ref);
  const json = `${JSON.stringify(formatManagerJson(book, entries, ref), null, 2)}\n`;
  writeFileAtomic(paths.tsv, tsv);
  writeFileAtomic(paths.json, json);
  return paths;
}

/** Maps each chart account to the business's account key, by name (case and spacing ignored) or code. */
export function matchAccounts(book: LedgerBook, remote: readonly ManagerAccountRef[]): Map<string, string> {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const byRemoteName = new Map(remote.map((a) => [norm(a.name), a.key]));
  const byRemoteCode = new Map(remote.filter((a) => a.code).map((a) => [a.code as string, a.key]));
  const keys = new Map<string, string>();
  const missing: string[] = [];
  for (const a of chartOf(book)) {
    const k = byRemoteName.get(norm(a.name)) ?? byRemoteCode.get(a.code);
    if (k) keys.set(a.code, k);
    else missing.push(`${a.name} (${a.statement}, code ${a.code})`);
  }
  if (missing.length > 0) {
    throw new ManagerApiError(
      `the Manager.io business lacks ${missing.length} account(s) of the ${book} chart; create them in Settings > Chart of Accounts ` +
        `(the chart block of tbot_${book}_ledger.manager.tsv lists them): ${missing.join(', ')}`,
      false,
    );
  }
  return keys;
}

export interface ApiExportResult {
  readonly posted: string[];
  readonly alreadyPresent: string[];
}

/**
 * Posts every entry whose Reference the business does not have yet. References are checked before
 * posting, so a retry after a lost answer, or a re-run, never posts an entry twice.
 */
export async function exportToManagerApi(client: ManagerApiClient, book: LedgerBook, entries: readonly LedgerEntry[]): Promise<ApiExportResult> {
  const accountKeys = matchAccounts(book, await client.chartOfAccounts());
  const ref: AccountRef = (a) => accountKeys.get(a.code) as string;
  const forms = entries.map((e) => toManagerForm(e, ref));
  const existing = await client.journalEntryReferences();
  const posted: string[] = [];
  const alreadyPresent: string[] = [];
  for (const form of forms) {
    if (existing.has(form.Reference)) {
      alreadyPresent.push(form.Reference);
      continue;
    }
    await client.createJournalEntry(form);
    existing.add(form.Reference);
    posted.push(form.Reference);
  }
  return { posted, alreadyPresent };
}
