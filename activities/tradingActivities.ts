import fs from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPE } from '../domain/errors/errorClasses';
import type { Bar } from '../domain/market/bar';
import { vixCloseBefore, type VixSeries } from '../domain/backtest/signalAudit';
import { type TradeRecord } from '../domain/trades/tradeRecord';
import type { SummaryExtras, DailySummaryRecord } from '../domain/trades/dailySummary';
import type { Broker, BrokerAccount, BrokerOrder, OrderRequest } from './broker/brokerTypes';
import type { MarketDataSource } from './marketData/marketDataSource';
import { appendTradeRecord, readTradeHistory } from './outputs/tradeHistory';
import { appendStrategyLog, type StrategyLogEvent } from './outputs/strategyLog';
import { writeDailySummary as writeSummaryFile } from './outputs/dailySummary';
import { rejectedOrder } from './broker/rejectedOrder';
import { ORDER_DEADLINE_PASSED, type OrderDeadline } from '../domain/orders/orderDeadline';
import { marketNow } from '../domain/time/replayClock';
import { PROBE_SYMBOL, brokerAccountCheck, marketDataCheck, withOneRetry } from './checks/readinessChecks';
import { isSimulatedBroker, type BrokerName, type OutputMode } from '../domain/vocabulary';

/**
 * Where activities get their brokers and market data. A TEST_MODE replay names its folder of minute
 * CSVs in the workflow input (`replayFolder`), so one worker can serve live days and replays alike.
 */
export interface ActivityDeps {
  readonly outputDir: string;
  broker(name: BrokerName, replayFolder: string | null): Promise<Broker>;
  marketData(replayFolder: string | null): Promise<MarketDataSource>;
  /** VIX daily closes for the CLOSE gate; null when no source is configured. */
  vixSeries(): Promise<VixSeries | null>;
  /** Live and paper workers: what the startup data check asks the feed for (activities/checks/readinessChecks.ts). */
  readonly readinessProbe?: ReadinessProbe;
}

export interface ReadinessProbe {
  /** A symbol of the day's universe (the feed must have it). */
  readonly symbol: string;
  /** Market time now: the wall clock, or a rehearsal's virtual clock. */
  nowMs(): number;
}

/** The running activity's attempt (1 = first); 1 outside an activity (unit tests). */
export function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** Which data a call concerns: a replay folder in TEST_MODE, or null for the live feed. */
export interface DataScope {
  readonly replayFolder: string | null;
}

/** Bars travel as [t, o, h, l, c, v] tuples: a third of the payload of objects in workflow history. */
export type BarTuple = [number, number, number, number, number, number];

export interface FetchBarsResult {
  readonly bars: Record<string, BarTuple[]>;
  readonly exhausted: string[];
  /** The attempt that succeeded (1 = first), for the session's retry count. */
  readonly attempt?: number;
}

export interface StartupCheckResult {
  readonly ok: boolean;
  readonly problems: string[];
  readonly warnings: string[];
}

function outputWriteProblem(outputDir: string): string | null {
  try {
    fs.mkdirSync(outputDir, { recursive: true });
    const probe = path.join(outputDir, `.write-check-${process.pid}`);
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe);
    return null;
  } catch (err) {
    return `output folder ${outputDir} is not writable: ${(err as Error).message}`;
  }
}

const pauseBeforeRetry = () => new Promise<void>((r) => setTimeout(r, 1_000));

/** The broker's account and a real bar request, as `check` runs them. */
async function liveReadinessProblems(deps: ActivityDeps, brokerName: BrokerName): Promise<string[]> {
  const problems: string[] = [];
  try {
    const broker = await deps.broker(brokerName, null);
    const account = await withOneRetry(() => brokerAccountCheck(broker), pauseBeforeRetry);
    if (!account.ok) problems.push(`broker ${brokerName} is not usable: ${account.detail}`);
  } catch (err) {
    problems.push(`broker ${brokerName} is not usable: ${(err as Error).message}`);
  }
  const probe = deps.readinessProbe ?? { symbol: PROBE_SYMBOL, nowMs: () => Date.now() };
  try {
    const source = await deps.marketData(null);
    const data = await withOneRetry(() => marketDataCheck(source, { symbol: probe.symbol, nowMs: probe.nowMs() }), pauseBeforeRetry);
    if (!data.ok) problems.push(`market data is not available: ${data.detail}`);
  } catch (err) {
    problems.push(`market data is not available: ${(err as Error).message}`);
  }
  return problems;
}

/**
 * Every activity the trading workflows call. Activities do the I/O; they take and return plain data
 * and are idempotent (client order ids, trade ids, log event ids), so Temporal may retry them freely.
 */
