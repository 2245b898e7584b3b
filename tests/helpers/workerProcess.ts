// A worker in its own process, so tests can SIGKILL it mid-session. Settings come from the environment.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createTestWorker, quietRuntime } from './tradingDayHarness';

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
  });
  process.stdout.write('worker-ready\n');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`worker process failed: ${String(err)}\n`);
  process.exit(1);
});
