import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogLevel, type NativeConnection, type Worker } from '@temporalio/worker';
import type { LoadedConfig } from '../activities/config/loadConfig';
import { ConfigError } from '../domain/config/configError';
import { createActivityDeps } from '../activities/replayDeps';
import { createSchedulingActivities } from '../activities/schedulingActivities';
import { createTradingWorker } from './createWorker';

export interface WorkerRuntimeOptions {
  readonly config: LoadedConfig;
  /** Project folder: relative paths in the config are resolved against it. */
  readonly cwd: string;
  readonly connection: NativeConnection;
  /** Client for the account activities' updates. */
  readonly client: Client;
  readonly outputDir?: string;
}

export interface WorkerRuntime {
  readonly worker: Worker;
  readonly replayFolder: string | null;
  readonly outputDir: string;
  readonly description: string;
}

let runtimeInstalled = false;

/** Worker logs follow DEBUG_LOG_LEVEL: quiet shows warnings and errors only. Call before any connection. */
export function installRuntimeLogging(level: 'quiet' | 'info' | 'verbose'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const map: Record<typeof level, LogLevel> = { quiet: 'WARN', info: 'INFO', verbose: 'DEBUG' };
  Runtime.install({ logger: new DefaultLogger(map[level]) });
}

/**
 * Builds the worker for the loaded configuration. TEST_MODE uses the simulated broker and replays
 * TEST_MODE_REPLAY_DIR. Real brokers (Alpaca, IBKR) arrive with their adapters; until then a config
 * with TEST_MODE=false is refused here with a clear message rather than trading blind.
 */
export async function createWorkerRuntime(opts: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const { bot, env } = opts.config;
  if (!bot.TEST_MODE) {
    throw new ConfigError([
      '.env_bot: TEST_MODE=false needs a real broker adapter (Alpaca/IBKR), which this version does not have yet; ' +
        'set TEST_MODE=true to run with the simulated broker',
    ]);
  }
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
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
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
