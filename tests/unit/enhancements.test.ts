import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adxFilter, bollingerConfluence, vixGate } from '../../domain/strategies/enhancements';

const bands = { middle: 100, upper: 102, lower: 98, std: 1 };

void test('ADX filter: at or below 25 allows, above blocks, not warmed up blocks', () => {
  assert.equal(adxFilter(25).allow, true);
  assert.equal(adxFilter(24.9).allow, true);
  assert.equal(adxFilter(25.0000001).allow, false);
  assert.deepEqual(adxFilter(null), { allow: false, warning: null });
  assert.equal(adxFilter(30, 40).allow, true);
});

void test('Bollinger confluence: at or beyond the band on the side of the deviation', () => {
  assert.equal(bollingerConfluence('long', 98, bands).allow, true);
  assert.equal(bollingerConfluence('long', 97, bands).allow, true);
  assert.equal(bollingerConfluence('long', 98.01, bands).allow, false);
  assert.equal(bollingerConfluence('short', 102, bands).allow, true);
  assert.equal(bollingerConfluence('short', 101.99, bands).allow, false);
  assert.equal(bollingerConfluence('short', 97, bands).allow, false, 'the wrong side never confirms');
  assert.equal(bollingerConfluence('long', 50, null).allow, false, 'not warmed up blocks');
});

void test('VIX gate: strictly above the threshold; missing VIX warns and allows', () => {
  assert.deepEqual(vixGate(15.01, 15), { allow: true, warning: null });
  assert.deepEqual(vixGate(15, 15), { allow: false, warning: null });
  assert.equal(vixGate(0.5, 0).allow, true);
  for (const missing of [null, undefined, Number.NaN]) {
    const r = vixGate(missing, 15);
    assert.equal(r.allow, true);
    assert.match(r.warning ?? '', /VIX unavailable/);
  }
});
