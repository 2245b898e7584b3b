import { accountByCode, chartOf, type LedgerBook } from './chartOfAccounts';
import type { LedgerEntry } from './postings';

/** Structural and balance problems of one entry; empty when it may be stored or exported. */
export function entryProblems(e: LedgerEntry, book: LedgerBook = e.book): string[] {
  const p: string[] = [];
  const id = e.reference || e.entryKey || '<no reference>';
  if (e.book !== book) p.push(`${id}: belongs to the ${e.book} book, not ${book}`);
  if (!e.entryKey) p.push(`${id}: entryKey is empty`);
  if (!e.reference || /[\t\r\n]/.test(e.reference)) p.push(`${id}: Reference is empty or has tabs or line breaks`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(e.date) || Number.isNaN(Date.parse(`${e.date}T00:00:00Z`))) p.push(`${id}: date ${e.date} is not YYYY-MM-DD`);
  if (/[\t\r\n]/.test(e.narration)) p.push(`${id}: Narration has tabs or line breaks`);
  if (!Array.isArray(e.lines) || e.lines.length < 2) p.push(`${id}: needs at least two lines`);
  let debit = 0;
  let credit = 0;
  for (const [i, l] of (e.lines ?? []).entries()) {
    if (!Number.isSafeInteger(l.cents) || l.cents <= 0) p.push(`${id}: line ${i + 1} amount ${l.cents} is not a positive number of cents`);
    if (l.side !== 'debit' && l.side !== 'credit') p.push(`${id}: line ${i + 1} is neither debit nor credit`);
    if (!accountByCode(book, l.account)) p.push(`${id}: line ${i + 1} account ${l.account} is not in the ${book} chart of accounts`);
    if (/[\t\r\n]/.test(l.description)) p.push(`${id}: line ${i + 1} description has tabs or line breaks`);
    if (l.side === 'debit') debit += l.cents;
    else credit += l.cents;
  }
  if (debit !== credit) p.push(`${id}: debits ${debit} != credits ${credit} (cents)`);
  if (e.kind !== 'float' && !e.meta?.brokerConfirmation) p.push(`${id}: no broker confirmation`);
  if (!e.meta?.tradeUuid || !e.meta.strategyTag || !e.meta.sourceTag) p.push(`${id}: metadata (trade UUID, strategy tag, source tag) incomplete`);
  return p;
}

/** Problems of a whole book: every entry's, plus duplicate keys or references. */
export function bookProblems(entries: readonly LedgerEntry[], book: LedgerBook): string[] {
  const p: string[] = [];
  const keys = new Set<string>();
  const refs = new Set<string>();
  for (const e of entries) {
    p.push(...entryProblems(e, book));
    if (keys.has(e.entryKey)) p.push(`${e.reference}: entryKey ${e.entryKey} appears twice`);
    if (refs.has(e.reference)) p.push(`${e.reference}: Reference appears twice`);
    keys.add(e.entryKey);
    refs.add(e.reference);
  }
  return p;
}

export interface TrialBalanceRow {
  readonly code: string;
  readonly name: string;
  readonly debitCents: number;
  readonly creditCents: number;
  /** Debits minus credits. */
  readonly balanceCents: number;
}

/** Per account totals over the book, in chart order; accounts never used are left out. */
export function trialBalance(entries: readonly LedgerEntry[], book: LedgerBook): TrialBalanceRow[] {
  const totals = new Map<string, { d: number; c: number }>();
  for (const e of entries) {
    for (const l of e.lines) {
      const t = totals.get(l.account) ?? { d: 0, c: 0 };
      if (l.side === 'debit') t.d += l.cents;
      else t.c += l.cents;
      totals.set(l.account, t);
    }
  }
  return chartOf(book)
    .filter((a) => totals.has(a.code))
    .map((a) => {
      const t = totals.get(a.code) as { d: number; c: number };
      return { code: a.code, name: a.name, debitCents: t.d, creditCents: t.c, balanceCents: t.d - t.c };
    });
}
