import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadColumns } from '../../activities/backtest/barCache';
import { runPortfolioBacktest, type PortfolioRunOutcome, type PortfolioRunSpec } from '../../activities/backtest/runBacktest';
import { runSweep, sweepCells, type SweepAxis, type SweepRequest, type TemporalCellRunner } from '../../activities/backtest/sweep';
import { runWalkForward } from '../../activities/backtest/walkForward';
import { DEFAULT_SWEEP_METRIC, isSweepMetric, SWEEP_METRICS, type SweepMetric } from '../../domain/backtest/sweepMetric';
import type { WalkForwardPlan } from '../../domain/backtest/walkForwardWindows';
import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { readSymbolListFile } from '../../activities/screening/symbolListFile';
import { ColumnarMarket } from '../../domain/backtest/columnar';
import type { MetricsBlock } from '../../domain/backtest/metrics';
import type { FillModel } from '../../domain/backtest/executionModel';
import { runSignalAuditColumnar } from '../../domain/backtest/columnarAudit';
import { formatSignalAuditCsv, type VixSeries } from '../../domain/backtest/signalAudit';
import { BOT_CONFIG_KEYS, BOT_KEY_ALIASES, botConfigSchema, type BotConfig } from '../../domain/config/botConfigSchema';
import { isConfigError } from '../../domain/config/configError';
import { numberOption, parseCommandArgs, usageErrorText, UsageError, type CommandSpec, type OptionValues } from './args';
import { leafCommand, runCommandLine } from './command';
import { STRATEGY_NAMES, type StrategyName } from '../../domain/vocabulary';
import type { EnvConfig } from '../../domain/config/envSchema';
import { backtestTaskQueue } from '../../workflows/backtestSweepApi';
import { COMMAND_SUMMARIES } from './catalog';

export const DEFAULT_RESULTS_DIR = join('output', 'backtest');
export const DEFAULT_CACHE_DIR = join('output', 'cache', 'bars');
export const SIGNALS_FILE = 'signals_backtest.csv';
/** Default execution costs: a small slippage so a report never flatters a strategy; no commission (as Alpaca). */
export const DEFAULT_SLIPPAGE_BPS = 5;
export const DEFAULT_FEE_PER_ORDER = 0;

export interface BacktestArgs {
  readonly strategies: readonly StrategyName[];
  readonly start: string;
  readonly end: string;
  readonly dataSource: string;
  readonly resultsDir: string;
  readonly symbols: readonly string[] | null;
  readonly sets: Readonly<Record<string, string>>;
  readonly vix: string | null;
  readonly signalsOnly: boolean;
  readonly fill: FillModel;
  readonly slippageBps: number;
  readonly feePerOrder: number;
  readonly report: boolean;
  /** Bar cache folder; null with --no-cache. */
  readonly cacheDir: string | null;
  readonly sweeps: readonly SweepAxis[];
  readonly workers: number | null;
  readonly temporal: boolean;
  /** What ranks a sweep's cells (best cell, heat map, walk-forward choice). */
  readonly metric: SweepMetric;
  /** Walk-forward windows in trading days; null: one sweep over the whole range. */
  readonly walkForward: WalkForwardPlan | null;
  /** The figures as one JSON object on stdout; the human lines go to stderr. */
  readonly json: boolean;
}

