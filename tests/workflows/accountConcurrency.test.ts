import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporalTestServer';
import { createAccountActivities, ensureAccountWorkflow } from '../../activities/accountClient';
import { createDisasterLogActivities, disasterLogPath, riskEventsLogPath } from '../../activities/disasterLog';
import {
  accountConfigFrom,
  createAccountState,
  releaseCapacity,
  requestCapacity,
  type AccountState,
  type CapacityGrant,
  type CapacityRequest,
} from '../../domain/risk/accountState';
import { sessionAllocationDollars } from '../../domain/risk/allocation';
import { defaultBotConfig, type BotConfig } from '../../domain/config/botConfigSchema';
import {
  accountStatusQuery,
  requestCapacityUpdate,
  setDefenseModeUpdate,
  type DefenseModeEvent,
  // The account's decisions: the reducer's plus the cross-broker ticker rule.
  type CapacityDecision,
} from '../../workflows/accountApi';
import type { accountWorkflow } from '../../workflows/account';
import type { haltListenerWorkflow } from './accountTestWorkflows';
import type { BrokerName, StrategyName } from '../../domain/vocabulary';

const DATE = '2025-03-10';
const AT = `${DATE}T14:35:00.000Z`;
// Keyed by string: only these three brokers appear here.
const FLOATS: Record<string, number> = { alpaca: 100_000, ibkr: 50_000, sim: 10_000 };
const SESSIONS: StrategyName[] = ['open', 'mid', 'close'];
const BROKERS: BrokerName[] = ['alpaca', 'ibkr'];

let env: TestTemporal;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
let outputDir: string;
const alerts: string[] = [];
const handles: WorkflowHandle[] = [];
let seq = 0;

function uniqueId(name: string): string {
  seq += 1;
  return `test-account-${name}-${process.pid}-${seq}-${Math.random().toString(36).slice(2, 7)}`;
}

async function startAccount(name: string, overrides: Partial<BotConfig> = {}, extra: { continueAsNewAfterEvents?: number } = {}) {
  const workflowId = uniqueId(name);
  const config = { ...defaultBotConfig(), ...overrides };
  const handle = await ensureAccountWorkflow(env.client, { mode: 'paper', config, taskQueue, workflowId, at: AT, ...extra });
  handles.push(handle);
  const activities = createAccountActivities(env.client, { mode: 'paper', taskQueue, workflowId });
  return { workflowId, handle, activities };
}

function capacity(id: string, over: Partial<CapacityRequest> = {}): CapacityRequest {
  const broker = over.broker ?? 'alpaca';
  return {
    requestId: id,
    at: AT,
    date: DATE,
    session: 'open',
    broker,
    // One ticker per request: the account also refuses a ticker already traded that day, which is not what these tests probe.
    symbol: `SYM-${id}`,
    side: 'long',
    instrument: 'stock',
    signalStrength: 1,
    price: 25,
    brokerFloat: FLOATS[broker],
    assetFractionable: true,
    ...over,
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function grantsOf(decisions: readonly CapacityDecision[]): CapacityGrant[] {
  return decisions.filter((d): d is CapacityGrant => d.granted);
}

function assertWithinLimits(grants: readonly CapacityGrant[], limits: { perBroker: number; total: number }) {
  assert.ok(grants.length <= limits.total, `${grants.length} grants > MAX_OPEN_POSITIONS ${limits.total}`);
  for (const broker of BROKERS) {
    const n = grants.filter((g) => g.broker === broker).length;
    assert.ok(n <= limits.perBroker, `${n} grants at ${broker} > ${limits.perBroker}`);
  }
  for (const session of SESSIONS) {
    for (const broker of BROKERS) {
      const mine = grants.filter((g) => g.session === session && g.broker === broker);
      const cents = mine.reduce((s, g) => s + Math.round(g.allocationDollars * 100), 0);
      const allocation = sessionAllocationDollars(FLOATS[broker], 0.02);
      assert.ok(cents <= Math.round(allocation * 100), `session ${session} at ${broker} granted ${cents / 100} > ${allocation}`);
      for (const g of mine) {
        assert.ok(g.allocationDollars <= FLOATS[broker] * 0.025, 'per-trade cap');
        assert.ok(g.costDollars <= g.allocationDollars, 'cost within allocation');
      }
    }
  }
}

before(async () => {
  env = await connectTestTemporal();
  taskQueue = uniqueTaskQueue('account');
  outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-account-'));
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./accountTestWorkflows'),
    activities: createDisasterLogActivities({
      outputDir,
      alert: async (subject) => {
        alerts.push(subject);
      },
    }),
  });
  running = worker.run();
});

