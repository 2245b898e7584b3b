import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { checkDayOutputs, type Check } from './checks';
import { awaitDay, driveDay, outcomeChecks, type DriveResult } from './controller';
import { REPO_ROOT, drillBotConfig, drillBotOverrides, drillDayInput, drillSchedule, expectedDayMs, type DrillOptions } from './plan';
import { freePort, freshDrillDirs, startDrillDevServer, startWebhookSink, startWorkerProcess, stopGently, type DrillDevServer } from './processes';
import type { DrillWorkerEnv } from './workerProcess';

/*
 * The drill's controller: one dev server on its own SQLite file, one worker process at a time, one
 * TEST_MODE day. It kills the worker and restarts the server at the planned moments, restarts a worker
 * that died on its own, waits for the day, then checks the outputs.
 */

export interface DrillResult {
  readonly kills: number;
  readonly restarts: number;
  readonly faults: number;
  readonly faults_by_kind: Record<string, number>;
  readonly orders: number;
  readonly duplicate_orders: number;
  readonly lost_records: number;
  readonly ledger_balanced: boolean;
  readonly live_paths_touched: number;
  readonly trades: number;
  readonly escalations: number;
  readonly alerts_received: number;
  /** Workers that exited on their own (after a server restart, typically) and were started again. */
  readonly worker_restarts: number;
  readonly day_completed: boolean;
  readonly violations: number;
  readonly seed: number;
  readonly fault_rate: number;
  readonly elapsed_s: number;
}

function countFaults(file: string): Record<string, number> {
  const byKind: Record<string, number> = {};
  if (!fs.existsSync(file)) return byKind;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const kind = String((JSON.parse(line) as { kind?: unknown }).kind);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    } catch {
      // A line torn by a SIGKILL: its fault was injected but the record is incomplete.
      byKind.unrecorded = (byKind.unrecorded ?? 0) + 1;
    }
  }
  return byKind;
}

export async function runDrill(o: DrillOptions, log: (line: string) => void): Promise<{ result: DrillResult; checks: Check[] }> {
  const started = Date.now();
  const dirs = freshDrillDirs(o.outDir, { output: 'output', backups: 'backups', temporal: 'temporal', logs: 'drill' });
  const faultLog = path.join(dirs.logs, 'faults.jsonl');

  const config = drillBotConfig(o);
  const input = drillDayInput(o, config);
  const dayMs = expectedDayMs(input);
  const schedule = drillSchedule(o, dayMs);
  log(`drill seed ${o.seed}: ${o.date} (${o.sessions === 'all' ? 'every session' : `${o.sessions} session`}) on ${o.symbols.length} symbols from ${o.replayDir}`);
  log(`  replay at ${o.speed}x: the sessions end ${(dayMs / 1000).toFixed(0)} s after the start; fault rate ${o.faultRate}`);
  log(`  plan: ${schedule.map((e) => `${e.kind} at +${(e.atMs / 1000).toFixed(1)}s`).join(', ') || 'no kill, no restart'}`);
  log(`  outputs, journal and SQLite under ${o.outDir}`);

  const sink = await startWebhookSink(path.join(dirs.logs, 'alerts_received.log'));
  const port = await freePort();
  const uiPort = await freePort();
  const address = `127.0.0.1:${port}`;
  const dbFile = path.join(dirs.temporal, 'temporal.sqlite');
  const startServer = (): Promise<DrillDevServer> =>
    startDrillDevServer({ port, uiPort, dbFile, logFile: path.join(dirs.logs, 'temporal_server.log') });
  let server = await startServer();
  const taskQueue = `drill-${o.seed}`;
  const workerEnv: DrillWorkerEnv = {
    TB_DRILL_ADDRESS: address,
    TB_DRILL_TASK_QUEUE: taskQueue,
    TB_DRILL_OUTPUT_DIR: dirs.output,
    TB_DRILL_BACKUPS_DIR: dirs.backups,
    TB_DRILL_SYMBOLS: o.symbols.join(','),
    TB_DRILL_VIX_CSV: o.vixCsv ?? '',
    TB_DRILL_BOT_OVERRIDES: JSON.stringify(drillBotOverrides(o)),
    TB_DRILL_FAULT_SEED: String(o.seed),
    TB_DRILL_FAULT_RATE: String(o.faultRate),
    TB_DRILL_FAULT_LOG: faultLog,
    TB_DRILL_ALERT_WEBHOOK_URL: sink.url,
  };
  let workerCount = 0;
  const startWorker = () =>
    startWorkerProcess(path.join(__dirname, 'workerProcess.ts'), { ...workerEnv }, {
      cwd: REPO_ROOT,
      logFile: path.join(dirs.logs, `worker_${++workerCount}.log`),
    });
  const workers = { current: await startWorker() };
  // Never leave a worker behind, however the drill ends (the dev server has its own exit hook).
  const killOnExit = () => workers.current.child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  let driven: DriveResult;
  try {
    const handle = await client.workflow.start(tradingDayWorkflow, { taskQueue, workflowId: `drill-${o.seed}-${o.date}`, args: [input] });
    const t0 = Date.now();
    const deadline = t0 + dayMs * 2 + 180_000 + schedule.length * 30_000;
    driven = await driveDay({
      schedule,
      t0,
      day: awaitDay(handle, deadline),
      workers,
      startWorker,
      restartServer: async () => {
        await server.stop();
        server = await startServer();
      },
      log,
    });
  } finally {
    await stopGently(workers.current);
    process.removeListener('exit', killOnExit);
    await connection.close();
    await server.stop();
    await sink.close();
  }
  const { completed, checks: outcome } = outcomeChecks(driven, o);
  const { kills, restarts, workerRestarts } = driven;
  const { checks, figures } = checkDayOutputs({
    outputDir: dirs.output,
    mode: 'paper',
    date: o.date,
    config,
    watchedDirs: [path.join(REPO_ROOT, 'output')],
    sinceMs: started,
    alertsEnabled: true,
  });
  const all = [...outcome, ...checks];
  const faultsByKind = countFaults(faultLog);
  const result: DrillResult = {
    kills: completed ? kills : 0,
    restarts: completed ? restarts : 0,
    faults: Object.values(faultsByKind).reduce((s, n) => s + n, 0),
    faults_by_kind: faultsByKind,
    orders: figures.orders,
    duplicate_orders: figures.duplicateOrders,
    lost_records: figures.lostRecords,
    ledger_balanced: figures.ledgerBalanced,
    live_paths_touched: figures.livePathsTouched,
    trades: figures.trades,
    escalations: figures.escalations,
    alerts_received: sink.received().length,
    worker_restarts: workerRestarts,
    day_completed: completed,
    violations: all.filter((c) => !c.ok).length,
    seed: o.seed,
    fault_rate: o.faultRate,
    elapsed_s: Math.round((Date.now() - started) / 100) / 10,
  };
  return { result, checks: all };
}