const BACKTEST_OPTIONS = {
  strategy: { type: 'string', value: 'open|mid|close|all', description: 'the strategies to run (required)' },
  start: { type: 'string', value: 'YYYY-MM-DD', description: 'first day (required)' },
  end: { type: 'string', value: 'YYYY-MM-DD', description: 'last day (required)' },
  data_source: { type: 'string', value: 'PATH', description: 'a minute-bar CSV file or folder (required)' },
  results: { type: 'string', value: 'DIR', description: `where the outputs go (default ${DEFAULT_RESULTS_DIR})` },
  symbols: { type: 'string', value: 'A,B', description: 'only these symbols (narrows SYMBOL_LIST_PATH when set)' },
  set: { type: 'string', value: 'KEY=VALUE', multiple: true, description: 'override one .env_bot key' },
  vix: { type: 'string', value: 'FILE', description: 'VIX history, a date,close CSV (default: VIX_SOURCE when it names a CSV)' },
  'signals-only': { type: 'boolean', description: 'the signal audit only (signals_backtest.csv), no portfolio' },
  fill: { type: 'string', value: 'next_open|signal_close', description: 'the fill model (default next_open)' },
  'slippage-bps': { type: 'string', value: 'N', description: `slippage in basis points (default ${DEFAULT_SLIPPAGE_BPS})` },
  'fee-per-order': { type: 'string', value: 'DOLLARS', description: `commission per order (default ${DEFAULT_FEE_PER_ORDER})` },
  'no-report': { type: 'boolean', description: 'skip the HTML report' },
  'cache-dir': { type: 'string', value: 'DIR', description: `the bar cache (default ${DEFAULT_CACHE_DIR})` },
  'no-cache': { type: 'boolean', description: 'read the CSVs without the bar cache' },
  sweep: { type: 'string', value: 'KEY=v1,v2,...', multiple: true, description: 'one axis of a parameter sweep (portfolio mode)' },
  workers: { type: 'string', value: 'N', description: 'sweep worker threads, 1 to 64 (default: the CPUs)' },
  temporal: { type: 'boolean', description: 'run the sweep cells as Temporal activities (on --sweep-worker processes)' },
  metric: { type: 'string', value: SWEEP_METRICS.join('|'), description: `what ranks a sweep's cells (default ${DEFAULT_SWEEP_METRIC})` },
  'walk-forward': { type: 'string', value: 'TRAIN,TEST[,STEP]', description: 'sweep walk-forward: train and test windows and the step, in trading days (step default TEST)' },
  json: { type: 'boolean', description: 'print the metrics (portfolio), the cells (sweep) or the audit figures (signals) as JSON on stdout' },
  'sweep-worker': { type: 'boolean', description: 'instead: be a worker that runs --temporal sweep cells' },
  'task-queue': { type: 'string', value: 'Q', description: "with --sweep-worker: the task queue (default: the sweep's queue)" },
  label: { type: 'string', value: 'NAME', description: 'with --sweep-worker: its name in the results' },
  concurrency: { type: 'string', value: 'N', description: 'with --sweep-worker: cells at once, 1 to 64' },
} as const;

type BacktestValues = OptionValues<typeof BACKTEST_OPTIONS>;

const BACKTEST_SPEC: CommandSpec<typeof BACKTEST_OPTIONS> = {
  name: 'backtest',
  summary: COMMAND_SUMMARIES.backtest,
  description: 'docs/backtest.md describes the outputs; `backtest --sweep-worker` serves the cells of --temporal sweeps',
  options: BACKTEST_OPTIONS,
};

const SWEEP_WORKER_OPTIONS: readonly string[] = ['sweep-worker', 'task-queue', 'label', 'concurrency'];

function isValidDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const ms = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s;
}

function canonicalKey(raw: string, option: string): string {
  const key = BOT_KEY_ALIASES[raw] ?? raw;
  if (!(BOT_CONFIG_KEYS as readonly string[]).includes(key)) throw new UsageError(`--${option} ${raw}: unknown .env_bot key`);
  return key;
}

function nonNegative(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v) || v < 0) throw new UsageError(`--${name}=${text}: allowed: a number >= 0`);
  return v;
}

/** The backtest's command line (`--key=value` and `--key value` forms); throws UsageError with a one-line message. */
export function parseBacktestArgs(argv: readonly string[]): BacktestArgs {
  return backtestArgsFrom(parseCommandArgs(BACKTEST_SPEC, argv).values);
}

