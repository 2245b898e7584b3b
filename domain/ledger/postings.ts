import { toCents } from '../math/round';
import { type TradeRecord } from '../trades/tradeRecord';
import { accountFor, type LedgerBook } from './chartOfAccounts';
import { tradeUuid } from './uuid';
import { BROKER_NAMES, isSimulatedBroker, type OutputMode } from '../vocabulary';

/*
 * Double-entry postings for one trade, built from the validated TradeRecord the session workflow
 * records (never parsed back from logs). Amounts are integer cents so that every entry balances
 * exactly; the one amount that is a difference (slippage on entry, the realised gain on exit) is
 * computed as the balancing figure.
 *
 * Per trade:
 *   entry  long (stock, inverse ETF, put):  Dr position at signal value, Dr/Cr slippage, Cr cash at fill
 *          short sale:                      Dr cash at fill, Dr/Cr slippage, Cr short position at signal value
 *   exit   long:  Dr cash at fill, Cr position at carrying value, Cr/Dr realised gain
 *          short: Dr short position at carrying value, Cr cash at fill, Cr/Dr realised gain
 *   fees   Dr broker fees, Cr cash
 * plus, once per broker and book, a float entry (Dr broker cash, Cr capital float) with the account
 * value the first trade's sizing used, so that cash balances start where the broker's did.
 *
 * Slippage is measured against the signal price only where the traded symbol is the signal's symbol
 * (stock, short sale): for a put or an inverse ETF the signal price is the underlying's and says
 * nothing about the instrument's fill, so the position is carried at cost and no slippage is booked.
 */

export type PostingKind = 'float' | 'entry' | 'exit' | 'fees';

export interface LedgerLine {
  /** Account code in the book's chart. */
  readonly account: string;
  readonly side: 'debit' | 'credit';
  /** Positive integer cents. */
  readonly cents: number;
  readonly description: string;
}

export interface LedgerEntryMeta {
  readonly tradeUuid: string;
  readonly tradeId: string;
  /** Broker order id(s) confirming the fills; null for the float entry. */
  readonly brokerConfirmation: string | null;
  readonly strategyTag: string;
  readonly sourceTag: string;
  readonly broker: string;
  readonly ticker: string;
  readonly tags: readonly string[];
}

export interface LedgerEntry {
  /** Unique in a book: `<tradeId>#<kind>`, or `float:<broker>`. Posting is exactly-once on it. */
  readonly entryKey: string;
  readonly book: LedgerBook;
  readonly kind: PostingKind;
  /** UTC date of the fill, YYYY-MM-DD. */
  readonly date: string;
  /** UTC time of the fill, ISO 8601. */
  readonly timestamp: string;
  /** Unique Manager.io Reference: a retry or re-run finds it and does not post twice. */
  readonly reference: string;
  readonly narration: string;
  readonly lines: readonly LedgerLine[];
  readonly meta: LedgerEntryMeta;
}

