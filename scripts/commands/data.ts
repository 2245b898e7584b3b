import fs from 'node:fs';
import path from 'node:path';
import { alpacaDataKeys } from '../../activities/broker/brokerFactory';
import { loadConfig } from '../../activities/config/loadConfig';
import { AlpacaBarsSource } from '../../activities/marketData/alpacaBarsSource';
import { downloadMinuteBars, type DownloadRequest, type DownloadSummary } from '../../activities/marketData/barDownload';
import { PROVIDER_LIMITS, RateLimiter, TokenBucket, realSleep } from '../../activities/marketData/rateLimiter';
import { ConfigError } from '../../domain/config/configError';
import { DOWNLOAD_FEEDS, MAX_DOWNLOAD_DAYS, downloadWindow, symbolProblem, type DownloadFeed } from '../../domain/market/barDownload';
import { UsageError, type OptionValues } from './args';
import { groupCommand, leafCommand, type CommandIo } from './command';
import { dateOption, symbolList } from './shared';
import { COMMAND_SUMMARIES } from './catalog';

/** `data download`: one-minute bars from Alpaca's data API into backtest CSVs (docs/backtest.md, "Downloading data"). */

const DOWNLOAD_OPTIONS = {
  symbols: { type: 'string', value: 'A,B', description: 'the symbols, comma-separated (required)' },
  start: { type: 'string', value: 'YYYY-MM-DD', description: 'first day (required)' },
  end: { type: 'string', value: 'YYYY-MM-DD', description: 'last day, inclusive (required)' },
  feed: { type: 'string', value: 'iex|sip', description: "Alpaca's feed: iex (free accounts, the default) or sip (a paid subscription)" },
  out: { type: 'string', value: 'DIR', description: 'the folder for the CSVs and manifest.json (required; created if missing)' },
} as const;