function backtestArgsFrom(values: BacktestValues): BacktestArgs {
  const extra = Object.keys(values).find((k) => SWEEP_WORKER_OPTIONS.includes(k));
  if (extra !== undefined) throw new UsageError(`--${extra} goes with --sweep-worker only`);
  const required = (name: 'strategy' | 'start' | 'end' | 'data_source', what: string): string => {
    const v = values[name];
    if (v === undefined || v.trim() === '') throw new UsageError(`--${name} is required (${what})`);
    return v.trim();
  };

  const strategyArg = required('strategy', 'open, mid, close or all').toLowerCase();
  let strategies: StrategyName[];
  if (strategyArg === 'all') strategies = [...STRATEGY_NAMES];
  else if ((STRATEGY_NAMES as readonly string[]).includes(strategyArg)) strategies = [strategyArg as StrategyName];
  else throw new UsageError(`--strategy=${strategyArg}: allowed: open, mid, close or all`);

  const start = required('start', 'YYYY-MM-DD');
  const end = required('end', 'YYYY-MM-DD');
  if (!isValidDate(start)) throw new UsageError(`--start=${start}: allowed: a date YYYY-MM-DD`);
  if (!isValidDate(end)) throw new UsageError(`--end=${end}: allowed: a date YYYY-MM-DD`);
  if (start > end) throw new UsageError(`--start=${start} is after --end=${end}`);

  const dataSource = required('data_source', 'a minute-bar CSV file or folder');
  const symbolsArg = values.symbols;
  let symbols: string[] | null = null;
  if (symbolsArg !== undefined) {
    symbols = symbolsArg
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (symbols.length === 0) throw new UsageError('--symbols: allowed: a comma-separated list such as SPY,QQQ');
  }

  const sets: Record<string, string> = {};
  for (const item of values.set ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${item}: allowed: KEY=VALUE`);
    sets[canonicalKey(item.slice(0, eq).trim(), 'set')] = item.slice(eq + 1).trim();
  }

  const sweeps: SweepAxis[] = [];
  for (const item of values.sweep ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--sweep ${item}: allowed: KEY=v1,v2,...`);
    const key = canonicalKey(item.slice(0, eq).trim(), 'sweep');
    const list = item
      .slice(eq + 1)
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (list.length === 0) throw new UsageError(`--sweep ${item}: allowed: KEY=v1,v2,... with at least one value`);
    if (sweeps.some((s) => s.key === key)) throw new UsageError(`--sweep ${key} given more than once`);
    sweeps.push({ key, values: list });
  }

  const fillArg = (values.fill ?? 'next_open').trim().toLowerCase().replace('-', '_');
  if (fillArg !== 'next_open' && fillArg !== 'signal_close') throw new UsageError(`--fill=${values.fill}: allowed: next_open or signal_close`);
  const workersArg = values.workers;
  let workers: number | null = null;
  if (workersArg !== undefined) {
    workers = Number(workersArg);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`--workers=${workersArg}: allowed: an integer from 1 to 64`);
  }
  const signalsOnly = values['signals-only'] === true;
  if (signalsOnly && sweeps.length > 0) throw new UsageError('--sweep runs portfolio mode; it cannot be combined with --signals-only');
  if (values.temporal === true && sweeps.length === 0) throw new UsageError('--temporal distributes a --sweep; give at least one --sweep KEY=v1,v2');
  if (values['no-cache'] === true && values['cache-dir'] !== undefined) throw new UsageError('--no-cache and --cache-dir exclude each other');
  const metric = metricArg(values.metric, sweeps.length > 0);
  const walkForward = walkForwardArg(values['walk-forward'], sweeps.length > 0);

  return {
    strategies,
    start,
    end,
    dataSource,
    resultsDir: values.results ?? DEFAULT_RESULTS_DIR,
    symbols,
    sets,
    vix: values.vix ?? null,
    signalsOnly,
    fill: fillArg,
    slippageBps: nonNegative('slippage-bps', values['slippage-bps'], DEFAULT_SLIPPAGE_BPS),
    feePerOrder: nonNegative('fee-per-order', values['fee-per-order'], DEFAULT_FEE_PER_ORDER),
    report: values['no-report'] !== true,
    cacheDir: values['no-cache'] === true ? null : (values['cache-dir'] ?? DEFAULT_CACHE_DIR),
    sweeps,
    workers,
    temporal: values.temporal === true,
    metric,
    walkForward,
    json: values.json === true,
  };
}

function metricArg(text: string | undefined, sweeping: boolean): SweepMetric {
  if (text === undefined) return DEFAULT_SWEEP_METRIC;
  if (!sweeping) throw new UsageError('--metric ranks the cells of a --sweep; give at least one --sweep KEY=v1,v2');
  const name = text.trim().toLowerCase().replace(/-/g, '_');
  if (!isSweepMetric(name)) throw new UsageError(`--metric=${text}: allowed: ${SWEEP_METRICS.join(', ')}`);
  return name;
}

/** `--walk-forward TRAIN,TEST[,STEP]`: whole trading days, each at least 1; the step defaults to TEST. */
function walkForwardArg(text: string | undefined, sweeping: boolean): WalkForwardPlan | null {
  if (text === undefined) return null;
  if (!sweeping) throw new UsageError('--walk-forward chooses among the cells of a --sweep; give at least one --sweep KEY=v1,v2');
  const parts = text.split(',').map((p) => p.trim());
  const days = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if ((parts.length !== 2 && parts.length !== 3) || days.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UsageError(`--walk-forward=${text}: allowed: TRAIN,TEST or TRAIN,TEST,STEP in trading days, each a whole number of at least 1`);
  }
  return { trainDays: days[0]!, testDays: days[1]!, stepDays: days[2] ?? days[1]! };
}

