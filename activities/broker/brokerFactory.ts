import type { LiveBrokerName } from '../../domain/vocabulary';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import { RESERVED_BROKERS, SUPPORTED_BROKERS } from '../../domain/config/botConfigSchema';
import { ConfigError } from '../../domain/config/configError';
import { DEFAULT_ALPACA_DATA_URL, DEFAULT_ALPACA_LIVE_URL, type EnvConfig } from '../../domain/config/envSchema';
import { brokerEndpointMode } from '../../domain/routing';
import type { RealBroker } from './brokerTypes';
import { AlpacaBroker } from './alpaca/alpacaBroker';
import { createAlpacaLimiters, type AlpacaLimiters } from './alpaca/alpacaLimiters';
import { IbkrBroker, type IbApiFactory } from './ibkr/ibkrBroker';
import type { VixSeries } from '../../domain/backtest/signalAudit';
import { AlpacaBarsSource } from '../marketData/alpacaBarsSource';
import { FinnhubClient, createFinnhubLimiter, loadVixSource } from '../marketData/finnhubClient';
import type { TimeSource } from '../marketData/rateLimiter';
import { finnhubScreeningProvider, type ScreeningDataProvider } from '../screening/screeningDataProvider';
import type { MarketDataSource } from '../marketData/marketDataSource';

/**
 * The one place that chooses a broker implementation and its paper or live endpoint from the config.
 * The endpoint family comes from domain/routing.ts `brokerEndpointMode`, so TEST_MODE=true always gives
 * the paper family; on top of that, a paper URL that points at Alpaca's live host (a copy-paste slip in
 * .env) is refused, and an IBKR paper session refuses a live account number.
 */

// ---------------------------------------------------------------------------------------------
// Endpoint selection.

export type RealBrokerName = LiveBrokerName;

/** Alpaca's live trading host; a paper configuration must never resolve to it. */
export const ALPACA_LIVE_HOSTS = ['api.alpaca.markets'];
export const ALPACA_DATA_URL = DEFAULT_ALPACA_DATA_URL;

export type FactoryBotConfig = Pick<
  BotConfig,
  'TEST_MODE' | 'ALPACA_ENABLED' | 'IBKR_ENABLED' | 'ALPACA_MODE' | 'IBKR_MODE' | 'API_TIMEOUT' | 'FRACTIONAL'
>;
export type FactoryEnvConfig = Pick<
  EnvConfig,
  | 'ALPACA_PAPER_API_KEY'
  | 'ALPACA_PAPER_SECRET_KEY'
  | 'ALPACA_LIVE_API_KEY'
  | 'ALPACA_LIVE_SECRET_KEY'
  | 'ALPACA_PAPER_URL'
  | 'ALPACA_LIVE_URL'
  | 'IBKR_HOST'
  | 'IBKR_PORT'
  | 'IBKR_CLIENT_ID'
  | 'IBKR_PAPER_ACCOUNT_NUMBER'
  | 'IBKR_LIVE_ACCOUNT_NUMBER'
> &
  // Optional so that callers building a partial env keep the default window (docs/ibkr.md "Daily restart").
  Partial<Pick<EnvConfig, 'IBKR_RESTART_WINDOW'>>;

export interface AlpacaEndpoint {
  readonly broker: 'alpaca';
  readonly mode: 'paper' | 'live';
  readonly tradingUrl: string;
  readonly dataUrl: string;
  readonly keyId: string | undefined;
  readonly secret: string | undefined;
  /** The .env key names the credentials come from (for messages; never the values). */
  readonly keyNames: readonly [string, string];
}

export interface IbkrEndpoint {
  readonly broker: 'ibkr';
  readonly mode: 'paper' | 'live';
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  readonly account: string | undefined;
  readonly accountKey: string;
}

/** host[:port] of a URL, lower case; '' when it does not parse. */
function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return '';
  }
}

