import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  accountConfigFrom,
  acknowledgeEvents,
  brokerKill,
  capacityRequestProblems,
  configure,
  createAccountState,
  releaseCapacity,
  releaseRequestProblems,
  requestCapacity,
  setDefenseMode,
  snapshot,
  type AccountState,
  type CapacityGrant,
  type CapacityRequest,
  type KillSwitchEvent,
} from '../../domain/risk/accountState';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import type { BrokerName, StrategyName } from '../../domain/vocabulary';
import { capacityRequest, REQUEST_AT, REQUEST_DATE } from '../helpers/capacityRequests';

const DATE = REQUEST_DATE;
const AT = REQUEST_AT;
const config = accountConfigFrom(defaultBotConfig());
const req = capacityRequest;

function grant(state: AccountState, r: CapacityRequest): { state: AccountState; g: CapacityGrant } {
  const t = requestCapacity(state, r);
  assert.equal(t.result.granted, true, JSON.stringify(t.result));
  return { state: t.state, g: t.result as CapacityGrant };
}

void test('grants follow the weights table and fill the slots, then refuse with a reason', () => {
  let s = createAccountState(config, AT);
  const dollars: number[] = [];
  for (const id of ['a', 'b', 'c']) {
    const r = grant(s, req(id));
    s = r.state;
    dollars.push(r.g.allocationDollars);
    assert.deepEqual(r.g.tags, []);
  }
  // Default n = MAX_TRADES = 4 with arrival order as rank: 40/20/20 of 2% of 100k.
  assert.deepEqual(dollars, [800, 400, 400]);
  const fourth = requestCapacity(s, req('d'));
  assert.deepEqual([fourth.result.granted, !fourth.result.granted && fourth.result.reason], [false, 'broker_concurrency_limit']);
  const ib1 = grant(fourth.state, req('e', { broker: 'ibkr', session: 'mid' }));
  const ib2 = grant(ib1.state, req('f', { broker: 'ibkr', session: 'mid' }));
  const total = requestCapacity(ib2.state, req('g', { broker: 'ibkr', session: 'mid' }));
  assert.equal(!total.result.granted && total.result.reason, 'open_positions_limit');
  assert.equal(snapshot(total.state).openPositions, 5);
});

void test('a ranked batch uses its n: two accepted signals split 60/40', () => {
  let s = createAccountState(config, AT);
  const a = grant(s, req('a', { rank: 0, acceptedSignals: 2 }));
  s = a.state;
  const b = grant(s, req('b', { rank: 1, acceptedSignals: 2 }));
  assert.deepEqual([a.g.allocationDollars, b.g.allocationDollars], [1200, 800]);
  const c = requestCapacity(b.state, req('c', { rank: 2, acceptedSignals: 2 }));
  assert.equal(!c.result.granted && c.result.reason, 'session_trade_limit');
});

void test('same requestId: the same decision, no second grant', () => {
  const s0 = createAccountState(config, AT);
  const first = requestCapacity(s0, req('x'));
  const again = requestCapacity(first.state, req('x', { price: 1 }));
  assert.deepEqual(again.result, first.result);
  assert.equal(again.state, first.state);
  assert.equal(snapshot(again.state).openPositions, 1);
});

void test('release frees the slot; releasing twice changes nothing', () => {
  let s = createAccountState(config, AT);
  for (const id of ['a', 'b', 'c']) s = grant(s, req(id)).state;
  const rel = releaseCapacity(s, { requestId: 'a', at: AT, realizedPnl: 12.5, filled: true });
  assert.equal(rel.result.released, true);
  const twice = releaseCapacity(rel.state, { requestId: 'a', at: AT, realizedPnl: 12.5, filled: true });
  assert.deepEqual(twice.result, rel.result);
  assert.equal(twice.state, rel.state);
  assert.equal(snapshot(rel.state).brokers[0].realizedPnlToday, 12.5);
  const d = requestCapacity(rel.state, req('d'));
  assert.equal(d.result.granted, true);
  assert.equal(releaseCapacity(d.state, { requestId: 'nope', at: AT, realizedPnl: 0, filled: false }).result.reason, 'unknown_request');
});

void test('an unfilled release gives the session its trade and dollars back', () => {
  let s = createAccountState(config, AT);
  const a = grant(s, req('a', { rank: 0, acceptedSignals: 1 }));
  s = releaseCapacity(a.state, { requestId: 'a', at: AT, realizedPnl: 0, filled: false }).state;
  const b = grant(s, req('b', { rank: 0, acceptedSignals: 1 }));
  assert.equal(b.g.allocationDollars, 2000);
  assert.equal(snapshot(b.state).brokers[0].closedTrades, 0);
});