/** Defaults overridden by `--set` values, validated by the same schema as `.env_bot` (for a one-line usage error). */
export function backtestConfig(sets: Readonly<Record<string, string>>): BotConfig {
  const parsed = botConfigSchema.safeParse(sets);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new UsageError(`--set ${key}=${sets[key] ?? ''}: ${issue.message}`);
  }
  return parsed.data;
}

/** The project folder: where .env, .env_bot and VERSION.md are, and relative paths start. */
function projectDir(): string {
  return process.env.TRADEBOT_HOME ?? process.cwd();
}

/** `.env_bot` (plain or encrypted) with `--set` values on top, exactly as live reads it; no credentials needed. */
export async function loadBacktestConfig(sets: Readonly<Record<string, string>>, label = '--set'): Promise<LoadedConfig> {
  return loadConfig({ cwd: projectDir(), botOverrides: sets, botOverridesLabel: label, checkCredentials: false });
}

/** `--vix`, else VIX_SOURCE (environment or .env) when it names a CSV file, else none (the CLOSE gate then warns and allows). */
function resolveVixFile(arg: string | null, loaded: LoadedConfig): string | null {
  if (arg !== null) return arg;
  const src = loaded.env.VIX_SOURCE?.trim();
  if (src && /\.csv(\.gz)?$/i.test(src) && existsSync(resolve(projectDir(), src))) return resolve(projectDir(), src);
  return null;
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const f2 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));

/** The metrics as a small text table for the terminal. */
export function metricsText(outcome: Pick<PortfolioRunOutcome, 'metrics'>, strategies: readonly StrategyName[]): string {
  const m = outcome.metrics;
  const cols: [string, MetricsBlock][] = [['overall', m.overall]];
  for (const s of strategies) if (m.byStrategy[s]) cols.push([s, m.byStrategy[s]!]);
  const rows: [string, (b: MetricsBlock) => string][] = [
    ['trades', (b) => String(b.trades)],
    ['win rate', (b) => pct(b.winRate)],
    ['total pnl', (b) => f2(b.totalPnl)],
    ['avg pnl/trade', (b) => f2(b.avgPnl)],
    ['profit factor', (b) => f2(b.profitFactor)],
    ['sharpe', (b) => f2(b.sharpe)],
    ['max drawdown', (b) => `${f2(b.maxDrawdown)} (${pct(b.maxDrawdownPct)})`],
    ['avg duration min', (b) => f2(b.avgDurationMinutes)],
    ['exposure', (b) => pct(b.exposure)],
  ];
  const table = [['', ...cols.map(([n]) => n)], ...rows.map(([label, fn]) => [label, ...cols.map(([, b]) => fn(b))])];
  const widths = table[0]!.map((_, j) => Math.max(...table.map((r) => r[j]!.length)));
  return table.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ')).join('\n');
}

