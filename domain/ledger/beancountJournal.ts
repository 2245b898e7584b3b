import type { LedgerBook } from './chartOfAccounts';
import { firstDate, inDateOrder, JOURNAL_COMMODITY, journalChart, journalTitle, lineAccountName, signedAmount } from './journalAccounts';
import type { LedgerEntry } from './postings';

/*
 * The book as a beancount (v2) file: options, the commodity, one open directive per chart account
 * (dated on the book's first entry), then one transaction per journal entry with its Reference and
 * trade metadata as metadata, each line a posting of exact cents in USD. bean-check accepts it
 * (tests/unit/ledgerJournalTools.test.ts).
 */

/** A beancount string literal: backslash and double quote escaped, line breaks made spaces. */
function str(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/[\r\n\t]+/g, ' ')}"`;
}

function header(book: LedgerBook, entries: readonly LedgerEntry[]): string[] {
  return [
    `; ${journalTitle(book, entries)}`,
    `option "title" ${str(`TradeBot ${book} book`)}`,
    `option "operating_currency" "${JOURNAL_COMMODITY}"`,
    '',
    `${firstDate(entries)} commodity ${JOURNAL_COMMODITY}`,
    '',
  ];
}

function openDirectives(book: LedgerBook, date: string): string[] {
  return journalChart(book).flatMap(({ account, journalName }) => [
    `${date} open ${journalName} ${JOURNAL_COMMODITY}`,
    `  code: ${str(account.code)}`,
    `  manager_name: ${str(account.name)}`,
  ]);
}

function transaction(book: LedgerBook, e: LedgerEntry): string[] {
  const meta: [string, string | null][] = [
    ['reference', e.reference],
    ['kind', e.kind],
    ['trade_uuid', e.meta.tradeUuid],
    ['trade_id', e.meta.tradeId],
    ['broker_confirmation', e.meta.brokerConfirmation],
    ['strategy', e.meta.strategyTag],
    ['source', e.meta.sourceTag],
  ];
  return [
    `${e.date} * ${str(e.narration)}`,
    ...meta.filter((m): m is [string, string] => m[1] !== null && m[1] !== '').map(([k, v]) => `  ${k}: ${str(v)}`),
    ...e.lines.flatMap((l) => [`  ${lineAccountName(book, e, l)}  ${signedAmount(l)}`, `    description: ${str(l.description)}`]),
    '',
  ];
}

export function formatBeancount(book: LedgerBook, entries: readonly LedgerEntry[]): string {
  const lines = [...header(book, entries), ...openDirectives(book, firstDate(entries)), ''];
  for (const e of inDateOrder(entries)) lines.push(...transaction(book, e));
  return `${lines.join('\n')}`;
}
