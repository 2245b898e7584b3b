import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ensureAccountWorkflow, importAccountRiskHistory } from '../../activities/accountClient';
import { disasterLogPath } from '../../activities/disasterLog';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { sessionAllocationDollars } from '../../domain/risk/allocation';
import {
  DEFENSE_TAG,
  accountConfigFrom,
  createAccountState,
  importRiskHistory,
  importRiskHistoryProblems,
  setDefenseMode,
  type ImportedTrade,
  type ImportRiskHistoryRequest,
} from '../../domain/risk/accountState';
import { DEFAULT_DEFENSE_RULES } from '../../domain/risk/defenseMode';
import { effectiveLimits } from '../../domain/risk/limits';
import { addDays } from '../../domain/market/nyTime';
import { oneMonthBefore } from '../../domain/risk/riskDates';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { accountStatusQuery, type AccountStatus, type DefenseModeEvent } from '../../workflows/accountApi';
import type { DaySummary } from '../../workflows/tradingDayApi';
import {
  OPEN_DAY_DATE,
  OPEN_DAY_UNIVERSE,
  replayDayInput,
  startDay,
  startDayHarness,
  testConfig,
  type DayHarness,
} from '../helpers/tradingDayHarness';

/*
 * Issue 4's last evidence item: a TEST_MODE day in which defense mode is on automatically, from a history
 * seeded the way an operator would seed it (the account's `importRiskHistory` update, docs/risk.md).
 *
 * Two workers, each with its own account workflow (`account-<taskQueue>`), simulated broker and output
 * folder, replay the same OPEN day (2025-04-09) at the same time. One account was seeded with a month
 * of closed trades at a 40% win rate; the other, the control, was not. Limits stay at the defaults so
 * that the defense reduction is visible: on that day UVXY and TNA signal at 14:56 and four more funds at
 * 14:59, all still open at 15:00, so the control day holds MAX_CONCURRENT_TRADES_PER_BROKER positions at
 * once while the defended day may hold only floor(normal x DEFENSE_MODE_TRADE_LIMIT_PCT / 100).
 */
const DATE = OPEN_DAY_DATE;
const UNIVERSE = OPEN_DAY_UNIVERSE;
const SPEED = 240;
/** Defaults, except: only the OPEN session, and an allocation well above the defense cap (so the cap bites). */
const LIMITS = { STRATEGY_OVERRIDE: 'open', TOTAL_ALLOCATION: '0.1' } as const;

/** The weekdays before `date`, newest first. */
function weekdaysBefore(date: string, n: number): string[] {
  const out: string[] = [];
  for (let d = addDays(date, -1); out.length < n; d = addDays(d, -1)) {
    const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
    if (dow !== 0 && dow !== 6) out.push(d);
  }
  return out;
}

/**
 * A month of closed trades before `date`: one every other weekday, `wins` of them winners. Exactly
 * `DEFAULT_DEFENSE_RULES.winRateMinTrades` trades, so the trigger is evaluated first on the last one and
 * its numbers are known: wins / trades.
 */
function losingMonth(date: string, wins: number): ImportedTrade[] {
  const n = DEFAULT_DEFENSE_RULES.winRateMinTrades;
  const dates = weekdaysBefore(date, 2 * n).filter((_, i) => i % 2 === 0).reverse();
  return dates.map((d, i) => ({ date: d, session: 'open', realizedPnl: i < wins ? 42.5 : -37.25 }));
}

/** Most positions open at one moment, from the trades' [entry, exit) intervals. */
function maxConcurrent(trades: readonly TradeRecord[]): number {
  const edges = trades.flatMap((t) => [
    { at: Date.parse(t.entry_time), d: 1 },
    { at: Date.parse(t.exit_time ?? t.entry_time), d: -1 },
  ]);
  // An exit frees its slot before an entry of the same instant takes one.
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const e of edges) {
    open += e.d;
    most = Math.max(most, open);
  }
  return most;
}

const sum = (xs: readonly number[]) => Math.round(xs.reduce((a, b) => a + b, 0) * 100) / 100;

