import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { clientOrderId } from '../../domain/orders/clientOrderId';
import { marketNow, realDelayUntil } from '../../domain/time/replayClock';

test('client order ids are deterministic, distinct per leg and ticker, and at most 48 characters', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 120 }), fc.constantFrom('open', 'mid', 'close'), fc.stringMatching(/^[A-Z]{1,6}$/), (wf, session, ticker) => {
      const a = clientOrderId({ workflowId: wf, session, ticker, leg: 'entry' });
      assert.equal(a, clientOrderId({ workflowId: wf, session, ticker, leg: 'entry' }));
      assert.notEqual(a, clientOrderId({ workflowId: wf, session, ticker, leg: 'exit' }));
      assert.notEqual(a, clientOrderId({ workflowId: wf, session, ticker: `${ticker}X`, leg: 'entry' }));
      assert.ok(a.length <= 48, a);
    }),
  );
});

test('the replay clock compresses market time and waits in real time', () => {
  const clock = { anchorRealMs: 1_000_000, anchorMarketMs: Date.parse('2025-04-09T14:28:00Z'), speed: 60 };
  // One real second is one market minute at 60x.
  assert.equal(marketNow(clock, 1_001_000), Date.parse('2025-04-09T14:29:00Z'));
  assert.equal(realDelayUntil(clock, 1_000_000, Date.parse('2025-04-09T14:30:00Z')), 2000);
  assert.equal(realDelayUntil(clock, 1_005_000, Date.parse('2025-04-09T14:30:00Z')), 0);
  const live = { anchorRealMs: 0, anchorMarketMs: 0, speed: 1 };
  assert.equal(marketNow(live, 12345), 12345);
});