/** Alpaca's endpoint for this config. TEST_MODE=true yields the paper URL and paper keys, always. */
export function alpacaEndpoint(bot: FactoryBotConfig, env: FactoryEnvConfig, dataUrl = ALPACA_DATA_URL): AlpacaEndpoint {
  const mode = brokerEndpointMode(bot, bot.ALPACA_MODE);
  if (mode === 'paper') {
    const url = env.ALPACA_PAPER_URL;
    // Alpaca's live host on any port, and whatever ALPACA_LIVE_URL names.
    const host = hostOf(url);
    const liveHosts = new Set([...ALPACA_LIVE_HOSTS, hostOf(env.ALPACA_LIVE_URL), hostOf(DEFAULT_ALPACA_LIVE_URL)]);
    const hostname = host.replace(/:\d+$/, '');
    if (liveHosts.has(host) || ALPACA_LIVE_HOSTS.includes(hostname)) {
      throw new ConfigError(
        `.env: ALPACA_PAPER_URL=${url} points at Alpaca's live trading host; paper${bot.TEST_MODE ? ' (TEST_MODE=true)' : ''} trading must never reach a live endpoint (allowed: https://paper-api.alpaca.markets)`,
      );
    }
    return { broker: 'alpaca', mode, tradingUrl: url, dataUrl, keyId: env.ALPACA_PAPER_API_KEY, secret: env.ALPACA_PAPER_SECRET_KEY, keyNames: ['ALPACA_PAPER_API_KEY', 'ALPACA_PAPER_SECRET_KEY'] };
  }
  return { broker: 'alpaca', mode, tradingUrl: env.ALPACA_LIVE_URL, dataUrl, keyId: env.ALPACA_LIVE_API_KEY, secret: env.ALPACA_LIVE_SECRET_KEY, keyNames: ['ALPACA_LIVE_API_KEY', 'ALPACA_LIVE_SECRET_KEY'] };
}

/** IBKR's endpoint: TWS / IB Gateway by host, port and client id, and the account of the mode. */
export function ibkrEndpoint(bot: FactoryBotConfig, env: FactoryEnvConfig): IbkrEndpoint {
  const mode = brokerEndpointMode(bot, bot.IBKR_MODE);
  return {
    broker: 'ibkr',
    mode,
    host: env.IBKR_HOST,
    port: env.IBKR_PORT,
    clientId: env.IBKR_CLIENT_ID,
    account: mode === 'paper' ? env.IBKR_PAPER_ACCOUNT_NUMBER : env.IBKR_LIVE_ACCOUNT_NUMBER,
    accountKey: mode === 'paper' ? 'IBKR_PAPER_ACCOUNT_NUMBER' : 'IBKR_LIVE_ACCOUNT_NUMBER',
  };
}

/** A broker name from a CLI flag or config: the reserved ones are a clear error naming the supported ones. */
export function parseBrokerName(name: string): RealBrokerName {
  const n = name.trim().toLowerCase();
  if ((SUPPORTED_BROKERS as readonly string[]).includes(n)) return n as RealBrokerName;
  if ((RESERVED_BROKERS as readonly string[]).includes(n)) {
    throw new ConfigError(`broker "${name}" is reserved and not supported yet; supported brokers: ${SUPPORTED_BROKERS.join(', ')}`);
  }
  throw new ConfigError(`unknown broker "${name}"; supported brokers: ${SUPPORTED_BROKERS.join(', ')}`);
}

export interface BrokerPlanEntry {
  readonly broker: RealBrokerName | 'sim';
  readonly mode: 'paper' | 'live';
  /** Why this entry (shown by status and the dry run). */
  readonly description: string;
}

/**
 * Which brokers this config trades with (README.md, "Modes and where outputs go"): the enabled ones in the
 * mode that routing allows. In TEST_MODE an enabled broker without paper credentials falls back to the
 * simulated broker. Returns every problem at once rather than stopping at the first.
 */
