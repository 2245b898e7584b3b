/**
 * `npm run bench`: backtester speed on a fixed synthetic data set (100 symbols x one year of one-minute
 * bars, 2024, generated once, deterministically, under output/bench/). Prints bars per second for:
 * - loading 20 symbols from the engine's cached columnar form;
 * - the OPEN strategy in signal audit mode (the engine: the columnar signal audit, as `--signals-only` runs
 *   it, feeding the strategy trackers; identical output to runSignalAudit, pinned by a test);
 * - a minimal hand-written loop of the OPEN rules on the same typed arrays, checked to find the same trades
 *   (the practical limit of this machine);
 * - portfolio mode, all strategies, 20 symbols;
 * the seconds for one year of 100 symbols end to end through the backtest command (load from the
 * cache, run all strategies, write outputs and the report) in a fresh process, with its peak RSS;
 * a sweep of 64 cells on the thread pool, the same kind of cells on one and on two Temporal sweep worker
 * processes held to one core each, and the CLI's start-up (scripts/bench/sweepRuns.ts, cliStartup.ts);
 * and, in another fresh process, one paper day at the market emulator (scripts/bench/emulatorDay.ts):
 * order latency from bar visibility to the emulator (p50, p99) and real seconds per session and for the day.
 * The last line of output is one JSON object with the figures.
 * Options: BENCH_OPTIONS below (`npm run bench -- --help`); the two -child options are internal, the runs in
 * their own processes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadColumns } from '../activities/backtest/barCache';
import { ColumnarMarket, type SymbolSeries } from '../domain/backtest/columnar';
import { runPortfolio } from '../domain/backtest/portfolio';
import { runSignalAuditColumnar } from '../domain/backtest/columnarAudit';
import { botConfigSchema, type BotConfig } from '../domain/config/botConfigSchema';
import { isTradingDay, regularSessionUtc } from '../domain/market/exchangeCalendar';
import { openTiming, sessionWindowFor } from '../domain/market/sessionWindow';
import { OPEN_TRAILING_STOP } from '../domain/strategies/openRangeBreakout';
import type { SimulatedTrade } from '../domain/strategies/simulate';
import { scriptArgs, type CommandSpec, type OptionValues } from './commands/args';
import { runBacktestCommand } from './commands/backtest';
import type { PortfolioRunSpec } from '../activities/backtest/runBacktest';
import { seededRandom } from './seededRandom';
// Type only: the emulator day's modules (Temporal worker, emulator) load in its child process alone.
import type { EmulatorDayFigures } from './bench/emulatorDay';
import { emulatorDayJson, emulatorDayLines } from './bench/emulatorReport';
import type { ExitReason } from '../domain/vocabulary';
import { measureCliStartup } from './bench/cliStartup';
import { BACKTRADER_QUOTED_SECONDS, coldLines, measureCold } from './bench/coldRun';
import { startBenchTemporal } from './bench/temporalServer';

const ROOT = path.resolve(__dirname, '..');
const BENCH = path.join(ROOT, 'output', 'bench');
const DATA = path.join(BENCH, 'data');
const CACHE = path.join(BENCH, 'cache');
const RESULTS = path.join(BENCH, 'results');
const VIX = path.join(BENCH, 'vix_2023_2024.csv');
const SYMBOLS = 100;
const SMALL = 20;
const YEAR = 2024;
/** Bump when the generator changes, so an old data set is regenerated. */
const DATA_VERSION = 'v1';
const MINUTE = 60_000;

const symbolName = (i: number) => `SYN${String(i).padStart(3, '0')}`;
const fileOf = (i: number) => path.join(DATA, `${symbolName(i)}_${YEAR}_${DATA_VERSION}.csv`);


function tradingDates(year: number): string[] {
  const out: string[] = [];
  for (let ms = Date.UTC(year, 0, 1); ms < Date.UTC(year + 1, 0, 1); ms += 86_400_000) {
    const d = new Date(ms).toISOString().slice(0, 10);
    if (isTradingDay(d)) out.push(d);
  }
  return out;
}

/**
 * A random walk per symbol: regular-session bars only, prices with two decimals between about 5 and 100,
 * a quiet, normal or wild volatility regime per day (wild days give the strategies breakouts to trade).
 */