describe('importRiskHistory (pure reducer and validator)', () => {
  const config = accountConfigFrom(testConfig(LIMITS));
  const AT = '2025-04-09T12:00:00.000Z';
  const fresh = () => createAccountState(config, '2025-04-01T00:00:00.000Z');

  test('a losing month switches defense mode on automatically, once per import id', () => {
    const req: ImportRiskHistoryRequest = { importId: 'seed-1', at: AT, by: 'test', trades: losingMonth(DATE, 4) };
    assert.deepEqual(importRiskHistoryProblems(fresh(), req), []);
    const t = importRiskHistory(fresh(), req);
    assert.equal(t.result.defenseActive, true);
    assert.equal(t.result.defenseSource, 'auto');
    assert.deepEqual(t.result.trigger, { kind: 'win_rate', winRate: 0.4, wins: 4, trades: 10, windowStart: oneMonthBefore(req.trades?.[9]?.date ?? '') });
    const events = t.state.pendingEvents.filter((e): e is DefenseModeEvent => e.kind === 'defense_mode');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.at, AT, 'the activation is timed at the import');
    // The same import again: nothing applied twice, and the validator lets the retry through.
    assert.deepEqual(importRiskHistoryProblems(t.state, req), []);
    const again = importRiskHistory(t.state, req);
    assert.equal(again.state, t.state);
    assert.equal(again.result.duplicate, true);
  });

  test('a winning month, or too few trades, leaves it off', () => {
    assert.equal(importRiskHistory(fresh(), { importId: 'w', at: AT, by: 'test', trades: losingMonth(DATE, 5) }).result.defenseActive, false);
    const nine = losingMonth(DATE, 0).slice(1);
    assert.equal(importRiskHistory(fresh(), { importId: 'n', at: AT, by: 'test', trades: nine }).result.defenseActive, false);
  });

  test('three kill-switch firings in 20 trading days switch it on; starting floats wait for the next reading', () => {
    const kills = weekdaysBefore(DATE, 3).map((date) => ({ date, broker: 'sim' as const }));
    const t = importRiskHistory(fresh(), { importId: 'k', at: AT, by: 'test', kills });
    assert.equal(t.result.trigger?.kind, 'kill_switch_count');
    assert.equal(t.state.killHistory.length, 3);
    const f = importRiskHistory(fresh(), { importId: 'f', at: AT, by: 'test', startingFloats: { sim: 120_000 } });
    assert.equal(f.result.defenseActive, false);
    assert.equal(f.state.defense.startingFloats.sim, 120_000);
  });

  test('the validator rejects malformed imports and any new import while defense mode is on', () => {
    const bad = {
      importId: '',
      at: 'yesterday',
      by: '',
      trades: [{ date: '2025-02-30', session: 'noon', realizedPnl: Number.NaN }],
      kills: [{ date: '2999-01-01', broker: 'nobody' }],
      startingFloats: { sim: -1 },
    } as unknown as ImportRiskHistoryRequest;
    const problems = importRiskHistoryProblems(fresh(), bad);
    for (const field of ['importId', 'at', 'by', 'trades[0].date', 'trades[0].session', 'trades[0].realizedPnl', 'kills[0].broker', 'startingFloats.sim']) {
      assert.ok(problems.some((p) => p.startsWith(field)), `${field} in ${problems.join(' | ')}`);
    }
    assert.match(importRiskHistoryProblems(fresh(), { importId: 'e', at: AT, by: 't' }).join(), /nothing to import/);
    const future = { importId: 'x', at: AT, by: 't', trades: [{ date: '2025-04-10', session: 'open' as const, realizedPnl: 1 }] };
    assert.match(importRiskHistoryProblems(fresh(), future).join(), /not after the import date/);
    const on = setDefenseMode(fresh(), { active: true, by: 'op', at: AT }).state;
    assert.match(importRiskHistoryProblems(on, { importId: 'y', at: AT, by: 't', trades: losingMonth(DATE, 4) }).join(), /defense mode is on/);
  });
});

