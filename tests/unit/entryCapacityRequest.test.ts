import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryCapacityRequest, type EntryCapacityFacts } from '../../domain/risk/entryCapacityRequest';

// The capacity request of an entry, one builder for the session workflow and the backtester (docs/risk.md).

const facts: EntryCapacityFacts = {
  requestId: 'day-open:TQQQ:entry',
  date: '2025-04-09',
  session: 'open',
  broker: 'alpaca',
  symbol: 'TQQQ',
  signal: { side: 'short', strength: 0.8 },
  choice: { instrument: 'inverse_etf', assetClass: 'us_equity' },
  price: 41.5,
  brokerFloat: 100_000,
  fractional: true,
  sessionWorkflowId: 'day-open',
  grantsTaken: 2,
  acceptedSignals: 4,
};

void test('the request carries the signal, the instrument and the session\'s place in its accepted signals', () => {
  const r = entryCapacityRequest(facts);
  assert.equal(r.side, 'short');
  assert.equal(r.instrument, 'inverse_etf');
  assert.equal(r.signalStrength, 0.8);
  assert.equal(r.price, 41.5);
  assert.equal(r.rank, 2, 'rank: the grants already taken');
  assert.equal(r.acceptedSignals, 4);
  assert.equal(r.notifyWorkflowId, 'day-open');
  assert.equal('at' in r, false, 'the time is the caller\'s clock');
});

void test('fractional sizing only for stock: an option contract is always whole', () => {
  assert.equal(entryCapacityRequest(facts).assetFractionable, true);
  assert.equal(entryCapacityRequest({ ...facts, fractional: false }).assetFractionable, false);
  assert.equal(entryCapacityRequest({ ...facts, choice: { instrument: 'put', assetClass: 'us_option' } }).assetFractionable, false);
});