function generateSymbol(i: number, dates: readonly string[]): string {
  const rand = seededRandom(0x5eed + i * 7919);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  let price = 15 + rand() * 70;
  const lines: string[] = ['timestamp,open,high,low,close,volume'];
  for (const date of dates) {
    const s = regularSessionUtc(date)!;
    const u = rand();
    const sigma = u < 0.5 ? 0.0008 : u < 0.9 ? 0.0015 : 0.004;
    price = Math.min(98, Math.max(6, price * (1 + gauss() * 0.01)));
    for (let t = s.openMs; t < s.closeMs; t += MINUTE) {
      // A pull towards the middle of the price band keeps a year of walking inside the screening range.
      const drift = price > 90 ? -0.0005 : price < 8 ? 0.0005 : 0;
      const o = Math.round(price * 100) / 100;
      price = Math.max(1, price * (1 + drift + gauss() * sigma));
      const c = Math.round(price * 100) / 100;
      const h = Math.round(Math.max(o, c) * (1 + Math.abs(gauss()) * sigma * 0.5) * 100) / 100;
      const l = Math.round(Math.min(o, c) * (1 - Math.abs(gauss()) * sigma * 0.5) * 100) / 100;
      const v = Math.round((200 + rand() * 4000) * (sigma / 0.0008));
      lines.push(`${new Date(t).toISOString().slice(0, 19)}Z,${o},${Math.max(h, o, c)},${Math.min(l, o, c)},${c},${v}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function ensureData(): { generatedSeconds: number } {
  const started = performance.now();
  mkdirSync(DATA, { recursive: true });
  // An older generator's files would be mixed in as extra symbols: start that folder afresh.
  for (const f of readdirSync(DATA)) if (!f.endsWith(`_${DATA_VERSION}.csv`)) rmSync(path.join(DATA, f));
  const dates = tradingDates(YEAR);
  for (let i = 0; i < SYMBOLS; i++) if (!existsSync(fileOf(i))) writeFileSync(fileOf(i), generateSymbol(i, dates));
  if (!existsSync(VIX)) {
    const rand = seededRandom(42);
    const lines = ['date,close'];
    let v = 16;
    for (const d of [...tradingDates(YEAR - 1).slice(-5), ...dates]) {
      v = Math.max(10, Math.min(40, v + (rand() - 0.5) * 2));
      lines.push(`${d},${v.toFixed(2)}`);
    }
    writeFileSync(VIX, `${lines.join('\n')}\n`);
  }
  return { generatedSeconds: (performance.now() - started) / 1000 };
}

/** A trade of the hand-written loop: the engine's SimulatedTrade without strategy and ranking key. */
type HandTrade = Omit<SimulatedTrade, 'strategy' | 'strength'>;

/**
 * The OPEN rules written by hand over the columns, with the same settled edge cases as the engine
 * (half-open windows, strict breakout tests, trailing stop on closes, hold limit, market close, end of
 * data); windows are computed once per date.
 */
function handLoopOpen(series: readonly SymbolSeries[], cfg: BotConfig): HandTrade[] {
  const out: HandTrade[] = [];
  const buffer = cfg.STRAT_OPEN_BUFFER;
  const windows = new Map<string, { a: number; e: number; x: number; hold: number; close: number } | null>();
  for (const s of series) {
    const T = s.t;
    const H = s.h;
    const L = s.l;
    const C = s.c;
    for (let d = 0; d < s.dates.length; d++) {
      const date = s.dates[d]!;
      let w = windows.get(date);
      if (w === undefined) {
        const sw = sessionWindowFor(date, openTiming(cfg), cfg.SESSION_TIME_ANCHOR);
        w = sw.marketCloseMs === null ? null : { a: sw.analysisStartMs, e: sw.entryStartMs, x: sw.entryEndMs, hold: sw.holdMs, close: sw.marketCloseMs };
        windows.set(date, w);
      }
      if (w === null) continue;
      let hi = -Infinity;
      let lo = Infinity;
      let side = 0;
      let entryI = -1;
      let lastI = -1;
      let best = 0;
      let holdEnd = 0;
      let reason: ExitReason | null = null;
      let exitI = -1;
      const end = s.dayStart[d + 1]!;
      let i = s.dayStart[d]!;
      for (; i < end; i++) {
        const t = T[i]!;
        if (side === 0) {
          if (t >= w.x || t >= w.close) break;
          if (t < w.e) {
            if (t >= w.a) {
              if (H[i]! > hi) hi = H[i]!;
              if (L[i]! < lo) lo = L[i]!;
            }
            continue;
          }
          if (hi === -Infinity) continue;
          const up = hi * (1 + buffer);
          if (C[i]! > up) side = 1;
          else if (C[i]! < lo * (1 - buffer)) side = -1;
          else continue;
          entryI = i;
          lastI = i;
          best = C[i]!;
          holdEnd = t + w.hold;
          continue;
        }
        if (t > holdEnd || t >= w.close) {
          reason = holdEnd < w.close ? 'hold_limit' : 'market_close';
          exitI = lastI;
          break;
        }
        const c = C[i]!;
        if (side > 0) {
          if (c > best) best = c;
          if (c <= best * (1 - OPEN_TRAILING_STOP)) {
            reason = 'trailing_stop';
            exitI = i;
            break;
          }
        } else {
          if (c < best) best = c;
          if (c >= best * (1 + OPEN_TRAILING_STOP)) {
            reason = 'trailing_stop';
            exitI = i;
            break;
          }
        }
        lastI = i;
        if (t >= Math.min(holdEnd, w.close - MINUTE)) {
          reason = holdEnd < w.close ? 'hold_limit' : 'market_close';
          exitI = i;
          break;
        }
      }
      if (side === 0) continue;
      if (reason === null) {
        // The date's data ended inside the hold window.
        const seen = T[end - 1]! >= Math.min(holdEnd, w.close - MINUTE);
        reason = seen ? (holdEnd < w.close ? 'hold_limit' : 'market_close') : 'no_more_bars';
        exitI = lastI;
      }
      out.push({
        symbol: s.symbol,
        date,
        side: side > 0 ? 'long' : 'short',
        entryTime: T[entryI]!,
        entryPrice: C[entryI]!,
        exitTime: T[exitI]!,
        exitPrice: C[exitI]!,
        exitReason: reason,
      });
    }
  }
  return out;
}

function best<T>(runs: number, fn: () => T): { ms: number; value: T } {
  let ms = Infinity;
  let value: T | undefined;
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    value = fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, value: value as T };
}

/** Best times of two functions run in turns, for at least `rounds` rounds and `minMs` milliseconds. */
function bestAlternating<A, B>(rounds: number, minMs: number, a: () => A, b: () => B): [{ ms: number; value: A }, { ms: number; value: B }] {
  let msA = Infinity;
  let msB = Infinity;
  let valueA: A | undefined;
  let valueB: B | undefined;
  const started = performance.now();
  for (let k = 0; k < rounds || (performance.now() - started < minMs && k < 1000); k++) {
    let t0 = performance.now();
    valueA = a();
    msA = Math.min(msA, performance.now() - t0);
    t0 = performance.now();
    valueB = b();
    msB = Math.min(msB, performance.now() - t0);
  }
  return [
    { ms: msA, value: valueA as A },
    { ms: msB, value: valueB as B },
  ];
}

const rate = (bars: number, ms: number) => Math.round(bars / (ms / 1000));
const fmt = (n: number) => n.toLocaleString('en-US');
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function year100Child(): Promise<void> {
  // The end-to-end run as a user runs it; its own output is the command's, then one JSON line.
  const t0 = performance.now();
  const code = await runBacktestCommand([
    '--strategy=all',
    `--start=${YEAR}-01-01`,
    `--end=${YEAR}-12-31`,
    `--data_source=${DATA}`,
    `--cache-dir=${CACHE}`,
    `--results=${RESULTS}`,
    `--vix=${VIX}`,
  ]);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ code, seconds, peak_rss_mb: peakRssMb() }));
}

/** Longest the emulator day may run before the bench gives up on it (the target is 10 minutes). */
const EMULATOR_DAY_TIMEOUT_MS = 20 * 60_000;

async function emulatorDayChild(): Promise<void> {
  // SIGTERM (the bench's timeout) must still run the exit handlers that stop the Temporal dev server.
  process.once('SIGTERM', () => process.exit(1));
  const figures = await measureEmulatorDayLazily((line) => process.stderr.write(`  emulator: ${line}\n`));
  console.log(JSON.stringify(figures));
}

async function measureEmulatorDayLazily(log: (line: string) => void): Promise<EmulatorDayFigures> {
  const { measureEmulatorDay } = await import('./bench/emulatorDay');
  return measureEmulatorDay(log);
}

/** The emulator day in a process of its own: its progress shows on stderr as it runs, its figures are its last stdout line. */
function runEmulatorDay(): EmulatorDayFigures {
  console.log('emulator day: one paper day at the market emulator through the production worker (about 6 minutes; --no-emulator skips it)');
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--emulator-day-child'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: EMULATOR_DAY_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  const lastLine = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(lastLine) as EmulatorDayFigures;
  } catch {
    const why = child.error ? child.error.message : `exit ${child.status}`;
    throw new Error(`emulator day failed (${why}): ${child.stdout.slice(-2000)}`);
  }
}

/** A portfolio backtest of every strategy over the bench's year of `symbols`, compute only (the sweeps' base). */
function benchRunSpec(symbols: readonly string[]): PortfolioRunSpec {
  return {
    dataSource: DATA,
    cacheDir: CACHE,
    symbols,
    strategies: ['open', 'mid', 'close'],
    start: `${YEAR}-01-01`,
    end: `${YEAR}-12-31`,
    cfg: botConfigSchema.parse({}),
    vixFile: VIX,
    execution: { fill: 'next_open', slippageBps: 5, feePerOrder: 0 },
    resultsDir: null,
    report: false,
    progress: false,
    runInfo: {},
  };
}

/**
 * Sweeps (issue 19): 64 cells on the thread pool, then cells across one and two pinned Temporal workers; and
 * the CLI's start-up. A dev server of the bench's own serves the Temporal sweep and lets `status` answer
 * (without one it waits out the connection deadline); without the Temporal sweep, start-up runs without it.
 */
async function measureSweepsAndStartup(symbols: readonly string[], quick: boolean, withTemporal: boolean) {
  const { measureSweep64, measureTwoWorkerScaling, sweepLines } = await import('./bench/sweepRuns');
  const base = benchRunSpec(symbols);
  const sweep64 = await measureSweep64(base);
  const server = withTemporal ? await startBenchTemporal(() => undefined) : null;
  try {
    const workerScaling = server === null ? null : await measureTwoWorkerScaling(base, quick ? 4 : 8, server);
    // Median ms to the first line of --help, status, check through the compiled path.
    const cliStartup = await measureCliStartup(5, server === null ? process.env : { ...process.env, TEMPORAL_ADDRESS: server.address });
    for (const line of sweepLines(sweep64, workerScaling)) console.log(line);
    console.log(`CLI start-up, first line (median of 5): ${Object.entries(cliStartup).map(([k, ms]) => `${k} ${ms} ms`).join(', ')} (target 300 ms)`);
    return { sweep64, workerScaling, cliStartup };
  } finally {
    await server?.stop();
  }
}

async function main(values: BenchValues): Promise<void> {
  const quick = values.quick === true;
  const withEmulator = values['no-emulator'] !== true;
  // Best of several runs: a shared machine's other work only ever makes a run slower.
  const reps = quick ? 1 : 5;
  console.log(`bench: ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, Node ${process.version}`);
  const gen = ensureData();
  if (gen.generatedSeconds > 1) console.log(`data: generated in ${gen.generatedSeconds.toFixed(1)}s under ${DATA}`);

  // Build (or check) the cache of every file; a first run parses the CSVs here.
  const warm = performance.now();
  // Only the counts are kept: holding every column here would weigh on the measurements below.
  const { parsed, allRows } = (() => {
    const all = loadColumns(DATA, { cacheDir: CACHE });
    return { parsed: all.files.filter((f) => !f.fromCache).reduce((a, f) => a + f.rows, 0), allRows: all.rowCount };
  })();
  const warmMs = performance.now() - warm;
  if (parsed > 0) console.log(`csv parse + cache write: ${fmt(parsed)} bars in ${(warmMs / 1000).toFixed(2)}s (${fmt(rate(parsed, warmMs))} bars/s)`);

  const small = Array.from({ length: SMALL }, (_, i) => symbolName(i));
  const load = best(reps + 2, () => loadColumns(DATA, { cacheDir: CACHE, symbols: small }));
  const bars = load.value.rowCount;
  const series = load.value.series;
  const days = series[0]!.dates.length;
  console.log(`data set: ${SMALL} symbols x ${days} days = ${fmt(bars)} one-minute bars (of ${fmt(allRows)} for ${SYMBOLS} symbols)`);
  const loadRate = rate(bars, load.ms);
  console.log(`load (cached columns):        ${fmt(loadRate).padStart(14)} bars/s  (${load.ms.toFixed(1)} ms)`);

  const cfg = botConfigSchema.parse({});
  const market = new ColumnarMarket(series);
  // The engine and the hand loop take turns, so both see the same moments of a shared machine's load;
  // each pass takes milliseconds, so many rounds are needed for a best time that load has not touched.
  const [audit, hand] = bestAlternating(
    reps + 2,
    quick ? 0 : 1500,
    () => runSignalAuditColumnar({ market, cfg, strategies: ['open'], vix: null }),
    () => handLoopOpen(series, cfg),
  );
  const openRate = rate(bars, audit.ms);
  console.log(`OPEN signal audit (engine):   ${fmt(openRate).padStart(14)} bars/s  (${audit.ms.toFixed(1)} ms, ${audit.value.rows.length} trades)`);

  const handRate = rate(bars, hand.ms);
  console.log(`OPEN hand-written loop:       ${fmt(handRate).padStart(14)} bars/s  (${hand.ms.toFixed(1)} ms, ${hand.value.length} trades)`);
  const key = (t: { symbol: string; date: string; side: string; entryTime: number; exitTime: number; entryPrice: number; exitPrice: number; exitReason: string }) =>
    `${t.symbol}|${t.date}|${t.side}|${t.entryTime}|${t.exitTime}|${t.entryPrice}|${t.exitPrice}|${t.exitReason}`;
  const engineKeys = audit.value.rows.map(key).sort();
  const handKeys = hand.value.map(key).sort();
  const same = engineKeys.length === handKeys.length && engineKeys.every((k, i) => k === handKeys[i]);
  if (!same) throw new Error(`the hand-written loop and the engine disagree: ${handKeys.length} vs ${engineKeys.length} trades`);
  console.log(`  engine / hand loop: ${((openRate / handRate) * 100).toFixed(1)}% (same ${engineKeys.length} trades)`);

  const vix = { dates: [] as string[], closes: [] as number[] };
  const portfolio = best(quick ? 1 : 2, () =>
    runPortfolio({
      market,
      cfg,
      strategies: ['open', 'mid', 'close'],
      vix,
      startDate: `${YEAR}-01-01`,
      endDate: `${YEAR}-12-31`,
      universe: null,
      execution: { fill: 'next_open', slippageBps: 5, feePerOrder: 0 },
    }),
  );
  const portfolioRate = rate(bars, portfolio.ms);
  console.log(`portfolio, all strategies:    ${fmt(portfolioRate).padStart(14)} bars/s  (${portfolio.ms.toFixed(1)} ms, ${portfolio.value.trades.length} trades)`);

  // Issue 19's comparison: the cold run (CSV folder to signals) and the plain Node loop in turns, then the CLI's wall time.
  const cold = measureCold(quick ? 2 : 5);
  for (const line of coldLines(cold)) console.log(line);

  // One year of 100 symbols end to end, in a process of its own so its memory is its own.
  const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--year100-child'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const lastLine = child.stdout.trim().split('\n').pop() ?? '';
  let year: { code: number; seconds: number; peak_rss_mb: number };
  try {
    year = JSON.parse(lastLine) as typeof year;
  } catch {
    throw new Error(`year100 run failed (exit ${child.status}): ${child.stderr.slice(-2000)}${child.stdout.slice(-2000)}`);
  }
  if (year.code !== 0) throw new Error(`year100 run: backtest exit code ${year.code}: ${child.stderr.slice(-2000)}`);
  const summary = child.stdout.split('\n').find((l) => l.startsWith('portfolio backtest:')) ?? '';
  console.log(`year of ${SYMBOLS} symbols end to end: ${year.seconds.toFixed(2)}s, peak RSS ${year.peak_rss_mb} MB`);
  console.log(`  ${summary}`);

  const { sweep64, workerScaling, cliStartup } = await measureSweepsAndStartup(small, quick, values['no-temporal-sweep'] !== true);

  // Last, so the backtest figures above are measured without its worker and dev server on the machine.
  const emulator = withEmulator ? runEmulatorDay() : null;
  if (emulator) for (const line of emulatorDayLines(emulator)) console.log(line);

  console.log(
    JSON.stringify({
      // Issue 19's keys; a measurement not present yet is null, never a made-up number.
      cold_bars_per_s: rate(cold.bars, cold.projectMs.best),
      cold_work_seconds: Math.round(cold.projectMs.best) / 1000,
      cold_wall_seconds: Math.round(cold.wallSeconds * 100) / 100,
      plain_loop_seconds: Math.round(cold.plainMs.best) / 1000,
      cold_vs_plain_loop: Math.round((cold.projectMs.best / cold.plainMs.best) * 100) / 100,
      backtrader_quoted_seconds: BACKTRADER_QUOTED_SECONDS,
      sweep64_seconds: Math.round(sweep64.seconds * 10) / 10,
      sweep_two_worker_scaling: workerScaling === null ? null : Math.round(workerScaling.scaling * 100) / 100,
      sweep_two_worker_seconds: workerScaling === null ? null : [workerScaling.oneWorkerSeconds, workerScaling.twoWorkerSeconds].map((x) => Math.round(x * 10) / 10),
      ...cliStartup,
      load_bars_per_s: loadRate,
      open_signal_bars_per_s: openRate,
      handloop_bars_per_s: handRate,
      open_signal_vs_handloop: Math.round((openRate / handRate) * 1000) / 1000,
      portfolio_bars_per_s: portfolioRate,
      year100_seconds: Math.round(year.seconds * 100) / 100,
      year100_peak_rss_mb: year.peak_rss_mb,
      peak_rss_mb: Math.max(peakRssMb(), year.peak_rss_mb),
      bars_20_symbols: bars,
      bars_100_symbols: allRows,
      cpus: os.cpus().length,
      ...emulatorDayJson(emulator),
    }),
  );
}

const BENCH_OPTIONS = {
  quick: { type: 'boolean', description: 'fewer repetitions' },
  'no-emulator': { type: 'boolean', description: 'skip the emulator day (about 6 minutes)' },
  'no-temporal-sweep': { type: 'boolean', description: 'skip the sweep across two Temporal worker processes' },
  'year100-child': { type: 'boolean', description: 'internal: the year of 100 symbols, in its own process' },
  'emulator-day-child': { type: 'boolean', description: 'internal: the emulator day alone, its last line the figures as JSON' },
} as const;

type BenchValues = OptionValues<typeof BENCH_OPTIONS>;

const BENCH_SPEC: CommandSpec<typeof BENCH_OPTIONS> = {
  name: '',
  summary: 'backtester speed on a fixed synthetic data set, and one paper day at the market emulator',
  description: 'the last line of output is one JSON object with the figures (docs/backtest.md)',
  options: BENCH_OPTIONS,
};

/** The bench's command line; help and usage errors end the process here (exit 0 and 2). */
function benchValues(argv: readonly string[]): BenchValues {
  const args = scriptArgs(BENCH_SPEC, argv, 'npm run bench --');
  if (typeof args === 'number') process.exit(args);
  return args.values;
}

const benchArgs = benchValues(process.argv.slice(2));
if (benchArgs['year100-child']) {
  year100Child().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
} else if (benchArgs['emulator-day-child']) {
  // An explicit exit: the Temporal runtime's native threads need not keep the process for the bench to wait on.
  emulatorDayChild().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main(benchArgs).catch((err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
