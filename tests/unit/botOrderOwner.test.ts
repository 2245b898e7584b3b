import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientOrderId, type OrderLeg } from '../../domain/orders/clientOrderId';
import {
  adoptedTradeRecord,
  adoptionClientOrderId,
  attributePositions,
  flattenClientOrderId,
  matchBotEntry,
  parseSessionWorkflowId,
  positionOwner,
  previousTradingDay,
  regularHoursAt,
  sessionOwnerCandidates,
  type OrderFacts,
} from '../../domain/orders/botOrderOwner';
import { formatOccSymbol } from '../../domain/instruments/occSymbol';
import { inverseEtfFor } from '../../domain/instruments/inverseEtfMap';

// Which broker positions are the bot's (issue 13, defect 8): pure matching on recomputed client order ids.

const DAY = 'tradebot-day-paper-2025-03-03';
const OPEN = `${DAY}-open`;
const MID = `${DAY}-mid`;
const CANDIDATES = sessionOwnerCandidates({ dayWorkflowId: DAY, date: '2025-03-03', broker: 'alpaca' });

let seq = 0;
function order(over: Partial<OrderFacts> & Pick<OrderFacts, 'clientOrderId' | 'symbol'>): OrderFacts {
  seq += 1;
  return {
    id: `o${seq}`,
    side: 'buy',
    qty: 10,
    filledQty: 10,
    filledAvgPrice: 100,
    status: 'filled',
    submittedAt: '2025-03-03T15:00:00.000Z',
    filledAt: '2025-03-03T15:00:01.000Z',
    fees: 0,
    ...over,
  };
}

const id = (workflowId: string, ticker: string, leg: OrderLeg) => clientOrderId({ workflowId, session: parseSessionWorkflowId(workflowId)?.session ?? 'open', ticker, leg });

void test('session workflow ids: session, broker suffix and date are read; other ids are not sessions', () => {
  assert.deepEqual(parseSessionWorkflowId(OPEN), { workflowId: OPEN, session: 'open', date: '2025-03-03' });
  assert.deepEqual(parseSessionWorkflowId(`${DAY}-close-sim-alpaca`), { workflowId: `${DAY}-close-sim-alpaca`, session: 'close', date: '2025-03-03' });
  assert.deepEqual(parseSessionWorkflowId('w-mid'), { workflowId: 'w-mid', session: 'mid', date: null });
  assert.equal(parseSessionWorkflowId(DAY), null);
  assert.equal(parseSessionWorkflowId(`${DAY}-opening`), null);
});

void test('candidates: today and the previous trading day (weekend and holiday skipped), with and without the broker suffix', () => {
  assert.equal(previousTradingDay('2025-03-03'), '2025-02-28', 'Monday: the Friday before');
  assert.equal(previousTradingDay('2025-01-21'), '2025-01-17', 'after Martin Luther King Day and a weekend');
  assert.equal(CANDIDATES.length, 12);
  assert.ok(CANDIDATES.includes(OPEN));
  assert.ok(CANDIDATES.includes(`${DAY}-mid-alpaca`));
  assert.ok(CANDIDATES.includes('tradebot-day-paper-2025-02-28-close'));
  assert.ok(!CANDIDATES.some((c) => c.includes('2025-02-27')));
  assert.deepEqual(sessionOwnerCandidates({ dayWorkflowId: 'custom-day', date: '2025-03-03', broker: 'sim' }).length, 6, 'no date in the day id: today only');
});

