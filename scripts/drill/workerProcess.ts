// The drill's worker, in its own process so that the drill can SIGKILL it. Settings come from the
// environment the drill sets; the fault-injecting broker exists only here, never in the production worker.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { FaultInjectingBroker, temporalActivityCall } from '../../activities/broker/faultInjectingBroker';
import type { Broker } from '../../activities/broker/brokerTypes';
import { appendDurable } from '../../activities/outputs/atomicFile';
import { createActivityDeps } from '../../activities/replayDeps';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig, envConfigSchema } from '../../domain/config/envSchema';
import { createTradingWorker } from '../../workers/createWorker';

/** Environment variables the drill passes to its worker process. */
export interface DrillWorkerEnv {
  TB_DRILL_ADDRESS: string;
  TB_DRILL_TASK_QUEUE: string;
  TB_DRILL_OUTPUT_DIR: string;
  TB_DRILL_BACKUPS_DIR: string;
  TB_DRILL_SYMBOLS: string;
  TB_DRILL_VIX_CSV: string;
  TB_DRILL_BOT_OVERRIDES: string;
  TB_DRILL_FAULT_SEED: string;
  TB_DRILL_FAULT_RATE: string;
  TB_DRILL_FAULT_LOG: string;
  TB_DRILL_ALERT_WEBHOOK_URL: string;
}

function need(k: keyof DrillWorkerEnv): string {
  const v = process.env[k];
  if (v === undefined) throw new Error(`${k} is not set (this process is started by scripts/drill.ts)`);
  return v;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = need('TB_DRILL_ADDRESS');
  const outputDir = need('TB_DRILL_OUTPUT_DIR');
  const bot = botConfigSchema.parse(JSON.parse(need('TB_DRILL_BOT_OVERRIDES')) as Record<string, string>);
  const webhook = need('TB_DRILL_ALERT_WEBHOOK_URL');
  // Default .env (no broker keys, no SMTP); alerts go to the drill's local webhook, which records them.
  const env = webhook ? envConfigSchema.parse({ ALERT_WEBHOOK_URL: webhook }) : defaultEnvConfig();
  const faultLog = need('TB_DRILL_FAULT_LOG');
  const seed = Number(need('TB_DRILL_FAULT_SEED'));
  const rate = Number(need('TB_DRILL_FAULT_RATE'));

  const base = createActivityDeps({
    outputDir,
    startingCash: 100_000,
    vixCsvPath: need('TB_DRILL_VIX_CSV') || null,
    symbols: need('TB_DRILL_SYMBOLS').split(','),
  });
  // One decorator per broker instance (its fault count and call numbering belong to that broker).
  const wrapped = new WeakMap<Broker, Broker>();
  const deps = {
    ...base,
    async broker(...args: Parameters<typeof base.broker>): Promise<Broker> {
      const inner = await base.broker(...args);
      let b = wrapped.get(inner);
      if (!b) {
        b = new FaultInjectingBroker(inner, {
          seed,
          rate,
          activity: temporalActivityCall,
          onFault: (f) => appendDurable(faultLog, `${JSON.stringify({ ...f, pid: process.pid, at: new Date().toISOString() })}\n`),
        });
        wrapped.set(inner, b);
      }
      return b;
    },
  };

  const connection = await NativeConnection.connect({ address });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const worker = await createTradingWorker({
    connection,
    client,
    mode: 'paper',
    accountWorkflowId: 'drill-account-paper',
    audit: { backupsDir: need('TB_DRILL_BACKUPS_DIR'), env, bot },
    namespace: 'default',
    taskQueue: need('TB_DRILL_TASK_QUEUE'),
    deps,
  });
  process.stdout.write('worker-ready\n');
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`drill worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
