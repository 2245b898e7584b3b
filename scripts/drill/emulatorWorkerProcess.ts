// The emulator drill's worker, in its own process so that the drill can SIGKILL it. It is the production
// wiring (createWorkerRuntime with TEST_MODE=false: the real AlpacaBroker, bar source and Finnhub client),
// configured as the paper rehearsal configures it; nothing here injects faults (the emulator does, over HTTP).
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { liveClock, type ReplayClock } from '../../domain/time/replayClock';
import { createWorkerRuntime, installRuntimeLogging } from '../../workers/workerRuntime';
import { KEY_ID_VAR, SECRET_VAR, SETTINGS_VAR, emulatorDrillConfig, type EmulatorWorkerSettings } from './emulatorPlan';

function need(k: string): string {
  const v = process.env[k];
  if (v === undefined || v === '') throw new Error(`${k} is not set (this process is started by scripts/drill.ts --emulator)`);
  return v;
}

/** The day's clock once the drill has written it; the wall clock before (start-up checks only). */
function marketClockFrom(file: string): () => ReplayClock {
  let clock: ReplayClock | null = null;
  return () => {
    if (clock === null && fs.existsSync(file)) clock = JSON.parse(fs.readFileSync(file, 'utf8')) as ReplayClock;
    return clock ?? liveClock();
  };
}

async function main(): Promise<void> {
  const settings = JSON.parse(need(SETTINGS_VAR)) as EmulatorWorkerSettings;
  const keys = { keyId: need(KEY_ID_VAR), secret: need(SECRET_VAR) };
  // The keys stay in this process's memory: drop them from the environment before anything can log it.
  delete process.env[KEY_ID_VAR];
  delete process.env[SECRET_VAR];
  const config = emulatorDrillConfig(settings, keys);
  installRuntimeLogging('quiet');
  const connection = await NativeConnection.connect({ address: settings.address });
  const client = new Client({ connection: await Connection.connect({ address: settings.address }) });
  const runtime = await createWorkerRuntime({
    config,
    cwd: settings.projectDir,
    connection,
    client,
    outputDir: settings.outputDir,
    accountWorkflowId: settings.accountWorkflowId,
    marketClock: marketClockFrom(settings.clockFile),
  });
  process.stderr.write(`${runtime.description}\n`);
  process.stdout.write('worker-ready\n');
  await runtime.worker.run();
  await runtime.close?.();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`drill worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