void test('daily loss exactly at the limit halts that broker only, and tells the holders', () => {
  let s = createAccountState(config, AT);
  s = grant(s, req('a', { brokerFloat: 10_000, notifyWorkflowId: 'session-open' })).state;
  s = grant(s, req('b', { brokerFloat: 10_000, notifyWorkflowId: 'session-open' })).state;
  s = grant(s, req('i', { broker: 'ibkr', brokerFloat: 10_000 })).state;
  const almost = releaseCapacity(s, { requestId: 'a', at: AT, realizedPnl: -499.99, filled: true });
  assert.equal(almost.result.brokerHalted, false);
  // 5% of the 10,000 start-of-day float is 500: one more cent reaches it exactly.
  s = grant(almost.state, req('c', { brokerFloat: 9_500.01 })).state;
  const hit = releaseCapacity(s, { requestId: 'c', at: AT, realizedPnl: -0.01, filled: true });
  assert.equal(hit.result.brokerHalted, true);
  assert.equal(hit.result.realizedPnlToday, -500);
  const kill = hit.state.pendingEvents.find((e): e is KillSwitchEvent => e.kind === 'kill_switch');
  assert.ok(kill);
  assert.equal(kill.broker, 'alpaca');
  assert.equal(kill.lossLimitDollars, 500);
  assert.deepEqual(kill.openRequestIds, ['b']);
  assert.deepEqual(kill.holders, [{ workflowId: 'session-open', requestIds: ['b'] }]);
  const refused = requestCapacity(hit.state, req('d', { brokerFloat: 9_500 }));
  assert.equal(!refused.result.granted && refused.result.reason, 'broker_halted');
  const other = requestCapacity(hit.state, req('e', { broker: 'ibkr', brokerFloat: 10_000 }));
  assert.equal(other.result.granted, true);
  const status = snapshot(hit.state);
  assert.equal(status.brokers.find((b) => b.broker === 'alpaca')?.halted, true);
  assert.equal(status.brokers.find((b) => b.broker === 'ibkr')?.halted, false);
  assert.equal(status.killHistory.length, 1);
  // The next trading day the broker trades again.
  const tomorrow = requestCapacity(hit.state, req('f', { date: '2025-03-11', at: '2025-03-11T14:35:00.000Z', brokerFloat: 9_500 }));
  assert.equal(tomorrow.result.granted, true);
});

void test('brokerKill halts by hand, once per broker and day', () => {
  const s = createAccountState(config, AT);
  const k = brokerKill(s, { broker: 'ibkr', date: DATE, reason: 'escalated BrokerError', at: AT });
  assert.deepEqual(k.result, { halted: true, alreadyHalted: false });
  assert.deepEqual(brokerKill(k.state, { broker: 'ibkr', date: DATE, reason: 'again', at: AT }).result, { halted: true, alreadyHalted: true });
  const r = requestCapacity(k.state, req('a', { broker: 'ibkr' }));
  assert.equal(!r.result.granted && r.result.reason, 'broker_halted');
});

void test('DISABLE_ALL_TRADES refuses every entry', () => {
  const s = createAccountState(accountConfigFrom({ ...defaultBotConfig(), DISABLE_ALL_TRADES: true }), AT);
  const r = requestCapacity(s, req('a'));
  assert.equal(!r.result.granted && r.result.reason, 'trading_disabled');
});

