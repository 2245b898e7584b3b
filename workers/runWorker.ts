import path from 'node:path';
import type { LoadedConfig } from '../activities/config/loadConfig';
import { connectClient, connectWorkerConnection } from '../scripts/temporal/connection';
import { SCHEDULE_ID } from '../scripts/temporal/schedule';
import { outputMode, routingFlagsOf } from '../domain/routing';
import { dayWorkflowId, stopSignal } from '../workflows/tradingDayApi';
import { watchControlFiles } from './controlFiles';
import { createWorkerRuntime, installRuntimeLogging } from './workerRuntime';

/** Runs the worker until SIGINT/SIGTERM, honouring the control files in CONTROL_DIR. */
export async function runWorkerProcess(config: LoadedConfig, cwd: string, log: (s: string) => void): Promise<void> {
  installRuntimeLogging(config.bot.DEBUG_LOG_LEVEL);
  const connection = await connectWorkerConnection(config.env);
  const client = await connectClient(config.env);
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
    { log },
  );
  log(`control files: ${path.join(controlDir, 'control_start.txt')} and control_stop.txt`);
  try {
    await runtime.worker.run();
  } finally {
    stopWatching();
    await client.connection.close();
    await connection.close();
  }
}
