import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { bookProblems, entryProblems, trialBalance } from '../../domain/ledger/balance';
import { accountFor, chartOf, LIVE_CHART, PAPER_CHART, type AccountRole } from '../../domain/ledger/chartOfAccounts';
import { toCents } from '../../domain/math/round';
import { buildTradePostings, type LedgerEntry } from '../../domain/ledger/postings';
import { sha1, tradeUuid, uuidV5, TRADE_UUID_NAMESPACE } from '../../domain/ledger/uuid';
import { arbTrade, assertProperty, makeTrade } from './ledgerFixtures';
import type { BrokerName } from '../../domain/vocabulary';

function nodeUuidV5(name: string, ns: string): string {
  const h = createHash('sha1').update(Buffer.from(ns.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

void test('pure SHA-1 and UUID v5 equal node:crypto on random names (unicode included)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
      assert.equal(Buffer.from(sha1([...Buffer.from(s, 'utf8')])).toString('hex'), createHash('sha1').update(s, 'utf8').digest('hex'));
      assert.equal(uuidV5(s), nodeUuidV5(s, TRADE_UUID_NAMESPACE));
    }),
    { numRuns: 300 },
  );
  // RFC 4122 appendix example: the DNS namespace and "www.example.com".
  assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
  assert.equal(tradeUuid('x'), tradeUuid('x'));
});

void test('charts: every role resolves for every broker of the book; names and codes unique; live has no sim', () => {
  const roles: AccountRole[] = ['cash', 'equities', 'options', 'short', 'gains', 'fees', 'slippage', 'float'];
  for (const [book, brokers] of [['live', ['alpaca', 'ibkr']], ['paper', ['alpaca', 'ibkr', 'sim']]] as const) {
    const chart = chartOf(book);
    assert.equal(new Set(chart.map((a) => a.code)).size, chart.length);
    assert.equal(new Set(chart.map((a) => a.name)).size, chart.length);
    for (const b of brokers as readonly BrokerName[]) for (const r of roles) assert.ok(accountFor(book, r, b));
  }
  assert.throws(() => accountFor('live', 'cash', 'sim'));
  // Account names exactly as docs/ledger.md, "Chart of accounts", lists them.
  for (const n of ['Bank', 'Alpaca Cash', 'Alpaca Equities', 'IBKR Cash', 'IBKR Equities', 'Slippage / Execution Losses', 'API Timeout Penalties', 'Bot Infrastructure Costs', 'Capital Float', 'Opening Balance']) {
    assert.ok(LIVE_CHART.some((a) => a.name === n), n);
  }
  for (const n of ['Simulated Broker Fees', 'Simulated Slippage Losses', 'Simulated Capital Float', 'Opening Equity']) {
    assert.ok(PAPER_CHART.some((a) => a.name === n), n);
  }
  assert.ok(LIVE_CHART.some((a) => /Realized Gains/.test(a.name)) && LIVE_CHART.some((a) => /Broker Fees/.test(a.name)));
});

const sumSide = (e: LedgerEntry, side: 'debit' | 'credit') => e.lines.filter((l) => l.side === side).reduce((a, l) => a + l.cents, 0);

void test('a long stock trade: float, entry with slippage, exit with gain, fees; metadata on every entry', () => {
  const t = makeTrade({ mode: 'live', broker: 'alpaca', size: 10, signal_price: 100, entry_price: 100.25, exit_price: 101.5, fees: 0.42 });
  const es = buildTradePostings(t);
  assert.deepEqual(es.map((e) => e.kind), ['float', 'entry', 'exit', 'fees']);
  const [, entry, exit, fees] = es;
  const acct = (e: LedgerEntry, code: string) => e.lines.find((l) => l.account === code);
  assert.deepEqual(acct(entry, '1110'), { account: '1110', side: 'debit', cents: 100000, description: 'position 10 AAPL at signal value' });
  assert.equal(acct(entry, '5500')?.cents, 250);
  assert.equal(acct(entry, '1100')?.cents, 100250);
  assert.equal(acct(exit, '4100')?.side, 'credit');
  assert.equal(acct(exit, '4100')?.cents, 1500);
  assert.equal(acct(fees, '5100')?.cents, 42);
  for (const e of es) {
    assert.deepEqual(entryProblems(e), []);
    assert.equal(e.meta.tradeUuid, tradeUuid(t.tradeId));
    assert.equal(e.meta.strategyTag, 'open');
    assert.equal(e.meta.sourceTag, 'tradebot:live:alpaca');
  }
  assert.equal(entry.meta.brokerConfirmation, 'ord-1-in');
  assert.equal(exit.meta.brokerConfirmation, 'ord-1-out');
  // Realised gain plus entry slippage minus fees is the trade's PnL.
  assert.equal((1500 - 250 - 42) / 100, t.pnl);
});

void test('a short sale books the obligation as a liability and a loss on the gains account', () => {
  const t = makeTrade({ instrument: 'short_stock', size: 5, signal_price: 50, entry_price: 49.9, exit_price: 51, fees: 0 });
  const [, entry, exit] = buildTradePostings(t);
  assert.deepEqual(entry.lines.map((l) => [l.account, l.side, l.cents]), [['1100', 'debit', 24950], ['5500', 'debit', 50], ['2100', 'credit', 25000]]);
  assert.deepEqual(exit.lines.map((l) => [l.account, l.side, l.cents]), [['2100', 'debit', 25000], ['1100', 'credit', 25500], ['4100', 'debit', 500]]);
});