void test('a raw id (short workflow id) and a hashed id (real day id) both match by recomputation', () => {
  const rawId = id('w-open', 'AAPL', 'entry');
  assert.equal(rawId, 'w-open:open:AAPL:entry');
  const raw = matchBotEntry(order({ clientOrderId: rawId, symbol: 'AAPL' }), [{ workflowId: 'w-open', session: 'open', date: null }]);
  assert.equal(raw?.owner.workflowId, 'w-open');
  assert.equal(raw?.ticker, 'AAPL');

  const hashedId = id(OPEN, 'AAPL', 'entry');
  assert.match(hashedId, /^tb-[0-9a-f]{16}-AAPL-entry$/);
  const refs = CANDIDATES.map((c) => parseSessionWorkflowId(c)).filter((r) => r !== null);
  const hashed = matchBotEntry(order({ clientOrderId: hashedId, symbol: 'AAPL' }), refs);
  assert.equal(hashed?.owner.workflowId, OPEN);
  assert.equal(hashed?.owner.session, 'open');
  assert.equal(hashed?.instrument, 'stock');
  // The same id shape from a session that is not a candidate (two days ago) is not the bot's.
  const old = id('tradebot-day-paper-2025-02-27-open', 'AAPL', 'entry');
  assert.equal(matchBotEntry(order({ clientOrderId: old, symbol: 'AAPL' }), refs), null);
  // A share class loses its dot in the hashed id and is still found.
  const brk = matchBotEntry(order({ clientOrderId: id(MID, 'BRK.B', 'entry'), symbol: 'BRK.B' }), refs);
  assert.equal(brk?.ticker, 'BRK.B');
  // An exit leg is never an entry, and an unfilled entry owns nothing.
  assert.equal(matchBotEntry(order({ clientOrderId: id(OPEN, 'AAPL', 'exit'), symbol: 'AAPL', side: 'sell' }), refs), null);
  assert.equal(matchBotEntry(order({ clientOrderId: hashedId, symbol: 'AAPL', filledQty: 0, status: 'rejected' }), refs), null);
});

void test('puts and inverse ETFs: the position symbol is the instrument, the id carries the underlying', () => {
  const put = formatOccSymbol({ underlying: 'AAPL', expiry: '2025-03-21', right: 'P', strike: 185 });
  const fund = inverseEtfFor('QQQ');
  assert.equal(fund.symbol, 'PSQ');
  const orders = [
    order({ clientOrderId: id(OPEN, 'AAPL', 'entry'), symbol: put, qty: 2, filledQty: 2, filledAvgPrice: 3.1 }),
    order({ clientOrderId: id(MID, 'QQQ', 'entry'), symbol: 'PSQ', qty: 50, filledQty: 50, filledAvgPrice: 40 }),
  ];
  const putOwner = positionOwner({ symbol: put, qty: 2, avgEntryPrice: 3.1 }, orders, CANDIDATES);
  assert.equal(putOwner?.owner.workflowId, OPEN);
  assert.equal(putOwner?.ticker, 'AAPL');
  assert.equal(putOwner?.qty, 2);
  const fundOwner = positionOwner({ symbol: 'PSQ', qty: 50, avgEntryPrice: 40 }, orders, CANDIDATES);
  assert.equal(fundOwner?.owner.workflowId, MID);
  assert.equal(fundOwner?.ticker, 'QQQ');
  const r = attributePositions({ positions: [{ symbol: 'PSQ', qty: 50, avgEntryPrice: 40 }, { symbol: put, qty: 2, avgEntryPrice: 3.1 }], orders, candidates: CANDIDATES, adopterWorkflowId: null });
  assert.deepEqual(r.owned.map((p) => [p.entry.order.symbol, p.entry.instrument, p.entry.side]).sort(), [['PSQ', 'inverse_etf', 'short'], [put, 'put', 'short']].sort());
  // The underlying itself is not what the bot holds: a user's QQQ is foreign.
  assert.equal(positionOwner({ symbol: 'QQQ', qty: 5, avgEntryPrice: 480 }, orders, CANDIDATES), null);
});

