import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { projectPath } from '../../activities/projectRoot';
import type { PortfolioRunSpec } from '../../activities/backtest/runBacktest';
import { runCellsInThreads, sweepCells, type SweepAxis } from '../../activities/backtest/sweep';
import type { SweepCell } from '../../activities/backtest/sweepCell';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { runSweepOnTemporal } from '../../workers/temporal/sweepClient';
import type { BenchTemporal } from './temporalServer';

/**
 * The bench's sweep figures (docs/backtest.md, "Sweeps"): a grid of 64 settings over the bench's 20-symbol
 * year on the thread pool (one shared copy of the bars), and the same kind of cells across one and then two
 * Temporal sweep worker processes, each held to one core with taskset, on the bench's own dev server.
 */

/** 4 x 4 x 4 = 64 cells; every value valid for its key. */
export const SWEEP64_AXES: readonly SweepAxis[] = [
  { key: 'STRAT_OPEN_BUFFER', values: ['0.001', '0.002', '0.005', '0.01'] },
  { key: 'STRAT_MID_VWAP_THRESHOLD', values: ['0.005', '0.01', '0.02', '0.03'] },
  { key: 'MAX_TRADES', values: ['1', '2', '3', '4'] },
];

export interface Sweep64Figures {
  readonly seconds: number;
  readonly cells: number;
  readonly threads: number;
}

const gridOf = (axes: readonly SweepAxis[]): Promise<SweepCell[]> => sweepCells(axes, async (settings) => botConfigSchema.parse(settings));

export async function measureSweep64(base: PortfolioRunSpec): Promise<Sweep64Figures> {
  const cells = await gridOf(SWEEP64_AXES);
  const threads = availableParallelism();
  const started = performance.now();
  const results = await runCellsInThreads(base, cells, threads);
  const seconds = (performance.now() - started) / 1000;
  if (results.length !== cells.length) throw new Error(`sweep of ${cells.length} cells returned ${results.length}`);
  return { seconds, cells: cells.length, threads };
}

export interface WorkerScalingFigures {
  readonly cells: number;
  readonly oneWorkerSeconds: number;
  readonly twoWorkerSeconds: number;
  /** Two workers' throughput over one worker's: 2.0 is perfect, the target is 1.8 or more. */
  readonly scaling: number;
  /** Cells each worker ran in the two-worker run, by label. */
  readonly twoWorkerShare: Readonly<Record<string, number>>;
}

/** The first `count` cells of the 64-cell grid. */
async function firstCells(count: number): Promise<SweepCell[]> {
  return (await gridOf(SWEEP64_AXES)).slice(0, count);
}

interface SweepWorkerProcess {
  readonly label: string;
  stop(): Promise<void>;
}

/** `backtest --sweep-worker` on one core; resolves once it polls `taskQueue` on `address`, and only that server. */
function startPinnedWorker(address: string, taskQueue: string, core: number): Promise<SweepWorkerProcess> {
  const label = `core${core}`;
  const args = ['-c', String(core), process.execPath, projectPath('scripts', 'run.js'), 'scripts/cli.ts', 'backtest'];
  args.push('--sweep-worker', '--task-queue', taskQueue, '--label', label, '--concurrency', '1');
  const child: ChildProcess = spawn('taskset', args, { cwd: projectPath(), env: { ...process.env, TEMPORAL_ADDRESS: address }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void stop().then(() => reject(new Error(`sweep worker ${label} did not start: ${output.slice(-1000)}`))), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /sweep worker ready on (\S+),/.exec(output);
      if (ready === null) return;
      clearTimeout(timer);
      // A .env naming another server wins over the environment (docs/temporal.md): never bench against it.
      if (ready[1] !== address) void stop().then(() => reject(new Error(`sweep worker ${label} connected to ${ready[1]}, not the bench's server ${address}`)));
      else resolve({ label, stop });
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (err) => {
      // No process started (taskset missing): nothing to stop, nothing to wait for.
      clearTimeout(timer);
      reject(new Error(`sweep worker ${label}: ${err.message} (is taskset installed?)`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sweep worker ${label} exited (${code}): ${output.slice(-1000)}`));
    });
  });
}

async function timedTemporalSweep(client: Client, base: PortfolioRunSpec, cells: readonly SweepCell[], taskQueue: string, workflowId: string) {
  const started = performance.now();
  const results = await runSweepOnTemporal(base, cells, { client, taskQueue, workflowId });
  const seconds = (performance.now() - started) / 1000;
  const share: Record<string, number> = {};
  for (const r of results) share[r.ranBy] = (share[r.ranBy] ?? 0) + 1;
  return { seconds, share };
}

/**
 * The same `cellCount` cells on one pinned worker, then on two (the first plus one on the other core).
 * Needs two cores; the workers start, and run a warm-up sweep, before the clock does.
 */
export async function measureTwoWorkerScaling(base: PortfolioRunSpec, cellCount: number, server: BenchTemporal): Promise<WorkerScalingFigures> {
  if (availableParallelism() < 2) throw new Error('two-worker scaling needs two cores');
  const cells = await firstCells(cellCount);
  const workers: SweepWorkerProcess[] = [];
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = `bench-sweep-${process.pid}`;
    // Each timed run starts on warm workers: a worker's first cell also starts its thread, loads the bars
    // into its shared copy and compiles the code, which would fall on one run and not the other.
    workers.push(await startPinnedWorker(server.address, taskQueue, 0));
    await timedTemporalSweep(client, base, cells.slice(0, 1), taskQueue, `${taskQueue}-warm-one`);
    const one = await timedTemporalSweep(client, base, cells, taskQueue, `${taskQueue}-one`);
    workers.push(await startPinnedWorker(server.address, taskQueue, 1));
    await timedTemporalSweep(client, base, cells.slice(0, 2), taskQueue, `${taskQueue}-warm-two`);
    const two = await timedTemporalSweep(client, base, cells, taskQueue, `${taskQueue}-two`);
    return { cells: cells.length, oneWorkerSeconds: one.seconds, twoWorkerSeconds: two.seconds, scaling: one.seconds / two.seconds, twoWorkerShare: two.share };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await connection.close();
  }
}

export function sweepLines(sweep: Sweep64Figures, scaling: WorkerScalingFigures | null): string[] {
  const lines = [`sweep of ${sweep.cells} cells, 20 symbols x 1 year, ${sweep.threads} threads, shared bars: ${sweep.seconds.toFixed(1)} s (target 30 s: ${sweep.seconds < 30 ? 'met' : 'not met'})`];
  if (scaling === null) return [...lines, 'two Temporal sweep workers: skipped (--no-temporal-sweep)'];
  const share = Object.entries(scaling.twoWorkerShare).map(([who, n]) => `${who} ${n}`).join(', ');
  lines.push(
    `Temporal sweep of ${scaling.cells} cells: one worker (one core) ${scaling.oneWorkerSeconds.toFixed(1)} s, two workers (one core each) ${scaling.twoWorkerSeconds.toFixed(1)} s (${share})`,
    `  two workers / one worker throughput: ${scaling.scaling.toFixed(2)}x (target 1.8x, within 10% of twice: ${scaling.scaling >= 1.8 ? 'met' : 'not met'})`,
  );
  return lines;
}