export function formatCents(c: number): string {
  const sign = c < 0 ? '-' : '';
  const a = Math.abs(c);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

export function bookForMode(mode: OutputMode): LedgerBook {
  if (mode === 'backtest') throw new Error('backtests write no ledger');
  return mode;
}

/** Problems that make a trade unusable for the ledger; empty when it can be posted. */
export function tradeLedgerProblems(t: TradeRecord): string[] {
  const p: string[] = [];
  const finite = (name: string, v: number | null, min = 0) => {
    if (v === null) return;
    if (typeof v !== 'number' || !Number.isFinite(v)) p.push(`${name} is not a number (${String(v)})`);
    else if (v < min) p.push(`${name} is negative (${v})`);
  };
  if (typeof t.tradeId !== 'string' || t.tradeId.trim() === '') p.push('tradeId is empty');
  if (t.mode === 'backtest') p.push('backtest trades are not posted');
  finite('size', t.size);
  finite('entry_price', t.entry_price);
  finite('exit_price', t.exit_price);
  finite('signal_price', t.signal_price);
  finite('fees', t.fees);
  finite('account_value', t.account_value);
  if (!isIsoUtc(t.entry_time)) p.push(`entry_time is not an ISO 8601 UTC time (${String(t.entry_time)})`);
  if (t.exit_price !== null && !isIsoUtc(t.exit_time)) p.push(`exit_time is not an ISO 8601 UTC time (${String(t.exit_time)})`);
  if (!BROKER_NAMES.includes(t.broker)) p.push(`unknown broker ${String(t.broker)}`);
  if (t.mode === 'live' && isSimulatedBroker(t.broker)) p.push('a live trade cannot come from the simulated broker');
  if (!['stock', 'put', 'inverse_etf', 'short_stock'].includes(t.instrument)) p.push(`unknown instrument ${String(t.instrument)}`);
  return p;
}

function isIsoUtc(s: string | null): boolean {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(s) && !Number.isNaN(Date.parse(s));
}

function line(account: string, side: 'debit' | 'credit', cents: number, description: string): LedgerLine {
  return { account, side, cents, description };
}

/** A tiny fractional fill can round to zero cents; such lines carry nothing and are left out. */
function pushIfAny(entries: LedgerEntry[], e: LedgerEntry): void {
  const lines = e.lines.filter((l) => l.cents !== 0);
  if (lines.length > 0) entries.push({ ...e, lines });
}

/** A signed amount as a line: positive on `positiveSide`, negative on the other side; zero drops out. */
function signedLine(account: string, positiveSide: 'debit' | 'credit', cents: number, description: string): LedgerLine[] {
  if (cents === 0) return [];
  const other = positiveSide === 'debit' ? 'credit' : 'debit';
  return [line(account, cents > 0 ? positiveSide : other, Math.abs(cents), description)];
}

const fmtPrice = (x: number) => String(Math.round(x * 10000) / 10000);

/**
 * Every posting of a trade in its book, in order: float (first trade of a broker), entry, exit, fees.
 * The store keeps what it already has and appends the rest, so this may be called again on retry.
 */
export function buildTradePostings(t: TradeRecord): LedgerEntry[] {
  const problems = tradeLedgerProblems(t);
  if (problems.length > 0) throw new Error(`trade ${t.tradeId} cannot be posted: ${problems.join('; ')}`);
  const book = bookForMode(t.mode);
  const uuid = tradeUuid(t.tradeId);
  const BOOK = book.toUpperCase();
  const multiplier = t.instrument === 'put' ? 100 : 1;
  const short = t.instrument === 'short_stock';
  const q = t.size;
  const acc = (role: Parameters<typeof accountFor>[1]) => accountFor(book, role, t.broker).code;
  const positionAcc = short ? acc('short') : t.instrument === 'put' ? acc('options') : acc('equities');
  const meta = (confirmation: string | null): LedgerEntryMeta => ({
    tradeUuid: uuid,
    tradeId: t.tradeId,
    brokerConfirmation: confirmation,
    strategyTag: t.strategy_name,
    sourceTag: `tradebot:${t.mode}:${t.broker}`,
    broker: t.broker,
    ticker: t.ticker,
    tags: [...t.tags],
  });
  const entries: LedgerEntry[] = [];

  const filledEntry = q > 0 && t.entry_price > 0;
  if (!filledEntry) return entries;

  const fill = toCents(t.entry_price * q * multiplier);
  // Slippage reference: the signal price, only where it is the traded symbol's own price.
  const hasRef = (t.instrument === 'stock' || t.instrument === 'short_stock') && t.ticker === t.underlying && t.signal_price > 0;
  const carrying = hasRef ? toCents(t.signal_price * q * multiplier) : fill;
  const what = `${fmtPrice(q)} ${t.ticker}${multiplier > 1 ? ` x${multiplier}` : ''}`;
  // Positive slippage is a cost: paid above the signal on a buy, received below it on a short sale.
  const slippage = short ? carrying - fill : fill - carrying;
  pushIfAny(entries, {
    entryKey: `${t.tradeId}#entry`,
    book,
    kind: 'entry',
    date: t.entry_time.slice(0, 10),
    timestamp: t.entry_time,
    reference: `TBOT-${BOOK}-${uuid}-ENTRY`,
    narration: `${t.strategy_name.toUpperCase()} ${short ? 'sell short' : 'buy'} ${what} @ ${fmtPrice(t.entry_price)} (signal ${fmtPrice(t.signal_price)}, ${t.underlying} ${t.side})`,
    lines: short
      ? [
          line(acc('cash'), 'debit', fill, `proceeds of short sale of ${what}`),
          ...signedLine(acc('slippage'), 'debit', slippage, 'slippage against the signal price'),
          line(positionAcc, 'credit', carrying, `short position ${what} at signal value`),
        ]
      : [
          line(positionAcc, 'debit', carrying, `position ${what} at ${hasRef ? 'signal value' : 'cost'}`),
          ...signedLine(acc('slippage'), 'debit', slippage, 'slippage against the signal price'),
          line(acc('cash'), 'credit', fill, `paid for ${what}`),
        ],
    meta: meta(t.entry_order_id),
  });

  if (t.exit_price !== null && t.exit_time !== null) {
    const exitFill = toCents(t.exit_price * q * multiplier);
    const gain = short ? carrying - exitFill : exitFill - carrying;
    pushIfAny(entries, {
      entryKey: `${t.tradeId}#exit`,
      book,
      kind: 'exit',
      date: t.exit_time.slice(0, 10),
      timestamp: t.exit_time,
      reference: `TBOT-${BOOK}-${uuid}-EXIT`,
      narration: `${t.strategy_name.toUpperCase()} ${short ? 'buy to cover' : 'sell'} ${what} @ ${fmtPrice(t.exit_price)} (${t.exit_reason ?? 'exit'})`,
      lines: short
        ? [
            line(positionAcc, 'debit', carrying, `close short position ${what}`),
            line(acc('cash'), 'credit', exitFill, `paid to cover ${what}`),
            ...signedLine(acc('gains'), 'credit', gain, gain >= 0 ? 'realised gain' : 'realised loss'),
          ]
        : [
            line(acc('cash'), 'debit', exitFill, `proceeds of ${what}`),
            line(positionAcc, 'credit', carrying, `close position ${what}`),
            ...signedLine(acc('gains'), 'credit', gain, gain >= 0 ? 'realised gain' : 'realised loss'),
          ],
      meta: meta(t.exit_order_id),
    });
  }

  const fees = toCents(t.fees);
  if (fees > 0) {
    const when = t.exit_time ?? t.entry_time;
    entries.push({
      entryKey: `${t.tradeId}#fees`,
      book,
      kind: 'fees',
      date: when.slice(0, 10),
      timestamp: when,
      reference: `TBOT-${BOOK}-${uuid}-FEES`,
      narration: `${t.strategy_name.toUpperCase()} broker fees for ${what}`,
      lines: [line(acc('fees'), 'debit', fees, `fees ${t.broker}`), line(acc('cash'), 'credit', fees, `fees ${t.broker}`)],
      meta: meta([t.entry_order_id, t.exit_order_id].filter((x): x is string => !!x).join(';')),
    });
  }
  // Nothing moved in whole cents (a tiny fractional fill without fees): no float either.
  if (entries.length === 0) return entries;
  const floatCents = toCents(t.account_value);
  if (floatCents > 0) {
    entries.unshift({
      entryKey: `float:${t.broker}`,
      book,
      kind: 'float',
      date: t.entry_time.slice(0, 10),
      timestamp: t.entry_time,
      reference: `TBOT-${BOOK}-FLOAT-${t.broker.toUpperCase()}`,
      narration: `Opening float of ${t.broker}: account value ${formatCents(floatCents)} used by the first ${book} trade`,
      lines: [
        line(acc('cash'), 'debit', floatCents, `${t.broker} float`),
        line(acc('float'), 'credit', floatCents, `${t.broker} float`),
      ],
      meta: meta(null),
    });
  }

  return entries;
}
