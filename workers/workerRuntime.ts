import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogLevel, type NativeConnection, type Worker } from '@temporalio/worker';
import type { LoadedConfig } from '../activities/config/loadConfig';
import { ConfigError } from '../domain/config/configError';
import { createActivityDeps } from '../activities/replayDeps';
import { createLiveWiring, type RealBrokerName } from '../activities/broker/brokerFactory';
import { assertLiveGate } from '../activities/liveGate';
import { outputMode, routingFlagsOf } from '../domain/routing';
import { createSchedulingActivities } from '../activities/schedulingActivities';
import { readSymbolListFile } from '../activities/screening/symbolListFile';
import { payloadDataConverter } from './temporal/payloadCodec';
import { PROBE_SYMBOL } from '../activities/checks/readinessChecks';
import { createTradingWorker } from './createWorker';
import { metricsTelemetry } from './metrics';
import { marketTimeSource } from '../activities/marketData/rateLimiter';
import type { ReplayClock } from '../domain/time/replayClock';
import { isSimulatedBroker } from '../domain/vocabulary';

export interface WorkerRuntimeOptions {
  /** The validated settings (only `bot` and `env` are read, so the rehearsal can pass its own). */
  readonly config: Pick<LoadedConfig, 'bot' | 'env'>;
  /** Project folder: relative paths in the config are resolved against it. */
  readonly cwd: string;
  readonly connection: NativeConnection;
  /** Client for the account activities' updates. */
  readonly client: Client;
  readonly outputDir?: string;
  /** Account workflow id (default `tradebot-account-<mode>`): the rehearsal keeps its own risk account. */
  readonly accountWorkflowId?: string;
  /**
   * The rehearsal's virtual market clock: the broker and data clients keep time by it (rate limits, the
   * broker's market clock, order timestamps), as the emulator does. Absent: the wall clock.
   */
  readonly marketClock?: () => ReplayClock;
}