export function createTradingActivities(deps: ActivityDeps) {
  const broker = async (name: BrokerName, scope: DataScope): Promise<Broker> => {
    try {
      return await deps.broker(name, scope.replayFolder);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`broker ${name}: ${(err as Error).message}`, FAILURE_TYPE.ConfigError);
    }
  };

  return {
    async startupChecks(input: { broker: BrokerName; mode: OutputMode } & DataScope): Promise<StartupCheckResult> {
      const problems: string[] = [];
      const warnings: string[] = [];
      const writeProblem = outputWriteProblem(deps.outputDir);
      if (writeProblem) problems.push(writeProblem);
      if (input.mode === 'live' && isSimulatedBroker(input.broker)) problems.push('live mode cannot use the simulated broker');
      if (input.replayFolder === null) {
        // A paper or live day: the same real requests as `npm run cli -- check`.
        problems.push(...(await liveReadinessProblems(deps, input.broker)));
        return { ok: problems.length === 0, problems, warnings };
      }
      try {
        const b = await deps.broker(input.broker, input.replayFolder);
        await b.authenticate();
      } catch (err) {
        problems.push(`broker ${input.broker} is not usable: ${(err as Error).message}`);
      }
      try {
        await deps.marketData(input.replayFolder);
      } catch (err) {
        problems.push(`market data is not available: ${(err as Error).message}`);
      }
      return { ok: problems.length === 0, problems, warnings };
    },

    /**
     * Bars closed in [fromMs, throughMs). `nextBarFrom` (per symbol, the first bar start the session has not
     * seen) drops what the session already has, so asking again for a late bar costs no history.
     */
    async fetchBars(
      input: { symbols: readonly string[]; fromMs: number; throughMs: number; nextBarFrom?: Readonly<Record<string, number>> } & DataScope,
    ): Promise<FetchBarsResult> {
      const source = await deps.marketData(input.replayFolder);
      const raw = await source.closedBars(input.symbols, input.fromMs, input.throughMs);
      const bars: Record<string, BarTuple[]> = {};
      for (const [s, list] of Object.entries(raw)) {
        const from = input.nextBarFrom?.[s] ?? Number.NEGATIVE_INFINITY;
        bars[s] = list.filter((b: Bar) => b.t >= from).map((b: Bar) => [b.t, b.o, b.h, b.l, b.c, b.v]);
      }
      const exhausted = await source.exhausted(input.symbols, input.throughMs);
      return { bars, exhausted, attempt: currentAttempt() };
    },

    async vixPreviousClose(input: { date: string }): Promise<number | null> {
      return vixCloseBefore(await deps.vixSeries(), input.date);
    },

    async brokerAccount(input: { broker: BrokerName } & DataScope): Promise<BrokerAccount> {
      return (await broker(input.broker, input)).account();
    },

    /** Price used for sizing: the instrument's price at the decision bar (simulated) or the latest quote. */
    async quote(
      input: { broker: BrokerName; symbol: string; assetClass: 'us_equity' | 'us_option'; barStart: number } & DataScope,
    ): Promise<number | null> {
      return (await broker(input.broker, input)).quote(input.symbol, input.assetClass, input.barStart);
    },

    /**
     * `deadline`: an order that would reach the broker after `notAfterMs` on the day's market clock is not
     * sent; it comes back rejected with code `deadline_passed` (a retry after downtime must not trade an old
     * decision; docs/trading.md, "Stale signals"). The clock travels with it: a rehearsal's market time is
     * not the worker's wall clock.
     */
    async submitOrder(input: { broker: BrokerName; request: OrderRequest; deadline?: OrderDeadline | null } & DataScope): Promise<BrokerOrder> {
      const b = await broker(input.broker, input);
      // Ask first: after a crash between submit and acknowledgement the order may already exist.
      const existing = await b.getOrderByClientId(input.request.clientOrderId);
      if (existing) return existing;
      const d = input.deadline;
      const marketNowMs = d ? marketNow(d.clock, Date.now()) : null;
      if (d && marketNowMs !== null && marketNowMs > d.notAfterMs) return rejectedOrder(input.request, ORDER_DEADLINE_PASSED, marketNowMs);
      return b.submitOrder(input.request);
    },

    async recordTrade(input: { mode: OutputMode; trade: TradeRecord }): Promise<{ written: boolean }> {
      return appendTradeRecord(deps.outputDir, input.mode, input.trade);
    },

    async writeStrategyLog(input: {
      mode: OutputMode;
      format: 'json' | 'csv';
      enabled: boolean;
      events: StrategyLogEvent[];
    }): Promise<{ written: number }> {
      if (!input.enabled || input.events.length === 0) return { written: 0 };
      return appendStrategyLog(deps.outputDir, input.mode, input.format, input.events);
    },

    async writeDailySummary(input: { mode: OutputMode; date: string; extras: SummaryExtras }): Promise<DailySummaryRecord> {
      const trades = readTradeHistory(deps.outputDir, input.mode).filter((t) => t.date === input.date);
      return writeSummaryFile(deps.outputDir, input.mode, input.date, trades, input.extras);
    },
  };
}

export type TradingActivities = ReturnType<typeof createTradingActivities>;
