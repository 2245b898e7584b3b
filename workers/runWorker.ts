import path from 'node:path';
import type { LoadedConfig } from '../activities/config/loadConfig';
import { connectClient, connectWorkerConnection } from './temporal/connection';
import { SCHEDULE_ID } from './temporal/schedule';
import { outputMode, routingFlagsOf } from '../domain/routing';
import { dayWorkflowId, stopSignal } from '../workflows/tradingDayApi';
import { watchControlFiles } from './controlFiles';
import { SHUTDOWN_GRACE_TIME_MS } from './createWorker';
import { refuseSecondTradingHost } from './singleTradingWorker';
import { createWorkerRuntime, installRuntimeLogging } from './workerRuntime';

/** Runs the worker until SIGINT/SIGTERM, honouring the control files in CONTROL_DIR. */
export async function runWorkerProcess(config: LoadedConfig, cwd: string, log: (s: string) => void): Promise<void> {
  installRuntimeLogging(config.bot.DEBUG_LOG_LEVEL);
  const connection = await connectWorkerConnection(config.env);
  const client = await connectClient(config.env);
  try {
    await refuseSecondTradingHost(client, { namespace: config.env.TEMPORAL_NAMESPACE, taskQueue: config.env.TEMPORAL_TASK_QUEUE });
  } catch (err) {
    await client.connection.close();
    await connection.close();
    throw err;
  }
  const runtime = await createWorkerRuntime({ config, cwd, connection, client });
  log(runtime.description);
  log(`worker polling task queue ${config.env.TEMPORAL_TASK_QUEUE} on ${config.env.TEMPORAL_ADDRESS} (namespace ${config.env.TEMPORAL_NAMESPACE})`);
  const controlDir = path.resolve(cwd, config.env.CONTROL_DIR || 'output/control');
  const stopWatching = watchControlFiles(
    controlDir,
    async (action, note) => {
      if (action === 'start') {
        await client.schedule.getHandle(SCHEDULE_ID).trigger();
      } else {
        const mode = outputMode(routingFlagsOf(config.bot));
        const id = dayWorkflowId(mode, new Date().toISOString().slice(0, 10));
        await client.workflow.getHandle(id).signal(stopSignal, { by: 'control_stop.txt', reason: note || undefined });
      }
    },
    // SLEEP_TIME is the pause of the worker's one polling loop.
    { log, intervalMs: config.bot.SLEEP_TIME },
  );
  log(`control files: ${path.join(controlDir, 'control_start.txt')} and control_stop.txt, looked for every ${config.bot.SLEEP_TIME / 1000} s`);
  // The SDK's runtime shuts the worker down on these signals; this only says so.
  const stopAnnouncing = announceShutdownSignals(log);
  try {
    await runtime.worker.run();
    log('worker shut down: in-flight activities finished or were handed back to the server for retry');
  } finally {
    stopAnnouncing();
    stopWatching();
    await runtime.close?.();
    await client.connection.close();
    await connection.close();
  }
}

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

function announceShutdownSignals(log: (s: string) => void): () => void {
  const announce = (signal: NodeJS.Signals) =>
    log(`${signal} received: worker shutting down; in-flight activities have ${SHUTDOWN_GRACE_TIME_MS / 1000}s to finish, then the server retries them`);
  for (const s of SHUTDOWN_SIGNALS) process.once(s, announce);
  return () => {
    for (const s of SHUTDOWN_SIGNALS) process.off(s, announce);
  };
}
