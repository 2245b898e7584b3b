import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isTradingDay, tradingDaysAfter } from '../../domain/market/exchangeCalendar';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { simulatedPutQuote } from '../../domain/instruments/simulatedOptionPrice';
import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import {
  selectPut,
  selectSyntheticPut,
  syntheticOptionChain,
  type OptionChainSnapshot,
  type OptionQuote,
} from '../../domain/instruments/putSelection';
import { formatOccSymbol } from '../../domain/instruments/occSymbol';

function put(underlying: string, expiry: string, strike: number, bid: number | null, ask: number | null, mid?: number | null): OptionQuote {
  return { symbol: formatOccSymbol({ underlying, expiry, right: 'P', strike }), expiry, strike, right: 'P', bid, ask, mid };
}

describe('trading days to expiry', () => {
  test('counts NYSE trading days after the date up to and including the expiry', () => {
    assert.equal(tradingDaysAfter('2025-04-09', '2025-04-09'), 0);
    assert.equal(tradingDaysAfter('2025-04-09', '2025-04-11'), 2);
    // Weekend and Good Friday (2025-04-18) do not count.
    assert.equal(tradingDaysAfter('2025-04-11', '2025-04-18'), 4);
    assert.equal(tradingDaysAfter('2025-04-11', '2025-04-21'), 5);
    assert.equal(tradingDaysAfter('2025-04-11', '2025-04-01'), 0);
  });
});

