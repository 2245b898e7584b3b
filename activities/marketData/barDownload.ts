import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BrokerError, NetworkError } from '../../domain/errors/errorClasses';
import type { Bar } from '../../domain/market/bar';
import { barCsvRows, barFileName, barTimestamp, regularHoursBars, type DownloadFeed, type DownloadWindow } from '../../domain/market/barDownload';
import { appendDurable, writeFileAtomic } from '../outputs/atomicFile';
import { repeatedPageTokenError, type BarsPage, type BarsPageRequest } from './alpacaBarsSource';
import { readManifest, withEntry, writeManifest, type Manifest, type ManifestEntry } from './barDownloadManifest';
import { MINUTE_BAR_HEADER, parseMinuteBarCsv } from './minuteBarCsv';
import { realSleep } from './rateLimiter';

/**
 * `data download`: one-minute bars from Alpaca into the backtester's CSV layout, one file per symbol and
 * range (docs/backtest.md, "Downloading data"). A file is written as `<name>.partial` (fsync'd appends,
 * one per page) and renamed to `<name>` only when its last page is in, so the backtester, which reads
 * `*.csv` only, never sees half a file. The manifest records each page's next token; a rerun skips
 * finished files and continues an unfinished one from its token (or, if the token is refused, from the
 * minute after the last bar kept).
 */

export interface BarPageSource {
  barsPage(request: BarsPageRequest): Promise<BarsPage>;
}

export interface DownloadRequest {
  readonly symbols: readonly string[];
  /** YYYY-MM-DD, as typed: they name the files. */
  readonly start: string;
  readonly end: string;
  readonly window: DownloadWindow;
  readonly feed: DownloadFeed;
  readonly outDir: string;
}

export interface DownloadDeps {
  readonly source: BarPageSource;
  readonly progress: (line: string) => void;
  /** Waits between retries of a failed request (network errors, 5xx, a 429 the limiter gave up on). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Bars per request; Alpaca's maximum unless a test pages sooner. */
  readonly pageLimit?: number;
}

export interface DownloadSummary {
  readonly files: readonly ManifestEntry[];
  readonly requests: number;
  readonly skipped: number;
  readonly resumed: number;
}

/** Network failures a download waits out before it gives up (the files stay resumable either way). */
const NETWORK_RETRIES = 4;
const RETRY_BASE_MS = 2000;

interface Run {
  readonly req: DownloadRequest;
  readonly deps: DownloadDeps;
  manifest: Manifest;
  requests: number;
}

export async function downloadMinuteBars(req: DownloadRequest, deps: DownloadDeps): Promise<DownloadSummary> {
  fs.mkdirSync(req.outDir, { recursive: true });
  const run: Run = { req, deps, manifest: readManifest(req.outDir), requests: 0 };
  const files: ManifestEntry[] = [];
  let skipped = 0;
  let resumed = 0;
  for (const symbol of req.symbols) {
    const outcome = await downloadSymbol(run, symbol);
    files.push(outcome.entry);
    if (outcome.how === 'skipped') skipped++;
    if (outcome.how === 'resumed') resumed++;
  }
  return { files, requests: run.requests, skipped, resumed };
}

type Outcome = { entry: ManifestEntry; how: 'skipped' | 'resumed' | 'fresh' };

interface FilePaths {
  readonly name: string;
  readonly final: string;
  readonly partial: string;
}