export interface DataCommandIo extends CommandIo {
  /** Project folder with .env and .env_bot (default TRADEBOT_HOME or the current folder). */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Waits of the rate limiter and of retries. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Bars per request (tests page sooner than Alpaca's 10000). */
  readonly pageLimit?: number;
}

type DownloadValues = OptionValues<typeof DOWNLOAD_OPTIONS>;

function required(values: DownloadValues, name: keyof typeof DOWNLOAD_OPTIONS): string {
  const v = values[name];
  if (v === undefined) throw new UsageError(`--${name} ${DOWNLOAD_OPTIONS[name].value} is required`);
  return v;
}

/** A YYYY-MM-DD that is a real calendar day (Date.parse rolls 2025-04-31 over to May 1). */
function dayArg(values: DownloadValues, name: 'start' | 'end'): string {
  const day = dateOption(required(values, name), name);
  if (new Date(Date.parse(`${day}T00:00:00Z`)).toISOString().slice(0, 10) !== day) throw new UsageError(`--${name}=${day} is not a date (expected YYYY-MM-DD)`);
  return day;
}

function symbolsArg(text: string): string[] {
  const symbols = [...new Set(symbolList(text))];
  if (symbols.length === 0) throw new UsageError('--symbols needs at least one symbol (A,B)');
  const problems = symbols.map(symbolProblem).filter((p): p is string => p !== null);
  if (problems.length > 0) throw new UsageError(`--symbols: ${problems.join('; ')}`);
  return symbols;
}

function feedArg(text: string | undefined): DownloadFeed {
  const feed = (text ?? 'iex').trim().toLowerCase();
  if (!(DOWNLOAD_FEEDS as readonly string[]).includes(feed)) throw new UsageError(`--feed=${text} is not a feed (allowed: ${DOWNLOAD_FEEDS.join(', ')})`);
  return feed as DownloadFeed;
}

/** The range's sessions, all closed by now (a session still running would be saved as finished with bars missing). */
function windowArg(start: string, end: string, nowMs: number) {
  if (end < start) throw new UsageError(`--end=${end} is before --start=${start}`);
  if (Date.parse(end) - Date.parse(start) > MAX_DOWNLOAD_DAYS * 86_400_000) throw new UsageError(`--start=${start} --end=${end} spans more than ${MAX_DOWNLOAD_DAYS} days; download it in parts`);
  const window = downloadWindow(start, end);
  if (window === null) throw new UsageError(`--start=${start} --end=${end} holds no NYSE trading day (weekends and exchange holidays only)`);
  if (window.endMs + 60_000 > nowMs) throw new UsageError(`--end=${end}: that session has not closed yet, so its bars are not complete; use an earlier --end`);
  return window;
}

/** The folder, created, and proven writable by writing into it (permission bits say little to root). */
function outArg(dir: string): string {
  const out = path.resolve(dir);
  try {
    fs.mkdirSync(out, { recursive: true });
    const probe = path.join(out, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    throw new UsageError(`--out=${dir} is not a writable folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return out;
}

function downloadRequest(values: DownloadValues, io: DataCommandIo): DownloadRequest {
  const symbols = symbolsArg(required(values, 'symbols'));
  const start = dayArg(values, 'start');
  const end = dayArg(values, 'end');
  const feed = feedArg(values.feed);
  const window = windowArg(start, end, (io.now ?? Date.now)());
  const outDir = outArg(required(values, 'out'));
  return { symbols, start, end, window, feed, outDir };
}

/** The bar source the live worker builds, with the same keys, host and timeout; the limiter waits out a whole window. */
async function barSource(io: DataCommandIo, feed: DownloadFeed): Promise<AlpacaBarsSource> {
  const cwd = path.resolve(io.cwd ?? process.env.TRADEBOT_HOME ?? process.cwd());
  const loaded = await loadConfig({ cwd, processEnv: io.env ?? process.env, checkCredentials: false });
  const keys = alpacaDataKeys(loaded.bot, loaded.env, loaded.env.ALPACA_DATA_URL);
  if (keys === null) {
    throw new ConfigError(".env: data download reads Alpaca's market data API; set ALPACA_PAPER_API_KEY and ALPACA_PAPER_SECRET_KEY (any Alpaca account's keys work for market data)");
  }
  const sleep = io.sleep ?? realSleep;
  // Alpaca's window is a minute: a 429 is waited out to X-RateLimit-Reset, not capped as a session's calls are.
  const limiter = new RateLimiter({ provider: 'alpaca', bucket: new TokenBucket({ ...PROVIDER_LIMITS.alpaca, sleep }), sleep, max429Retries: 5, maxBackoffMs: 65_000 });
  return new AlpacaBarsSource({ keyId: keys.keyId, secret: keys.secret, dataUrl: keys.dataUrl, timeoutMs: Math.round(loaded.bot.API_TIMEOUT * 1000), feed, limiter, credentialKeys: keys.keyNames });
}

function summaryLine(s: DownloadSummary, outDir: string): string {
  const bars = s.files.reduce((n, f) => n + f.bars, 0);
  return `data: ${s.files.length} file(s), ${bars} bars in ${outDir} (${s.requests} request(s), ${s.skipped} skipped as finished, ${s.resumed} resumed); manifest ${path.join(outDir, 'manifest.json')}\n`;
}

async function download({ values }: { values: DownloadValues }, io: DataCommandIo): Promise<number> {
  const request = downloadRequest(values, io);
  const out = io.stdout ?? process.stdout;
  const source = await barSource(io, request.feed);
  out.write(`data: ${request.symbols.length} symbol(s), ${request.start}..${request.end} (${request.window.tradingDays} trading days), feed ${request.feed}, into ${request.outDir}\n`);
  const summary = await downloadMinuteBars(request, { source, progress: (line) => out.write(`data: ${line}\n`), sleep: io.sleep, now: io.now, pageLimit: io.pageLimit });
  out.write(summaryLine(summary, request.outDir));
  return 0;
}

const downloadCommand = leafCommand(
  {
    name: 'download',
    summary: "fetch one-minute bars from Alpaca's market data API into backtest CSVs",
    description: [
      'One file per symbol and range (SYMBOL_YYYYMMDD_YYYYMMDD.csv, regular sessions only, raw prices) and manifest.json.',
      'A rerun skips finished files and continues an unfinished one. Keys: ALPACA_PAPER_API_KEY / ALPACA_PAPER_SECRET_KEY',
      '(or the live pair) and ALPACA_DATA_URL from .env or the environment, as the live bar feed reads them.',
    ].join('\n'),
    options: DOWNLOAD_OPTIONS,
  },
  download,
);

export const dataCommand = groupCommand<DataCommandIo>({
  name: 'data',
  summary: COMMAND_SUMMARIES.data,
  subcommands: [downloadCommand],
});
