import fs from 'node:fs';
import path from 'node:path';
import { marketNow, type ReplayClock } from '../../domain/time/replayClock';
import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { ConfigError } from '../../domain/errors/errorClasses';
import { BarTimeline } from '../../domain/emulator/timeline';
import { MarketEngine, type EmuAsset } from '../../domain/emulator/engine';
import { emulatorClock, sessionPhase } from '../../domain/emulator/clock';
import type { QuoteOverride } from '../../domain/emulator/quotes';
import type { SymbolFacts } from '../../domain/emulator/screeningFacts';
import type { EmulatorContext } from './context';
import { FaultInjector, type FaultSettings, type FaultState } from './faults';
import { Journal, type JournalEntry } from './journal';
import { loadFactsFile, loadReplayBars, vixCsvBefore } from './marketData';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { vixCloseBefore } from '../../domain/backtest/signalAudit';
import { EmulatorServer, PREFIXES } from './server';
import { computeStats, type EmulatorStats } from './stats';
import { controlRoute } from './controlRoutes';
import { TwsServer, type GatewayRestart, type TwsControl } from './tws/server';
import { dailyClosesOfDays } from '../../domain/market/dailyCloses';
import { MapMarket } from '../../domain/backtest/market';
import { putVolatilityInputs } from '../../domain/instruments/optionModelInputs';

/**
 * The market emulator: Alpaca's Trading and Market Data APIs and a Finnhub-shaped endpoint on one loopback
 * port, serving replayed minute bars on a virtual clock. See docs/emulator.md.
 */

export interface EmulatorOptions {
  /** Folder (or file) of minute-bar CSVs, as ../shared/data/minute. */
  readonly replayDir: string;
  /** Session date (YYYY-MM-DD, New York). */
  readonly date: string;
  /** Default: anchored now at 2 market minutes before 09:30 New York on `date`, running at `speed`. */
  readonly clock?: ReplayClock;
  /** Market ms per real ms when no clock is given (default 1). */
  readonly speed?: number;
  /** 0 (default): a free port. */
  readonly port?: number;
  readonly seed?: number;
  /** Market ms after a bar's minute ends before the feed shows it (default 2000). */
  readonly publishDelayMs?: number;
  readonly slippageBps?: number;
  readonly partialFills?: boolean;
  readonly startingCash?: number;
  /** Finnhub token (X-Finnhub-Token header or `token` query); default: the Alpaca secret. */
  readonly finnhubToken?: string;
  /** Reg T multiplier of buying power (default 2, an Alpaca margin account; 1 is a cash account). */
  readonly marginMultiplier?: number;
  readonly keyId?: string;
  readonly secret?: string;
  readonly factsFile?: string;
  /** `date,close` VIX file; default ../shared/data/vix_daily.csv when it exists. */
  readonly vixCsvPath?: string;
  readonly journalPath?: string;
  readonly faults?: FaultSettings;
  /** Stock quote spread in bps of the mid (default 2). */
  readonly quoteSpreadBps?: number;
  /** Option quote spread in bps around the model mid (default 0: the option model's own bid and ask, docs/backtest.md). */
  readonly optionSpreadBps?: number;
  readonly rateLimitPerMinute?: number;
  /** Also listen for the TWS API socket protocol on this port (0: a free port); unset: no TWS side. See docs/ibkr.md. */
  readonly twsPort?: number;
  /** The IB accounts the TWS side manages (default one paper account, DU1234567). */
  readonly twsAccounts?: readonly string[];
  /** The gateway's daily restart on the TWS side: connections dropped at `atMs` (market time), refused for `downMs`. */
  readonly gatewayRestart?: GatewayRestart;
}

export const DEFAULT_TWS_ACCOUNT = 'DU1234567';

export interface OrderSummary {
  readonly id: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly qty: number;
  readonly status: string;
  readonly receivedMarketMs: number;
  readonly filledQty: number;
  readonly filledAvgPrice: number | null;
  readonly filledAt: string | null;
}

/** The running emulator (the name the day rehearsal uses). */
export type EmulatorHandle = Emulator;

export const DEFAULT_KEY_ID = 'EMULATORKEYID';
export const DEFAULT_SECRET = 'emulator-secret';

export interface Emulator {
  readonly baseUrl: string;
  readonly tradingUrl: string;
  readonly dataUrl: string;
  readonly finnhubUrl: string;
  readonly vixUrl: string;
  /** The clock now in use. */
  readonly clock: ReplayClock;
  readonly keyId: string;
  readonly secret: string;
  readonly finnhubToken: string;
  /** The TWS API port, or null when the emulator was started without one. */
  readonly twsPort: number | null;
  /** The TWS side's accounts (empty without a TWS port). */
  readonly twsAccounts: readonly string[];
  /** Faults and notices on the TWS side (null without a TWS port). */
  readonly tws: TwsControl | null;
  marketNow(): number;
  /** Replaces the clock; market time may only move forward. */
  setClock(clock: ReplayClock): void;
  stats(): EmulatorStats;
  /** Every order the emulator accepted, in arrival order. */
  orders(): OrderSummary[];
  /** The account's positions now (signed quantities). */
  positions(): { readonly symbol: string; readonly qty: number }[];
  journal(since?: number): JournalEntry[];
  setFaults(settings: FaultSettings): FaultState;
  resetFaults(): void;
  setQuoteOverride(symbol: string, override: QuoteOverride | null): void;
  close(): Promise<void>;
}

function defaultVixPath(): string | undefined {
  const p = path.resolve(process.cwd(), '../shared/data/vix_daily.csv');
  return fs.existsSync(p) ? p : undefined;
}