/** Where the file is: skip it, finish its bookkeeping, continue it, or start it. */
async function downloadSymbol(run: Run, symbol: string): Promise<Outcome> {
  const { start, end, outDir } = run.req;
  const name = barFileName(symbol, start, end);
  const paths: FilePaths = { name, final: path.join(outDir, name), partial: path.join(outDir, `${name}.partial`) };
  const prior = run.manifest.files.find((f) => f.file === name) ?? null;
  checkSameFeed(prior, run.req.feed, paths);
  if (prior?.finished && fs.existsSync(paths.final)) return { entry: verifiedFinished(prior, paths, run), how: 'skipped' };
  if (prior === null && fs.existsSync(paths.final)) {
    throw new Error(`${paths.final} exists but is not in ${outDir}/manifest.json, so it was not downloaded here; move it away or use another --out`);
  }
  if (prior !== null && !prior.finished && fs.existsSync(paths.final) && !fs.existsSync(paths.partial)) {
    // Renamed, then stopped before the manifest said so: the file is whole.
    return { entry: finish(run, symbol, paths, prior.pages), how: 'resumed' };
  }
  if (prior?.finished) run.deps.progress(`${symbol}: ${paths.final} is missing; downloading it again`);
  const resume = prior !== null && !prior.finished ? readPartial(paths, run) : null;
  const entry = await fetchPages(run, symbol, paths, resume, resume === null ? 0 : prior!.pages);
  return { entry, how: resume === null ? 'fresh' : 'resumed' };
}

function checkSameFeed(prior: ManifestEntry | null, feed: DownloadFeed, paths: FilePaths): void {
  if (prior !== null && prior.feed !== feed) {
    throw new Error(`${paths.final} is being downloaded from the ${prior.feed} feed, not ${feed}; use --feed ${prior.feed}, another --out, or delete it and its manifest entry`);
  }
}

function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A finished file is skipped only when it is the file the manifest describes. */
function verifiedFinished(prior: ManifestEntry, paths: FilePaths, run: Run): ManifestEntry {
  const sha = sha256Of(paths.final);
  if (sha !== prior.sha256) {
    throw new Error(`${paths.final} has changed since it was downloaded (its sha256 is not the manifest's); delete it to download it again`);
  }
  run.deps.progress(`${prior.symbol}: finished earlier, ${prior.bars} bars in ${paths.name}; skipped`);
  return prior;
}

interface PartialState {
  readonly bars: number;
  readonly firstT: number | null;
  readonly lastT: number | null;
  readonly token: string | null;
}

/**
 * What an unfinished file holds. A torn last line (a crash inside a write) is cut off; a partial that does
 * not parse is started again, since every bar in it can be fetched again.
 */
function readPartial(paths: FilePaths, run: Run): PartialState | null {
  if (!fs.existsSync(paths.partial)) return null;
  let text = fs.readFileSync(paths.partial, 'utf8');
  const cut = text.lastIndexOf('\n') + 1;
  if (cut < text.length) {
    fs.truncateSync(paths.partial, Buffer.byteLength(text.slice(0, cut)));
    text = text.slice(0, cut);
  }
  let bars: Bar[];
  try {
    bars = parseMinuteBarCsv(text, paths.partial);
  } catch (err) {
    run.deps.progress(`${paths.name}: the unfinished file is damaged (${(err as Error).message}); starting it again`);
    fs.rmSync(paths.partial);
    return null;
  }
  const prior = run.manifest.files.find((f) => f.file === paths.name);
  return { bars: bars.length, firstT: bars[0]?.t ?? null, lastT: bars.at(-1)?.t ?? null, token: prior?.next_page_token ?? null };
}

/** Pages until Alpaca has no next one, each appended and recorded before the next is asked for. */
async function fetchPages(run: Run, symbol: string, paths: FilePaths, resume: PartialState | null, pagesBefore: number): Promise<ManifestEntry> {
  if (resume === null) writeFileAtomic(paths.partial, `${MINUTE_BAR_HEADER}\n`);
  else run.deps.progress(`${symbol}: resuming ${paths.name} after ${resume.lastT === null ? 'no bars' : barTimestamp(resume.lastT)} (${resume.bars} bars kept${resume.token ? ', from its page token' : ''})`);
  let state: PartialState = resume ?? { bars: 0, firstT: null, lastT: null, token: null };
  let pages = pagesBefore;
  const seen = new Set<string>();
  for (;;) {
    const page = await requestPage(run, symbol, state);
    const fresh = regularHoursBars(page.bars.get(symbol) ?? []).filter((b) => state.lastT === null || b.t > state.lastT);
    if (fresh.length > 0) appendDurable(paths.partial, barCsvRows(fresh));
    if (page.next !== undefined && seen.has(page.next)) throw repeatedPageTokenError(1);
    if (page.next !== undefined) seen.add(page.next);
    state = { bars: state.bars + fresh.length, firstT: state.firstT ?? fresh[0]?.t ?? null, lastT: fresh.at(-1)?.t ?? state.lastT, token: page.next ?? null };
    pages++;
    if (page.next === undefined) break;
    record(run, entryOf(run, symbol, paths, state, pages, false, null));
    run.deps.progress(`${symbol}: page ${pages}, ${state.bars} bars so far, through ${state.lastT === null ? '-' : barTimestamp(state.lastT)}`);
  }
  fs.renameSync(paths.partial, paths.final);
  return finish(run, symbol, paths, pages);
}

