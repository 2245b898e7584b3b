import path from 'node:path';
import { connectClient, connectWorkerConnection } from '../temporal/connection';
import { ensureDevServer } from '../temporal/devServer';
import { replayInput } from '../../activities/schedulingActivities';
import { SIMULATED_BROKERS, isSimulatedBroker } from '../../domain/trades/tradeRecord';
import { createWorkerRuntime, installRuntimeLogging } from '../../workers/workerRuntime';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { PROJECT_DIR, UsageError, dateFlag, dayIdFor, loadProjectConfig, parseArgs, stringFlag } from './shared';

/**
 * `day --date YYYY-MM-DD [--replay <folder>] [--speed N] [--symbols A,B] [--brokers sim-alpaca,sim-ibkr]
 * [--no-worker] [--detach]`: runs one trading day now. With `--emulator [--seed S] [--json]` it is the paper
 * rehearsal instead (emulatorDay.ts): TEST_MODE=false against the local market emulator. TEST_MODE replays the folder at N market minutes per
 * real minute, at one simulated account (`sim`) or several, each running every session.
 * Without --no-worker it runs a worker in this process, so one command is enough.
 */
export async function runDayCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { flags } = parseArgs(argv);
  const config = await loadProjectConfig();
  const date = dateFlag(flags);
  const replay = path.resolve(PROJECT_DIR, stringFlag(flags, 'replay') ?? config.bot.TEST_MODE_REPLAY_DIR);
  const speedText = stringFlag(flags, 'speed');
  const speed = speedText === undefined ? config.bot.TEST_MODE_TIME_COMPRESSION : Number(speedText);
  if (!(speed >= 1 && speed <= 100000)) throw new UsageError(`--speed=${speedText} must be a number from 1 to 100000`);
  const symbols = (stringFlag(flags, 'symbols') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (flags.has('emulator')) return runEmulatorDayCommand({ config, date, replay, speed, symbols, flags, out });
  if (!config.bot.TEST_MODE) throw new UsageError('day runs a TEST_MODE replay; set TEST_MODE=true in .env_bot, or rehearse a paper day with --emulator');
  const brokers = (stringFlag(flags, 'brokers') ?? 'sim').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = brokers.filter((b) => !isSimulatedBroker(b));
  if (brokers.length === 0 || unknown.length > 0) {
    throw new UsageError(`--brokers=${stringFlag(flags, 'brokers') ?? ''}: a replay trades at simulated accounts only: ${SIMULATED_BROKERS.join(', ')}`);
  }

  const server = await ensureDevServer({ address: config.env.TEMPORAL_ADDRESS, log: (s) => out.write(`${s}\n`) });
  const client = await connectClient(config.env);
  const workflowId = dayIdFor(config, date);
  let stopWorker = async () => undefined as void;
  try {
    if (!flags.has('no-worker')) {
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
    if (flags.has('detach')) return 0;
    const summary = await handle.result();
    out.write(`${JSON.stringify(summary, null, 2)}\n`);
    return summary.halted ? 1 : 0;
  } finally {
    await stopWorker();
    await client.connection.close();
    if (server.started && !flags.has('detach')) await server.stop();
  }
}

/** `day --emulator`: the paper rehearsal, in this process (emulator, worker and day), then its report. */
async function runEmulatorDayCommand(a: {
  config: Awaited<ReturnType<typeof loadProjectConfig>>;
  date: string;
  replay: string;
  speed: number;
  symbols: string[];
  flags: Map<string, string | true>;
  out: NodeJS.WritableStream;
}): Promise<number> {
  // Loaded only here: the emulator is not part of a normal day's start-up.
  const { rehearsalPassed, rehearsalText, runRehearsalDay } = await import('./emulatorDay');
  const seedText = stringFlag(a.flags, 'seed') ?? '1';
  const seed = Number(seedText);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed=${seedText} must be an integer`);
  const json = a.flags.has('json');
  const log = (line: string) => (json ? process.stderr : a.out).write(`${line}\n`);
  installRuntimeLogging(a.config.bot.DEBUG_LOG_LEVEL);
  const server = await ensureDevServer({ address: a.config.env.TEMPORAL_ADDRESS, log });
  const client = await connectClient(a.config.env);
  try {
    const outputDir = path.resolve(PROJECT_DIR, 'output', 'rehearsal', `${a.date}-${Date.now()}`);
    const report = await runRehearsalDay({ config: a.config, projectDir: PROJECT_DIR, client, date: a.date, replayDir: a.replay, speed: a.speed, symbols: a.symbols, seed, outputDir, log });
    a.out.write(json ? `${JSON.stringify(report)}\n` : rehearsalText(report));
    return rehearsalPassed(report) ? 0 : 1;
  } finally {
    await client.connection.close();
    if (server.started) await server.stop();
  }
}
