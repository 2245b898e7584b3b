import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressLines } from '../../scripts/commands/dayProgress';
import type { PositionView, SessionStatus } from '../../workflows/sessionApi';
import type { DayStatus } from '../../workflows/tradingDayApi';

// What `day` prints as the day runs: from two readings of the status query, only what changed.

const position = (ticker: string): PositionView => ({ underlying: ticker, ticker, side: 'long', size: 10, entryPrice: 50.5, currentPrice: 51, unrealizedPnl: 5 });
const session = (over: Partial<SessionStatus>): SessionStatus =>
  ({ strategy: 'open', workflowId: 'd-open', state: 'analyzing', candidates: ['TQQQ', 'SQQQ'], entries: 0, exits: 0, positions: [], realizedPnl: 0, failure: null, ...over }) as SessionStatus;
const day = (sessions: SessionStatus[]): DayStatus => ({ sessions }) as unknown as DayStatus;

test('a session start, its entries with what was bought, its exits with PnL, and its end, each once', () => {
  const started = day([session({})]);
  assert.deepEqual(progressLines(null, started), ['OPEN session started (analyzing, 2 candidates)']);
  assert.deepEqual(progressLines(started, started), [], 'nothing changed: nothing printed');
  const entered = day([session({ state: 'trading', entries: 1, positions: [position('TQQQ')] })]);
  assert.deepEqual(progressLines(started, entered), ['OPEN entries 1: TQQQ long 10 at 50.5']);
  const exited = day([session({ state: 'done', entries: 1, exits: 1, positions: [], realizedPnl: 12.5 })]);
  assert.deepEqual(progressLines(entered, exited), ['OPEN exits 1: TQQQ, realized PnL 12.5', 'OPEN session done: 1 entries, 1 exits, realized PnL 12.5']);
});

test('a failed session says why; a second broker is named', () => {
  const before = day([session({ broker: 'sim-alpaca', workflowId: 'd-open-sim-alpaca', state: 'trading' })]);
  const after = day([session({ broker: 'sim-alpaca', workflowId: 'd-open-sim-alpaca', state: 'halted', failure: 'session d-open-sim-alpaca failed: boom' })]);
  assert.deepEqual(progressLines(before, after), ['OPEN at sim-alpaca session halted: 0 entries, 0 exits, realized PnL 0; session d-open-sim-alpaca failed: boom']);
});
