import type { AccountClass, LedgerBook } from './chartOfAccounts';
import { inDateOrder, JOURNAL_COMMODITY, journalChart, journalTitle, lineAccountName, signedAmount } from './journalAccounts';
import type { LedgerEntry } from './postings';

/*
 * The book as an hledger journal: the commodity and every chart account declared (with its type and
 * Manager.io code, so `hledger check --strict` passes), then one transaction per journal entry, its
 * Reference as the transaction code and the trade metadata as tags, each line a posting of exact cents.
 */

const typeTag: Record<AccountClass, string> = { asset: 'A', liability: 'L', equity: 'E', income: 'R', expense: 'X' };

/** Text for a description or comment: one line, and no ';' (which would start a comment in a description). */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').replace(/;/g, ',');
}

/** A tag value ends at a comma in hledger, so commas inside one become spaces. */
function tagValue(s: string): string {
  return oneLine(s).replace(/,/g, ' ');
}

function declarations(book: LedgerBook): string[] {
  return [
    `commodity 1000.00 ${JOURNAL_COMMODITY}`,
    '',
    ...journalChart(book).map(
      ({ account, journalName }) => `account ${journalName}  ; type: ${typeTag[account.class]}, code: ${account.code}, manager_name: ${tagValue(account.name)}`,
    ),
    '',
  ];
}

function transaction(book: LedgerBook, e: LedgerEntry): string[] {
  const tags: [string, string | null][] = [
    ['reference', e.reference],
    ['kind', e.kind],
    ['trade_uuid', e.meta.tradeUuid],
    ['trade_id', e.meta.tradeId],
    ['broker_confirmation', e.meta.brokerConfirmation],
    ['strategy', e.meta.strategyTag],
    ['source', e.meta.sourceTag],
  ];
  return [
    `${e.date} * (${e.reference.replace(/[()]/g, '')}) ${oneLine(e.narration)}`,
    ...tags.filter((t): t is [string, string] => t[1] !== null && t[1] !== '').map(([k, v]) => `    ; ${k}: ${tagValue(v)}`),
    ...e.lines.map((l) => `    ${lineAccountName(book, e, l)}  ${signedAmount(l)}  ; ${oneLine(l.description)}`),
    '',
  ];
}

export function formatHledger(book: LedgerBook, entries: readonly LedgerEntry[]): string {
  if (entries.length === 0) throw new Error('an empty book has no journal');
  const lines = [`; ${journalTitle(book, entries)}`, '', ...declarations(book)];
  for (const e of inDateOrder(entries)) lines.push(...transaction(book, e));
  return `${lines.join('\n')}`;
}