void test('defense mode from a losing history: reduced limits, lower allocation, tags, marginal signals dropped, disaster event', () => {
  let s = createAccountState(config, AT);
  const sessions: StrategyName[] = ['open', 'mid', 'close'];
  for (let i = 0; i < 10; i++) {
    const id = `h${i}`;
    s = grant(s, req(id, { broker: 'ibkr', session: sessions[i % 3] })).state;
    s = releaseCapacity(s, { requestId: id, at: AT, realizedPnl: -1, filled: true }).state;
  }
  const status = snapshot(s);
  assert.equal(status.defense.active, true);
  assert.equal(status.defense.trigger?.kind, 'win_rate');
  assert.equal(status.limits.maxConcurrentPerBroker, 1);
  assert.equal(status.limits.maxOpenPositions, 3);
  const event = s.pendingEvents.find((e) => e.kind === 'defense_mode');
  assert.ok(event && event.kind === 'defense_mode');
  assert.equal(event.change, 'activated');
  assert.equal(event.limits.sessionAllocationFraction, 0.01);
  assert.equal(event.previousLimits.sessionAllocationFraction, 0.02);
  // A new session (close): 1% of 100k, n = 2 -> 60% = 600, tagged.
  const g = grant(s, req('d1', { session: 'close', signalStrength: 10 }));
  assert.equal(g.g.allocationDollars, 600);
  assert.deepEqual(g.g.tags, ['DEFENSE_MODE_ACTIVE']);
  const second = requestCapacity(g.state, req('d2', { session: 'close', signalStrength: 9 }));
  assert.equal(!second.result.granted && second.result.reason, 'broker_concurrency_limit');
  const otherBroker = requestCapacity(g.state, req('d3', { session: 'close', broker: 'sim', signalStrength: 4 }));
  assert.equal(otherBroker.result.granted, true, 'another broker has its own session book');
  const weak = requestCapacity(releaseCapacity(g.state, { requestId: 'd1', at: AT, realizedPnl: 5, filled: true }).state, req('d4', { session: 'close', signalStrength: 4 }));
  assert.equal(!weak.result.granted && weak.result.reason, 'marginal_signal');
  const drained = acknowledgeEvents(s, s.pendingEvents.map((e) => e.id));
  assert.equal(drained.pendingEvents.length, 0);
});

void test('manual defense switch and config edge', () => {
  const s = createAccountState(config, AT);
  const on = setDefenseMode(s, { active: true, by: 'cli', reason: 'drill', at: AT });
  assert.deepEqual(on.result, { active: true, changed: true, source: 'manual' });
  assert.equal(setDefenseMode(on.state, { active: true, by: 'cli', at: AT }).result.changed, false);
  const off = setDefenseMode(on.state, { active: false, by: 'cli', at: AT });
  assert.equal(off.result.active, false);
  assert.equal(off.state.pendingEvents.filter((e) => e.kind === 'defense_mode').length, 2);
  const cfgOn = configure(off.state, { config: { ...config, DEFENSE_MODE_ACTIVE: true }, at: AT });
  assert.equal(cfgOn.result.defenseActive, true);
  const fromConfig = createAccountState({ ...config, DEFENSE_MODE_ACTIVE: true }, AT);
  assert.equal(snapshot(fromConfig).defense.source, 'config');
});

void test('a new trading date expires leaked grants from the day before and refuses late requests for old dates', () => {
  let s = createAccountState(config, AT);
  s = grant(s, req('old')).state;
  const next = grant(s, req('new', { date: '2025-03-11', at: '2025-03-11T14:35:00.000Z' }));
  assert.deepEqual(Object.keys(next.state.openGrants), ['new']);
  assert.ok(next.state.pendingEvents.some((e) => e.kind === 'grant_expired' && e.requestId === 'old'));
  assert.equal(releaseCapacity(next.state, { requestId: 'old', at: AT, realizedPnl: 0, filled: false }).result.reason, 'expired');
  const late = requestCapacity(next.state, req('late'));
  assert.equal(!late.result.granted && late.result.reason, 'stale_date');
});

void test('validators: malformed requests are described, refusals are not problems', () => {
  assert.deepEqual(capacityRequestProblems(req('ok')), []);
  const bad = capacityRequestProblems({ ...req(''), price: 0, broker: 'tradier' as BrokerName, date: '2025-02-30' });
  assert.equal(bad.length, 4);
  assert.deepEqual(releaseRequestProblems({ requestId: 'a', at: AT, realizedPnl: -3, filled: false }), ['realizedPnl: must be 0 when filled is false']);
});

// ------------------------------------------------------------------ property: no sequence breaks a limit

type Op =
  | { kind: 'request'; id: number; broker: BrokerName; session: StrategyName; strength: number; price: number; float: number; rank?: number; n?: number }
  | { kind: 'release'; id: number; pnl: number; filled: boolean }
  | { kind: 'defense'; active: boolean }
  | { kind: 'kill'; broker: BrokerName };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    kind: fc.constant('request' as const),
    id: fc.integer({ min: 0, max: 40 }),
    broker: fc.constantFrom<BrokerName>('alpaca', 'ibkr'),
    session: fc.constantFrom<StrategyName>('open', 'mid', 'close'),
    strength: fc.double({ min: 0, max: 10, noNaN: true }),
    price: fc.double({ min: 1, max: 500, noNaN: true }),
    float: fc.double({ min: 1_000, max: 200_000, noNaN: true }),
    rank: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    n: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), id: fc.integer({ min: 0, max: 40 }), pnl: fc.double({ min: -3_000, max: 3_000, noNaN: true }), filled: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('defense' as const), active: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kill' as const), broker: fc.constantFrom<BrokerName>('alpaca', 'ibkr') }) },
);

