import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { envConfigSchema } from '../../domain/config/envSchema';
import type { ReplayClock } from '../../domain/time/replayClock';
import { workflowBundle } from '../../workers/createWorker';
import { installRuntimeLogging } from '../../workers/workerRuntime';
import type { SessionStatus } from '../../workflows/sessionApi';
import { rehearsalPassed, runRehearsalDay, type RehearsalReport } from '../commands/emulatorDay';
import type { EmulatorHandle } from '../emulator';
import { connectClient } from '../../workers/temporal/connection';
import { orderLatencies, percentile, type OrderLatency } from './orderLatency';
import { startBenchTemporal } from './temporalServer';

/**
 * The bench's paper day: one rehearsal day (runRehearsalDay: TEST_MODE=false through the production worker
 * against the market emulator) on the replay fixture, on a Temporal dev server of its own, and the figures
 * issue 13 asks for: order latency from bar visibility to the emulator, and real seconds per session and
 * for the day. Runs in a child process of the bench (its memory and Temporal runtime stay out of the
 * backtest figures). docs/backtest.md, "Paper day at the emulator".
 */

const ROOT = path.resolve(__dirname, '..', '..');
const EMULATOR_DATE = '2025-04-09';
const EMULATOR_SPEED = 60;
const EMULATOR_REPLAY = path.join('tests', 'fixtures', 'minute');
/** The emulator's default publish delay, passed explicitly so the latency is measured against a known value. */
const PUBLISH_DELAY_MS = 2000;
const OUTPUT_DIR = path.join(ROOT, 'output', 'bench', 'emulator-day');
const SEED = 1;