export function brokerPlan(bot: FactoryBotConfig, env: FactoryEnvConfig): { entries: BrokerPlanEntry[]; problems: string[] } {
  const entries: BrokerPlanEntry[] = [];
  const problems: string[] = [];
  if (bot.ALPACA_ENABLED) {
    try {
      const ep = alpacaEndpoint(bot, env);
      const hasKeys = ep.keyId !== undefined && ep.secret !== undefined;
      if (hasKeys) entries.push({ broker: 'alpaca', mode: ep.mode, description: `alpaca ${ep.mode} at ${ep.tradingUrl}` });
      else if (bot.TEST_MODE) entries.push({ broker: 'sim', mode: 'paper', description: `simulated broker (no ${ep.keyNames.join(' / ')} in .env)` });
      else problems.push(`.env: ${ep.keyNames.join(' and ')} are required because ALPACA_ENABLED=true and ALPACA_MODE=${ep.mode}`);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (bot.IBKR_ENABLED) {
    const ep = ibkrEndpoint(bot, env);
    if (ep.account !== undefined) entries.push({ broker: 'ibkr', mode: ep.mode, description: `ibkr ${ep.mode} account via ${ep.host}:${ep.port} (client id ${ep.clientId})` });
    else if (bot.TEST_MODE) {
      if (!entries.some((e) => e.broker === 'sim')) entries.push({ broker: 'sim', mode: 'paper', description: `simulated broker (no ${ep.accountKey} in .env)` });
    } else problems.push(`.env: ${ep.accountKey} is required because IBKR_ENABLED=true and IBKR_MODE=${ep.mode}`);
  }
  if (!bot.ALPACA_ENABLED && !bot.IBKR_ENABLED) {
    problems.push('.env_bot: no broker is enabled (set ALPACA_ENABLED=true or IBKR_ENABLED=true)');
  }
  return { entries, problems };
}

// ---------------------------------------------------------------------------------------------
// Construction.

export interface BrokerFactoryOptions {
  readonly bot: FactoryBotConfig;
  readonly env: FactoryEnvConfig;
  /** Alpaca market data host (tests point it at the local fake). */
  readonly alpacaDataUrl?: string;
  /** How @stoqey/ib's IBApi is made (tests pass a scripted fake). */
  readonly ibApiFactory?: IbApiFactory;
  /** Shared Alpaca rate limiters: one pair per account and process. */
  readonly alpacaLimiters?: AlpacaLimiters;
  readonly fillTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clients' clock (default the wall clock); the rehearsal gives the market clock (marketTimeSource). */
  readonly time?: TimeSource;
}

/** Builds one real broker for the configured mode. Throws ConfigError for missing credentials. */
export function createBroker(name: RealBrokerName, opts: BrokerFactoryOptions): RealBroker {
  const timeoutMs = Math.round(opts.bot.API_TIMEOUT * 1000);
  if (name === 'alpaca') {
    const ep = alpacaEndpoint(opts.bot, opts.env, opts.alpacaDataUrl);
    if (ep.keyId === undefined || ep.secret === undefined) {
      throw new ConfigError(`.env: ${ep.keyNames.join(' and ')} must be set to use Alpaca in ${ep.mode} mode`);
    }
    return new AlpacaBroker({
      keyId: ep.keyId,
      secret: ep.secret,
      tradingUrl: ep.tradingUrl,
      dataUrl: ep.dataUrl,
      endpointMode: ep.mode,
      timeoutMs,
      fractional: opts.bot.FRACTIONAL,
      fillTimeoutMs: opts.fillTimeoutMs ?? Math.min(10_000, Math.floor(timeoutMs / 2)),
      pollIntervalMs: opts.pollIntervalMs,
      limiters: opts.alpacaLimiters ?? createAlpacaLimiters(opts.sleep ?? opts.time?.sleep, opts.time?.now),
      sleep: opts.sleep ?? opts.time?.sleep,
      now: opts.time?.now,
    });
  }
  const ep = ibkrEndpoint(opts.bot, opts.env);
  if (ep.account === undefined) throw new ConfigError(`.env: ${ep.accountKey} must be set to use IBKR in ${ep.mode} mode`);
  return new IbkrBroker({
    host: ep.host,
    port: ep.port,
    clientId: ep.clientId,
    account: ep.account,
    endpointMode: ep.mode,
    timeoutMs,
    fillTimeoutMs: opts.fillTimeoutMs ?? Math.min(10_000, Math.floor(timeoutMs / 2)),
    apiFactory: opts.ibApiFactory,
    restartWindow: opts.env.IBKR_RESTART_WINDOW,
    sleep: opts.sleep ?? opts.time?.sleep,
    now: opts.time?.now,
  });
}

/**
 * Startup: builds every enabled broker of the plan and authenticates each one before any session.
 * Missing, malformed or rejected credentials are a hard stop: one ConfigError listing every broker that
 * failed, with what to fix. Network trouble is reported the same way here, because a bot that cannot
 * reach its broker at start must not trade.
 */
export async function createAuthenticatedBrokers(opts: BrokerFactoryOptions): Promise<Map<RealBrokerName, RealBroker>> {
  const plan = brokerPlan(opts.bot, opts.env);
  const problems = [...plan.problems];
  const out = new Map<RealBrokerName, RealBroker>();
  for (const entry of plan.entries) {
    if (entry.broker === 'sim') continue;
    try {
      const b = createBroker(entry.broker, opts);
      await b.authenticate();
      out.set(entry.broker, b);
    } catch (err) {
      problems.push(`${entry.description}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) {
    await Promise.all([...out.values()].map((b) => b.close().catch(() => undefined)));
    throw new ConfigError(problems);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Live and paper wiring for the worker: authenticated brokers, the bar source and VIX.

export interface LiveWiringOptions extends BrokerFactoryOptions {
  readonly env: FactoryEnvConfig & Pick<EnvConfig, 'FINNHUB_API_KEY' | 'VIX_SOURCE'> & Partial<Pick<EnvConfig, 'ALPACA_DATA_URL' | 'FINNHUB_URL'>>;
  /** Project folder: a relative VIX_SOURCE file is read from here. */
  readonly cwd: string;
  /** Alpaca data feed for bars and quotes: `iex` (free) or `sip` (paid). */
  readonly stockFeed?: 'iex' | 'sip';
  readonly finnhubBaseUrl?: string;
  readonly now?: () => Date;
  readonly warn?: (message: string) => void;
}

export interface LiveWiring {
  readonly brokers: ReadonlyMap<RealBrokerName, RealBroker>;
  /** The broker a day trades with (DayInput.broker): the first enabled one. */
  readonly primary: RealBrokerName;
  readonly marketData: MarketDataSource;
  /** VIX closes for the CLOSE gate, refreshed once per UTC date; null (with a warning) when unavailable. */
  vixSeries(): Promise<VixSeries | null>;
  /** Screening facts (price, market cap, gap, volume) from Finnhub. */
  readonly screening: ScreeningDataProvider;
  readonly description: string;
  close(): Promise<void>;
}

/** The key pair the bar source reads market data with, the data host, and the .env key names (for messages). */
export interface AlpacaDataKeys {
  readonly keyId: string;
  readonly secret: string;
  readonly dataUrl: string;
  readonly keyNames: string;
}

/**
 * Market data serves paper and live accounts alike: the keys of the configured Alpaca mode, else whichever
 * Alpaca key pair is set; null when none is. The live bar source and `data download` both read them here.
 */
export function alpacaDataKeys(bot: FactoryBotConfig, env: FactoryEnvConfig, dataUrl?: string): AlpacaDataKeys | null {
  const ep = alpacaEndpoint(bot, env, dataUrl);
  const pairs: [string | undefined, string | undefined, string][] = [
    [ep.keyId, ep.secret, ep.keyNames.join(' / ')],
    [env.ALPACA_PAPER_API_KEY, env.ALPACA_PAPER_SECRET_KEY, 'ALPACA_PAPER_API_KEY / ALPACA_PAPER_SECRET_KEY'],
    [env.ALPACA_LIVE_API_KEY, env.ALPACA_LIVE_SECRET_KEY, 'ALPACA_LIVE_API_KEY / ALPACA_LIVE_SECRET_KEY'],
  ];
  const found = pairs.find(([k, s]) => k !== undefined && s !== undefined);
  return found ? { keyId: found[0]!, secret: found[1]!, dataUrl: ep.dataUrl, keyNames: found[2] } : null;
}

/**
 * Everything a live or paper worker needs, authenticated before any session: a failure is a hard stop
 * (ConfigError listing what to fix). Bars come from Alpaca's data API, which serves paper and live
 * accounts alike: the keys of the configured Alpaca mode, else whichever Alpaca key pair is set.
 */
export async function createLiveWiring(options: LiveWiringOptions): Promise<LiveWiring> {
  // Hosts from .env unless a caller (a test) names them.
  const opts: LiveWiringOptions = { ...options, alpacaDataUrl: options.alpacaDataUrl ?? options.env.ALPACA_DATA_URL, finnhubBaseUrl: options.finnhubBaseUrl ?? options.env.FINNHUB_URL };
  const limiters = opts.alpacaLimiters ?? createAlpacaLimiters(opts.sleep ?? opts.time?.sleep, opts.time?.now);
  const brokers = await createAuthenticatedBrokers({ ...opts, alpacaLimiters: limiters });
  const first = brokers.keys().next();
  if (first.done) {
    throw new ConfigError('no real broker is configured for a live or paper session (enable ALPACA_ENABLED or IBKR_ENABLED with credentials)');
  }
  const keys = alpacaDataKeys(opts.bot, opts.env, opts.alpacaDataUrl);
  if (!keys) {
    await Promise.all([...brokers.values()].map((b) => b.close()));
    throw new ConfigError(
      ".env: live and paper sessions read one-minute bars from Alpaca's data API; set ALPACA_PAPER_API_KEY and ALPACA_PAPER_SECRET_KEY (any Alpaca account's keys work for market data)",
    );
  }
  const marketData = new AlpacaBarsSource({
    keyId: keys.keyId,
    secret: keys.secret,
    dataUrl: keys.dataUrl,
    timeoutMs: Math.round(opts.bot.API_TIMEOUT * 1000),
    feed: opts.stockFeed,
    limiter: limiters.data,
    credentialKeys: keys.keyNames,
  });
  if (!opts.env.FINNHUB_API_KEY) {
    await Promise.all([...brokers.values()].map((b) => b.close()));
    throw new ConfigError('.env: FINNHUB_API_KEY must be set for paper and live sessions: screening reads price, market cap, gap and volume from Finnhub');
  }
  const finnhub = new FinnhubClient({
    apiKey: opts.env.FINNHUB_API_KEY,
    baseUrl: opts.finnhubBaseUrl,
    timeoutMs: Math.round(opts.bot.API_TIMEOUT * 1000),
    limiter: createFinnhubLimiter(opts.sleep ?? opts.time?.sleep, opts.time?.now),
  });
  const time = opts.time;
  const now = opts.now ?? (time ? () => new Date(time.now()) : () => new Date());
  let vix: { date: string; series: Promise<VixSeries | null> } | null = null;
  return {
    brokers,
    primary: first.value,
    marketData,
    vixSeries() {
      const date = now().toISOString().slice(0, 10);
      if (vix?.date !== date) {
        const series = loadVixSource(opts.env.VIX_SOURCE, { cwd: opts.cwd, timeoutMs: Math.round(opts.bot.API_TIMEOUT * 1000), finnhub, sessionDate: date }).then((r) => {
          if (r.warning) opts.warn?.(r.warning);
          return r.series;
        });
        vix = { date, series };
      }
      return vix.series;
    },
    screening: finnhubScreeningProvider(finnhub),
    description: [...brokers.entries()].map(([n, b]) => `${n}${b instanceof AlpacaBroker ? ` at ${b.tradingUrl}` : ''}`).join(', '),
    async close() {
      await Promise.all([...brokers.values()].map((b) => b.close()));
    },
  };
}
