import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closingExitReason,
  escalateTrading,
  finalSessionState,
  isBrokerHalted,
  mayOpen,
  type TradingState,
} from '../../domain/session/tradingState';

// The session's trading state as one value (docs/trading.md, "Stop, kill and halt").

const ALL: readonly TradingState[] = ['active', 'stopping', 'killed', 'broker_halted'];

void test('the state only moves up: a stop cannot undo a kill, nothing undoes a broker halt', () => {
  assert.equal(escalateTrading('active', 'stopping'), 'stopping');
  assert.equal(escalateTrading('stopping', 'killed'), 'killed');
  assert.equal(escalateTrading('killed', 'stopping'), 'killed');
  assert.equal(escalateTrading('killed', 'broker_halted'), 'broker_halted');
  for (const next of ALL) assert.equal(escalateTrading('broker_halted', next), 'broker_halted');
  for (const s of ALL) assert.equal(escalateTrading(s, 'active'), s);
});

void test('only an active session opens entries; only a broker halt spares the broker a second kill', () => {
  assert.deepEqual(ALL.map(mayOpen), [true, false, false, false]);
  assert.deepEqual(ALL.map(isBrokerHalted), [false, false, false, true]);
});

void test('open positions close as the state says: stop as stopped, kill and halt as the kill switch, else the end reason', () => {
  assert.deepEqual(
    ALL.map((s) => closingExitReason(s, 'market_close', false)),
    ['market_close', 'stopped', 'kill_switch', 'kill_switch'],
  );
  // A failure or lost data exits as the kill switch whatever the state.
  assert.deepEqual(ALL.map((s) => closingExitReason(s, 'session_end', true)), ALL.map(() => 'kill_switch'));
  assert.deepEqual(ALL.map((s) => finalSessionState(s, false)), ['done', 'halted', 'halted', 'halted']);
  assert.equal(finalSessionState('active', true), 'halted');
});
