import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { INVERSE_ETF_BY_UNDERLYING, SECTOR_ETF_BY_STOCK, inverseEtfFor } from '../../domain/instruments/inverseEtfMap';
import { chooseInstrument, type InstrumentContext } from '../../domain/instruments/bearishInstrument';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { isTradingDay } from '../../domain/market/exchangeCalendar';

describe('inverse ETF map', () => {
  test('direct entries from the spec', () => {
    assert.deepEqual(inverseEtfFor('SPY'), { symbol: 'SH', via: 'direct' });
    assert.deepEqual(inverseEtfFor('QQQ'), { symbol: 'PSQ', via: 'direct' });
    assert.deepEqual(inverseEtfFor('TQQQ'), { symbol: 'SQQQ', via: 'direct' });
    assert.deepEqual(inverseEtfFor('ERX'), { symbol: 'ERY', via: 'direct' });
  });

  test("a stock without a fund of its own uses its sector's", () => {
    assert.deepEqual(inverseEtfFor('NVDA'), { symbol: 'SOXS', via: 'sector' });
    assert.deepEqual(inverseEtfFor('AAPL'), { symbol: 'PSQ', via: 'sector' });
    assert.deepEqual(inverseEtfFor('JPM'), { symbol: 'SEF', via: 'sector' });
    assert.deepEqual(inverseEtfFor('XOM'), { symbol: 'ERY', via: 'sector' });
  });

  test("an unknown stock uses the index's fund, or is refused with a reason when that fallback is off", () => {
    assert.deepEqual(inverseEtfFor('ZZZZ'), { symbol: 'SH', via: 'index' });
    assert.deepEqual(inverseEtfFor('ZZZZ', { allowIndexFallback: false }), { symbol: null, reason: 'no inverse ETF for ZZZZ or its sector' });
    // The switch does not affect direct or sector entries.
    assert.deepEqual(inverseEtfFor('NVDA', { allowIndexFallback: false }), { symbol: 'SOXS', via: 'sector' });
  });

  test('every sector ETF the fallback names has a fund of its own, and no fund maps to itself', () => {
    for (const [stock, sector] of Object.entries(SECTOR_ETF_BY_STOCK)) {
      assert.ok(INVERSE_ETF_BY_UNDERLYING[sector], `${stock} -> ${sector} has no inverse fund`);
    }
    for (const [u, etf] of Object.entries(INVERSE_ETF_BY_UNDERLYING)) assert.notEqual(u, etf);
  });

  test('property: every symbol gets a fund (index fallback on) and a result is always one of the mapped funds', () => {
    const funds = new Set(Object.values(INVERSE_ETF_BY_UNDERLYING));
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z]{1,5}$/), (s) => {
        const r = inverseEtfFor(s);
        assert.ok(r.symbol !== null && funds.has(r.symbol));
      }),
    );
  });

  // Known problem, left to the map's owner: a bearish signal on a fund that is itself short the market
  // (SQQQ, TZA, FAZ, SDS, SOXS) or long volatility (UVXY) is a bet that the market rises, yet the index
  // fallback buys SH, a bet that it falls. On 2025-04-09 MID (STRAT_MID_VWAP_THRESHOLD=0.005) the short
  // signals on FAZ, SDS, SQQQ and TZA all resolve to SH this way. Such underlyings need a bullish fund
  // (QQQ, TNA, FAS, SSO, SOXL, SVIX) or a refusal, not the index's inverse fund.
  test('a bearish signal on an inverse or volatility fund is not hedged with the index inverse fund', () => {
    for (const s of ['SQQQ', 'TZA', 'FAZ', 'SDS', 'SOXS', 'UVXY']) assert.notEqual(inverseEtfFor(s).symbol, 'SH', s);
  });
});

