import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialPut, blackScholesCall, blackScholesPut, putGreeks, type OptionInputs } from '../../domain/instruments/optionPricing';
import { modelVolatility, quoteSpread, realizedVolatility, tradingMinutesToExpiry, DEFAULT_SIGMA } from '../../domain/instruments/optionModelInputs';
import { simulatedPutFill, simulatedPutQuote } from '../../domain/instruments/simulatedOptionPrice';
import { nyWallTimeToUtcMs } from '../../domain/market/nyTime';

const hull: OptionInputs = { s: 42, strike: 40, r: 0.1, sigma: 0.2, t: 0.5 };
const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

test('Hull example 15.6: S=42, K=40, r=10%, sigma=20%, T=0.5 gives call 4.76 and put 0.81', () => {
  near(blackScholesCall(hull), 4.76, 0.005, 'call');
  near(blackScholesPut(hull), 0.81, 0.005, 'put');
});

test('put-call parity: C - P = S - K e^(-rT)', () => {
  for (const x of [hull, { s: 100, strike: 110, r: 0.04, sigma: 0.35, t: 10 / 252 }, { s: 20, strike: 15, r: 0, sigma: 0.8, t: 1 }]) {
    near(blackScholesCall(x) - blackScholesPut(x), x.s - x.strike * Math.exp(-x.r * x.t), 1e-6, 'parity');
  }
});

test('Hull example 21.1 (American put, S=50, K=50, r=10%, sigma=40%, T=5 months): 4.49 on 5 steps, 4.283 on 500', () => {
  const x = { s: 50, strike: 50, r: 0.1, sigma: 0.4, t: 5 / 12 };
  near(binomialPut(x, 5, true), 4.49, 0.005, '5-step tree');
  near(binomialPut(x, 500, true), 4.283, 0.0005, '500-step tree');
});

test('the binomial European put converges to Black-Scholes; American >= European', () => {
  const x = { s: 50, strike: 52, r: 0.05, sigma: 0.3, t: 0.25 };
  near(binomialPut(x, 1000, false), blackScholesPut(x), 0.005, 'european tree');
  for (const s of [30, 45, 52, 60]) assert.ok(binomialPut({ ...x, s }, 200, true) >= binomialPut({ ...x, s }, 200, false) - 1e-12);
  assert.ok(binomialPut({ ...x, s: 30 }, 200, true) > blackScholesPut({ ...x, s: 30 }), 'deep ITM early exercise premium');
});

test('at expiry the put is its intrinsic value', () => {
  assert.equal(blackScholesPut({ ...hull, t: 0, s: 37 }), 3);
  assert.equal(binomialPut({ ...hull, t: 0, s: 45 }), 0);
});

test('Greeks match finite differences of the Black-Scholes put', () => {
  const g = putGreeks(hull);
  const h = 1e-3;
  const p = (d: Partial<OptionInputs>) => blackScholesPut({ ...hull, ...d });
  near(g.delta, (p({ s: hull.s + h }) - p({ s: hull.s - h })) / (2 * h), 1e-5, 'delta');
  near(g.gamma, (p({ s: hull.s + h }) - 2 * p({}) + p({ s: hull.s - h })) / (h * h), 1e-3, 'gamma');
  near(g.vega, (p({ sigma: hull.sigma + h }) - p({ sigma: hull.sigma - h })) / (2 * h), 1e-4, 'vega');
  near(g.theta, -(p({ t: hull.t + h }) - p({ t: hull.t - h })) / (2 * h), 1e-4, 'theta');
  assert.ok(g.delta < 0 && g.delta > -1 && g.gamma > 0 && g.vega > 0);
});

test('bad inputs get a specific error', () => {
  assert.throws(() => blackScholesPut({ ...hull, sigma: 0 }), /sigma must be finite and > 0, got 0/);
  assert.throws(() => blackScholesPut({ ...hull, s: Number.NaN }), /s must be finite and > 0/);
  assert.throws(() => blackScholesPut({ ...hull, t: -1 }), /t must be finite and >= 0, got -1/);
  assert.throws(() => binomialPut(hull, 0), /steps must be a positive integer, got 0/);
  assert.throws(() => tradingMinutesToExpiry(0, '2025/01/03'), /bad expiry date "2025\/01\/03"/);
});

test('time to expiry counts regular-session minutes over the exchange calendar', () => {
  // Wednesday 2025-07-02 at 15:00 New York to Monday 2025-07-07's close: 60 + 210 (early close on 3 July)
  // + 0 (4 July holiday) + 390 (Monday); the weekend counts zero.
  assert.equal(tradingMinutesToExpiry(nyWallTimeToUtcMs('2025-07-02', '15:00'), '2025-07-07'), 60 + 210 + 390);
  assert.equal(tradingMinutesToExpiry(nyWallTimeToUtcMs('2025-07-07', '08:00'), '2025-07-07'), 390);
  assert.equal(tradingMinutesToExpiry(nyWallTimeToUtcMs('2025-07-07', '16:30'), '2025-07-07'), 0);
});

test('volatility: VIX/100 times the clamped realized-volatility ratio, DEFAULT_SIGMA without a VIX', () => {
  assert.equal(modelVolatility({ vix: null }), DEFAULT_SIGMA);
  near(modelVolatility({ vix: 20 }), 0.2, 1e-12, 'no ratio');
  near(modelVolatility({ vix: 20, realizedUnderlying: 0.6, realizedMarket: 0.15 }), 0.8, 1e-12, 'ratio 4');
  near(modelVolatility({ vix: 20, realizedUnderlying: 0.9, realizedMarket: 0.15 }), 0.8, 1e-12, 'ratio capped at 4');
  near(modelVolatility({ vix: 20, realizedUnderlying: 0.01, realizedMarket: 0.15 }), 0.1, 1e-12, 'ratio floored at 0.5');
  const closes = [100, 101, 100, 101, 100];
  near(realizedVolatility(closes)!, Math.sqrt(252) * 0.0114, 0.002, 'realized');
  assert.equal(realizedVolatility([100, 101]), null);
});

test('spread: at least a nickel, 3% of mid, wider out of the money; bid <= mid <= ask', () => {
  assert.deepEqual(quoteSpread(1, 100, 100), { bid: 0.97, ask: 1.03 });
  assert.deepEqual(quoteSpread(10, 100, 100), { bid: 9.85, ask: 10.15 });
  const far = quoteSpread(1, 100, 90);
  assert.ok(far.ask - far.bid > 0.07, `far OTM width ${far.ask - far.bid}`);
  assert.equal(quoteSpread(0.01, 100, 80).bid, 0);
});

test('the simulated quote: ask to buy, bid to sell, inputs reported, decays toward expiry', () => {
  const ctx = { underlying: 52.15, contract: { strike: 52, expiry: '2025-07-11' }, atMs: nyWallTimeToUtcMs('2025-07-02', '15:00'), vix: 18 };
  const q = simulatedPutQuote(ctx);
  assert.ok(q.bid < q.mid && q.mid < q.ask);
  assert.equal(q.sigma, 0.18);
  assert.equal(q.minutesToExpiry, 60 + 210 + 5 * 390);
  assert.equal(simulatedPutFill('buy', ctx), q.ask);
  assert.equal(simulatedPutFill('sell', ctx), q.bid);
  const later = simulatedPutQuote({ ...ctx, atMs: nyWallTimeToUtcMs('2025-07-10', '15:00') });
  assert.ok(later.mid < q.mid, `time decay: ${later.mid} < ${q.mid}`);
});