describe('a TEST_MODE day in which defense mode is on automatically from a seeded history', () => {
  let seeded: DayHarness;
  let control: DayHarness;
  const config = testConfig(LIMITS);
  const normal = effectiveLimits(config, false);
  const defended = effectiveLimits(config, true);
  const accountId = (h: DayHarness) => `account-${h.taskQueue}`;
  const history = losingMonth(DATE, 4);
  let seededSummary: DaySummary | undefined;
  let controlSummary: DaySummary | undefined;

  before(async () => {
    [seeded, control] = await Promise.all([
      startDayHarness({ symbols: UNIVERSE, prefix: 'defense' }),
      startDayHarness({ symbols: UNIVERSE, prefix: 'defense-control' }),
    ]);
  });
  after(async () => {
    await Promise.all([seeded?.stop(), control?.stop()]);
  });

  const runDay = async (h: DayHarness, name: string): Promise<DaySummary> => {
    const input = replayDayInput({ date: DATE, config, universe: UNIVERSE, marketStart: `${DATE}T14:28:00Z`, speed: SPEED });
    const handle = await startDay(h, input, `test-defense-${name}-${Date.now()}`);
    return handle.result();
  };
  const accountStatus = (h: DayHarness): Promise<AccountStatus> =>
    h.temporal.client.workflow.getHandle(accountId(h)).query(accountStatusQuery);

  test('seeded: every trade tagged, reduced limits, disaster log; control: defense off', async () => {
    // The config must make the reduction observable, else the comparison below proves nothing.
    assert.ok(defended.maxConcurrentPerBroker < normal.maxConcurrentPerBroker);
    assert.ok(defended.sessionAllocationFraction < normal.sessionAllocationFraction);

    // Seed before the day, as an operator would: start the account (what the day's first step does), import.
    const client = seeded.temporal.client;
    await ensureAccountWorkflow(client, { mode: 'paper', config, taskQueue: seeded.taskQueue, workflowId: accountId(seeded) });
    const request = { importId: `seed-${seeded.taskQueue}`, by: 'defenseModeDay test', trades: history };
    const imported = await importAccountRiskHistory(client, { mode: 'paper', workflowId: accountId(seeded), request });
    assert.equal(imported.defenseActive, true);
    assert.equal(imported.trigger?.kind, 'win_rate');
    const retried = await importAccountRiskHistory(client, { mode: 'paper', workflowId: accountId(seeded), request });
    // The server deduplicates the update id and returns the first answer; the state applies the id once too.
    assert.deepEqual(retried, imported, 'a retried import gets its first answer');
    await assert.rejects(
      importAccountRiskHistory(client, { mode: 'paper', workflowId: accountId(seeded), request: { ...request, importId: 'another' } }),
      (err: unknown) => err instanceof WorkflowUpdateFailedError && /defense mode is on/.test(String((err.cause as Error)?.message)),
    );

    const [seededDay, controlDay] = await Promise.all([runDay(seeded, 'seeded'), runDay(control, 'control')]);
    seededSummary = seededDay;
    controlSummary = controlDay;
    for (const d of [seededDay, controlDay]) assert.equal(d.halted, false, d.haltReason ?? '');

    // Account status: on, automatically, for the seeded win rate; the reduced limits are in force.
    const sStatus = await accountStatus(seeded);
    assert.equal(sStatus.latestDate, DATE);
    assert.equal(sStatus.defense.active, true);
    assert.equal(sStatus.defense.source, 'auto');
    const wins = history.filter((t) => t.realizedPnl > 0).length;
    assert.deepEqual(sStatus.defense.trigger, {
      kind: 'win_rate',
      winRate: wins / history.length,
      wins,
      trades: history.length,
      windowStart: oneMonthBefore(history[history.length - 1]?.date ?? ''),
    });
    assert.deepEqual(sStatus.limits, defended);
    const cStatus = await accountStatus(control);
    assert.equal(cStatus.defense.active, false);
    assert.equal(cStatus.defense.trigger, null);
    assert.deepEqual(cStatus.limits, normal);

    // Trades: every seeded one tagged, no control one.
    const sTrades = readTradeHistory(seeded.outputDir, 'paper');
    const cTrades = readTradeHistory(control.outputDir, 'paper');
    assert.ok(sTrades.length > 0, 'the defended day still trades');
    assert.ok(cTrades.length > sTrades.length, `control ${cTrades.length} trades, defended ${sTrades.length}`);
    for (const t of sTrades) assert.ok(t.tags.includes(DEFENSE_TAG), `${t.underlying} tagged ${t.tags.join(',')}`);
    for (const t of cTrades) assert.ok(!t.tags.includes(DEFENSE_TAG), `${t.underlying} tagged ${t.tags.join(',')}`);

    // Concurrency: the defended day never held more than the reduced limit; the control day held more.
    assert.ok(maxConcurrent(sTrades) <= defended.maxConcurrentPerBroker, `defended max concurrent ${maxConcurrent(sTrades)}`);
    assert.ok(maxConcurrent(cTrades) > defended.maxConcurrentPerBroker, `control max concurrent ${maxConcurrent(cTrades)}`);
    assert.ok(maxConcurrent(cTrades) <= normal.maxConcurrentPerBroker);
    assert.ok(sTrades.length <= defended.maxTradesPerSession);

    // Allocation: the session's grants stay within the defense cap of the float; the control's exceed it.
    const float = sTrades[0]?.account_value ?? 0;
    assert.ok(float > 0);
    const defenseCap = sessionAllocationDollars(float, defended.sessionAllocationFraction);
    assert.ok(sum(sTrades.map((t) => t.allocation)) <= defenseCap, `defended allocations ${sum(sTrades.map((t) => t.allocation))} > cap ${defenseCap}`);
    assert.ok(sum(cTrades.map((t) => t.allocation)) > defenseCap, 'the control day allocates beyond the defense cap');
    assert.ok(Math.max(...sTrades.map((t) => t.allocation)) < Math.max(...cTrades.map((t) => t.allocation)));

    // Disaster log: the activation, its trigger, the adjusted limits and the ones before.
    const log = JSON.parse(fs.readFileSync(disasterLogPath(seeded.outputDir), 'utf8')) as DefenseModeEvent[];
    assert.equal(log.length, 1, JSON.stringify(log));
    const entry = log[0] as DefenseModeEvent;
    assert.equal(entry.change, 'activated');
    assert.equal(entry.active, true);
    assert.equal(entry.source, 'auto');
    assert.deepEqual(entry.trigger, sStatus.defense.trigger);
    assert.deepEqual(entry.limits, defended);
    assert.deepEqual(entry.previousLimits, normal);
    assert.ok(!fs.existsSync(disasterLogPath(control.outputDir)), 'no defense change on the control day');
  });

  test("the day's status query shows defense mode with its trigger", () => {
    const s = seededSummary?.finalStatus;
    assert.equal(s?.defenseMode, true);
    assert.equal(s?.defenseSource, 'auto');
    assert.equal(s?.defenseTrigger?.kind, 'win_rate');
    assert.equal(controlSummary?.finalStatus.defenseMode, false, 'the control day shows defense mode off');
  });
});
