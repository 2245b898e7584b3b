import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  FaultInjectingBroker,
  decideFault,
  type FaultableMethod,
  type InjectedFault,
} from '../../activities/broker/faultInjectingBroker';
import type { OrderRequest } from '../../activities/broker/brokerTypes';
import { SimBroker, readSimJournal } from '../../activities/broker/simBroker';
import { createTradingActivities } from '../../activities/tradingActivities';
import { NetworkError, describeError } from '../../domain/errors/errorClasses';

function tempJournal(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-faults-')), 'state', 'sim.jsonl');
}

function simBroker(journalPath: string): SimBroker {
  return new SimBroker({ journalPath, startingCash: 100_000, prices: { closeAt: () => 10 } });
}

function order(clientOrderId: string): OrderRequest {
  return { clientOrderId, symbol: 'SPY', assetClass: 'us_equity', side: 'buy', qty: 3, type: 'market', simFillBarStart: 0 };
}

test('fault decisions are a pure function of seed, call and attempt, at about the asked rate', () => {
  const methods: FaultableMethod[] = ['submitOrder', 'getOrderByClientId', 'quote'];
  const decisions = (seed: number) =>
    Array.from({ length: 3000 }, (_, i) => decideFault(seed, 0.2, methods[i % 3] as FaultableMethod, `id-${i}`, 1 + (i % 3)));
  const a = decisions(7);
  assert.deepEqual(decisions(7), a, 'same seed, same decisions');
  assert.notDeepEqual(decisions(8), a, 'another seed decides otherwise');
  const rate = a.filter((d) => d !== null).length / a.length;
  assert.ok(rate > 0.17 && rate < 0.23, `observed rate ${rate}`);
  assert.ok(a.includes('dropped_response') && a.includes('http_500') && a.includes('rate_limited') && a.includes('timeout'));
  // Only an order can be accepted and lose its answer.
  for (let i = 0; i < 500; i++) assert.notEqual(decideFault(1, 1, 'quote', `q${i}`, 1), 'dropped_response');
  // Rate 0 never fails; attempts past the cap never fail, so a 4-attempt retry policy always gets through.
  for (let i = 0; i < 500; i++) {
    assert.equal(decideFault(1, 0, 'submitOrder', `o${i}`, 1), null);
    assert.equal(decideFault(1, 1, 'submitOrder', `o${i}`, 4, 3), null);
  }
});

test('two decorators with the same seed inject the same faults on the same calls', async () => {
  const run = async (seed: number) => {
    const faults: InjectedFault[] = [];
    const b = new FaultInjectingBroker(simBroker(tempJournal()), { seed, rate: 0.3, timeoutDelayMs: 1, onFault: (f) => faults.push(f) });
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i++) {
      for (const call of [() => b.quote('SPY', 'us_equity', i), () => b.account(), () => b.submitOrder(order(`c${i}`))]) {
        try {
          await call();
          outcomes.push('ok');
        } catch (err) {
          assert.ok(err instanceof NetworkError, 'every injected fault is a NetworkError');
          assert.equal(describeError(err).retryable, true);
          outcomes.push((err as NetworkError).code ?? '?');
        }
      }
    }
    assert.equal(b.faultsInjected, faults.length);
    return { outcomes, faults };
  };
  const first = await run(42);
  assert.deepEqual(await run(42), first);
  assert.ok(first.faults.length > 10, `faults injected: ${first.faults.length}`);
  // Keyless calls (account) never fail more than three times in a row.
  let streak = 0;
  for (let i = 1; i < first.outcomes.length; i += 3) {
    streak = first.outcomes[i] === 'ok' ? 0 : streak + 1;
    assert.ok(streak <= 3);
  }
});

test('a dropped response leaves exactly one order: the retried activity finds it by client order id', async () => {
  const seed = 3;
  // A client order id whose first submit is accepted by the broker and then loses its answer.
  let id = '';
  for (let i = 0; id === ''; i++) {
    if (decideFault(seed, 0.5, 'submitOrder', `drill-${i}`, 1) === 'dropped_response') id = `drill-${i}`;
  }
  const journalPath = tempJournal();
  let attempt = 1;
  const faults: InjectedFault[] = [];
  const broker = new FaultInjectingBroker(simBroker(journalPath), {
    seed,
    rate: 0.5,
    timeoutDelayMs: 1,
    activity: () => ({ attempt, callId: 'wf/1' }),
    onFault: (f) => faults.push(f),
  });
  const activities = createTradingActivities({
    outputDir: path.dirname(path.dirname(journalPath)),
    broker: async () => broker,
    marketData: () => Promise.reject(new Error('not used')),
    vixSeries: async () => null,
  });
  // What Temporal does: attempt after attempt until one succeeds (API_RETRY_LIMIT=3 allows four).
  let result = null;
  for (; attempt <= 4 && result === null; attempt++) {
    try {
      result = await activities.submitOrder({ broker: 'sim', replayFolder: 'replay', request: order(id) });
    } catch (err) {
      assert.ok(err instanceof NetworkError, String(err));
    }
  }
  assert.ok(result, 'the order activity succeeded within the retry budget');
  assert.equal(result.status, 'filled');
  assert.equal(faults[0]?.kind, 'dropped_response');
  const journal = readSimJournal(journalPath);
  assert.equal(journal.length, 1, 'the order was submitted once');
  assert.equal(journal[0]?.clientOrderId, id);
});

test('with the activity context, a retry on a new worker process continues the attempt count', async () => {
  // Fresh decorators stand for restarted workers: only the activity attempt carries over, and past the
  // cap the call goes through whatever the rate.
  for (let attempt = 1; attempt <= 6; attempt++) {
    const b = new FaultInjectingBroker(simBroker(tempJournal()), { seed: 9, rate: 1, timeoutDelayMs: 1, activity: () => ({ attempt, callId: 'wf/7' }) });
    if (attempt <= 3) await assert.rejects(b.account(), NetworkError);
    else assert.equal((await b.account()).cash, 100_000);
  }
});

test("order history passes through when the inner broker has one, with faults like other calls; absent when it has none", async () => {
  const sim = simBroker(tempJournal());
  await sim.submitOrder(order('tb-hist-1'));
  const clean = new FaultInjectingBroker(sim, { seed: 1, rate: 0 });
  assert.equal(typeof clean.ordersSince, 'function');
  assert.deepEqual((await clean.ordersSince?.('2025-03-03T00:00:00Z'))?.map((o) => o.clientOrderId), ['tb-hist-1']);
  const faults: InjectedFault[] = [];
  const faulty = new FaultInjectingBroker(sim, { seed: 1, rate: 1, maxFaultyAttempts: 1, onFault: (f) => faults.push(f) });
  await assert.rejects(faulty.ordersSince?.('2025-03-03T00:00:00Z') ?? Promise.resolve(), (err: unknown) => err instanceof NetworkError);
  assert.equal(faults[0]?.method, 'ordersSince');
  const bare = new FaultInjectingBroker({ name: 'sim', capabilities: sim.capabilities, authenticate: async () => undefined, submitOrder: (r) => sim.submitOrder(r), getOrderByClientId: (id) => sim.getOrderByClientId(id), cancelOrder: async () => undefined, positions: () => sim.positions(), account: () => sim.account(), quote: async () => null }, { seed: 1, rate: 0 });
  assert.equal(bare.ordersSince, undefined);
});
