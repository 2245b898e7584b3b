import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CalendarDay, MarketClock } from '../../activities/broker/brokerTypes';
import { MAX_CLOCK_SKEW_MS, exchangeClockCheck, marketDataCheck, withOneRetry, type BrokerClock } from '../../activities/checks/readinessChecks';
import type { MarketDataSource } from '../../activities/marketData/marketDataSource';
import { NetworkError } from '../../domain/errors/errorClasses';

/*
 * The clock and calendar item of `check` and the live startup (activities/checks/readinessChecks.ts):
 * the broker's answers against the exchange calendar the sessions are timed by. The emulator test covers
 * an agreeing broker; these are the disagreements a real broker or a wrong machine clock can show.
 */

function broker(clock: Partial<MarketClock> & { timestampMs: number }, days: readonly CalendarDay[]): BrokerClock {
  return {
    clock: async () => ({ isOpen: false, nextOpen: '2030-01-01T14:30:00Z', nextClose: '2030-01-01T21:00:00Z', ...clock, timestamp: new Date(clock.timestampMs).toISOString() }),
    calendar: async () => [...days],
  };
}

test('an agreeing broker on an early-close day passes and names the short session', async () => {
  // Friday after Thanksgiving 2025: 09:30-13:00 New York (EST, UTC-5); 15:00 UTC is 10:00 New York.
  const now = Date.parse('2025-11-28T15:00:00Z');
  const r = await exchangeClockCheck(broker({ timestampMs: now, isOpen: true }, [{ date: '2025-11-28', open: '09:30', close: '13:00' }]), now);
  assert.equal(r.ok, true, r.detail);
  assert.match(r.detail, /2025-11-28 09:30-13:00 New York; market open now/);
});

test('a broker calendar without the early close fails, naming both sessions', async () => {
  const now = Date.parse('2025-11-28T15:00:00Z');
  const r = await exchangeClockCheck(broker({ timestampMs: now, isOpen: true }, [{ date: '2025-11-28', open: '09:30', close: '16:00' }]), now);
  assert.equal(r.ok, false);
  assert.match(r.detail, /2025-11-28: the broker's session is 09:30-16:00, the exchange calendar's 09:30-13:00/);
});

test('a broker trading on an exchange holiday, or open when the calendar is closed, fails', async () => {
  const christmas = Date.parse('2025-12-25T16:00:00Z');
  const r = await exchangeClockCheck(broker({ timestampMs: christmas, isOpen: true }, [{ date: '2025-12-25', open: '09:30', close: '16:00' }]), christmas);
  assert.equal(r.ok, false);
  assert.match(r.detail, /the broker says the market is open, the exchange calendar says closed/);
  assert.match(r.detail, /the broker trades 2025-12-25 \(09:30-16:00\); the exchange calendar has it closed/);
});

test("a machine clock more than the allowed skew off the broker's fails; within it passes", async () => {
  const now = Date.parse('2025-04-09T20:30:00Z'); // after the close: closed by both
  const day = [{ date: '2025-04-09', open: '09:30', close: '16:00' }];
  const off = await exchangeClockCheck(broker({ timestampMs: now + MAX_CLOCK_SKEW_MS + 3_000 }, day), now);
  assert.equal(off.ok, false);
  assert.match(off.detail, /this machine's clock is -8\.0 s off the broker's/);
  const near = await exchangeClockCheck(broker({ timestampMs: now + MAX_CLOCK_SKEW_MS - 1_000 }, day), now);
  assert.equal(near.ok, true, near.detail);
});

test('a broker that cannot answer fails the item with its error', async () => {
  const failing: BrokerClock = {
    clock: async () => {
      throw new Error('alpaca: GET /v2/clock answered 500');
    },
    calendar: async () => [],
  };
  const r = await exchangeClockCheck(failing, Date.now());
  assert.equal(r.ok, false);
  assert.match(r.detail, /broker clock or calendar: alpaca: GET \/v2\/clock answered 500/);
});

test('a transient failure (a 5xx, a timeout) is tried once more; a permanent one is not', async () => {
  let calls = 0;
  const source = {
    closedBars: async () => {
      calls += 1;
      if (calls === 1) throw new NetworkError('alpaca data: 503 Service Unavailable');
      return { SPY: [{ t: Date.parse('2025-04-09T19:59:00Z'), o: 1, h: 1, l: 1, c: 1, v: 1 }] };
    },
    exhausted: async () => [],
    symbolsOn: async () => [],
  } as unknown as MarketDataSource;
  const now = Date.parse('2025-04-09T20:30:00Z');
  const first = await marketDataCheck(source, { symbol: 'SPY', nowMs: now });
  assert.equal(first.ok, false);
  assert.equal(first.transient, true);
  calls = 0;
  let pauses = 0;
  const retried = await withOneRetry(() => marketDataCheck(source, { symbol: 'SPY', nowMs: now }), async () => void (pauses += 1));
  assert.equal(retried.ok, true, retried.detail);
  assert.equal(pauses, 1);

  let permanentCalls = 0;
  const refused = await withOneRetry(async () => {
    permanentCalls += 1;
    return { ok: false, detail: 'account blocked', transient: false };
  }, async () => undefined);
  assert.equal(refused.ok, false);
  assert.equal(permanentCalls, 1);
});