void test('puts are carried at cost on the options account (x100); no slippage against the underlying', () => {
  const t = makeTrade({ mode: 'live', broker: 'ibkr', instrument: 'put', size: 2, signal_price: 180, entry_price: 1.35, exit_price: 1.1, fees: 1.3 });
  const [, entry, exit, fees] = buildTradePostings(t);
  assert.deepEqual(entry.lines.map((l) => [l.account, l.side, l.cents]), [['1220', 'debit', 27000], ['1200', 'credit', 27000]]);
  assert.deepEqual(exit.lines.map((l) => [l.account, l.side, l.cents]), [['1200', 'debit', 22000], ['1220', 'credit', 27000], ['4200', 'debit', 5000]]);
  assert.equal(fees.lines[0].account, '5200');
});

void test('an unfilled exit posts the entry only and leaves the position open; backtests and bad numbers are refused', () => {
  const es = buildTradePostings(makeTrade({ exit_price: null }));
  assert.deepEqual(es.map((e) => e.kind), ['float', 'entry', 'fees']);
  assert.throws(() => buildTradePostings(makeTrade({ mode: 'backtest' })), /backtest/);
  assert.throws(() => buildTradePostings(makeTrade({ entry_price: Number.NaN })), /entry_price/);
  assert.throws(() => buildTradePostings(makeTrade({ mode: 'live', broker: 'sim' })), /simulated broker/);
  assert.deepEqual(buildTradePostings(makeTrade({ size: 0 })), []);
});

void test('validation catches an unbalanced entry, an unknown account and a duplicate reference', () => {
  const [, entry] = buildTradePostings(makeTrade());
  const unbalanced = { ...entry, lines: [{ ...entry.lines[0], cents: entry.lines[0].cents + 1 }, ...entry.lines.slice(1)] };
  assert.match(entryProblems(unbalanced).join(), /debits .* != credits/);
  const unknown = { ...entry, lines: entry.lines.map((l, i) => (i === 0 ? { ...l, account: '9999' } : l)) };
  assert.match(entryProblems(unknown).join(), /9999 is not in the paper chart/);
  assert.match(bookProblems([entry, { ...entry, entryKey: 'other' }], 'paper').join(), /Reference appears twice/);
  assert.match(entryProblems(entry, 'live').join(), /belongs to the paper book/);
});

for (const mode of ['paper', 'live'] as const) {
  void test(`property (${mode}): over random trade sequences every entry balances, the book balances, positions close to zero and the ledger's result is the trades' PnL`, () => {
    assertProperty(
      fc.property(fc.array(fc.integer({ min: 1, max: 1e6 }), { minLength: 1, maxLength: 25 }).chain((ns) => fc.tuple(...ns.map((n, i) => arbTrade(mode, i * 1e6 + n)))), (trades) => {
        const seen = new Set<string>();
        const book: LedgerEntry[] = [];
        for (const t of trades) {
          for (const e of buildTradePostings(t)) {
            assert.equal(sumSide(e, 'debit'), sumSide(e, 'credit'), e.reference);
            assert.deepEqual(entryProblems(e, mode), []);
            if (!seen.has(e.entryKey)) book.push(e);
            seen.add(e.entryKey);
          }
        }
        assert.deepEqual(bookProblems(book, mode), []);
        const tb = trialBalance(book, mode);
        assert.equal(tb.reduce((a, r) => a + r.balanceCents, 0), 0);
        const closed = trades.filter((t) => t.exit_price !== null);
        const chart = chartOf(mode);
        const bal = (pred: (name: string) => boolean) => tb.filter((r) => pred(r.name)).reduce((a, r) => a + r.balanceCents, 0);
        // Every closed trade's position comes back out at the value it went in.
        const openCarrying = trades
          .filter((t) => t.exit_price === null)
          .reduce((a, t) => {
            const e = buildTradePostings(t).find((x) => x.kind === 'entry');
            const pos = e?.lines.find((l) => /Equities|Options|Positions|Short/.test(chart.find((c) => c.code === l.account)?.name ?? ''));
            return a + (pos ? (pos.side === 'debit' ? pos.cents : -pos.cents) : 0);
          }, 0);
        assert.equal(bal((n) => /Equities|Options|Positions|Short|Sold Short/.test(n)), openCarrying);
        // Income and expense accounts together equal the closed trades' PnL (cent rounding aside) minus open trades' entry slippage and fees.
        const pl = -bal((n) => /Gains|Fees|Slippage/.test(n));
        const expected = closed.reduce((a, t) => a + toCents(t.pnl), 0);
        const openCosts = trades
          .filter((t) => t.exit_price === null)
          .reduce((a, t) => {
            const es = buildTradePostings(t);
            return a + es.flatMap((e) => e.lines).filter((l) => /Fees|Slippage/.test(chart.find((c) => c.code === l.account)?.name ?? '')).reduce((s, l) => s + (l.side === 'debit' ? l.cents : -l.cents), 0);
          }, 0);
        assert.ok(Math.abs(pl - (expected - openCosts)) <= 2 * closed.length + 1, `ledger ${pl} vs trades ${expected - openCosts}`);
      }),
      { numRuns: 200 },
    );
  });
}