after(async () => {
  for (const h of handles) await h.terminate('test done').catch(() => undefined);
  worker.shutdown();
  await running;
  await env.close();
  fs.rmSync(outputDir, { recursive: true, force: true });
});

void describe('account workflow on the real dev server', () => {
  void test('50 simultaneous capacity requests from three sessions and two brokers never exceed a limit', async () => {
    const { handle, activities } = await startAccount('storm');
    const requests = Array.from({ length: 50 }, (_, i) =>
      capacity(`storm-${i}`, {
        broker: BROKERS[i % 2],
        session: SESSIONS[i % 3],
        signalStrength: (i * 7) % 11,
        price: 5 + ((i * 13) % 90),
        assetFractionable: i % 4 !== 0,
      }),
    );
    // Half through the activity code path, half straight through the client: all at once.
    const decisions = await Promise.all(
      requests.map((r, i) =>
        i % 2 === 0 ? activities.requestCapacity(r) : handle.executeUpdate(requestCapacityUpdate, { args: [r], updateId: `capacity-${r.requestId}` }),
      ),
    );
    assert.equal(decisions.length, 50);
    const grants = grantsOf(decisions);
    assertWithinLimits(grants, { perBroker: 3, total: 5 });
    assert.equal(grants.length, 5, 'all five slots are used');
    for (const d of decisions) {
      if (!d.granted) assert.ok(['broker_concurrency_limit', 'open_positions_limit', 'session_trade_limit'].includes(d.reason), d.reason);
    }
    const status = await handle.query(accountStatusQuery);
    assert.equal(status.openPositions, 5);
    assert.deepEqual(
      status.grants.map((g) => g.requestId).sort(),
      grants.map((g) => g.requestId).sort(),
    );

    // Release frees exactly one slot: of a burst of new requests at that broker, one gets it.
    const freed = grants[0];
    const rel = await activities.releaseCapacity({ requestId: freed.requestId, at: AT, realizedPnl: 3.5, filled: true });
    assert.equal(rel.released, true);
    const again = await Promise.all(
      Array.from({ length: 10 }, (_, i) => activities.requestCapacity(capacity(`after-${i}`, { broker: freed.broker, session: SESSIONS[i % 3] }))),
    );
    const regranted = grantsOf(again);
    assert.equal(regranted.length, 1, 'one freed slot, one new grant');
    assertWithinLimits([...grants.slice(1), ...regranted], { perBroker: 3, total: 5 });
  });

  void test('the same requestId sent many times at once gets one grant and the same answer', async () => {
    const { handle, activities } = await startAccount('idem');
    const r = capacity('dup-1', { broker: 'ibkr' });
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => activities.requestCapacity(r)),
      ...Array.from({ length: 5 }, () => handle.executeUpdate(requestCapacityUpdate, { args: [r] })),
    ]);
    for (const a of answers) assert.deepEqual(a, answers[0]);
    assert.equal(answers[0].granted, true);
    const status = await handle.query(accountStatusQuery);
    assert.equal(status.openPositions, 1);
    assert.equal(status.counters.granted, 1);
  });

  void test('a daily loss reaching the limit at one broker halts only that broker, signals the holder, logs and alerts', async () => {
    const { workflowId, handle, activities } = await startAccount('loss');
    const listenerId = uniqueId('listener');
    const listener = await env.client.workflow.start<typeof haltListenerWorkflow>('haltListenerWorkflow', { workflowId: listenerId, taskQueue });
    handles.push(listener);
    const float = 10_000; // loss limit 5% = 500
    const held = await activities.requestCapacity(capacity('held', { brokerFloat: float, notifyWorkflowId: listenerId }));
    const loser = await activities.requestCapacity(capacity('loser', { brokerFloat: float }));
    const ib = await activities.requestCapacity(capacity('ib', { broker: 'ibkr' }));
    assert.ok(held.granted && loser.granted && ib.granted);
    const rel = await activities.releaseCapacity({ requestId: 'loser', at: AT, realizedPnl: -500, filled: true });
    assert.equal(rel.brokerHalted, true);
    assert.equal(rel.realizedPnlToday, -500);

    const refused = await activities.requestCapacity(capacity('after-alpaca', { brokerFloat: 9_500 }));
    assert.equal(!refused.granted && refused.reason, 'broker_halted');
    const stillTrading = await activities.requestCapacity(capacity('after-ibkr', { broker: 'ibkr', session: 'mid' }));
    assert.equal(stillTrading.granted, true);

    const notice = await listener.result();
    assert.equal(notice.broker, 'alpaca');
    assert.equal(notice.cause, 'daily_loss_limit');
    assert.deepEqual(notice.requestIds, ['held']);

    const status = await handle.query(accountStatusQuery);
    assert.equal(status.brokers.find((b) => b.broker === 'alpaca')?.halted, true);
    assert.equal(status.brokers.find((b) => b.broker === 'ibkr')?.halted, false);
    assert.equal(status.killHistory.length, 1);

    const logged = await waitFor('kill switch in the risk event log', () => {
      const file = riskEventsLogPath(outputDir, 'paper');
      if (!fs.existsSync(file)) return undefined;
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; broker?: string; id: string });
      return lines.find((l) => l.kind === 'kill_switch' && l.broker === 'alpaca' && l.id.includes(AT)) ? lines : undefined;
    });
    assert.ok(logged.length > 0);
    assert.ok(alerts.some((a) => a.includes('kill switch: alpaca')));
    assert.ok(workflowId);
  });

  void test('defense mode switches on from a seeded losing history, its limits apply, and the disaster log records it', async () => {
    // Seed: nine closed losing trades this month (one short of the 10-trade minimum for the win-rate trigger).
    const config = accountConfigFrom(defaultBotConfig());
    const seededAt = `${DATE}T13:00:00.000Z`;
    let seeded: AccountState = createAccountState(config, seededAt);
    for (let i = 0; i < 9; i++) {
      const id = `seed-${i}`;
      seeded = requestCapacity(seeded, capacity(id, { broker: 'sim', session: SESSIONS[i % 3], at: seededAt })).state;
      seeded = releaseCapacity(seeded, { requestId: id, at: seededAt, realizedPnl: -2, filled: true }).state;
    }
    const workflowId = uniqueId('defense');
    const handle = await env.client.workflow.start<typeof accountWorkflow>('accountWorkflow', {
      workflowId,
      taskQueue,
      args: [{ mode: 'paper', config, startedAt: seededAt, state: seeded }],
    });
    handles.push(handle);
    const activities = createAccountActivities(env.client, { mode: 'paper', taskQueue, workflowId });
    assert.equal((await handle.query(accountStatusQuery)).defense.active, false);

    const tenth = await activities.requestCapacity(capacity('tenth', { session: 'open' }));
    assert.ok(tenth.granted);
    assert.deepEqual(tenth.tags, []);
    const rel = await activities.releaseCapacity({ requestId: 'tenth', at: AT, realizedPnl: -1, filled: true });
    assert.equal(rel.defenseActive, true);

    const status = await handle.query(accountStatusQuery);
    assert.equal(status.defense.active, true);
    assert.equal(status.defense.source, 'auto');
    assert.equal(status.defense.trigger?.kind, 'win_rate');
    assert.equal(status.limits.maxConcurrentPerBroker, 1);
    assert.equal(status.limits.maxOpenPositions, 3);
    assert.equal(status.limits.maxTradesPerSession, 2);
    assert.equal(status.limits.sessionAllocationFraction, 0.01);

    // Effects, with simultaneous requests: one slot per broker, 1% allocation split 60/40, tagged.
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        activities.requestCapacity(capacity(`def-${i}`, { broker: BROKERS[i % 2], session: 'close', signalStrength: 10 - (i % 3) })),
      ),
    );
    const grants = grantsOf(burst);
    assert.equal(grants.filter((g) => g.broker === 'alpaca').length, 1);
    assert.equal(grants.filter((g) => g.broker === 'ibkr').length, 1);
    for (const g of grants) {
      assert.deepEqual(g.tags, ['DEFENSE_MODE_ACTIVE']);
      assert.equal(g.acceptedSignals, 2);
      assert.equal(g.allocationDollars, Math.floor(FLOATS[g.broker] * 0.01 * 0.6 * 100) / 100);
    }

    const entries = await waitFor('activation in disaster_log.json', () => {
      const file = disasterLogPath(outputDir);
      if (!fs.existsSync(file)) return undefined;
      const all = JSON.parse(fs.readFileSync(file, 'utf8')) as DefenseModeEvent[];
      const mine = all.filter((e) => e.id.includes(seededAt));
      return mine.length > 0 ? mine : undefined;
    });
    assert.equal(entries[0].change, 'activated');
    assert.equal(entries[0].trigger.kind, 'win_rate');
    assert.equal(entries[0].limits.maxConcurrentPerBroker, 1);
    assert.equal(entries[0].previousLimits.maxConcurrentPerBroker, 3);

    // The operator ends it; the deactivation is logged too.
    const off = await handle.executeUpdate(setDefenseModeUpdate, { args: [{ active: false, by: 'test', reason: 'drill over', at: AT }] });
    assert.deepEqual(off, { active: false, changed: true, source: null });
    await waitFor('deactivation in disaster_log.json', () => {
      const all = JSON.parse(fs.readFileSync(disasterLogPath(outputDir), 'utf8')) as DefenseModeEvent[];
      return all.some((e) => e.id.includes(seededAt) && e.change === 'deactivated') ? true : undefined;
    });
  });

  void test('continue-as-new under load keeps the state and the limits', async () => {
    const { handle, activities } = await startAccount('can', {}, { continueAsNewAfterEvents: 60 });
    const firstRunId = (await handle.describe()).runId;
    const all: CapacityDecision[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const decisions = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          activities.requestCapacity(capacity(`can-${wave}-${i}`, { broker: BROKERS[i % 2], session: SESSIONS[(i + wave) % 3] })),
        ),
      );
      all.push(...decisions);
      const open = grantsOf(decisions);
      assertWithinLimits(open, { perBroker: 3, total: 5 });
      assert.equal(open.length, 5);
      // Release this wave's grants so the next wave has slots again.
      await Promise.all(open.map((g) => activities.releaseCapacity({ requestId: g.requestId, at: AT, realizedPnl: 1, filled: true })));
    }
    const runs = new Set<string>();
    runs.add(firstRunId);
    runs.add((await handle.describe()).runId);
    assert.ok(runs.size > 1, 'the account continued as new at least once');
    const status = await handle.query(accountStatusQuery);
    assert.equal(status.openPositions, 0);
    assert.equal(status.counters.granted, grantsOf(all).length);
    assert.equal(status.counters.released, grantsOf(all).length);
    // A retried request from the first wave, after continue-as-new: the same answer, not a new grant.
    const replayed = await activities.requestCapacity(capacity('can-0-0', { broker: 'alpaca', session: 'open' }));
    assert.deepEqual(replayed, all[0]);
    assert.equal((await handle.query(accountStatusQuery)).counters.granted, grantsOf(all).length);
  });

  void test('malformed requests are rejected by the validator and never reach the history', async () => {
    const { handle, activities } = await startAccount('invalid');
    await assert.rejects(
      handle.executeUpdate(requestCapacityUpdate, { args: [capacity('bad', { price: -1 })] }),
      (err: unknown) => err instanceof WorkflowUpdateFailedError,
    );
    await assert.rejects(activities.requestCapacity(capacity('bad2', { date: '10/03/2025' })), /account rejected the request: invalid request: date/);
    const status = await handle.query(accountStatusQuery);
    assert.equal(status.counters.granted + status.counters.refused, 0);
  });
});
