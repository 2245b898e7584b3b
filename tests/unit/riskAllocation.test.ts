import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  floorToCents,
  instrumentFor,
  perTradeCapDollars,
  planSessionTrades,
  sessionAllocationDollars,
  sizePosition,
  tradeDollars,
  type CandidateSignal,
} from '../../domain/risk/allocation';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import type { Instrument } from '../../domain/vocabulary';

const instruments: Instrument[] = ['stock', 'put', 'inverse_etf', 'short_stock'];
const money = fc.double({ min: 0, max: 5_000_000, noNaN: true });

void test('session allocation and per-trade cap from the float', () => {
  assert.equal(sessionAllocationDollars(100_000, 0.02), 2000);
  assert.equal(perTradeCapDollars(100_000, 0.025), 2500);
  assert.equal(sessionAllocationDollars(-5, 0.02), 0);
  assert.equal(floorToCents(0.29), 0.29);
  assert.equal(floorToCents(1.999), 1.99);
});

void test('trade dollars: weight share, capped by the per-trade cap and what is left', () => {
  assert.equal(tradeDollars({ sessionAllocation: 2000, weight: 0.4, perTradeCap: 2500, remainingSessionAllocation: 2000 }), 800);
  assert.equal(tradeDollars({ sessionAllocation: 2000, weight: 1, perTradeCap: 1500, remainingSessionAllocation: 2000 }), 1500);
  assert.equal(tradeDollars({ sessionAllocation: 2000, weight: 0.6, perTradeCap: 2500, remainingSessionAllocation: 500 }), 500);
});

void test('sizing: fractional shares in 0.0001 steps, whole shares otherwise, contracts by premium x 100', () => {
  assert.deepEqual(sizePosition({ dollars: 800, price: 33, instrument: 'stock', fractionalEnabled: true, assetFractionable: true }), {
    quantity: 24.2424,
    unit: 'shares',
    fractional: true,
    costDollars: 24.2424 * 33,
  });
  assert.equal(sizePosition({ dollars: 800, price: 33, instrument: 'stock', fractionalEnabled: false, assetFractionable: true }).quantity, 24);
  assert.equal(sizePosition({ dollars: 800, price: 33, instrument: 'stock', fractionalEnabled: true, assetFractionable: false }).quantity, 24);
  assert.equal(sizePosition({ dollars: 800, price: 33, instrument: 'short_stock', fractionalEnabled: true, assetFractionable: true }).quantity, 24);
  const put = sizePosition({ dollars: 800, price: 2.5, instrument: 'put', fractionalEnabled: true, assetFractionable: true });
  assert.deepEqual(put, { quantity: 3, unit: 'contracts', fractional: false, costDollars: 750 });
  assert.equal(sizePosition({ dollars: 200, price: 2.5, instrument: 'put', fractionalEnabled: true, assetFractionable: true }).quantity, 0);
  assert.equal(sizePosition({ dollars: 50, price: 60, instrument: 'stock', fractionalEnabled: false, assetFractionable: true }).quantity, 0);
});

void test('instrument per direction and short type', () => {
  assert.equal(instrumentFor('long', 'LongPut'), 'stock');
  assert.equal(instrumentFor('short', 'LongPut'), 'put');
  assert.equal(instrumentFor('short', 'InverseETF'), 'inverse_etf');
  assert.equal(instrumentFor('short', 'ShortSell'), 'short_stock');
  assert.equal(instrumentFor('short', 'disabled'), null);
});

