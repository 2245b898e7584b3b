import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { FaultInjectingBroker } from '../../activities/broker/faultInjectingBroker';
import { readSimJournal } from '../../activities/broker/simBroker';
import type { Broker } from '../../activities/broker/brokerTypes';
import { readBook } from '../../activities/ledger/ledgerStore';
import { alertsLogFile } from '../../activities/notify/notifier';
import { outputPaths } from '../../activities/outputs/outputPaths';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { readUnresolvedOrdersJson } from '../../activities/outputs/unresolvedOrders';
import { NetworkError } from '../../domain/errors/errorClasses';
import { bookProblems } from '../../domain/ledger/balance';
import { accountStatusQuery } from '../../workflows/accountApi';
import type { DaySummary } from '../../workflows/tradingDayApi';
import {
  OPEN_DAY_DATE,
  OPEN_DAY_UNIVERSE,
  ROOMY_OPEN_LIMITS,
  dayTradeKeys,
  replayDayInput,
  simulatedDayTrades,
  startDay,
  startDayHarness,
  testConfig,
  type DayHarness,
} from '../helpers/tradingDayHarness';

/*
 * Broker faults on the real dev server (issue 5): a broker failing at a rate mid-session, a broker that
 * refuses every order, a broker that stops answering, and the entry checks (spread, build). Every day runs
 * the OPEN session of a real replayed date on the simulated broker behind a failing wrapper.
 */

const DATE = OPEN_DAY_DATE;
const UNIVERSE = OPEN_DAY_UNIVERSE;

/** A worker with its own output folder whose brokers are wrapped; runs until `stop`. */
const faultyHarness = (prefix: string, wrapBroker?: (b: Broker) => Broker): Promise<DayHarness> =>
  startDayHarness({ symbols: UNIVERSE, prefix, wrapBroker });

/** `id` is the day's workflow id as is: each `npm test` starts a fresh dev server, so fixed ids are unique. */
async function runOpenDay(h: DayHarness, overrides: Record<string, string>, id: string): Promise<DaySummary> {
  const config = testConfig({ ...ROOMY_OPEN_LIMITS, STRAT_MID_ENABLED: 'false', STRAT_CLOSE_ENABLED: 'false', ...overrides });
  const handle = await startDay(h, replayDayInput({ date: DATE, config, universe: UNIVERSE, marketStart: `${DATE}T14:28:00Z`, speed: 240 }), id);
  return handle.result();
}

function simJournal(outputDir: string) {
  const stateDir = outputPaths(outputDir, 'paper').stateDir;
  if (!fs.existsSync(stateDir)) return [];
  return fs
    .readdirSync(stateDir)
    .filter((f) => f.startsWith('sim_broker_'))
    .flatMap((f) => readSimJournal(path.join(stateDir, f)));
}


/**
 * Passes calls through, except the methods given, which throw a NetworkError. `accountWhileHolding`: account
 * calls answer until one arrives while the broker holds a position, and from then on never again; the
 * watchdog's heartbeat is such a call, so it finds the broker silent with positions open, whatever the
 * phase of its interval and however far the replay lags. Activities get a broker per call, so that state
 * lives in the factory, not in the wrapper.
 */
function failing(methods: { submitOrder?: boolean; accountWhileHolding?: boolean }): (inner: Broker) => Broker {
  let silent = false;
  return (inner) => ({
    name: inner.name,
    capabilities: inner.capabilities,
    authenticate: () => inner.authenticate(),
    submitOrder: async (req) => {
      if (methods.submitOrder) throw new NetworkError('connect ECONNREFUSED 127.0.0.1:1 (test broker down)', { code: 'ECONNREFUSED' });
      return inner.submitOrder(req);
    },
    getOrderByClientId: (id) => inner.getOrderByClientId(id),
    cancelOrder: (id) => inner.cancelOrder(id),
    positions: () => inner.positions(),
    account: async () => {
      if (methods.accountWhileHolding && !silent) silent = (await inner.positions()).length > 0;
      if (silent) throw new NetworkError('socket hang up (test broker stopped answering)', { code: 'ECONNRESET' });
      return inner.account();
    },
    quote: (s, a, t) => inner.quote(s, a, t),
  });
}