void test('property: any sequence of requests, releases, defense switches and kills keeps every limit', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 120 }), fc.boolean(), (ops, fractional) => {
      const cfg = accountConfigFrom({ ...defaultBotConfig(), FRACTIONAL: fractional });
      let s = createAccountState(cfg, AT);
      for (const op of ops) {
        if (op.kind === 'request') {
          const r = req(String(op.id), { broker: op.broker, session: op.session, signalStrength: op.strength, price: op.price, brokerFloat: op.float, rank: op.rank, acceptedSignals: op.n });
          const before = s;
          const t = requestCapacity(s, r);
          s = t.state;
          const again = requestCapacity(s, r);
          assert.deepEqual(again.result, t.result, 'idempotent');
          assert.equal(again.state, s);
          if (t.result.granted && !before.decisions[r.requestId]) {
            const st = snapshot(s);
            const g = t.result;
            assert.ok((st.openByBroker[g.broker] ?? 0) <= st.limits.maxConcurrentPerBroker, 'per-broker limit');
            assert.ok(st.openPositions <= st.limits.maxOpenPositions, 'total limit');
            assert.ok(g.allocationDollars <= g.sessionAllocationDollars);
            assert.ok(g.allocationDollars <= g.perTradeCapDollars);
            assert.ok(g.costDollars <= g.allocationDollars);
            assert.equal(g.tags.includes('DEFENSE_MODE_ACTIVE'), st.defense.active);
            const day = st.brokers.find((b) => b.broker === g.broker);
            assert.equal(day?.halted, false);
          }
        } else if (op.kind === 'release') {
          s = releaseCapacity(s, { requestId: String(op.id), at: AT, realizedPnl: op.filled ? op.pnl : 0, filled: op.filled }).state;
        } else if (op.kind === 'defense') {
          s = setDefenseMode(s, { active: op.active, by: 'prop', at: AT }).state;
        } else {
          s = brokerKill(s, { broker: op.broker, date: DATE, reason: 'prop', at: AT }).state;
        }
        // Session books never grant more than the normal allocation of their base float.
        for (const book of Object.values(s.sessionBooks)) {
          assert.ok(book.grantedCents <= Math.round(book.baseFloat * cfg.TOTAL_ALLOCATION * 100), 'session allocation overshot');
          assert.ok(book.grantedCount <= cfg.MAX_TRADES);
        }
        assert.deepEqual(JSON.parse(JSON.stringify(s)), s, 'state is plain JSON');
      }
    }),
    { numRuns: 300 },
  );
});

test('the reducers copy their state exactly as a JSON round trip would, without the text', async () => {
  const { jsonCopy } = await import('../../domain/risk/accountState');
  const edge = { a: -0, b: Number.NaN, c: Number.POSITIVE_INFINITY, d: undefined, e: () => 1, f: [undefined, () => 1, -0, Number.NaN, null], g: new Date(0), h: { i: [{ j: 'x' }] }, 3: 'three', k: '' };
  assert.deepStrictEqual(jsonCopy(edge), JSON.parse(JSON.stringify(edge)));
  assert.equal(JSON.stringify(jsonCopy(edge)), JSON.stringify(edge), 'same keys in the same order');
  fc.assert(
    fc.property(fc.anything({ withNullPrototype: false, withBigInt: false, withDate: true, withMap: false, withSet: false, withTypedArray: false, withSparseArray: true }), (value) => {
      fc.pre(value !== undefined && typeof value !== 'function' && typeof value !== 'symbol');
      assert.deepStrictEqual(jsonCopy(value), JSON.parse(JSON.stringify(value)));
    }),
    { numRuns: 2000 },
  );
  const cyclic: Record<string, unknown> = { n: 1 };
  cyclic.self = cyclic;
  assert.throws(() => jsonCopy(cyclic), TypeError);
  assert.throws(() => jsonCopy({ big: 1n }), TypeError);
  const shared = { x: 1 };
  assert.deepStrictEqual(jsonCopy({ a: shared, b: [shared] }), { a: { x: 1 }, b: [{ x: 1 }] }, 'a value met twice, not in a cycle, is copied twice');
});