/**
 * One page: from the token when there is one, else from the minute after the last bar kept. A token the
 * server refuses (expired, or from another server) falls back to the last bar; network failures are
 * retried with a growing wait.
 */
async function requestPage(run: Run, symbol: string, state: PartialState): Promise<BarsPage> {
  const { window } = run.req;
  const from = state.token === null && state.lastT !== null ? state.lastT + 60_000 : window.startMs;
  const request: BarsPageRequest = { symbols: [symbol], startMs: from, endMs: window.endMs, limit: run.deps.pageLimit, ...(state.token ? { pageToken: state.token } : {}) };
  try {
    return await withRetries(run, () => run.deps.source.barsPage(request));
  } catch (err) {
    const refusedToken = state.token !== null && err instanceof BrokerError && (err.status === 400 || err.status === 422);
    if (!refusedToken) throw err;
    run.deps.progress(`${symbol}: the page token was refused (${err.message}); continuing after the last bar kept`);
    return requestPage(run, symbol, { ...state, token: null });
  }
}

async function withRetries<T>(run: Run, call: () => Promise<T>): Promise<T> {
  const sleep = run.deps.sleep ?? realSleep;
  for (let attempt = 0; ; attempt++) {
    run.requests++;
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof NetworkError) || attempt >= NETWORK_RETRIES) throw err;
      const wait = err.retryAfterMs ?? RETRY_BASE_MS * 2 ** attempt;
      run.deps.progress(`request failed (${err.message}); retrying in ${Math.round(wait / 1000)} s`);
      await sleep(wait);
    }
  }
}

/** The finished file's entry, from the file itself: count, first and last bar, sha256. */
function finish(run: Run, symbol: string, paths: FilePaths, pages: number): ManifestEntry {
  const bars = parseMinuteBarCsv(fs.readFileSync(paths.final, 'utf8'), paths.final);
  const state: PartialState = { bars: bars.length, firstT: bars[0]?.t ?? null, lastT: bars.at(-1)?.t ?? null, token: null };
  const entry = entryOf(run, symbol, paths, state, pages, true, sha256Of(paths.final));
  record(run, entry);
  run.deps.progress(`${symbol}: done, ${entry.bars} bars${entry.bars === 0 ? ' (none in the range: is the symbol right, and the feed?)' : `, ${entry.first_bar} .. ${entry.last_bar}`} -> ${paths.final}`);
  return entry;
}

function entryOf(run: Run, symbol: string, paths: FilePaths, state: PartialState, pages: number, finished: boolean, sha256: string | null): ManifestEntry {
  const now = run.deps.now ?? Date.now;
  return {
    file: paths.name,
    symbol,
    start: run.req.start,
    end: run.req.end,
    feed: run.req.feed,
    adjustment: 'raw',
    hours: 'regular',
    finished,
    bars: state.bars,
    first_bar: state.firstT === null ? null : barTimestamp(state.firstT),
    last_bar: state.lastT === null ? null : barTimestamp(state.lastT),
    sha256,
    pages,
    next_page_token: state.token,
    updated_at: new Date(now()).toISOString(),
  };
}

function record(run: Run, entry: ManifestEntry): void {
  run.manifest = withEntry(run.manifest, entry);
  writeManifest(run.req.outDir, run.manifest);
}
