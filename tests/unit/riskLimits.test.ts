import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkSlots,
  dailyLossLimitDollars,
  dailyLossLimitReached,
  defenseReducedLimit,
  effectiveLimits,
} from '../../domain/risk/limits';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';

void test('defense-mode limits with the defaults: floor(normal x 66 / 100), at least 1', () => {
  const config = defaultBotConfig();
  const d = effectiveLimits(config, true);
  assert.equal(d.maxConcurrentPerBroker, 1); // floor(3 x 0.66) = 1
  assert.equal(d.maxOpenPositions, 3); // floor(5 x 0.66) = 3
  assert.equal(d.maxTradesPerSession, 2);
  assert.equal(d.sessionAllocationFraction, 0.01);
  const n = effectiveLimits(config, false);
  assert.equal(n.maxConcurrentPerBroker, 3);
  assert.equal(n.maxOpenPositions, 5);
  assert.equal(n.sessionAllocationFraction, 0.02);
});

void test('defense-mode limit boundaries', () => {
  assert.equal(defenseReducedLimit(1, 66), 1); // floor 0 raised to 1
  assert.equal(defenseReducedLimit(0, 66), 0); // never loosens a zero limit
  assert.equal(defenseReducedLimit(3, 0), 1);
  assert.equal(defenseReducedLimit(3, 100), 3);
  assert.equal(defenseReducedLimit(100, 29), 29);
  assert.equal(defenseReducedLimit(50, 66), 33);
});

void test('property: defense limits are floor(normal x pct / 100), at least 1, never above normal', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (normal, pct) => {
      const reduced = defenseReducedLimit(normal, pct);
      if (normal === 0) return assert.equal(reduced, 0);
      assert.ok(reduced >= 1 && reduced <= normal);
      assert.equal(reduced, Math.max(1, Math.floor((normal * pct) / 100)));
    }),
  );
});

void test('property: the defense allocation is a cap, never a raise', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (total, defense) => {
      const config = { ...defaultBotConfig(), TOTAL_ALLOCATION: total, DEFENSE_MODE_TOTAL_ALLOCATION: defense };
      assert.ok(effectiveLimits(config, true).sessionAllocationFraction <= effectiveLimits(config, false).sessionAllocationFraction);
    }),
  );
});

void test('slots: per broker first, then in total; exactly at the limit is full', () => {
  const limits = effectiveLimits(defaultBotConfig(), false);
  assert.equal(checkSlots(2, 4, limits), null);
  assert.equal(checkSlots(3, 3, limits), 'broker_concurrency_limit');
  assert.equal(checkSlots(1, 5, limits), 'open_positions_limit');
});

void test('DISABLE_ALL_TRADES shows in the limits', () => {
  assert.equal(effectiveLimits({ ...defaultBotConfig(), DISABLE_ALL_TRADES: true }, false).tradesDisabled, true);
});

void test('daily loss limit: exactly at the limit halts, one cent less does not', () => {
  assert.equal(dailyLossLimitDollars(10_000, 0.05), 500);
  assert.equal(dailyLossLimitReached(-500, 10_000, 0.05), true);
  assert.equal(dailyLossLimitReached(-499.99, 10_000, 0.05), false);
  assert.equal(dailyLossLimitReached(-500.01, 10_000, 0.05), true);
  // Floating-point sums that are exactly the limit in cents still halt.
  assert.equal(dailyLossLimitReached(-(0.1 + 0.2) * 100, 600, 0.05), true); // -30.000000000000004 vs 30
  assert.equal(dailyLossLimitDollars(100, 0.07), 7);
  assert.equal(dailyLossLimitReached(-7, 100, 0.07), true);
  // Gains and a flat day never halt, not even with a zero limit.
  assert.equal(dailyLossLimitReached(0, 10_000, 0), false);
  assert.equal(dailyLossLimitReached(250, 10_000, 0.05), false);
  assert.equal(dailyLossLimitReached(-0.01, 10_000, 0), true);
});

void test('property: halted exactly when the net loss in cents reaches the limit in cents', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: -2_000_000, max: 2_000_000 }), (floatCents, limitBp, pnlCents) => {
      const float = floatCents / 100;
      const limit = limitBp / 10_000;
      const limitCents = Math.round(dailyLossLimitDollars(float, limit) * 100);
      const expected = pnlCents < 0 && -pnlCents >= limitCents;
      assert.equal(dailyLossLimitReached(pnlCents / 100, float, limit), expected);
    }),
    { numRuns: 3000 },
  );
});