void test('property: a position never costs more than its dollars; whole units unless fractional applies', () => {
  fc.assert(
    fc.property(
      money,
      fc.double({ min: 0.01, max: 10_000, noNaN: true }),
      fc.constantFrom(...instruments),
      fc.boolean(),
      fc.boolean(),
      (dollars, price, instrument, fractionalEnabled, assetFractionable) => {
        const size = sizePosition({ dollars, price, instrument, fractionalEnabled, assetFractionable });
        assert.ok(size.quantity >= 0);
        assert.ok(size.costDollars <= dollars, `cost ${size.costDollars} > dollars ${dollars}`);
        const unitCost = instrument === 'put' ? price * 100 : price;
        assert.ok(Math.abs(size.costDollars - size.quantity * unitCost) < 1e-6);
        if (size.fractional) {
          assert.ok(fractionalEnabled && assetFractionable && (instrument === 'stock' || instrument === 'inverse_etf'));
          const steps = size.quantity * 10_000;
          assert.ok(Math.abs(steps - Math.round(steps)) <= 1e-9 * Math.max(1, steps), `step ${size.quantity}`);
          // Maximal: one more step would exceed the dollars.
          assert.ok((size.quantity + 0.0001) * price > dollars - 1e-9);
        } else {
          assert.ok(Number.isInteger(size.quantity));
          assert.ok((size.quantity + 1) * unitCost > dollars - 1e-9);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

const signalArb = fc.record({
  symbol: fc.string({ minLength: 1, maxLength: 5 }),
  strength: fc.double({ min: -10, max: 10, noNaN: true }),
  price: fc.double({ min: 0.5, max: 2000, noNaN: true }),
  instrument: fc.constantFrom(...instruments),
  assetFractionable: fc.boolean(),
});

void test('property: a session plan never exceeds the session allocation, the per-trade cap or MAX_TRADES; weights sum to 1', () => {
  fc.assert(
    fc.property(
      fc.array(signalArb, { maxLength: 12 }),
      fc.double({ min: 0, max: 10_000_000, noNaN: true }),
      fc.record({
        TOTAL_ALLOCATION: fc.double({ min: 0, max: 1, noNaN: true }),
        MAX_RISK_PER_TRADE: fc.double({ min: 0, max: 1, noNaN: true }),
        MAX_TRADES: fc.integer({ min: 1, max: 8 }),
        WEIGHTS: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
        FRACTIONAL: fc.boolean(),
        DEFENSE_MODE_TRADE_LIMIT_PCT: fc.double({ min: 0, max: 100, noNaN: true }),
        DEFENSE_MODE_TOTAL_ALLOCATION: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      fc.boolean(),
      fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
      (signals: CandidateSignal[], brokerFloat, overrides, defenseActive, freeSlots) => {
        const config = { ...defaultBotConfig(), ...overrides };
        const plan = planSessionTrades({ signals, brokerFloat, config, defenseActive, freeSlots });
        const fraction = defenseActive ? Math.min(config.TOTAL_ALLOCATION, config.DEFENSE_MODE_TOTAL_ALLOCATION) : config.TOTAL_ALLOCATION;
        assert.ok(plan.sessionAllocation <= brokerFloat * fraction + 1e-9);
        const maxTrades = defenseActive
          ? Math.min(config.MAX_TRADES, Math.max(1, Math.floor((config.MAX_TRADES * config.DEFENSE_MODE_TRADE_LIMIT_PCT) / 100)))
          : config.MAX_TRADES;
        assert.ok(plan.accepted.length <= maxTrades);
        if (freeSlots !== undefined) assert.ok(plan.accepted.length <= freeSlots);
        assert.equal(plan.accepted.length + plan.dropped.length, signals.length);
        const totalCents = plan.accepted.reduce((s, t) => s + Math.round(t.dollars * 100), 0);
        assert.ok(totalCents <= Math.round(plan.sessionAllocation * 100), 'session allocation overshot');
        for (const t of plan.accepted) {
          assert.ok(t.dollars <= plan.perTradeCap + 1e-9, 'per-trade cap exceeded');
          assert.ok(t.dollars <= brokerFloat * config.MAX_RISK_PER_TRADE + 1e-9);
          assert.ok(t.size.costDollars <= t.dollars);
        }
        if (plan.accepted.length > 0) {
          const w = plan.accepted.reduce((s, t) => s + t.weight, 0);
          assert.ok(Math.abs(w - 1) < 1e-9, `weights sum ${w}`);
          for (let i = 1; i < plan.accepted.length; i++) {
            assert.ok(plan.accepted[i - 1].signal.strength >= plan.accepted[i].signal.strength, 'strongest first');
          }
        }
      },
    ),
    { numRuns: 2000 },
  );
});

void test('session plan: defense mode drops marginal signals and uses the lower count', () => {
  const config = defaultBotConfig();
  const mk = (symbol: string, strength: number): CandidateSignal => ({ symbol, strength, price: 20, instrument: 'stock', assetFractionable: true });
  const signals = [mk('A', 1), mk('B', 10), mk('C', 6), mk('D', 4), mk('E', 8)];
  const normal = planSessionTrades({ signals, brokerFloat: 100_000, config, defenseActive: false });
  assert.deepEqual(normal.accepted.map((t) => t.signal.symbol), ['B', 'E', 'C', 'D']);
  assert.deepEqual(normal.accepted.map((t) => t.dollars), [800, 400, 400, 400]);
  const defense = planSessionTrades({ signals, brokerFloat: 100_000, config, defenseActive: true });
  assert.deepEqual(defense.accepted.map((t) => t.signal.symbol), ['B', 'E']);
  assert.deepEqual(defense.accepted.map((t) => t.dollars), [600, 400]); // 1% of 100k split 60/40
  assert.deepEqual(
    defense.dropped.map((d) => [d.signal.symbol, d.reason]),
    [
      ['D', 'marginal_signal'],
      ['A', 'marginal_signal'],
      ['C', 'beyond_max_trades'],
    ],
  );
  const disabled = planSessionTrades({ signals, brokerFloat: 100_000, config: { ...config, DISABLE_ALL_TRADES: true }, defenseActive: false });
  assert.equal(disabled.accepted.length, 0);
});
