import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitOutcome, type BrokerClose, type HeldPosition } from '../../domain/session/exitOutcome';

// What an exit came to, from the broker's answer (docs/trading.md, "The broker's stop filled first").

const held: HeldPosition = { openSide: 'buy', assetClass: 'us_equity', entryPrice: 50, filledQty: 10, entryFees: 0.5, stopKind: 'trailing' };
const DECIDED = '2025-04-09T15:06:00.000Z';
const answer = (over: Partial<BrokerClose> = {}): BrokerClose => ({
  exit: { rejectReason: null, status: 'filled' },
  filledQty: 10,
  avgPrice: 51,
  fees: 0.25,
  closedBy: 'exit',
  stopKind: 'trailing',
  stopFilledAt: null,
  closedAt: '2025-04-09T15:06:02.000Z',
  ...over,
});
const outcomeOf = (closed: BrokerClose | null, exitFailure: string | null = null) => exitOutcome({ held, closed, exitFailure, reason: 'hold_limit', decidedAt: DECIDED });

void test('a filled exit books the whole position at its price, after both orders\' fees, at the decision time', () => {
  const o = outcomeOf(answer());
  assert.deepEqual(o, { exitPrice: 51, closedQty: 10, fees: 0.75, pnl: 9.25, fullyClosed: true, stopClosed: false, reason: 'hold_limit', exitTime: DECIDED, errorCode: null });
});

void test('the broker\'s stop filled first: its kind is the reason and its fill time the exit time', () => {
  const trailing = outcomeOf(answer({ exit: null, closedBy: 'stop', avgPrice: 49, stopFilledAt: '2025-04-09T15:01:30.000Z' }));
  assert.equal(trailing.reason, 'trailing_stop');
  assert.equal(trailing.exitTime, '2025-04-09T15:01:30.000Z');
  assert.equal(trailing.stopClosed, true);
  assert.equal(trailing.pnl, -10.75);
  // The answer does not say the kind: the session's own knowledge of the stop decides; a fixed stop is stop_loss.
  assert.equal(exitOutcome({ held: { ...held, stopKind: 'stop' }, closed: answer({ closedBy: 'stop', stopKind: null }), exitFailure: null, reason: 'hold_limit', decidedAt: DECIDED }).reason, 'stop_loss');
});

void test('stop and exit both filled: the session\'s reason stays, the time is the last fill', () => {
  const o = outcomeOf(answer({ closedBy: 'both' }));
  assert.equal(o.reason, 'hold_limit');
  assert.equal(o.exitTime, '2025-04-09T15:06:02.000Z');
});

void test('a partial exit books what filled and says so; the position is not closed', () => {
  const o = outcomeOf(answer({ filledQty: 4 }));
  assert.equal(o.closedQty, 4);
  assert.equal(o.pnl, 3.25);
  assert.equal(o.fullyClosed, false);
  assert.equal(o.errorCode, 'partial_exit');
});

void test('nothing filled: no price, no PnL, the rejection or the failure is the error code', () => {
  const refused = outcomeOf(answer({ exit: { rejectReason: 'market_closed', status: 'rejected' }, filledQty: 0, avgPrice: null, fees: 0 }));
  assert.deepEqual([refused.exitPrice, refused.pnl, refused.fullyClosed, refused.errorCode], [null, 0, false, 'market_closed']);
  assert.equal(outcomeOf(answer({ exit: { rejectReason: null, status: 'canceled' }, filledQty: 0, avgPrice: null })).errorCode, 'canceled');
  const failed = outcomeOf(null, 'NetworkError:timeout');
  assert.deepEqual([failed.exitPrice, failed.fees, failed.errorCode], [null, 0.5, 'NetworkError:timeout']);
  assert.equal(outcomeOf(answer({ exit: null, filledQty: 0, avgPrice: null, closedBy: 'none' })).errorCode, 'not_filled');
});

void test('a short sale earns the fall; an option contract counts 100 shares', () => {
  const short = exitOutcome({ held: { ...held, openSide: 'sell', stopKind: null }, closed: answer({ avgPrice: 48 }), exitFailure: null, reason: 'vwap_touch', decidedAt: DECIDED });
  assert.equal(short.pnl, 19.25);
  const put = exitOutcome({ held: { ...held, assetClass: 'us_option', entryPrice: 2, filledQty: 1, stopKind: null }, closed: answer({ filledQty: 1, avgPrice: 2.4 }), exitFailure: null, reason: 'vwap_touch', decidedAt: DECIDED });
  assert.equal(put.pnl, 39.25);
});