void test("the user's own holdings are foreign: a symbol the bot never traded, a lookalike id, the part beyond the bot's entry", () => {
  const orders = [
    order({ clientOrderId: id(OPEN, 'AAPL', 'entry'), symbol: 'AAPL' }),
    order({ clientOrderId: 'tb-0123456789abcdef-MSFT-entry', symbol: 'MSFT', qty: 5, filledQty: 5 }),
    order({ clientOrderId: 'manual-1', symbol: 'TSLA', qty: 3, filledQty: 3 }),
  ];
  const r = attributePositions({
    positions: [
      { symbol: 'AAPL', qty: 12, avgEntryPrice: 100 },
      { symbol: 'MSFT', qty: 5, avgEntryPrice: 400 },
      { symbol: 'TSLA', qty: 3, avgEntryPrice: 250 },
    ],
    orders,
    candidates: CANDIDATES,
    adopterWorkflowId: MID,
  });
  assert.deepEqual(r.owned.map((p) => [p.position.symbol, p.qty, p.entry.owner.workflowId]), [['AAPL', 10, OPEN]]);
  assert.deepEqual(r.foreign.map((p) => [p.symbol, p.qty]), [['AAPL', 2], ['MSFT', 5], ['TSLA', 3]]);
  assert.deepEqual(r.sizeNotes, []);
  assert.equal(r.owned[0]?.adoptionClientOrderId, adoptionClientOrderId(MID, id(OPEN, 'AAPL', 'entry'), 'AAPL'));
  assert.equal(r.owned[0]?.stopClientOrderId, id(OPEN, 'AAPL', 'stop'));
  assert.ok((r.owned[0]?.adoptionClientOrderId ?? '').length <= 48);
});

void test('an entry the bot already closed owns nothing: its exit, its stop, another session adopting it, a flatten order', () => {
  const entry = order({ clientOrderId: id(OPEN, 'AAPL', 'entry'), symbol: 'AAPL' });
  const position = { symbol: 'AAPL', qty: 4, avgEntryPrice: 101 };
  const closers: [string, OrderFacts][] = [
    ['exit leg', order({ clientOrderId: id(OPEN, 'AAPL', 'exit'), symbol: 'AAPL', side: 'sell', filledAt: '2025-03-03T15:30:00.000Z' })],
    ['stop leg', order({ clientOrderId: id(OPEN, 'AAPL', 'stop'), symbol: 'AAPL', side: 'sell', filledAt: '2025-03-03T15:10:00.000Z' })],
    ['adopted by MID', order({ clientOrderId: adoptionClientOrderId(MID, entry.clientOrderId, 'AAPL'), symbol: 'AAPL', side: 'sell' })],
    ['flatten', order({ clientOrderId: flattenClientOrderId('2025-03-03', 'AAPL'), symbol: 'AAPL', side: 'sell', filledAt: '2025-03-03T16:00:00.000Z' })],
  ];
  for (const [what, closer] of closers) {
    const r = attributePositions({ positions: [position], orders: [entry, closer], candidates: CANDIDATES, adopterWorkflowId: `${DAY}-close` });
    assert.deepEqual(r.owned, [], what);
    // The 4 shares held now are a later purchase of the user's.
    assert.deepEqual(r.foreign, [position], what);
  }
  // Without the closing order the same position is the bot's (4 of its 10: a size note, not foreign).
  const open = attributePositions({ positions: [position], orders: [entry], candidates: CANDIDATES, adopterWorkflowId: `${DAY}-close` });
  assert.equal(open.owned[0]?.qty, 4);
  assert.equal(open.sizeNotes.length, 1);
  // A flatten order from before the entry closed an earlier position, not this one.
  const early = order({ clientOrderId: flattenClientOrderId('2025-03-03', 'AAPL'), symbol: 'AAPL', side: 'sell', filledAt: '2025-03-03T14:31:00.000Z' });
  assert.equal(attributePositions({ positions: [position], orders: [entry, early], candidates: CANDIDATES, adopterWorkflowId: null }).owned.length, 1);
});

void test("a retried reconciliation still sees its own adoption, though the position is gone; another adopter's does not", () => {
  const entry = order({ clientOrderId: id(OPEN, 'AAPL', 'entry'), symbol: 'AAPL' });
  const mine = order({ clientOrderId: adoptionClientOrderId(MID, entry.clientOrderId, 'AAPL'), symbol: 'AAPL', side: 'sell', filledAt: '2025-03-03T17:00:00.000Z' });
  const retry = attributePositions({ positions: [], orders: [entry, mine], candidates: CANDIDATES, adopterWorkflowId: MID });
  assert.equal(retry.owned.length, 1);
  assert.equal(retry.owned[0]?.qty, 10);
  assert.equal(retry.owned[0]?.priorAdoption?.id, mine.id);
  assert.deepEqual(retry.foreign, []);
  const later = attributePositions({ positions: [], orders: [entry, mine], candidates: CANDIDATES, adopterWorkflowId: `${DAY}-close` });
  assert.deepEqual(later.owned, []);
});