export interface WorkerRuntime {
  readonly worker: Worker;
  readonly replayFolder: string | null;
  readonly outputDir: string;
  readonly description: string;
  /** Releases broker connections (IBKR's socket); the process may also just exit. */
  close?(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * Worker logs follow DEBUG_LOG_LEVEL: quiet shows warnings and errors only; metrics go to the Prometheus
 * endpoint when TRADEBOT_METRICS_ADDRESS is set (workers/metrics.ts). Call before any connection.
 */
export function installRuntimeLogging(level: 'quiet' | 'info' | 'verbose'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const map: Record<typeof level, LogLevel> = { quiet: 'WARN', info: 'INFO', verbose: 'DEBUG' };
  Runtime.install({ logger: new DefaultLogger(map[level]), telemetryOptions: metricsTelemetry() });
}

/**
 * Builds the worker for the loaded configuration. TEST_MODE uses the simulated broker and replays
 * TEST_MODE_REPLAY_DIR. TEST_MODE=false trades through the real brokers (see createLiveWorkerRuntime).
 */
export async function createWorkerRuntime(opts: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const { bot, env } = opts.config;
  if (!bot.TEST_MODE) return createLiveWorkerRuntime(opts);
  const outputDir = opts.outputDir ?? path.resolve(opts.cwd, 'output');
  const replayFolder = path.resolve(opts.cwd, bot.TEST_MODE_REPLAY_DIR);
  const vixCsvPath = env.VIX_SOURCE && env.VIX_SOURCE.endsWith('.csv') ? path.resolve(opts.cwd, env.VIX_SOURCE) : null;
  const deps = createActivityDeps({ outputDir, startingCash: bot.SIM_STARTING_CASH, vixCsvPath });
  const scheduling = createSchedulingActivities({ bot, replayFolder, broker: 'sim', universe: [] });
  const worker = await createTradingWorker({
    connection: opts.connection,
    client: opts.client,
    mode: 'paper',
    audit: { backupsDir: path.resolve(opts.cwd, 'backups'), env, bot },
    projectDir: opts.cwd,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    accountWorkflowId: opts.accountWorkflowId,
    dataConverter: payloadDataConverter(env),
    deps,
    extraActivities: scheduling,
  });
  return {
    worker,
    replayFolder,
    outputDir,
    description: `TEST_MODE: simulated broker replaying ${replayFolder} at ${bot.TEST_MODE_TIME_COMPRESSION}x; outputs under ${outputDir} (_paper)`,
  };
}

/**
 * The universe of a paper or live worker: SYMBOL_LIST_PATH, which must be set, read by the one symbol list
 * reader (activities/screening/symbolListFile.ts; grammar in domain/screening/symbolList.ts).
 */
export function readSymbolList(cwd: string, file: string): string[] {
  if (file.trim() === '') {
    throw new ConfigError('.env_bot: SYMBOL_LIST_PATH must name a symbol list file for paper and live sessions (TEST_MODE=false)');
  }
  return readSymbolListFile(file, cwd);
}

/**
 * TEST_MODE=false: real brokers. Live endpoints first need a passing dry run for this version and these
 * settings (activities/liveGate.ts); then every enabled broker authenticates before the worker starts
 * (a failure is a hard stop), bars come from Alpaca's data API and VIX from VIX_SOURCE. Outputs go to
 * _live only when an enabled broker trades live and FORCE_PAPER_EXPORT is false, else _paper (domain/routing.ts).
 */
async function createLiveWorkerRuntime(opts: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const { bot, env } = opts.config;
  const outputDir = opts.outputDir ?? path.resolve(opts.cwd, 'output');
  const mode = outputMode(routingFlagsOf(bot));
  const gate = assertLiveGate(outputDir, bot, env);
  const universe = readSymbolList(opts.cwd, bot.SYMBOL_LIST_PATH);
  const time = opts.marketClock ? marketTimeSource(opts.marketClock) : undefined;
  const wiring = await createLiveWiring({ bot, env, cwd: opts.cwd, warn: (m) => console.warn(m), time });
  const deps = createActivityDeps({
    outputDir,
    startingCash: bot.SIM_STARTING_CASH,
    vixCsvPath: null,
    live: {
      async broker(name) {
        // Simulated names never resolve to a real broker.
        const b = isSimulatedBroker(name) ? undefined : wiring.brokers.get(name as RealBrokerName);
        if (!b) throw new ConfigError(`broker ${name} is not enabled on this worker (enabled: ${[...wiring.brokers.keys()].join(', ')})`);
        return b;
      },
      marketData: async () => wiring.marketData,
      vixSeries: () => wiring.vixSeries(),
      readinessProbe: { symbol: universe[0] ?? PROBE_SYMBOL, nowMs: () => time?.now() ?? Date.now() },
    },
  });
  // Every enabled broker trades its own sessions (allocation is per session and broker; docs/risk.md,
  // "Several brokers in one day").
  const scheduling = createSchedulingActivities({ bot, replayFolder: null, broker: wiring.primary, brokers: [...wiring.brokers.keys()], universe });
  let worker: Worker;
  try {
    worker = await createTradingWorker({
      connection: opts.connection,
      client: opts.client,
      mode,
      audit: { backupsDir: path.resolve(opts.cwd, 'backups'), env, bot },
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      accountWorkflowId: opts.accountWorkflowId,
      dataConverter: payloadDataConverter(env),
      deps,
      screeningProvider: wiring.screening,
      projectDir: opts.cwd,
      extraActivities: scheduling,
    });
  } catch (err) {
    await wiring.close();
    throw err;
  }
  return {
    worker,
    replayFolder: null,
    outputDir,
    description: `${mode === 'live' ? 'LIVE' : 'PAPER'}: ${wiring.description}; ${universe.length} symbols from ${bot.SYMBOL_LIST_PATH}; outputs under ${outputDir} (_${mode}); ${gate.message}`,
    close: () => wiring.close(),
  };
}
