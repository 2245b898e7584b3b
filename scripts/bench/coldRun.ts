import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadColumns } from '../../activities/backtest/barCache';
import { ColumnarMarket } from '../../domain/backtest/columnar';
import { runSignalAuditColumnar } from '../../domain/backtest/columnarAudit';
import { formatSignalAuditCsv } from '../../domain/backtest/signalAudit';
import { botConfigSchema, type BotConfig } from '../../domain/config/botConfigSchema';
import { assertSameTrades, type HandTrade } from './handLoop';
import { plainLoopRun } from './plainLoop';
import { BENCH_DIR, DATA_DIR, smallFiles, smallSymbols, YEAR } from './syntheticData';
import { median } from './timing';

/**
 * The cold run and issue 19's comparison, reproducible: the comparison set (20 symbols x 2024, from the
 * seeded generator), the OPEN rules with a 0.2% buffer, and
 * - the project's run as `backtest --signals-only` does it on a CSV folder it has never seen: parse and
 *   validate, write the bar cache (a fresh folder each time), the columnar signal audit, signals_backtest.csv;
 * - the plain Node loop (plainLoop.ts);
 * taking turns in one process, so both see the same moments of a shared machine's load and the same OS
 * page cache; best and median of each, and the ratio of the bests. Then the same run through the real
 * CLI in a fresh process, for the wall time a user waits (start-up included).
 * backtrader cannot be installed here: its figure stays a quoted reference (issue 19).
 */

export const BACKTRADER_QUOTED_SECONDS = 46.4;
const OPEN_BUFFER = '0.002';
const START = `${YEAR}-01-01`;
const END = `${YEAR}-12-31`;
const COLD_DIR = path.join(BENCH_DIR, 'cold');
const ROOT = path.resolve(__dirname, '..', '..');

export interface ColdFigures {
  readonly bars: number;
  readonly trades: number;
  readonly projectMs: { readonly best: number; readonly median: number };
  readonly plainMs: { readonly best: number; readonly median: number };
  readonly rounds: number;
  /** The CLI in a fresh process, spawn to exit. */
  readonly wallSeconds: number;
}

const coldConfig = (): BotConfig => botConfigSchema.parse({ STRAT_OPEN_BUFFER: OPEN_BUFFER });

/** The project's cold run in-process, with its cache and outputs under `dir` (which must not exist yet). */
function projectColdRun(dir: string, cfg: BotConfig): { bars: number; trades: readonly HandTrade[]; csv: string } {
  const data = loadColumns(DATA_DIR, { cacheDir: path.join(dir, 'cache'), symbols: smallSymbols() });
  if (data.cacheWarnings.length > 0) throw new Error(`cold run: ${data.cacheWarnings.join('; ')}`);
  const audit = runSignalAuditColumnar({ market: new ColumnarMarket(data.series), cfg, strategies: ['open'], vix: null, startDate: START, endDate: END });
  const csv = path.join(dir, 'signals_backtest.csv');
  writeFileSync(csv, formatSignalAuditCsv(audit.rows));
  return { bars: data.rowCount, trades: audit.rows, csv };
}

/** Timed rounds of the project's run and the plain loop, in turns; every round's trades checked equal. */
function alternate(rounds: number, cfg: BotConfig): Omit<ColdFigures, 'wallSeconds'> & { csv: string } {
  const files = smallSymbols().map((symbol, i) => ({ symbol, file: smallFiles()[i]! }));
  const projectMs: number[] = [];
  const plainMs: number[] = [];
  let bars = 0;
  let trades = 0;
  let csv = '';
  for (let k = 0; k < rounds; k++) {
    const dir = path.join(COLD_DIR, `round-${k}`);
    rmSync(dir, { recursive: true, force: true });
    let t0 = performance.now();
    const project = projectColdRun(dir, cfg);
    projectMs.push(performance.now() - t0);
    t0 = performance.now();
    const plain = plainLoopRun(files, cfg);
    plainMs.push(performance.now() - t0);
    if (plain.bars !== project.bars) throw new Error(`the plain loop read ${plain.bars} bars, the project ${project.bars}`);
    assertSameTrades('the plain loop and the project', plain.trades, project.trades);
    ({ bars } = project);
    trades = project.trades.length;
    csv = readFileSync(project.csv, 'utf8');
    rmSync(dir, { recursive: true, force: true });
  }
  const stats = (xs: number[]) => ({ best: Math.min(...xs), median: median(xs) });
  return { bars, trades, projectMs: stats(projectMs), plainMs: stats(plainMs), rounds, csv };
}

/** `backtest --signals-only` on the comparison set in a fresh process and a fresh cache; its signals file must equal `expectedCsv`. */
function cliColdWall(expectedCsv: string): number {
  const dir = path.join(COLD_DIR, 'cli');
  rmSync(dir, { recursive: true, force: true });
  // A project folder with no .env_bot: the defaults, whatever the user's own settings are.
  const home = path.join(dir, 'home');
  mkdirSync(home, { recursive: true });
  copyFileSync(path.join(ROOT, 'VERSION.md'), path.join(home, 'VERSION.md'));
  const args = [
    path.join(ROOT, 'scripts', 'cli.ts'),
    'backtest',
    '--strategy=open',
    '--signals-only',
    `--start=${START}`,
    `--end=${END}`,
    `--data_source=${DATA_DIR}`,
    `--symbols=${smallSymbols().join(',')}`,
    `--cache-dir=${path.join(dir, 'cache')}`,
    `--results=${path.join(dir, 'results')}`,
    `--set=STRAT_OPEN_BUFFER=${OPEN_BUFFER}`,
  ];
  const t0 = performance.now();
  // tsx's loader by name: this process's own flags may hold more than the loader (an --eval, say).
  const child = spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: home, encoding: 'utf8', env: { ...process.env, TRADEBOT_HOME: home } });
  const wall = (performance.now() - t0) / 1000;
  if (child.status !== 0) throw new Error(`cold CLI run failed (exit ${child.status}): ${child.stderr.slice(-2000)}`);
  const csv = readFileSync(path.join(dir, 'results', 'signals_backtest.csv'), 'utf8');
  if (csv !== expectedCsv) throw new Error('the cold CLI run wrote other signals than the in-process run');
  rmSync(dir, { recursive: true, force: true });
  return wall;
}

export function measureCold(rounds: number): ColdFigures {
  const { csv, ...figures } = alternate(rounds, coldConfig());
  return { ...figures, wallSeconds: cliColdWall(csv) };
}

export function coldLines(f: ColdFigures): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
  return [
    `cold run (CSV folder -> signals, fresh cache; ${f.bars.toLocaleString('en-US')} bars, OPEN, buffer ${OPEN_BUFFER}, ${f.trades} trades), ${f.rounds} alternating rounds:`,
    `  this project, in-process:  best ${s(f.projectMs.best)}, median ${s(f.projectMs.median)}  (${Math.round(f.bars / (f.projectMs.best / 1000)).toLocaleString('en-US')} bars/s; target 5,000,000)`,
    `  plain Node loop:           best ${s(f.plainMs.best)}, median ${s(f.plainMs.median)}`,
    `  project / plain loop:      ${(f.projectMs.best / f.plainMs.best).toFixed(2)}x (best), ${(f.projectMs.median / f.plainMs.median).toFixed(2)}x (median)`,
    `  this project, CLI in a fresh process: ${f.wallSeconds.toFixed(2)} s wall (target 0.9 s)`,
    `  backtrader, same rules (quoted from issue 19, cannot be installed here): ${BACKTRADER_QUOTED_SECONDS} s`,
  ];
}
