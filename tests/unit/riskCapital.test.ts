import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { brokerTarget, capitalReport, isRebalancingNeeded, totalCapital } from '../../domain/risk/capital';

void test('total capital = floats + reserve; broker target = half of it split equally', () => {
  const floats = [
    { broker: 'alpaca' as const, accountValue: 60_000 },
    { broker: 'ibkr' as const, accountValue: 40_000 },
  ];
  assert.equal(totalCapital(floats, 100_000), 200_000);
  assert.equal(brokerTarget(floats, 100_000), 50_000);
  const report = capitalReport(floats, 100_000);
  assert.equal(report.reserveTarget, 100_000);
  assert.deepEqual(
    report.rebalancingNeeds.map((n) => [n.broker, n.action, n.amount]),
    [
      ['alpaca', 'withdraw', 10_000],
      ['ibkr', 'add', 10_000],
    ],
  );
});

void test('rebalancing: exactly 10% off the target is not a need, just above is', () => {
  assert.equal(isRebalancingNeeded(55_000, 50_000), false);
  assert.equal(isRebalancingNeeded(45_000, 50_000), false);
  assert.equal(isRebalancingNeeded(55_000.01, 50_000), true);
  assert.equal(isRebalancingNeeded(44_999.99, 50_000), true);
  assert.equal(isRebalancingNeeded(100, 0), false);
  const report = capitalReport([{ broker: 'alpaca', accountValue: 55_000 }], 55_000);
  assert.equal(report.brokerTarget, 55_000);
  assert.equal(report.rebalancingNeeds.length, 0);
});

void test('no brokers: no targets, no needs', () => {
  const report = capitalReport([], 10_000);
  assert.equal(report.totalCapital, 10_000);
  assert.equal(report.brokerTarget, 0);
  assert.equal(report.rebalancingNeeds.length, 0);
});

void test('property: a broker is reported exactly when more than 10% off its target; never money moved, only reported', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 100_000_000 }), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: 100_000_000 }),
      (floatCents, reserveCents) => {
        const names = ['alpaca', 'ibkr', 'sim'] as const;
        const floats = floatCents.map((c, i) => ({ broker: names[i], accountValue: c / 100 }));
        const report = capitalReport(floats, reserveCents / 100);
        for (const line of report.brokers) {
          const dev = line.target > 0 ? Math.abs(line.float - line.target) / line.target : 0;
          if (dev > 0.1 + 1e-9) assert.ok(line.needsRebalancing, `dev ${dev}`);
          if (dev < 0.1 - 1e-9) assert.ok(!line.needsRebalancing, `dev ${dev}`);
        }
        assert.equal(report.rebalancingNeeds.length, report.brokers.filter((b) => b.needsRebalancing).length);
      },
    ),
    { numRuns: 2000 },
  );
});