describe('chooseInstrument', () => {
  const ctx = (over: Partial<InstrumentContext>): InstrumentContext => ({
    underlying: 'NVDA',
    side: 'short',
    shortType: 'InverseETF',
    underlyingPrice: 180.35,
    date: '2026-03-13',
    brokerSupportsOptions: true,
    brokerSupportsShorting: true,
    shortable: true,
    ...over,
  });

  test('bullish signals always buy the stock, whatever SHORT_TYPE says', () => {
    for (const shortType of ['LongPut', 'InverseETF', 'ShortSell', 'disabled'] as const) {
      assert.deepEqual(chooseInstrument(ctx({ side: 'long', shortType })), {
        ok: true,
        choice: { instrument: 'stock', symbol: 'NVDA', assetClass: 'us_equity', openSide: 'buy' },
      });
    }
  });

  test('disabled: a bearish signal is refused with a reason to log', () => {
    assert.deepEqual(chooseInstrument(ctx({ shortType: 'disabled' })), {
      ok: false,
      reason: 'bearish signals are disabled for this strategy (SHORT_TYPE=disabled)',
    });
  });

  test('InverseETF: direct, sector and index funds are bought', () => {
    const pick = (underlying: string) => {
      const r = chooseInstrument(ctx({ underlying }));
      return r.ok ? r.choice : r.reason;
    };
    assert.deepEqual(pick('QQQ'), { instrument: 'inverse_etf', symbol: 'PSQ', assetClass: 'us_equity', openSide: 'buy' });
    assert.deepEqual(pick('NVDA'), { instrument: 'inverse_etf', symbol: 'SOXS', assetClass: 'us_equity', openSide: 'buy' });
    assert.deepEqual(pick('DAL'), { instrument: 'inverse_etf', symbol: 'SH', assetClass: 'us_equity', openSide: 'buy' });
  });

  test('ShortSell: sells the stock short where the broker and the asset allow it', () => {
    assert.deepEqual(chooseInstrument(ctx({ shortType: 'ShortSell' })), {
      ok: true,
      choice: { instrument: 'short_stock', symbol: 'NVDA', assetClass: 'us_equity', openSide: 'sell' },
    });
    assert.deepEqual(chooseInstrument(ctx({ shortType: 'ShortSell', brokerSupportsShorting: false })), { ok: false, reason: 'broker does not support short selling' });
    assert.deepEqual(chooseInstrument(ctx({ shortType: 'ShortSell', shortable: false })), { ok: false, reason: 'NVDA is not shortable' });
  });

  test('LongPut: a put on the underlying where the broker supports options', () => {
    const r = chooseInstrument(ctx({ shortType: 'LongPut' }));
    assert.equal(r.ok, true);
    if (r.ok) {
      assert.equal(r.choice.instrument, 'put');
      assert.equal(r.choice.assetClass, 'us_option');
      assert.equal(r.choice.openSide, 'buy');
      const occ = parseOccSymbol(r.choice.symbol);
      assert.equal(occ?.underlying, 'NVDA');
      assert.equal(occ?.strike, 180);
      assert.equal(occ?.right, 'P');
    }
    assert.deepEqual(chooseInstrument(ctx({ shortType: 'LongPut', brokerSupportsOptions: false })), {
      ok: false,
      reason: 'broker does not support options (SHORT_TYPE=LongPut)',
    });
  });

  // Known problem, left to bearishInstrument.ts's owner (superseded once putSelection.ts is wired in): the
  // expiry is the Friday on or after date + 5 calendar days, with no holiday check, so on 2025-04-09 it
  // names 2025-04-18, Good Friday, when no option expires (that week's expire on Thursday 2025-04-17).
  test('LongPut names an expiry that is a trading day', () => {
    const r = chooseInstrument(ctx({ shortType: 'LongPut', underlying: 'TQQQ', date: '2025-04-09', underlyingPrice: 52.15 }));
    assert.ok(r.ok);
    if (r.ok) assert.ok(isTradingDay(parseOccSymbol(r.choice.symbol)!.expiry));
  });
});
