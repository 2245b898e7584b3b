import { isSimulatedBroker, type BrokerName } from '../vocabulary';

/*
 * The two books (docs/ledger.md, "Chart of accounts") and their charts of accounts. Codes are this product's
 * stable ids (Manager.io shows them in its Code column); names are what Manager.io displays and must be
 * unique in a business. Position accounts the spec leaves implicit ("Options where used", a short sale's
 * obligation, the paper book's simulated holdings) are added so that an open position has somewhere to sit
 * between its entry and its exit.
 */

export type LedgerBook = 'live' | 'paper';
export type AccountClass = 'asset' | 'liability' | 'equity' | 'income' | 'expense';
/** Manager.io keeps balance sheet and profit and loss accounts apart (two account types). */
export type ManagerStatement = 'Balance sheet' | 'Profit and loss statement';

export interface LedgerAccount {
  readonly code: string;
  readonly name: string;
  readonly class: AccountClass;
  readonly statement: ManagerStatement;
  /** Manager.io group the account belongs under. */
  readonly group: string;
}

/** What an account is used for; postings ask for a role, the book answers with an account. */
export type AccountRole = 'cash' | 'equities' | 'options' | 'short' | 'gains' | 'fees' | 'slippage' | 'float';

const groupOf: Record<AccountClass, string> = {
  asset: 'Assets',
  liability: 'Liabilities',
  equity: 'Equity',
  income: 'Income',
  expense: 'Expenses',
};

function acct(code: string, name: string, cls: AccountClass): LedgerAccount {
  const statement: ManagerStatement = cls === 'income' || cls === 'expense' ? 'Profit and loss statement' : 'Balance sheet';
  return { code, name, class: cls, statement, group: groupOf[cls] };
}

const LIVE_BROKERS = ['alpaca', 'ibkr'] as const;
const PAPER_BROKERS = ['alpaca', 'ibkr', 'sim', 'sim-alpaca', 'sim-ibkr'] as const;
const brokerLabel: Record<BrokerName, string> = { alpaca: 'Alpaca', ibkr: 'IBKR', sim: 'Sim', 'sim-alpaca': 'Sim Alpaca', 'sim-ibkr': 'Sim IBKR' };
const brokerDigit: Record<BrokerName, number> = { alpaca: 1, ibkr: 2, sim: 3, 'sim-alpaca': 4, 'sim-ibkr': 5 };

/** Live book (docs/ledger.md, "Chart of accounts"), plus per-broker options and short-sale accounts. */
export const LIVE_CHART: readonly LedgerAccount[] = [
  acct('1000', 'Bank', 'asset'),
  ...LIVE_BROKERS.flatMap((b) => [
    acct(`1${brokerDigit[b]}00`, `${brokerLabel[b]} Cash`, 'asset'),
    acct(`1${brokerDigit[b]}10`, `${brokerLabel[b]} Equities`, 'asset'),
    acct(`1${brokerDigit[b]}20`, `${brokerLabel[b]} Options`, 'asset'),
  ]),
  ...LIVE_BROKERS.map((b) => acct(`2${brokerDigit[b]}00`, `${brokerLabel[b]} Securities Sold Short`, 'liability')),
  acct('3000', 'Capital Float', 'equity'),
  acct('3100', 'Opening Balance', 'equity'),
  ...LIVE_BROKERS.map((b) => acct(`4${brokerDigit[b]}00`, `Realized Gains - ${brokerLabel[b]}`, 'income')),
  ...LIVE_BROKERS.map((b) => acct(`5${brokerDigit[b]}00`, `Broker Fees - ${brokerLabel[b]}`, 'expense')),
  acct('5500', 'Slippage / Execution Losses', 'expense'),
  acct('5600', 'API Timeout Penalties', 'expense'),
  acct('5700', 'Bot Infrastructure Costs', 'expense'),
];

/** Paper book (docs/ledger.md, "Chart of accounts"), plus simulated position accounts per broker. */
export const PAPER_CHART: readonly LedgerAccount[] = [
  ...PAPER_BROKERS.flatMap((b) => [
    acct(`1${brokerDigit[b]}00`, `Simulated Cash - ${brokerLabel[b]}`, 'asset'),
    acct(`1${brokerDigit[b]}10`, `Simulated Positions - ${brokerLabel[b]}`, 'asset'),
  ]),
  ...PAPER_BROKERS.map((b) => acct(`2${brokerDigit[b]}00`, `Simulated Short Positions - ${brokerLabel[b]}`, 'liability')),
  acct('3000', 'Simulated Capital Float', 'equity'),
  acct('3100', 'Opening Equity', 'equity'),
  ...PAPER_BROKERS.map((b) => acct(`4${brokerDigit[b]}00`, `Simulated Gains - ${brokerLabel[b]}`, 'income')),
  acct('5100', 'Simulated Broker Fees', 'expense'),
  acct('5500', 'Simulated Slippage Losses', 'expense'),
];

export function chartOf(book: LedgerBook): readonly LedgerAccount[] {
  return book === 'live' ? LIVE_CHART : PAPER_CHART;
}

export function accountByCode(book: LedgerBook, code: string): LedgerAccount | undefined {
  return chartOf(book).find((a) => a.code === code);
}

/** The account a role maps to for a broker in a book. Throws for a broker the book does not carry. */
export function accountFor(book: LedgerBook, role: AccountRole, broker: BrokerName): LedgerAccount {
  if (book === 'live' && isSimulatedBroker(broker)) throw new Error('the live book has no simulated broker');
  const d = brokerDigit[broker];
  const code = (() => {
    switch (role) {
      case 'cash':
        return `1${d}00`;
      case 'equities':
        return `1${d}10`;
      case 'options':
        return book === 'live' ? `1${d}20` : `1${d}10`;
      case 'short':
        return `2${d}00`;
      case 'gains':
        return `4${d}00`;
      case 'fees':
        return book === 'live' ? `5${d}00` : '5100';
      case 'slippage':
        return '5500';
      case 'float':
        return '3000';
    }
  })();
  const a = accountByCode(book, code);
  if (!a) throw new Error(`no ${role} account for ${broker} in the ${book} book`);
  return a;
}
