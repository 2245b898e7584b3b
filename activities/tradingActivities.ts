import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Bar } from '../domain/market/bar';
import type { BrokerName, OutputMode, TradeRecord } from '../domain/trades/tradeRecord';
import type { SummaryExtras, DailySummaryRecord } from '../domain/trades/dailySummary';
import type { Broker, BrokerAccount, BrokerOrder, OrderRequest } from './broker/brokerTypes';
import type { MarketDataSource } from './marketData/marketDataSource';
import { appendTradeRecord, readTradeHistory } from './outputs/tradeHistory';
import { appendStrategyLog, type StrategyLogEvent } from './outputs/strategyLog';
import { writeDailySummary as writeSummaryFile } from './outputs/dailySummary';

export interface ActivityDeps {
  readonly outputDir: string;
  readonly brokers: Partial<Record<BrokerName, Broker>>;
  readonly marketData: MarketDataSource;
  /** VIX closes by date (YYYY-MM-DD), for the CLOSE gate; null when no source is configured. */
  readonly vixCloses: ReadonlyMap<string, number> | null;
}

/** Bars travel as [t, o, h, l, c, v] tuples: a third of the payload of objects in workflow history. */
export type BarTuple = [number, number, number, number, number, number];

export interface FetchBarsResult {
  readonly bars: Record<string, BarTuple[]>;
  readonly exhausted: string[];
}

export interface StartupCheckResult {
  readonly ok: boolean;
  readonly problems: string[];
  readonly warnings: string[];
}

/**
 * Every activity the trading workflows call. Activities do the I/O; they take and return plain data
 * and are idempotent (client order ids, trade ids, log event ids), so Temporal may retry them freely.
 */
export function createTradingActivities(deps: ActivityDeps) {
  const broker = (name: BrokerName): Broker => {
    const b = deps.brokers[name];
    if (!b) throw ApplicationFailure.nonRetryable(`broker ${name} is not configured on this worker`, 'ConfigError');
    return b;
  };

  return {
    async startupChecks(input: { broker: BrokerName; mode: OutputMode }): Promise<StartupCheckResult> {
      const problems: string[] = [];
      const warnings: string[] = [];
      try {
        fs.mkdirSync(deps.outputDir, { recursive: true });
        const probe = path.join(deps.outputDir, `.write-check-${process.pid}`);
        fs.writeFileSync(probe, 'ok');
        fs.rmSync(probe);
      } catch (err) {
        problems.push(`output folder ${deps.outputDir} is not writable: ${(err as Error).message}`);
      }
      const b = deps.brokers[input.broker];
      if (!b) problems.push(`broker ${input.broker} is not configured on this worker`);
      else {
        try {
          await b.authenticate();
        } catch (err) {
          problems.push(`broker ${input.broker} did not authenticate: ${(err as Error).message}`);
        }
      }
      if (input.mode === 'live' && input.broker === 'sim') problems.push('live mode cannot use the simulated broker');
      return { ok: problems.length === 0, problems, warnings };
    },

    async sessionUniverse(input: { date: string; universe: readonly string[] }): Promise<string[]> {
      const available = await deps.marketData.symbolsOn(input.date);
      if (input.universe.length === 0) return available;
      // Live sources cannot list symbols; the configured universe stands.
      if (available.length === 0) return [...input.universe];
      const set = new Set(available);
      return input.universe.filter((s) => set.has(s));
    },

    async fetchBars(input: { symbols: readonly string[]; fromMs: number; throughMs: number }): Promise<FetchBarsResult> {
      const raw = await deps.marketData.closedBars(input.symbols, input.fromMs, input.throughMs);
      const bars: Record<string, BarTuple[]> = {};
      for (const [s, list] of Object.entries(raw)) bars[s] = list.map((b: Bar) => [b.t, b.o, b.h, b.l, b.c, b.v]);
      const exhausted = await deps.marketData.exhausted(input.symbols, input.throughMs);
      return { bars, exhausted };
    },

    async vixPreviousClose(input: { date: string }): Promise<number | null> {
      if (!deps.vixCloses) return null;
      let best: string | null = null;
      for (const d of deps.vixCloses.keys()) if (d < input.date && (best === null || d > best)) best = d;
      return best === null ? null : (deps.vixCloses.get(best) ?? null);
    },

    async brokerAccount(input: { broker: BrokerName }): Promise<BrokerAccount> {
      return broker(input.broker).account();
    },

    /** Price used for sizing: the instrument's price at the decision bar (simulated) or the latest quote. */
    async quote(input: { symbol: string; assetClass: 'us_equity' | 'us_option'; barStart: number }): Promise<number | null> {
      if (input.assetClass === 'us_option') {
        const { parseOccSymbol } = await import('../domain/instruments/occSymbol');
        const { simulatedPutPremium } = await import('../domain/instruments/simulatedOptionPrice');
        const c = parseOccSymbol(input.symbol);
        if (!c) return null;
        const u = await deps.marketData.closeAt(c.underlying, input.barStart);
        return u === null ? null : simulatedPutPremium(u, c.strike);
      }
      return deps.marketData.closeAt(input.symbol, input.barStart);
    },

    async submitOrder(input: { broker: BrokerName; request: OrderRequest }): Promise<BrokerOrder> {
      const b = broker(input.broker);
      // Ask first: after a crash between submit and acknowledgement the order may already exist.
      const existing = await b.getOrderByClientId(input.request.clientOrderId);
      if (existing) return existing;
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
