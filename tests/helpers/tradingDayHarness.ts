import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { DefaultLogger, Runtime, type NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { botConfigSchema, type BotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { createActivityDeps } from '../../activities/replayDeps';
import type { ActivityDeps } from '../../activities/tradingActivities';
import type { Broker } from '../../activities/broker/brokerTypes';
import { createTradingWorker } from '../../workers/createWorker';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import type { DayInput } from '../../workflows/tradingDayApi';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { vixCloseBefore } from '../../domain/backtest/signalAudit';
import { getStrategy } from '../../domain/strategies/strategies';
import { simulateSymbolDay } from '../../domain/strategies/simulate';
import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { CLOSE_EXIT_LEAD_MS } from '../../domain/market/sessionWindow';
import { MINUTE_MS } from '../../domain/market/bar';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from './temporalTestServer';
import type { StrategyName, BrokerName } from '../../domain/vocabulary';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/**
 * The real minute bars of every day the workflow tests replay, and the VIX closes before them: a cut of
 * ../shared/data committed with the tests (tests/fixtures/days/README.md), so they run the same on a bare
 * clone and beside ../shared.
 */
export const DAY_BARS_DIR = path.join(REPO_ROOT, 'tests', 'fixtures', 'days', 'minute');
export const DAY_VIX_CSV = path.join(REPO_ROOT, 'tests', 'fixtures', 'days', 'vix_daily.csv');

/** The OPEN day several tests replay: 2025-04-09 has OPEN signals on most of these funds. */
export const OPEN_DAY_DATE = '2025-04-09';
export const OPEN_DAY_UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY', 'FAS', 'FAZ', 'ERX', 'ERY'];
/** Room for every OPEN signal of that day, so a day's trades can be compared one to one with the simulation. */
export const ROOMY_OPEN_LIMITS = {
  STRATEGY_OVERRIDE: 'open',
  MAX_TRADES: '10',
  WEIGHTS: '0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1',
  MAX_CONCURRENT_TRADES_PER_BROKER: '10',
  MAX_OPEN_POSITIONS: '10',
  TOTAL_ALLOCATION: '0.5',
} as const;

export function testConfig(overrides: Record<string, string> = {}): BotConfig {
  return botConfigSchema.parse(overrides);
}

/** Audit activities in tests: default .env (no SMTP, no Manager.io), backups in a temp folder. */
export function testAuditDeps() {
  return { backupsDir: tempOutputDir('backups'), env: defaultEnvConfig(), bot: testConfig() };
}

export function tempOutputDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tradebot-${prefix}-`));
}

export interface DayHarness {
  readonly temporal: TestTemporal;
  readonly taskQueue: string;
  readonly outputDir: string;
  readonly worker: Worker;
  /** Resolves when the worker has shut down. */
  readonly running: Promise<void>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;
/** Workers log at WARN in tests: INFO lines of every workflow would bury the test report. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** A worker as production builds it, with the test's own account workflow id, replay data and output folder. */
export function createTestWorker(a: {
  connection: NativeConnection;
  client: Client;
  taskQueue: string;
  outputDir: string;
  symbols?: readonly string[];
  vixCsvPath?: string | null;
  /** Wraps every broker the activities get, by name (fault tests put a failing broker in front of the simulator). */
  wrapBroker?: (broker: Broker, name: BrokerName) => Broker;
  /** Activities that replace the production ones of the same name (a failing ledger, for failure tests). */
  overrideActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /** Workflow code other than this checkout's (another build's bundle, or a test workflow). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** A payload codec, as TEMPORAL_PAYLOAD_KEY gives the production worker. */
  dataConverter?: DataConverter;
}): Promise<Worker> {
  const base = createActivityDeps({
    outputDir: a.outputDir,
    startingCash: 100_000,
    vixCsvPath: a.vixCsvPath === undefined ? DAY_VIX_CSV : a.vixCsvPath,
    symbols: a.symbols,
  });
  const wrap = a.wrapBroker;
  const deps: ActivityDeps = wrap ? { ...base, broker: async (name, folder) => wrap(await base.broker(name, folder), name) } : base;
  return createTradingWorker({
    connection: a.connection,
    client: a.client,
    mode: 'paper',
    accountWorkflowId: `account-${a.taskQueue}`,
    audit: testAuditDeps(),
    namespace: 'default',
    taskQueue: a.taskQueue,
    deps,
    extraActivities: a.overrideActivities,
    workflowBundle: a.workflowBundle,
    dataConverter: a.dataConverter,
  });
}

/** A real worker on the test dev server with replay dependencies over `symbols` of the day fixture. */
export async function startDayHarness(opts: {
  symbols: readonly string[];
  prefix: string;
  wrapBroker?: (broker: Broker, name: BrokerName) => Broker;
  overrideActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
}): Promise<DayHarness> {
  quietRuntime();
  const temporal = await connectTestTemporal();
  const taskQueue = uniqueTaskQueue(opts.prefix);
  const outputDir = tempOutputDir(opts.prefix);
  const worker = await createTestWorker({
    connection: temporal.nativeConnection,
    client: temporal.client,
    taskQueue,
    outputDir,
    symbols: opts.symbols,
    wrapBroker: opts.wrapBroker,
    overrideActivities: opts.overrideActivities,
  });
  const running = worker.run();
  return {
    temporal,
    taskQueue,
    outputDir,
    worker,
    running,
    async stop() {
      worker.shutdown();
      await running;
      await temporal.close();
    },
  };
}

export function replayDayInput(a: {
  date: string;
  config: BotConfig;
  universe: readonly string[];
  marketStart: string;
  speed: number;
}): DayInput {
  return {
    date: a.date,
    config: a.config,
    broker: 'sim',
    universe: a.universe,
    replay: { folder: DAY_BARS_DIR, speed: a.speed, marketStartMs: Date.parse(a.marketStart) },
  };
}

export async function startDay(h: DayHarness, input: DayInput, workflowId: string) {
  return h.temporal.client.workflow.start(tradingDayWorkflow, { taskQueue: h.taskQueue, workflowId, args: [input] });
}

/** What a day's trade and the strategy's simulation must agree on: symbol, side, bars, signal price, exit. */
export interface DayTradeKey {
  readonly underlying: string;
  readonly side: string;
  readonly entry_time: string;
  readonly signal_price: number;
  /** Null in a trade record only while a trade is open; every compared trade is closed. */
  readonly exit_time: string | null;
  readonly exit_reason: string | null;
}

const byUnderlying = (a: DayTradeKey, b: DayTradeKey) => a.underlying.localeCompare(b.underlying) || a.entry_time.localeCompare(b.entry_time);

/** The recorded trades in the comparison form, ordered by symbol. */
export function dayTradeKeys(trades: readonly TradeRecord[]): DayTradeKey[] {
  return trades
    .map((t) => ({ underlying: t.underlying, side: t.side, entry_time: t.entry_time, signal_price: t.signal_price, exit_time: t.exit_time, exit_reason: t.exit_reason }))
    .sort(byUnderlying);
}

/**
 * The strategy's own simulation of a replayed day on the day fixture (VIX from its cut for CLOSE):
 * what a day workflow must trade when the risk limits give every signal a slot. Ordered by symbol.
 */
export function simulatedDayTrades(strategy: StrategyName, config: BotConfig, date: string, universe: readonly string[]): DayTradeKey[] {
  const data = loadMinuteBars(DAY_BARS_DIR, { symbols: universe });
  const vixPrevClose = strategy === 'close' ? vixCloseBefore(loadVixCsv(DAY_VIX_CSV), date) : null;
  // The one named difference (docs/trading.md, "The session's end"): a session exits what it still holds
  // CLOSE_EXIT_LEAD_MS before the close, deciding on the last bar before that deadline, so the simulation
  // sees the bars before it and a position the cut ends leaves there as `market_close`.
  const close = regularSessionUtc(date)?.closeMs ?? Number.POSITIVE_INFINITY;
  const deadline = close - CLOSE_EXIT_LEAD_MS;
  return universe
    .flatMap((s) => {
      const bars = (data.bars.get(s)?.get(date) ?? []).filter((b) => b.t < deadline);
      const lastBarStart = bars.at(-1)?.t ?? Number.NEGATIVE_INFINITY;
      return simulateSymbolDay(getStrategy(strategy), config, { vixPrevClose }, s, date, bars).map((t) =>
        t.exitReason === 'no_more_bars' && t.exitTime === lastBarStart && lastBarStart >= deadline - MINUTE_MS ? { ...t, exitReason: 'market_close' as const } : t,
      );
    })
    .map((t) => ({
      underlying: t.symbol,
      side: t.side,
      entry_time: new Date(t.entryTime).toISOString(),
      signal_price: t.entryPrice,
      exit_time: new Date(t.exitTime).toISOString(),
      exit_reason: t.exitReason,
    }))
    .sort(byUnderlying);
}
