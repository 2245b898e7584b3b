import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { loadVixCsv } from '../../activities/marketData/vixCsv';
import { formatSignalAuditCsv, runSignalAudit, type VixSeries } from '../../domain/backtest/signalAudit';
import { BOT_CONFIG_KEYS, BOT_KEY_ALIASES, botConfigSchema, type BotConfig } from '../../domain/config/botConfigSchema';
import { STRATEGY_NAMES, type StrategyName } from '../../domain/strategies/strategy';

export const BACKTEST_USAGE =
  'usage: backtest --strategy=open|mid|close|all --start=YYYY-MM-DD --end=YYYY-MM-DD --data_source=<file|folder> ' +
  '[--results <dir>] [--symbols A,B] [--set KEY=VALUE]... [--vix <date,close csv>] --signals-only';

export const DEFAULT_RESULTS_DIR = join('output', 'backtest');
export const SIGNALS_FILE = 'signals_backtest.csv';

/** A bad command line: shown as one line, exit code 2. */
class UsageError extends Error {}

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
}

const VALUE_OPTIONS = new Set(['strategy', 'start', 'end', 'data_source', 'results', 'symbols', 'set', 'vix']);
const FLAG_OPTIONS = new Set(['signals-only']);

function isValidDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const ms = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s;
}

/** Parses `--key=value` and `--key value` forms; throws UsageError with a one-line message. */
export function parseBacktestArgs(argv: readonly string[]): BacktestArgs {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (FLAG_OPTIONS.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) throw new UsageError(`unknown option --${name}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      value = next;
      i += 1;
    }
    const list = values.get(name) ?? [];
    if (list.length > 0 && name !== 'set') throw new UsageError(`--${name} given more than once`);
    list.push(value);
    values.set(name, list);
  }
  const one = (name: string): string | undefined => values.get(name)?.[0];
  const required = (name: string, what: string): string => {
    const v = one(name);
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
  const symbolsArg = one('symbols');
  let symbols: string[] | null = null;
  if (symbolsArg !== undefined) {
    symbols = symbolsArg
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (symbols.length === 0) throw new UsageError('--symbols: allowed: a comma-separated list such as SPY,QQQ');
  }

  const sets: Record<string, string> = {};
  for (const item of values.get('set') ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${item}: allowed: KEY=VALUE`);
    const rawKey = item.slice(0, eq).trim();
    const key = BOT_KEY_ALIASES[rawKey] ?? rawKey;
    if (!(BOT_CONFIG_KEYS as readonly string[]).includes(key)) throw new UsageError(`--set ${rawKey}: unknown .env_bot key`);
    sets[key] = item.slice(eq + 1).trim();
  }

  return {
    strategies,
    start,
    end,
    dataSource,
    resultsDir: one('results') ?? DEFAULT_RESULTS_DIR,
    symbols,
    sets,
    vix: one('vix') ?? null,
    signalsOnly: flags.has('signals-only'),
  };
}

/** Defaults overridden by `--set` values, validated by the same schema as `.env_bot`. */
export function backtestConfig(sets: Readonly<Record<string, string>>): BotConfig {
  const parsed = botConfigSchema.safeParse(sets);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new UsageError(`--set ${key}=${sets[key] ?? ''}: ${issue.message}`);
  }
  return parsed.data;
}

/** `--vix`, else VIX_SOURCE when it names a CSV file, else none (the CLOSE gate then warns and allows). */
function resolveVixFile(arg: string | null): string | null {
  if (arg !== null) return arg;
  const env = process.env.VIX_SOURCE?.trim();
  if (env && /\.csv(\.gz)?$/i.test(env) && existsSync(env)) return env;
  return null;
}

/** The `backtest` command. Returns the process exit code: 0 ok, 1 failure, 2 bad arguments. */
export async function runBacktestCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(BACKTEST_USAGE);
    return 0;
  }
  let args: BacktestArgs;
  let cfg: BotConfig;
  try {
    args = parseBacktestArgs(argv);
    cfg = backtestConfig(args.sets);
    if (!args.signalsOnly) {
      throw new UsageError('portfolio mode not implemented yet: add --signals-only for the signal audit');
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`backtest: ${err.message} (backtest --help shows the usage)`);
      return 2;
    }
    throw err;
  }

  try {
    const started = performance.now();
    const data = loadMinuteBars(args.dataSource, args.symbols ? { symbols: args.symbols } : {});
    if (args.symbols) {
      const missing = args.symbols.filter((s) => !data.bars.has(s));
      if (missing.length > 0) console.error(`backtest: warning: no data for ${missing.join(', ')}`);
    }
    const vixFile = args.strategies.includes('close') ? resolveVixFile(args.vix) : null;
    let vix: VixSeries | null = null;
    if (vixFile !== null) vix = loadVixCsv(vixFile);
    else if (args.strategies.includes('close')) {
      console.error('backtest: warning: no VIX history (--vix or VIX_SOURCE): the CLOSE VIX gate does not block');
    }
    const audit = runSignalAudit({
      bars: data.bars,
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
    console.log(
      `signal audit: ${audit.rows.length} trades over ${audit.symbolDays} symbol-days ` +
        `(${data.files.length} files, ${data.rowCount} bars) in ${secs}s -> ${out}`,
    );
    return 0;
  } catch (err) {
    console.error(`backtest: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
