import path from 'node:path';
import { connectClient, connectWorkerConnection } from '../../workers/temporal/connection';
import { ensureDevServer } from '../temporal/devServer';
import { replayInput } from '../../activities/schedulingActivities';
import { createWorkerRuntime, installRuntimeLogging } from '../../workers/workerRuntime';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { numberOption, UsageError, type OptionValues } from './args';
import { leafCommand, type CommandIo, type Writable } from './command';
import { watchDayProgress } from './dayProgress';
import { PROJECT_DIR, dateOption, dayIdFor, loadProjectConfig, symbolList } from './shared';
import { SIMULATED_BROKERS, isSimulatedBroker } from '../../domain/vocabulary';
import { COMMAND_SUMMARIES } from './catalog';

const DAY_OPTIONS = {
  date: { type: 'string', value: 'YYYY-MM-DD', description: 'the day to replay (default: today, UTC)' },
  replay: { type: 'string', value: 'DIR', description: 'minute-bar CSV folder (default: TEST_MODE_REPLAY_DIR)' },
  speed: { type: 'string', value: 'N', description: 'market minutes per real minute, 1 to 100000 (default: TEST_MODE_TIME_COMPRESSION)' },
  symbols: { type: 'string', value: 'A,B', description: 'replay only these symbols' },
  brokers: { type: 'string', value: 'LIST', description: 'simulated accounts, each running every session: sim, sim-alpaca, sim-ibkr (default: sim)' },
  'no-worker': { type: 'boolean', description: 'do not run a worker in this process (one is running elsewhere)' },
  detach: { type: 'boolean', description: 'return once the day has started' },
  emulator: { type: 'boolean', description: 'paper rehearsal instead: TEST_MODE=false through the real broker adapters against the local emulator' },
  broker: { type: 'string', value: 'LIST', description: 'with --emulator: the paper brokers, alpaca, ibkr or alpaca,ibkr (default: alpaca)' },
  seed: { type: 'string', value: 'S', description: "with --emulator: the emulator's fault and latency seed (default 1)" },
  json: { type: 'boolean', description: 'with --emulator: print the report as JSON' },
} as const;

/**
 * `day`: runs one trading day now. TEST_MODE replays the folder at N market minutes per real minute, at one
 * simulated account (`sim`) or several, each running every session. With `--emulator` it is the paper
 * rehearsal instead (emulatorDay.ts). Without --no-worker it runs a worker in this process, so one
 * command is enough.
 */
export const dayCommand = leafCommand({ name: 'day', summary: COMMAND_SUMMARIES.day, options: DAY_OPTIONS }, runDay);

async function runDay({ values }: { values: OptionValues<typeof DAY_OPTIONS> }, io: CommandIo): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const date = dateOption(values.date);
  const config = await loadProjectConfig();
  const replay = path.resolve(PROJECT_DIR, values.replay ?? config.bot.TEST_MODE_REPLAY_DIR);
  const speed = numberOption('speed', values.speed, (n) => n >= 1 && n <= 100000, 'a number from 1 to 100000') ?? config.bot.TEST_MODE_TIME_COMPRESSION;
  const symbols = symbolList(values.symbols);
  if (values.emulator && values.brokers !== undefined) throw new UsageError('--brokers names simulated accounts of a TEST_MODE replay; a paper rehearsal takes --broker alpaca,ibkr');
  if (values.emulator) return runEmulatorDayCommand({ config, date, replay, speed, symbols, seedText: values.seed, brokerText: values.broker, json: values.json === true, out });
  if (values.seed !== undefined || values.json || values.broker !== undefined) throw new UsageError('--seed, --broker and --json go with --emulator (a TEST_MODE replay takes --brokers)');
  if (!config.bot.TEST_MODE) throw new UsageError('day runs a TEST_MODE replay; set TEST_MODE=true in .env_bot, or rehearse a paper day with --emulator');
  const brokers = (values.brokers ?? 'sim').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = brokers.filter((b) => !isSimulatedBroker(b));
  if (brokers.length === 0 || unknown.length > 0) {
    throw new UsageError(`--brokers=${values.brokers ?? ''}: a replay trades at simulated accounts only: ${SIMULATED_BROKERS.join(', ')}`);
  }

  const server = await ensureDevServer({ address: config.env.TEMPORAL_ADDRESS, log: (s) => out.write(`${s}\n`) });
  const client = await connectClient(config.env);
  const workflowId = dayIdFor(config, date);
  let stopWorker = async () => undefined as void;
  try {
    if (!values['no-worker']) {
      installRuntimeLogging(config.bot.DEBUG_LOG_LEVEL);
      const connection = await connectWorkerConnection(config.env);
      const runtime = await createWorkerRuntime({ config, cwd: PROJECT_DIR, connection, client });
      const running = runtime.worker.run();
      stopWorker = async () => {
        runtime.worker.shutdown();
        await running;
        await connection.close();
      };
      out.write(`${runtime.description}\n`);
    }
    const input = replayInput(config.bot, date, replay, symbols, speed, brokers as ('sim' | 'sim-alpaca' | 'sim-ibkr')[]);
    const handle = await client.workflow.start(tradingDayWorkflow, {
      taskQueue: config.env.TEMPORAL_TASK_QUEUE,
      workflowId,
      // One day per date, even after the first run has finished.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [input],
    });
    out.write(`started ${workflowId}: replaying ${date} from ${replay} at ${speed}x\n`);
    out.write(`watch it: ${server.uiUrl}/namespaces/${config.env.TEMPORAL_NAMESPACE}/workflows/${workflowId}\n`);
    if (values.detach) return 0;
    const stopWatching = watchDayProgress(handle, out);
    const summary = await handle.result().finally(stopWatching);
    out.write(`${JSON.stringify(summary, null, 2)}\n`);
    return summary.halted ? 1 : 0;
  } finally {
    await stopWorker();
    await client.connection.close();
    if (server.started && !values.detach) await server.stop();
  }
}

/** `day --emulator`: the paper rehearsal, in this process (emulator, worker and day), then its report. */
async function runEmulatorDayCommand(a: {
  config: Awaited<ReturnType<typeof loadProjectConfig>>;
  date: string;
  replay: string;
  speed: number;
  symbols: string[];
  seedText: string | undefined;
  brokerText: string | undefined;
  json: boolean;
  out: Writable;
}): Promise<number> {
  // Loaded only here: the emulator is not part of a normal day's start-up.
  const { paperBrokerList, rehearsalPassed, rehearsalText, runRehearsalDay } = await import('./emulatorDay');
  const seed = numberOption('seed', a.seedText, Number.isInteger, 'an integer') ?? 1;
  const brokers = paperBrokerList(a.brokerText);
  const json = a.json;
  const log = (line: string) => (json ? process.stderr : a.out).write(`${line}\n`);
  installRuntimeLogging(a.config.bot.DEBUG_LOG_LEVEL);
  const server = await ensureDevServer({ address: a.config.env.TEMPORAL_ADDRESS, log });
  const client = await connectClient(a.config.env);
  try {
    const outputDir = path.resolve(PROJECT_DIR, 'output', 'rehearsal', `${a.date}-${Date.now()}`);
    const report = await runRehearsalDay({ config: a.config, projectDir: PROJECT_DIR, client, date: a.date, replayDir: a.replay, speed: a.speed, symbols: a.symbols, seed, outputDir, log, brokers });
    a.out.write(json ? `${JSON.stringify(report)}\n` : rehearsalText(report));
    return rehearsalPassed(report) ? 0 : 1;
  } finally {
    await client.connection.close();
    if (server.started) await server.stop();
  }
}