describe('broker faults in a TEST_MODE day on the real dev server', () => {
  test('a broker failing 40% of calls (500s, 429s, timeouts, lost answers): same trades as the simulation, no order twice, ledger balanced', async () => {
    // Fixed workflow id and seed: the client order ids, and so the faults, are the same on every run.
    const faults: string[] = [];
    const h = await faultyHarness('faults', (b) =>
      new FaultInjectingBroker(b, {
        seed: 11,
        rate: 0.4,
        maxFaultyAttempts: 2,
        timeoutDelayMs: 50,
        activity: () => {
          try {
            const i = Context.current().info;
            return { attempt: i.attempt, callId: `${i.workflowExecution?.workflowId ?? ''}/${i.activityId}` };
          } catch {
            return null;
          }
        },
        onFault: (f) => faults.push(`${f.method} ${f.kind}`),
      }),
    );
    try {
      const summary = await runOpenDay(h, { API_RETRY_LIMIT: '3' }, 'test-faults');
      assert.equal(summary.halted, false, summary.haltReason ?? '');
      assert.ok(faults.length >= 5, `faults should have been injected, got ${faults.join(', ')}`);
      assert.ok(faults.some((f) => f.includes('dropped_response')), `a lost answer should be among ${faults.join(', ')}`);
      const open = summary.sessions.find((s) => s.strategy === 'open');
      assert.ok(open && open.retries > 0, 'the session counts the retries it needed');
      assert.equal(summary.finalStatus.retries, summary.sessions.reduce((a, s) => a + s.retries, 0));
      assert.equal(summary.finalStatus.dataConnectivity, 'ok');
      assert.equal(open?.escalations, 0);

      const trades = readTradeHistory(h.outputDir, 'paper');
      assert.deepEqual(dayTradeKeys(trades), simulatedDayTrades('open', testConfig(ROOMY_OPEN_LIMITS), DATE, UNIVERSE));
      for (const t of trades) assert.equal(t.error_code, null, `${t.underlying}: ${t.error_code}`);

      const journal = simJournal(h.outputDir);
      const ids = journal.map((o) => o.clientOrderId);
      assert.equal(new Set(ids).size, ids.length, 'no client order id reached the broker twice');
      assert.equal(journal.length, trades.length * 2, 'one entry and one exit per trade');
      const book = readBook(h.outputDir, 'paper');
      assert.ok(book.length >= trades.length, 'every trade is in the ledger');
      assert.deepEqual(bookProblems(book, 'paper'), []);
    } finally {
      await h.stop();
    }
  });

  test('a broker refusing every order: escalated once, broker halted at the account, nothing traded, nothing left open', async () => {
    const h = await faultyHarness('refuse', failing({ submitOrder: true }));
    try {
      const summary = await runOpenDay(h, { API_RETRY_LIMIT: '1' }, 'test-refuse');
      const open = summary.sessions.find((s) => s.strategy === 'open');
      assert.equal(open?.state, 'halted');
      assert.equal(open?.entries, 0);
      assert.equal(open?.escalations, 1, 'the broker is halted after the first escalation: no second order is tried');
      assert.equal(open?.connectivity.broker, 'unreachable');
      assert.equal(summary.finalStatus.brokerConnectivity.sim, 'unreachable', 'the day status query shows the watchdog view');
      assert.equal(summary.finalStatus.escalations, 1);
      assert.ok(summary.finalStatus.retries >= 1, 'the failed submit counts its retry');
      assert.deepEqual(readTradeHistory(h.outputDir, 'paper'), []);
      assert.deepEqual(simJournal(h.outputDir), []);

      const unresolved = readUnresolvedOrdersJson(h.outputDir, 'paper');
      assert.equal(unresolved.length, 1);
      assert.equal(unresolved[0]?.error_type, 'NetworkError');
      assert.equal(unresolved[0]?.error_code, 'ECONNREFUSED');
      assert.equal(unresolved[0]?.broker, 'sim');
      assert.match(unresolved[0]?.message ?? '', /entry order failed.*client order id .*:entry.*kill switch for sim/);
      assert.ok((unresolved[0]?.stack ?? '').length <= 2000);

      const alerts = fs.readFileSync(alertsLogFile(h.outputDir, 'paper'), 'utf8');
      // TEST_MODE suppresses delivery; the alerts log still records the alert that a live day would send.
      assert.match(alerts, /"outcome":"suppressed".*OPEN entry order failed at sim: trading halted/);

      const account = await h.temporal.client.workflow.getHandle(`account-${h.taskQueue}`).query(accountStatusQuery);
      const sim = account.brokers.find((b) => b.broker === 'sim');
      assert.equal(sim?.halted, true);
      assert.match(sim?.haltReason ?? '', /entry order failed: NetworkError/);
      assert.equal(account.openPositions, 0, 'the refused entry holds no slot: the broker said it has no such order');
    } finally {
      await h.stop();
    }
  });

  test('a broker that stops answering mid-session: the watchdog halts it and the open positions are exited', async () => {
    // Account calls (sizing, heartbeats) answer until the broker holds a position; then it goes silent.
    const h = await faultyHarness('silent', failing({ accountWhileHolding: true }));
    try {
      const summary = await runOpenDay(h, { API_RETRY_LIMIT: '1' }, 'test-silent');
      const open = summary.sessions.find((s) => s.strategy === 'open');
      assert.equal(open?.state, 'halted');
      assert.equal(open?.connectivity.broker, 'unreachable');
      const unresolved = readUnresolvedOrdersJson(h.outputDir, 'paper');
      assert.ok(unresolved.some((u) => /broker heartbeat failed/.test(u.message)), JSON.stringify(unresolved));
      const trades = readTradeHistory(h.outputDir, 'paper');
      assert.ok(trades.length >= 1, 'the day had entries before the broker went silent');
      assert.ok(trades.every((t) => t.exit_price !== null), 'every position was exited (orders still reach the broker)');
      assert.ok(trades.some((t) => t.exit_reason === 'kill_switch'), trades.map((t) => t.exit_reason).join(' '));
      assert.equal(open?.positions.length, 0);
    } finally {
      await h.stop();
    }
  });

  test('entry checks: a spread wider than MAX_SPREAD_PCT blocks entries; a worker of another release runs no session', async () => {
    const h = await faultyHarness('checks');
    try {
      const spread = await runOpenDay(h, { TEST_MODE_APPLY_SPREAD_CHECK: 'true', MAX_SPREAD_PCT: '0.000001', SHORT_TYPE_OPEN: 'InverseETF' }, 'test-spread');
      const open = spread.sessions.find((s) => s.strategy === 'open');
      assert.ok((open?.signals ?? 0) >= 3, 'the day has signals');
      const log = fs.readFileSync(outputPaths(h.outputDir, 'paper').strategyLog('open'), 'utf8');
      assert.equal(open?.entries, 0, `every signal was refused for its spread: ${log.split('\n').filter((l) => /skipped|entry|order/.test(l)).join('\n')}`);
      assert.match(log, /spread: spread [0-9.]+ above MAX_SPREAD_PCT/);

      const build = await runOpenDay(h, { VERSION_TAG: 'v9.9.9' }, 'test-build');
      const b = build.sessions.find((s) => s.strategy === 'open');
      assert.equal(b?.state, 'halted');
      assert.equal(b?.signals, 0);
      assert.ok(b?.notes.some((n) => /build check: this worker runs v\d+\.\d+\.\d+ but the day was configured for VERSION_TAG=v9\.9\.9/.test(n)), b?.notes.join(' | '));
      assert.deepEqual(readTradeHistory(h.outputDir, 'paper'), []);
    } finally {
      await h.stop();
    }
  });
});