describe('selectPut', () => {
  test('nearest expiry at least five trading days out; the highest strike at or below the price', () => {
    const chain = syntheticOptionChain('TQQQ', 52.15, '2025-04-09');
    const r = selectPut(chain, { price: 52.15, date: '2025-04-09', allocation: 2500 });
    assert.equal(r.ok, true);
    if (!r.ok) return;
    // The Friday 2025-04-18 is Good Friday: that week's options expire on Thursday 2025-04-17.
    assert.equal(r.contract.expiry, '2025-04-17');
    assert.equal(r.tradingDaysToExpiry, 6);
    assert.equal(r.contract.strike, 52);
    assert.equal(r.contract.symbol, 'TQQQ  250417P00052000');
    // The modelled ask (docs/backtest.md, "Option pricing model"): 7 sessions to expiry at sigma 0.30, mid 0.9422.
    assert.equal(r.premium, 0.97);
    assert.equal(r.premiumSource, 'ask');
    // 2500 / (0.97 x 100) = 25.77...
    assert.equal(r.contracts, 25);
    assert.ok(r.cost !== null && Math.abs(r.cost - 25 * 97) < 1e-9);
  });

  test('an expiry four trading days out is skipped for the next one', () => {
    // From Friday 2025-04-11: Thursday 2025-04-17 is four trading days out; the next weekly is 2025-04-25.
    const r = selectPut(syntheticOptionChain('SPY', 524.58, '2025-04-11'), { price: 524.58, date: '2025-04-11', allocation: null });
    assert.equal(r.ok, true);
    if (r.ok) {
      assert.equal(r.contract.expiry, '2025-04-25');
      assert.equal(r.tradingDaysToExpiry, 9);
      assert.equal(r.contract.strike, 524);
      assert.equal(r.contracts, null, 'no allocation: contract chosen, not sized');
    }
    // N is configurable.
    const r3 = selectPut(syntheticOptionChain('SPY', 524.58, '2025-04-11'), { price: 524.58, date: '2025-04-11', allocation: null, minTradingDays: 3 });
    assert.equal(r3.ok && r3.contract.expiry, '2025-04-17');
  });

  test('a whole-dollar price is its own strike (at the money)', () => {
    const r = selectPut(syntheticOptionChain('XYZ', 40, '2025-06-02'), { price: 40, date: '2025-06-02', allocation: 1000 });
    assert.equal(r.ok && r.contract.strike, 40);
  });

  const chain = (contracts: OptionQuote[]): OptionChainSnapshot => ({ underlying: 'ABC', asOf: '2025-06-02T14:00:00Z', contracts });

  test('premium: the ask, else the mid, else a clear refusal (never a further out-of-the-money strike)', () => {
    const e = '2025-06-13';
    const withMid = selectPut(chain([put('ABC', e, 50, 1.1, null, 1.2), put('ABC', e, 49, 0.8, 0.9)]), { price: 50.5, date: '2025-06-02', allocation: 1000 });
    assert.equal(withMid.ok, true);
    if (withMid.ok) {
      assert.equal(withMid.contract.strike, 50);
      assert.equal(withMid.premium, 1.2);
      assert.equal(withMid.premiumSource, 'mid');
      assert.equal(withMid.contracts, 8);
    }
    const none = selectPut(chain([put('ABC', e, 50, 1.1, null, null), put('ABC', e, 49, 0.8, 0.9)]), { price: 50.5, date: '2025-06-02', allocation: 1000 });
    assert.deepEqual(none, { ok: false, reason: 'no ask or mid quoted for ABC   250613P00050000 (ABC put 50 2025-06-13)' });
  });

  test('a premium above the allocation is refused with the figures', () => {
    const r = selectPut(chain([put('ABC', '2025-06-13', 50, 2.4, 2.5)]), { price: 50.5, date: '2025-06-02', allocation: 249.99 });
    assert.deepEqual(r, {
      ok: false,
      reason: 'one ABC   250613P00050000 contract costs 250 (premium 2.5 x 100), more than the allocation 249.99',
    });
    const exact = selectPut(chain([put('ABC', '2025-06-13', 50, 2.4, 2.5)]), { price: 50.5, date: '2025-06-02', allocation: 250 });
    assert.equal(exact.ok && exact.contracts, 1);
  });

  test('calls, near expiries and strikes above the price are never chosen; empty cases say why', () => {
    const d = '2025-06-02';
    assert.deepEqual(selectPut(chain([]), { price: 50, date: d, allocation: null }), { ok: false, reason: 'the option chain of ABC lists no puts' });
    const call: OptionQuote = { ...put('ABC', '2025-06-13', 50, 1, 1), right: 'C' };
    assert.deepEqual(selectPut(chain([call]), { price: 50, date: d, allocation: null }), { ok: false, reason: 'the option chain of ABC lists no puts' });
    assert.deepEqual(selectPut(chain([put('ABC', '2025-06-06', 50, 1, 1)]), { price: 50, date: d, allocation: null }), {
      ok: false,
      reason: 'no ABC put expiry at least 5 trading days after 2025-06-02',
    });
    assert.deepEqual(selectPut(chain([put('ABC', '2025-06-13', 51, 1, 1)]), { price: 50.5, date: d, allocation: null }), {
      ok: false,
      reason: 'no ABC put strike at or below the price 50.5 (expiries at least 5 trading days out)',
    });
    assert.equal(selectPut(chain([put('ABC', '2025-06-13', 50, 1, 1)]), { price: 0, date: d, allocation: null }).ok, false);
  });

  test('property: expiry never fewer than N trading days out, strike never above the price, nearest expiry, highest strike, cost within the allocation', () => {
    const dateArb = fc.date({ min: new Date('2015-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    const quoteArb = fc.record({
      expiryOffset: fc.integer({ min: -3, max: 40 }),
      strike: fc.integer({ min: 1, max: 120 }),
      ask: fc.option(fc.integer({ min: 1, max: 2000 }).map((c) => c / 100), { nil: null }),
      mid: fc.option(fc.integer({ min: 1, max: 2000 }).map((c) => c / 100), { nil: null }),
      right: fc.constantFrom<'P' | 'C'>('P', 'P', 'P', 'C'),
    });
    fc.assert(
      fc.property(
        dateArb,
        fc.integer({ min: 100, max: 12_000 }).map((c) => c / 100),
        fc.integer({ min: 1, max: 10 }),
        fc.option(fc.integer({ min: 0, max: 1_000_000 }).map((c) => c / 100), { nil: null }),
        fc.array(quoteArb, { maxLength: 30 }),
        (date, price, n, allocation, quotes) => {
          const base = new Date(`${date}T00:00:00Z`).getTime();
          const contracts = quotes.map((q) => {
            const expiry = new Date(base + q.expiryOffset * 86_400_000).toISOString().slice(0, 10);
            return { ...put('ABC', expiry, q.strike, null, q.ask, q.mid), right: q.right };
          });
          const r = selectPut(chain(contracts), { price, date, minTradingDays: n, allocation });
          if (!r.ok) {
            assert.ok(r.reason.length > 0);
            return;
          }
          assert.equal(r.contract.right, 'P');
          assert.ok(tradingDaysAfter(date, r.contract.expiry) >= n, 'expiry at least N trading days out');
          assert.equal(r.tradingDaysToExpiry, tradingDaysAfter(date, r.contract.expiry));
          assert.ok(r.contract.strike <= price, 'strike never above the price');
          const eligible = contracts.filter((c) => c.right === 'P' && c.strike <= price && tradingDaysAfter(date, c.expiry) >= n);
          assert.ok(eligible.every((c) => c.expiry >= r.contract.expiry), 'the nearest such expiry');
          assert.ok(eligible.filter((c) => c.expiry === r.contract.expiry).every((c) => c.strike <= r.contract.strike), 'the highest strike at or below the price');
          assert.ok(r.premium > 0);
          if (allocation !== null) {
            assert.ok(r.contracts !== null && r.contracts >= 1);
            assert.ok(r.contracts * r.premium * 100 <= allocation + 1e-9, 'within the allocation');
            assert.ok((r.contracts + 1) * r.premium * 100 > allocation, 'as many contracts as fit');
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('syntheticOptionChain', () => {
  test('weekly expiries on Fridays or the trading day before a Friday holiday; whole-dollar strikes; simulated premiums', () => {
    const c = syntheticOptionChain('SQQQ', 34.8757, '2025-04-09');
    const expiries = [...new Set(c.contracts.map((x) => x.expiry))];
    assert.deepEqual(expiries, ['2025-04-11', '2025-04-17', '2025-04-25', '2025-05-02', '2025-05-09']);
    for (const x of c.contracts) {
      assert.ok(isTradingDay(x.expiry));
      assert.equal(x.right, 'P');
      assert.equal(Number.isInteger(x.strike), true);
      const q = simulatedPutQuote({ underlying: 34.8757, contract: x, atMs: regularSessionUtc('2025-04-09')!.openMs });
      assert.deepEqual([x.bid, x.ask, x.mid], [q.bid, q.ask, q.mid]);
      assert.ok(x.bid! < x.ask!, 'a modelled spread');
      assert.deepEqual(parseOccSymbol(x.symbol), { underlying: 'SQQQ', expiry: x.expiry, right: 'P', strike: x.strike });
    }
    const strikes = [...new Set(c.contracts.map((x) => x.strike))];
    assert.deepEqual(strikes, [33, 34, 35, 36, 37]);
  });

  test('on the expiry Friday itself, that day is listed (and skipped by the selection for being 0 days out)', () => {
    const c = syntheticOptionChain('SPY', 500, '2025-04-11');
    assert.equal(c.contracts[0]?.expiry, '2025-04-11');
  });

  test('a cheap underlying still gets a strike at or below its price', () => {
    const r = selectPut(syntheticOptionChain('NIO', 5.87, '2026-03-13'), { price: 5.87, date: '2026-03-13', allocation: 100 });
    assert.equal(r.ok, true);
    if (r.ok) {
      assert.equal(r.contract.strike, 5);
      assert.equal(r.contract.expiry, '2026-03-20');
    }
  });

  test('property: selectSyntheticPut chooses, prices and sizes exactly as selectPut over the whole synthetic chain', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 900, noNaN: true }),
        fc.integer({ min: 0, max: 800 }),
        fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: null }),
        fc.integer({ min: 0, max: 12 }),
        (price, dayOffset, allocation, minTradingDays) => {
          const date = new Date(Date.UTC(2024, 0, 1) + dayOffset * 86_400_000).toISOString().slice(0, 10);
          const input = { price, date, allocation, minTradingDays };
          assert.deepEqual(selectSyntheticPut('XYZ', input), selectPut(syntheticOptionChain('XYZ', price, date), input));
        },
      ),
      { numRuns: 300 },
    );
    const refused = { price: 0, date: '2025-04-09', allocation: null };
    assert.deepEqual(selectSyntheticPut('XYZ', refused), selectPut(syntheticOptionChain('XYZ', 0, '2025-04-09'), refused));
    assert.equal(selectSyntheticPut('XYZ', refused).ok, false);
  });
});
