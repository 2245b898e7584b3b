import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { weightAt, weightsFor } from '../../domain/risk/weights';
import { effectiveLimits } from '../../domain/risk/limits';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const close = (a: number, b: number, eps = 1e-12) => Math.abs(a - b) <= eps;

void test('weights table: the spec rows for n = 1..4 with the default WEIGHTS', () => {
  assert.deepEqual(weightsFor(1), [1]);
  assert.deepEqual(weightsFor(2), [0.6, 0.4]);
  assert.deepEqual(weightsFor(3), [0.4, 0.3, 0.3]);
  assert.deepEqual(weightsFor(4, [0.4, 0.2, 0.2, 0.2]), [0.4, 0.2, 0.2, 0.2]);
  assert.deepEqual(weightsFor(0), []);
  assert.deepEqual(weightsFor(-3), []);
});

void test('weights table: n = 4 follows the configured WEIGHTS (normalised)', () => {
  assert.deepEqual(weightsFor(4, [0.25, 0.25, 0.25, 0.25]), [0.25, 0.25, 0.25, 0.25]);
  const w = weightsFor(4, [0.5, 0.5, 0.5, 0.5]);
  assert.deepEqual(w, [0.25, 0.25, 0.25, 0.25]);
});

void test('weights table: n beyond the table repeats the weakest weight and renormalises', () => {
  const w = weightsFor(5, [0.4, 0.2, 0.2, 0.2]);
  assert.equal(w.length, 5);
  assert.ok(close(w[0], 1 / 3));
  for (const x of w.slice(1)) assert.ok(close(x, 1 / 6));
});

void test('weights table: a longer WEIGHTS row serves the n between 3 and its length (first n, renormalised)', () => {
  const row = [0.3, 0.2, 0.2, 0.1, 0.1, 0.1];
  const w5 = weightsFor(5, row);
  assert.ok(close(w5[0], 0.3 / 0.9));
  assert.ok(close(sum(w5), 1));
  assert.deepEqual(weightsFor(3, row), [0.4, 0.3, 0.3]);
});

void test('weights table: an all-zero row falls back to equal weights', () => {
  assert.deepEqual(weightsFor(4, [0, 0, 0, 0]), [0.25, 0.25, 0.25, 0.25]);
});

void test('property: for any configured WEIGHTS and any n, the weights of the n accepted trades sum to 1', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 1, max: 40 }),
      (configWeights, n) => {
        const w = weightsFor(n, configWeights);
        assert.equal(w.length, n);
        for (const x of w) assert.ok(x >= 0 && x <= 1 + 1e-12, `weight ${x}`);
        assert.ok(close(sum(w), 1, 1e-9), `sum ${sum(w)}`);
        for (let r = 0; r < n; r++) assert.equal(weightAt(r, n, configWeights), w[r]);
        assert.equal(weightAt(n, n, configWeights), 0);
      },
    ),
    { numRuns: 2000 },
  );
});

void test('defense mode recomputes the weights for the lower trade count', () => {
  const config = defaultBotConfig();
  const normal = effectiveLimits(config, false);
  const defense = effectiveLimits(config, true);
  assert.equal(normal.maxTradesPerSession, 4);
  assert.equal(defense.maxTradesPerSession, 2); // floor(4 x 66 / 100)
  assert.deepEqual(weightsFor(defense.maxTradesPerSession, config.WEIGHTS), [0.6, 0.4]);
});