export interface EmulatorDayFigures {
  readonly date: string;
  readonly speed: number;
  /** The replay folder, relative to the project. */
  readonly replay: string;
  readonly latency_p50_ms: number | null;
  readonly latency_p99_ms: number | null;
  /** Orders the percentiles are over: entries and bot exits of the day's trade records. */
  readonly latency_orders: number;
  readonly latency_entries: number;
  readonly latency_exits: number;
  readonly slowest_order: OrderLatency | null;
  /** Real seconds from each session's actualStart to its workflow's close, by strategy. */
  readonly session_seconds: Record<string, number>;
  /** Real seconds each session woke after its scheduled start (a worker that was not ready shows here). */
  readonly session_start_late_seconds: Record<string, number>;
  /** Wall time of runRehearsalDay: emulator start, worker start, the day, the report. */
  readonly day_seconds: number;
  readonly trades: number;
  readonly passed: boolean;
  /** Why the rehearsal failed (rehearsalPassed's conditions), empty when it passed. */
  readonly problems: readonly string[];
  /** Entry signals the sessions skipped as stale: orders that never happened, so outside the latency figure. */
  readonly stale_signals_skipped: number;
  readonly journal: string;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Defaults only (no .env, no .env_bot), so every machine runs the same day; the rehearsal points it at the emulator. */
const BENCH_BOT = botConfigSchema.parse({});
const benchConfig = (temporalAddress: string) => ({ bot: BENCH_BOT, env: envConfigSchema.parse({ TEMPORAL_ADDRESS: temporalAddress }) });

/** The real instant of a market instant on the day's clock. */
function realMsOf(clock: ReplayClock, marketMs: number): number {
  return clock.anchorRealMs + (marketMs - clock.anchorMarketMs) / clock.speed;
}

/** Session real seconds from actualStart (market time, mapped to real by the clock) to the session workflow's close time in Temporal. */
async function sessionTimings(client: Client, sessions: readonly SessionStatus[], clock: ReplayClock): Promise<{ seconds: Record<string, number>; lateSeconds: Record<string, number> }> {
  const seconds: Record<string, number> = {};
  const lateSeconds: Record<string, number> = {};
  for (const s of sessions) {
    if (s.actualStart === null) continue;
    const described = await client.workflow.getHandle(s.workflowId).describe();
    if (described.closeTime === undefined) continue;
    const startRealMs = realMsOf(clock, Date.parse(s.actualStart));
    seconds[s.strategy] = round((described.closeTime.getTime() - startRealMs) / 1000, 2);
    lateSeconds[s.strategy] = round((Date.parse(s.actualStart) - Date.parse(s.scheduledStart)) / clock.speed / 1000, 2);
  }
  return { seconds, lateSeconds };
}

/**
 * For a failed rehearsal: rehearsalPassed's conditions that failed, each with its count. A copy of its list
 * (emulatorDay.ts exports only the verdict), so a condition added there shows as "other" until added here.
 */
function rehearsalProblems(r: RehearsalReport): string[] {
  const counts: [number, string][] = [
    [r.orders_after_close.length, 'order(s) received after the close'],
    [r.positions_at_close.length, 'position(s) held at the close'],
    [r.working_orders_at_close.length, 'working order(s) at the close'],
    [r.stale_entries_sent, 'stale entry(ies) sent'],
    [r.unexplained_exit_records.length, 'unexplained exit record(s)'],
    [r.failed_sessions.length, 'failed session(s)'],
  ];
  const named = counts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  return named.length > 0 ? named : ['other (a condition of rehearsalPassed the bench does not name)'];
}

function latencyFigures(report: RehearsalReport, emulator: EmulatorHandle) {
  const latencies = orderLatencies({ trades: report.trades, orders: emulator.orders(), clock: emulator.clock, publishDelayMs: PUBLISH_DELAY_MS });
  const values = latencies.map((l) => l.realMs);
  const p50 = percentile(values, 50);
  const p99 = percentile(values, 99);
  const slowest = latencies.reduce<OrderLatency | null>((a, l) => (a === null || l.realMs > a.realMs ? l : a), null);
  return {
    latency_p50_ms: p50 === null ? null : round(p50, 1),
    latency_p99_ms: p99 === null ? null : round(p99, 1),
    latency_orders: latencies.length,
    latency_entries: latencies.filter((l) => l.leg === 'entry').length,
    latency_exits: latencies.filter((l) => l.leg === 'exit').length,
    slowest_order: slowest === null ? null : { ...slowest, realMs: round(slowest.realMs, 1) },
  };
}

async function runBenchDay(client: Client, temporalAddress: string, log: (line: string) => void): Promise<EmulatorDayFigures> {
  // A fresh folder: the trade history the report reads must hold this run's trades only.
  fs.rmSync(OUTPUT_DIR, { recursive: true, force: true });
  // runRehearsalDay anchors the clock about 4 real seconds before the day needs the worker, and starts the
  // worker after that: bundled here first (cached per process), webpack's seconds cannot make the day start late.
  await workflowBundle();
  const seen: { emulator?: EmulatorHandle } = {};
  const started = performance.now();
  const report = await runRehearsalDay({
    config: benchConfig(temporalAddress),
    projectDir: ROOT,
    client,
    date: EMULATOR_DATE,
    replayDir: path.join(ROOT, EMULATOR_REPLAY),
    speed: EMULATOR_SPEED,
    symbols: [],
    seed: SEED,
    outputDir: OUTPUT_DIR,
    emulator: { publishDelayMs: PUBLISH_DELAY_MS },
    log,
    onEmulator: (e) => {
      seen.emulator = e;
    },
  });
  const daySeconds = (performance.now() - started) / 1000;
  if (seen.emulator === undefined) throw new Error('the rehearsal never handed over its emulator');
  const clock = seen.emulator.clock;
  const sessions = await sessionTimings(client, report.summary.sessions, clock);
  return {
    date: EMULATOR_DATE,
    speed: EMULATOR_SPEED,
    replay: EMULATOR_REPLAY,
    ...latencyFigures(report, seen.emulator),
    session_seconds: sessions.seconds,
    session_start_late_seconds: sessions.lateSeconds,
    day_seconds: round(daySeconds, 2),
    trades: report.trades.length,
    passed: rehearsalPassed(report),
    problems: rehearsalPassed(report) ? [] : rehearsalProblems(report),
    stale_signals_skipped: report.stale_signals_skipped,
    journal: path.relative(ROOT, report.journal),
  };
}

/** One emulator day on a dev server of the bench's own; progress goes to `log`. */
export async function measureEmulatorDay(log: (line: string) => void): Promise<EmulatorDayFigures> {
  // The caller installs the worker's log level (day.ts does for the CLI); the default config says quiet.
  installRuntimeLogging(BENCH_BOT.DEBUG_LOG_LEVEL);
  const temporal = await startBenchTemporal(log);
  try {
    const client = await connectClient(benchConfig(temporal.address).env);
    try {
      return await runBenchDay(client, temporal.address, log);
    } finally {
      await client.connection.close();
    }
  } finally {
    await temporal.stop();
  }
}
