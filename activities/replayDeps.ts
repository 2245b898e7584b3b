import path from 'node:path';
import type { Bar } from '../domain/market/bar';
import { vixCloseBefore, type VixSeries } from '../domain/backtest/signalAudit';
import { fnv1a } from '../domain/orders/clientOrderId';
import type { Broker } from './broker/brokerTypes';
import { SimBroker } from './broker/simBroker';
import { BarStore } from './marketData/barStore';
import { CsvReplaySource } from './marketData/csvReplaySource';
import type { MarketDataSource } from './marketData/marketDataSource';
import { loadMinuteBars } from './marketData/minuteBarCsv';
import { loadVixCsv } from './marketData/vixCsv';
import { outputPaths } from './outputs/outputPaths';
import type { ActivityDeps, ReadinessProbe } from './tradingActivities';
import { isSimulatedBroker, type BrokerName } from '../domain/vocabulary';
import { dailyClosesOfDays, type DailyCloses } from '../domain/market/dailyCloses';
import { MapMarket } from '../domain/backtest/market';
import { putVolatilityInputs } from '../domain/instruments/optionModelInputs';

export interface ReplayDepsOptions {
  readonly outputDir: string;
  readonly startingCash: number;
  /** Starting cash of a simulated account other than `startingCash` (for example a small float at one broker). */
  readonly startingCashByBroker?: Partial<Record<BrokerName, number>>;
  /** `date,close` CSV for the CLOSE strategy's VIX gate; null when none. */
  readonly vixCsvPath: string | null;
  /** Only load these symbols from replay folders (all when absent). */
  readonly symbols?: readonly string[];
  /** Brokers and data for live/paper days; absent: only replays are possible on this worker. */
  readonly live?: {
    broker(name: BrokerName): Promise<Broker>;
    /** The live bar source (Alpaca's data API); absent: live market data is not configured. */
    marketData?(): Promise<MarketDataSource>;
    /** VIX for live days (VIX_SOURCE); replaces vixCsvPath when given. */
    vixSeries?(): Promise<VixSeries | null>;
    /** What the startup data check asks the live feed for. */
    readinessProbe?: ReadinessProbe;
  };
}

/**
 * Activity dependencies for TEST_MODE replays (and, when `live` is given, for real brokers).
 * Each replay folder is loaded once per worker process. Each simulated broker name (`sim`, `sim-alpaca`,
 * `sim-ibkr`) is its own account over that folder's prices, with its own cash and its own order journal
 * under output/state, so a restarted worker sees the orders the previous one placed. A replay accepts only
 * simulated names, and those names never reach `live`: a TEST_MODE day cannot touch a real endpoint.
 */
export function createActivityDeps(opts: ReplayDepsOptions): ActivityDeps {
  const stores = new Map<string, { store: BarStore; source: CsvReplaySource; brokers: Map<BrokerName, SimBroker>; dailyCloses: DailyCloses }>();
  const replay = (folder: string) => {
    const key = path.resolve(folder);
    let entry = stores.get(key);
    if (!entry) {
      const data = loadMinuteBars(key, { symbols: opts.symbols });
      const flat = new Map<string, Bar[]>();
      for (const [symbol, byDate] of data.bars) flat.set(symbol, [...byDate.values()].flat());
      const store = new BarStore(flat);
      entry = { store, source: new CsvReplaySource(store), brokers: new Map(), dailyCloses: dailyClosesOfDays(new MapMarket(data.bars)) };
      stores.set(key, entry);
    }
    return entry;
  };
  const simBroker = (folder: string, name: BrokerName): SimBroker => {
    const entry = replay(folder);
    let broker = entry.brokers.get(name);
    if (!broker) {
      const key = path.resolve(folder);
      // `sim` keeps the journal name it always had; the other accounts get their name in theirs.
      const file = name === 'sim' ? `sim_broker_${fnv1a(key)}.jsonl` : `sim_broker_${name}_${fnv1a(key)}.jsonl`;
      const journalPath = path.join(outputPaths(opts.outputDir, 'paper').stateDir, file);
      broker = new SimBroker({ journalPath, startingCash: opts.startingCashByBroker?.[name] ?? opts.startingCash, prices: entry.store, putVolatility: replayPutVolatility(entry.dailyCloses) });
      entry.brokers.set(name, broker);
    }
    return broker;
  };
  let vix: Promise<VixSeries | null> | null = null;
  // The put model reads the replay's VIX file synchronously, as the backtester reads its series.
  let replayVix: VixSeries | null | undefined;
  const replayPutVolatility = (dailyCloses: DailyCloses) => (underlying: string, date: string) => {
    if (replayVix === undefined) replayVix = opts.vixCsvPath ? loadVixCsv(opts.vixCsvPath) : null;
    return putVolatilityInputs(vixCloseBefore(replayVix, date), underlying, date, dailyCloses);
  };

  return {
    outputDir: opts.outputDir,
    async broker(name, replayFolder) {
      if (replayFolder !== null) {
        if (!isSimulatedBroker(name)) throw new Error(`a replay runs on simulated brokers (sim, sim-alpaca, sim-ibkr), not ${name}`);
        return simBroker(replayFolder, name);
      }
      // Simulated names exist only over a replay: without one they are an error, never a real broker.
      if (isSimulatedBroker(name)) throw new Error(`${name} is a simulated broker and needs a replay folder`);
      if (!opts.live) throw new Error('no live or paper broker is configured on this worker (TEST_MODE replays only)');
      return opts.live.broker(name);
    },
    async marketData(replayFolder) {
      if (replayFolder !== null) return replay(replayFolder).source;
      if (opts.live?.marketData) return opts.live.marketData();
      throw new Error('live market data (Alpaca data API) is not configured on this worker; use a TEST_MODE replay');
    },
    readinessProbe: opts.live?.readinessProbe,
    vixSeries() {
      // Live sources refresh themselves (a new day has a new previous close); a CSV is read once.
      if (opts.live?.vixSeries) return opts.live.vixSeries();
      vix ??= Promise.resolve(opts.vixCsvPath ? loadVixCsv(opts.vixCsvPath) : null);
      return vix;
    },
  };
}