void test('a session adopting its own earlier run exits with its own exit leg, so a later re-entry cannot sell twice', () => {
  const entry = order({ clientOrderId: id(OPEN, 'AAPL', 'entry'), symbol: 'AAPL' });
  const r = attributePositions({ positions: [{ symbol: 'AAPL', qty: 10, avgEntryPrice: 100 }], orders: [entry], candidates: CANDIDATES, adopterWorkflowId: OPEN });
  assert.equal(r.owned[0]?.adoptionClientOrderId, id(OPEN, 'AAPL', 'exit'));
  assert.equal(r.owned[0]?.priorAdoption, null);
});

void test('regular hours: orders go out from the open to the close-out deadline (CLOSE_EXIT_LEAD_MS), never on a closed day', () => {
  assert.equal(regularHoursAt(Date.parse('2025-03-03T14:30:00Z')), true, '09:30 New York');
  assert.equal(regularHoursAt(Date.parse('2025-03-03T14:29:59Z')), false);
  assert.equal(regularHoursAt(Date.parse('2025-03-03T20:57:59Z')), true);
  assert.equal(regularHoursAt(Date.parse('2025-03-03T20:58:00Z')), false, 'the last two minutes belong to the close-out');
  assert.equal(regularHoursAt(Date.parse('2025-03-08T16:00:00Z')), false, 'Saturday');
  assert.equal(regularHoursAt(Date.parse('2025-07-01T13:30:00Z')), true, 'summer: 09:30 EDT');
});

void test("the adopted trade record: the owner's trade id and strategy, the stop's reason when the stop closed it, pnl after fees", () => {
  const entry = order({ clientOrderId: id(OPEN, 'AAPL', 'entry'), symbol: 'AAPL', filledAvgPrice: 100, fees: 1 });
  const part = attributePositions({ positions: [{ symbol: 'AAPL', qty: 10, avgEntryPrice: 100 }], orders: [entry], candidates: CANDIDATES, adopterWorkflowId: MID }).owned[0];
  assert.ok(part);
  const base = { part, broker: 'alpaca' as const, mode: 'paper' as const, date: '2025-03-03', timestamp: '2025-03-03T17:00:00.000Z' };
  const byExit = adoptedTradeRecord({ ...base, fill: { closedBy: 'exit', filledQty: 10, avgPrice: 103, fees: 0.5, closedAt: '2025-03-03T16:59:00.000Z', orderIds: ['x1'] } });
  assert.equal(byExit.tradeId, `${OPEN}:AAPL`);
  assert.equal(byExit.strategy_name, 'open');
  assert.equal(byExit.exit_reason, 'reconciled');
  assert.equal(byExit.pnl, 28.5);
  assert.equal(byExit.exit_time, '2025-03-03T16:59:00.000Z');
  assert.equal(byExit.entry_time, entry.filledAt);
  assert.deepEqual(byExit.client_order_ids, [entry.clientOrderId, part.adoptionClientOrderId, part.stopClientOrderId]);
  const byStop = adoptedTradeRecord({ ...base, fill: { closedBy: 'stop', filledQty: 10, avgPrice: 98, fees: 0, closedAt: '2025-03-03T16:10:00.000Z', orderIds: ['s1'] } });
  assert.equal(byStop.exit_reason, 'trailing_stop', 'OPEN holds a trailing stop');
  assert.equal(byStop.pnl, -21);
  const partial = adoptedTradeRecord({ ...base, fill: { closedBy: 'exit', filledQty: 4, avgPrice: 101, fees: 0, closedAt: null, orderIds: [] } });
  assert.equal(partial.error_code, 'partial_exit');
  assert.equal(partial.exit_time, base.timestamp);
});
