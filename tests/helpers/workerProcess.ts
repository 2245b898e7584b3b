// A worker in its own process, so tests can SIGKILL it mid-session. Settings come from the environment.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { FaultInjectingBroker, temporalActivityCall } from '../../activities/broker/faultInjectingBroker';
import type { Broker } from '../../activities/broker/brokerTypes';
import { createTestWorker, quietRuntime } from './tradingDayHarness';

/** Optional broker faults (TB_FAULT_RATE, TB_FAULT_SEED), decided per activity attempt as in the drill. */
function faultWrapper(): ((b: Broker) => Broker) | undefined {
  const rate = Number(process.env.TB_FAULT_RATE ?? '0');
  if (!(rate > 0)) return undefined;
  const seed = Number(process.env.TB_FAULT_SEED ?? '1');
  return (b) => new FaultInjectingBroker(b, { seed, rate, activity: temporalActivityCall });
}

async function main(): Promise<void> {
  quietRuntime();
  const need = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set`);
    return v;
  };
  const connection = await NativeConnection.connect({ address: need('TEMPORAL_TEST_ADDRESS') });
  const client = new Client({ connection: await Connection.connect({ address: need('TEMPORAL_TEST_ADDRESS') }) });
  const worker = await createTestWorker({
    connection,
    client,
    taskQueue: need('TB_TASK_QUEUE'),
    outputDir: need('TB_OUTPUT_DIR'),
    symbols: need('TB_SYMBOLS').split(','),
    wrapBroker: faultWrapper(),
  });
  process.stdout.write('worker-ready\n');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`worker process failed: ${String(err)}\n`);
  process.exit(1);
});
