import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountConfigFrom, createAccountState, type CapacityRequest } from '../../domain/risk/accountState';
import {
  emptyTickerBook,
  pruneTickerBook,
  recentDayRuns,
  releaseWithTickerRule,
  requestWithTickerRule,
  tickerScope,
  type DayRun,
} from '../../domain/risk/tickerRule';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { capacityRequest, REQUEST_AT, REQUEST_DATE } from '../helpers/capacityRequests';

// The ticker rule the account workflow and the backtester share (docs/risk.md, "Several brokers in one day").

const DATE = REQUEST_DATE;
const AT = REQUEST_AT;
const config = accountConfigFrom(defaultBotConfig());
// One ticker throughout: the rule is about a symbol asked for twice.
const req = (id: string, over: Partial<CapacityRequest> = {}): CapacityRequest => capacityRequest(id, { symbol: 'AAPL', ...over });

void test('a granted ticker is refused to another request of the same day, across brokers; the same id gets the same answer', () => {
  const first = requestWithTickerRule(createAccountState(config, AT), emptyTickerBook(), [], req('a'));
  assert.equal(first.result.granted, true);
  assert.deepEqual(first.book.tickersTraded, { [DATE]: { AAPL: 'a' } });
  const second = requestWithTickerRule(first.state, first.book, [], req('b', { broker: 'ibkr', session: 'mid' }));
  assert.equal(second.result.granted, false);
  assert.equal(!second.result.granted && second.result.reason, 'ticker_traded_today');
  // The refusal touched no reducer state, and is cached by request id.
  assert.equal(second.state, first.state);
  const again = requestWithTickerRule(second.state, second.book, [], req('b', { symbol: 'MSFT' }));
  assert.deepEqual(again.result, second.result);
  const repeatGrant = requestWithTickerRule(again.state, again.book, [], req('a'));
  assert.deepEqual(repeatGrant.result, first.result);
  assert.equal(repeatGrant.book, again.book);
  const otherDay = requestWithTickerRule(again.state, again.book, [], req('c', { date: '2025-03-11', at: '2025-03-11T14:35:00.000Z' }));
  assert.equal(otherDay.result.granted, true);
});

void test('an entry released unfilled frees its ticker; a filled one keeps it', () => {
  const state = createAccountState(config, AT);
  const granted = requestWithTickerRule(state, emptyTickerBook(), [], req('a'));
  const unfilled = releaseWithTickerRule(granted.state, granted.book, { requestId: 'a', at: AT, realizedPnl: 0, filled: false });
  assert.equal(unfilled.result.released, true);
  assert.deepEqual(unfilled.book.tickersTraded[DATE], {});
  assert.equal(requestWithTickerRule(unfilled.state, unfilled.book, [], req('b')).result.granted, true);

  const filled = releaseWithTickerRule(granted.state, granted.book, { requestId: 'a', at: AT, realizedPnl: 5, filled: true });
  assert.deepEqual(filled.book.tickersTraded[DATE], { AAPL: 'a' });
  const refused = requestWithTickerRule(filled.state, filled.book, [], req('b'));
  assert.equal(!refused.result.granted && refused.result.reason, 'ticker_traded_today');
});

void test('requests of a registered day run share its scope, so two runs of one date do not block each other', () => {
  const days: DayRun[] = [
    { workflowId: 'tradebot-day-2025-03-10', date: DATE },
    { workflowId: 'tradebot-day-2025-03-10-rerun', date: DATE },
  ];
  // The longest matching day id wins: the rerun's sessions start with both ids.
  assert.equal(tickerScope(days, req('x', { notifyWorkflowId: 'tradebot-day-2025-03-10-rerun-open' })), `${DATE}|tradebot-day-2025-03-10-rerun`);
  assert.equal(tickerScope(days, req('x', { notifyWorkflowId: 'tradebot-day-2025-03-10-open' })), `${DATE}|tradebot-day-2025-03-10`);
  assert.equal(tickerScope(days, req('x', { notifyWorkflowId: 'elsewhere-open' })), DATE);
  assert.equal(tickerScope(days, req('x')), DATE);

  const first = requestWithTickerRule(createAccountState(config, AT), emptyTickerBook(), days, req('a', { notifyWorkflowId: 'tradebot-day-2025-03-10-open' }));
  const rerun = requestWithTickerRule(first.state, first.book, days, req('b', { notifyWorkflowId: 'tradebot-day-2025-03-10-rerun-open' }));
  assert.equal(rerun.result.granted, true);
  const sameRun = requestWithTickerRule(rerun.state, rerun.book, days, req('c', { notifyWorkflowId: 'tradebot-day-2025-03-10-mid' }));
  assert.equal(!sameRun.result.granted && sameRun.result.reason, 'ticker_traded_today');
});

void test('pruning keeps only the retained dates, for tickers, refusals and day runs', () => {
  const book = {
    tickersTraded: { '2025-01-02': { AAPL: 'old' }, [`${DATE}|day`]: { MSFT: 'new' } },
    tickerRefusals: {
      old: { granted: false as const, requestId: 'old', date: '2025-01-02', reason: 'ticker_traded_today' as const, detail: '' },
      new: { granted: false as const, requestId: 'new', date: DATE, reason: 'ticker_traded_today' as const, detail: '' },
    },
  };
  const pruned = pruneTickerBook(book, DATE);
  assert.deepEqual(Object.keys(pruned.tickersTraded), [`${DATE}|day`]);
  assert.deepEqual(Object.keys(pruned.tickerRefusals), ['new']);
  assert.equal(pruneTickerBook(book, null), book);
  const runs = recentDayRuns([{ workflowId: 'old', date: '2025-01-02' }, { workflowId: 'new', date: DATE }], DATE);
  assert.deepEqual(runs.map((r) => r.workflowId), ['new']);
});