function assetsFrom(timeline: BarTimeline, facts: ReadonlyMap<string, SymbolFacts>): (symbol: string) => EmuAsset | null {
  return (symbol) => {
    const f = facts.get(symbol);
    if (f === undefined && !timeline.has(symbol)) return null;
    return { symbol, tradable: f?.tradable ?? true, shortable: f?.shortable ?? true, easyToBorrow: f?.easyToBorrow ?? true, fractionable: f?.fractionable ?? true };
  };
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const o = options;
  if (regularSessionUtc(o.date) === null) throw new ConfigError(`${o.date} is not an NYSE trading day (weekend or exchange holiday)`);
  const replay = loadReplayBars(o.replayDir, o.date);
  const facts = o.factsFile ? loadFactsFile(o.factsFile) : new Map<string, SymbolFacts>();
  const timeline = new BarTimeline(replay.bars, o.publishDelayMs ?? 2000);
  let clock = o.clock ?? emulatorClock(o.date, Date.now(), o.speed ?? 1);
  const now = () => marketNow(clock, Date.now());
  const assetOf = assetsFrom(timeline, facts);
  const startingCash = o.startingCash ?? 100_000;
  const seed = o.seed ?? 1;
  const vixPath = o.vixCsvPath ?? defaultVixPath();
  const putVix = vixPath ? vixCloseBefore(loadVixCsv(vixPath), o.date) : null;
  // The realized-volatility ratio reads the replay's earlier dates, as the backtester and the simulated broker do.
  const dailyCloses = dailyClosesOfDays(new MapMarket(replay.byDate));
  const putVolatility = (underlying: string) => putVolatilityInputs(putVix, underlying, o.date, dailyCloses);
  const engine = new MarketEngine(timeline, {
    date: o.date,
    startingCash,
    slippageBps: o.slippageBps ?? 0,
    partialFills: o.partialFills ?? false,
    marginMultiplier: o.marginMultiplier ?? 2,
    seed,
    assetOf,
    startMs: now(),
    putVolatility,
  });
  const ctx: EmulatorContext = {
    date: o.date,
    get clock() {
      return clock;
    },
    marketNow: now,
    timeline,
    engine,
    facts,
    assetOf,
    quoteSpreadBps: o.quoteSpreadBps ?? 2,
    optionSpreadBps: o.optionSpreadBps ?? 0,
    quoteOverrides: new Map(),
    vixCsv: vixPath ? vixCsvBefore(vixPath, o.date) : null,
    putVolatility,
    startingCash,
  };
  const faults = new FaultInjector(seed, o.faults);
  const journal = new Journal(o.journalPath ?? null);
  const keyId = o.keyId ?? DEFAULT_KEY_ID;
  const secret = o.secret ?? DEFAULT_SECRET;
  // One secret for both by default, so a caller that generated an Alpaca pair can use its secret as the token.
  const finnhubToken = o.finnhubToken ?? secret;
  const stats = () => {
    engine.advanceTo(now());
    server.flushEvents();
    return computeStats(ctx, replay.symbolsOnDate, faults);
  };
  const server: EmulatorServer = new EmulatorServer(ctx, faults, journal, {
    keyId,
    secret,
    finnhubToken,
    rateLimitPerMinute: o.rateLimitPerMinute ?? 0,
    control: (req) => controlRoute({ ctx, faults, journal, stats }, req),
  });
  const port = await server.listen(o.port ?? 0);
  const twsAccounts = o.twsPort === undefined ? [] : [...(o.twsAccounts ?? [DEFAULT_TWS_ACCOUNT])];
  const tws = o.twsPort === undefined ? null : new TwsServer(ctx, journal, { accounts: twsAccounts, restart: o.gatewayRestart }, () => server.flushEvents());
  const twsPort = tws === null ? null : await tws.listen(o.twsPort!).catch(async (err: unknown) => {
    await server.close();
    throw err;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  // The close is a moment in market time: a timer notices it, so positionsAtClose does not wait for a request.
  const ticker = setInterval(() => {
    if (sessionPhase(now()) === 'after_close' && engine.closeSnapshot === null) stats();
  }, 250);
  ticker.unref();
  return {
    baseUrl,
    tradingUrl: `${baseUrl}${PREFIXES.trading}`,
    dataUrl: `${baseUrl}${PREFIXES.data}`,
    finnhubUrl: `${baseUrl}${PREFIXES.finnhub}`,
    vixUrl: `${baseUrl}${PREFIXES.vix}/daily.csv`,
    get clock() {
      return clock;
    },
    keyId,
    secret,
    finnhubToken,
    twsPort,
    twsAccounts,
    tws,
    marketNow: now,
    setClock(next) {
      if (marketNow(next, Date.now()) < engine.nowMs) throw new ConfigError('the emulator clock may only move forward in market time');
      clock = next;
    },
    stats,
    positions: () => engine.positions().map((p) => ({ symbol: p.symbol, qty: p.qty })),
    orders: () =>
      engine.orders().map((x) => ({
        id: x.id,
        clientOrderId: x.clientOrderId,
        symbol: x.symbol,
        side: x.side,
        type: x.type,
        qty: x.qty,
        status: x.status,
        receivedMarketMs: x.createdMs,
        filledQty: x.filledQty,
        filledAvgPrice: x.filledAvgPrice,
        filledAt: x.filledMs === null ? null : new Date(x.filledMs).toISOString(),
      })),
    journal: (since) => journal.list(since),
    setFaults: (s) => faults.set(s),
    resetFaults: () => faults.reset(),
    setQuoteOverride(symbol, override) {
      if (override === null) ctx.quoteOverrides.delete(symbol);
      else ctx.quoteOverrides.set(symbol, override);
    },
    async close() {
      clearInterval(ticker);
      await tws?.close();
      await server.close();
      journal.close();
    },
  };
}