/** `backtest --sweep-worker`: options of a sweep worker process. */
function sweepWorkerArgsFrom(values: BacktestValues): { taskQueue?: string; label?: string; concurrency?: number } {
  const other = Object.keys(values).find((k) => !SWEEP_WORKER_OPTIONS.includes(k));
  if (other !== undefined) throw new UsageError(`--sweep-worker takes --task-queue, --label and --concurrency, not --${other}`);
  const concurrency = numberOption('concurrency', values.concurrency, (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer from 1 to 64');
  return {
    ...(values['task-queue'] ? { taskQueue: values['task-queue'].trim() } : {}),
    ...(values.label ? { label: values.label.trim() } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
  };
}

/** The configuration with the command's overrides, or exit code 1 after printing every problem. */
async function loadOrReport(sets: Parameters<typeof loadBacktestConfig>[0]): Promise<LoadedConfig | number> {
  try {
    return await loadBacktestConfig(sets);
  } catch (err) {
    if (isConfigError(err)) {
      console.error(`backtest: configuration problems:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
      return 1;
    }
    throw err;
  }
}

/** The sweep's Temporal runner, loaded only for --temporal: a local sweep does not load the client SDK. */
function temporalCells(env: EnvConfig): TemporalCellRunner {
  return async (base, cells, onProgress) => {
    const { runSweepOnTemporal } = await import('../../workers/temporal/sweepClient');
    return runSweepOnTemporal(base, cells, { env, onProgress });
  };
}

async function runSweepWorkerCommand(values: BacktestValues): Promise<number> {
  const opts = sweepWorkerArgsFrom(values);
  const loaded = await loadOrReport({});
  if (typeof loaded === 'number') return loaded;
  const { runSweepWorker } = await import('../../workers/sweepWorker');
  const queue = opts.taskQueue ?? backtestTaskQueue(loaded.env.TEMPORAL_TASK_QUEUE);
  await runSweepWorker({
    env: loaded.env,
    ...opts,
    onReady: () => console.log(`sweep worker ready on ${loaded.env.TEMPORAL_ADDRESS}, task queue ${queue}`),
  });
  return 0;
}

export const backtestCommand = leafCommand(BACKTEST_SPEC, async ({ values }) => {
  if (values['sweep-worker']) return runSweepWorkerCommand(values);
  const args = backtestArgsFrom(values);
  backtestConfig(args.sets);
  return runBacktest(args);
});

/** The `backtest` command on its own (scripts/backtest.ts, tests). Returns the exit code: 0 ok, 1 failure, 2 bad arguments. */
export async function runBacktestCommand(argv: string[]): Promise<number> {
  try {
    return await runCommandLine(backtestCommand, argv, {}, '');
  } catch (err) {
    if (err instanceof UsageError) {
      // console.error, as the rest of the command prints: the message is the first line, the usage follows.
      console.error(usageErrorText(err).trimEnd());
      return 2;
    }
    throw err;
  }
}

async function runBacktest(args: BacktestArgs): Promise<number> {
  // With --json, stdout holds the JSON alone.
  const say = args.json ? console.error : console.log;
  const loaded = await loadOrReport(args.sets);
  if (typeof loaded === 'number') return loaded;
  for (const w of loaded.warnings) console.error(`backtest: warning: ${w}`);
  const cfg = loaded.bot;
  const cacheDir = args.cacheDir === null ? null : resolve(projectDir(), args.cacheDir);

  try {
    const vixFile = args.strategies.includes('close') ? resolveVixFile(args.vix, loaded) : null;
    if (vixFile === null && args.strategies.includes('close')) {
      console.error('backtest: warning: no VIX history (--vix or VIX_SOURCE): the CLOSE VIX gate does not block');
    }
    if (args.signalsOnly) return runSignalsOnly(args, cfg, cacheDir, vixFile, say);

    // The universe as live screening takes it: SYMBOL_LIST_PATH when set (narrowed to --symbols), else --symbols, else all.
    let symbols = args.symbols;
    if (cfg.SYMBOL_LIST_PATH.trim() !== '') {
      const list = readSymbolListFile(cfg.SYMBOL_LIST_PATH, projectDir());
      symbols = args.symbols ? list.filter((s) => args.symbols!.includes(s)) : list;
    }
    const runInfo: Record<string, string> = {
      strategies: args.strategies.join(','),
      dates: `${args.start}..${args.end}`,
      data: args.dataSource,
      symbols: symbols ? (symbols.length > 12 ? `${symbols.slice(0, 12).join(',')},... (${symbols.length})` : symbols.join(',')) : 'all',
      fill: args.fill,
      'slippage bps': String(args.slippageBps),
      'fee per order': args.feePerOrder.toFixed(2),
      'starting cash': String(cfg.SIM_STARTING_CASH),
      config: loaded.sources.envBot ?? 'defaults',
      ...(Object.keys(args.sets).length > 0 ? { '--set': Object.entries(args.sets).map(([k, v]) => `${k}=${v}`).join(' ') } : {}),
    };
    const base: PortfolioRunSpec = {
      dataSource: args.dataSource,
      cacheDir,
      symbols,
      strategies: args.strategies,
      start: args.start,
      end: args.end,
      cfg,
      vixFile,
      execution: { fill: args.fill, slippageBps: args.slippageBps, feePerOrder: args.feePerOrder },
      resultsDir: args.resultsDir,
      report: args.report,
      progress: true,
      runInfo,
    };
    if (args.sweeps.length > 0) {
      const cells = await sweepCells(args.sweeps, async (extra) => {
        try {
          return (await loadBacktestConfig({ ...args.sets, ...extra }, '--set/--sweep')).bot;
        } catch (err) {
          if (!isConfigError(err)) throw err;
          const cell = Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(',');
          throw new Error(`sweep cell ${cell}: ${err.problems.join('; ')}`, { cause: err });
        }
      });
      const request: SweepRequest = {
        base,
        cells,
        workers: args.workers,
        temporal: args.temporal ? temporalCells(loaded.env) : undefined,
        metric: args.metric,
        onProgress: (done, total) => say(`sweep: ${done}/${total} cells done`),
      };
      if (args.walkForward !== null) return await runWalkForwardCommand(request, args.walkForward, args.json, say);
      const sweep = await runSweep(request);
      say(sweep.text);
      say(`sweep: ${cells.length} cells in ${(sweep.ms / 1000).toFixed(2)}s (${sweep.where}) -> ${sweep.files.join(', ')}`);
      if (args.json) console.log(JSON.stringify({ kind: 'sweep', cells: sweep.results, files: sweep.files }));
      return 0;
    }

    const out = runPortfolioBacktest(base);
    for (const w of out.result.warnings) console.error(`backtest: warning: ${w}`);
    const t = out.timings;
    say(
      `portfolio backtest: ${out.metrics.overall.trades} trades over ${out.result.days.length} trading days, ` +
        `${out.result.symbolDays} symbol-days (${out.loaded.files.length} files, ${out.loaded.rowCount} bars; ` +
        `load ${(t.loadMs / 1000).toFixed(2)}s, run ${(t.runMs / 1000).toFixed(2)}s, write ${(t.writeMs / 1000).toFixed(2)}s)`,
    );
    say(`fill ${args.fill}, slippage ${args.slippageBps} bps, fee ${args.feePerOrder.toFixed(2)} per order; ` +
      `equity ${out.result.startingCash.toFixed(2)} -> ${out.metrics.endingEquity.toFixed(2)}`);
    say(metricsText(out, args.strategies));
    if (out.files) {
      say(`outputs: ${out.files.tradeHistoryCsv}, ${out.files.tradeHistoryJson}, ${out.files.dailySummary}, ${out.files.metrics}`);
    }
    if (out.reportFile) say(`report: ${out.reportFile}`);
    if (args.json) console.log(JSON.stringify({ kind: 'portfolio', metrics: out.metrics, files: out.files ?? null, report: out.reportFile ?? null }));
    return 0;
  } catch (err) {
    console.error(`backtest: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

async function runWalkForwardCommand(request: SweepRequest, plan: WalkForwardPlan, json: boolean, say: (line: string) => void): Promise<number> {
  const outcome = await runWalkForward({ ...request, plan, onWindow: say });
  say(outcome.text);
  say(`walk-forward: ${outcome.rows.length} window(s) of ${request.cells.length} cells in ${(outcome.ms / 1000).toFixed(2)}s (${outcome.where}) -> ${outcome.files.join(', ')}`);
  if (json) console.log(JSON.stringify({ kind: 'walk_forward', windows: outcome.rows.map(({ grid: _grid, ...row }) => row), tested: outcome.tested, files: outcome.files }));
  return 0;
}

function runSignalsOnly(args: BacktestArgs, cfg: BotConfig, cacheDir: string | null, vixFile: string | null, say: (line: string) => void): number {
  const started = performance.now();
  const data = loadColumns(args.dataSource, { cacheDir, ...(args.symbols ? { symbols: args.symbols } : {}) });
  if (args.symbols) {
    const have = new Set(data.series.map((s) => s.symbol));
    const missing = args.symbols.filter((s) => !have.has(s));
    if (missing.length > 0) console.error(`backtest: warning: no data for ${missing.join(', ')}`);
  }
  const vix: VixSeries | null = vixFile === null ? null : loadVixCsv(vixFile);
  const audit = runSignalAuditColumnar({
    market: new ColumnarMarket(data.series),
    cfg,
    strategies: args.strategies,
    vix,
    startDate: args.start,
    endDate: args.end,
    ...(args.symbols ? { symbols: args.symbols } : {}),
  });
  for (const w of audit.warnings) console.error(`backtest: warning: ${w}`);
  const dir = resolve(args.resultsDir);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, SIGNALS_FILE);
  writeFileSync(out, formatSignalAuditCsv(audit.rows));
  const secs = ((performance.now() - started) / 1000).toFixed(2);
  say(
    `signal audit: ${audit.rows.length} trades over ${audit.symbolDays} symbol-days ` +
      `(${data.files.length} files, ${data.rowCount} bars) in ${secs}s -> ${out}`,
  );
  if (args.json) console.log(JSON.stringify({ kind: 'signals', trades: audit.rows.length, symbolDays: audit.symbolDays, file: out }));
  return 0;
}
