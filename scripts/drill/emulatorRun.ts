import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import type { ReplayClock } from '../../domain/time/replayClock';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { rehearsalClock, rehearsalDayInput, rehearsalReport, rehearsalUniverse } from '../commands/emulatorDay';
import { startEmulator } from '../emulator';
import { checkDayOutputs, type Check } from './checks';
import { awaitDay, driveDay, outcomeChecks, type DriveResult } from './controller';
import { emulatorBrokerOrders, filesHolding, paperDayChecks, paperDayFields, repeatedSubmissions, type PaperDayFields } from './emulatorChecks';
import { KEY_ID_VAR, SECRET_VAR, SETTINGS_VAR, emulatorBotOverrides, emulatorDrillConfig, emulatorFaults, faultsByKind, fundFacts, type EmulatorWorkerSettings } from './emulatorPlan';
import { REPO_ROOT, dayLengthMs, drillSchedule, type DrillOptions } from './plan';
import { freePort, freshDrillDirs, startDrillDevServer, startWebhookSink, startWorkerProcess, stopGently, type DrillDevServer } from './processes';
import type { DrillResult } from './run';

/*
 * The emulator drill's controller: the market emulator in this process (it outlives every worker kill and
 * server restart, and its virtual clock keeps running through them), a dev server on its own SQLite file,
 * one production-wired paper worker process at a time, one TEST_MODE=false day on the emulator's clock.
 * The kills, restarts and checks are the TEST_MODE drill's; the faults are the emulator's, over HTTP.
 */

export interface EmulatorDrillResult extends Omit<DrillResult, 'escalations'>, PaperDayFields {
  readonly emulator: true;
  /** Client order ids posted again after a lost answer (refused by the emulator, 422). */
  readonly repeated_submissions: number;
  readonly worker_start_failures: number;
  /** Worker SIGKILLs while the broker held a bot position: each such position must still end flat and recorded. */
  readonly kills_holding_positions: number;
}

/** Market time the emulator holds, paused, until the first worker is ready: 3 real seconds ahead of the first session's lead. */
function pausedMarketMs(o: DrillOptions, universe: readonly string[]): number {
  // Only the market instant is used; the real anchor is set when the day starts.
  const lead = rehearsalClock({ bot: botConfigSchema.parse(emulatorBotOverrides(o)) }, o.date, o.replayDir, universe, o.speed, Date.now());
  return lead.anchorMarketMs - 3000 * o.speed;
}

export async function runEmulatorDrill(o: DrillOptions, log: (line: string) => void): Promise<{ result: EmulatorDrillResult; checks: Check[] }> {
  const started = Date.now();
  const dirs = freshDrillDirs(o.outDir, { output: 'output', project: 'project', temporal: 'temporal', logs: 'drill' });
  const universe = rehearsalUniverse(o.replayDir, o.date, o.symbols);
  const symbolsFile = path.join(dirs.project, 'symbols.txt');
  fs.writeFileSync(symbolsFile, `${universe.join('\n')}\n`);
  const factsFile = path.join(dirs.project, 'facts.json');
  fs.writeFileSync(factsFile, `${JSON.stringify(fundFacts(universe), null, 2)}\n`);
  const journalPath = path.join(dirs.logs, 'emulator-journal.jsonl');
  // Fresh keys per drill: they exist only in this process, the emulator and the workers' memory.
  const keys = { keyId: `EMU${crypto.randomBytes(8).toString('hex').toUpperCase()}`, secret: crypto.randomBytes(24).toString('base64url') };

  const startMarketMs = pausedMarketMs(o, universe);
  const planBot = botConfigSchema.parse(emulatorBotOverrides(o));
  const dayMs = dayLengthMs(planBot, o.date, startMarketMs, o.speed);
  const schedule = drillSchedule(o, dayMs);
  log(`emulator drill seed ${o.seed}: paper day ${o.date} (${o.sessions === 'all' ? 'every session' : `${o.sessions} session`}) on ${universe.length} symbols from ${o.replayDir}`);
  log(`  TEST_MODE=false, ALPACA_MODE=paper, the real Alpaca adapter against the market emulator at ${o.speed}x: the sessions end ${(dayMs / 1000).toFixed(0)} s after the start`);
  log(`  broker faults at the emulator: rate ${o.faultRate} (500, 429, timeout, dropped answer; trading API)`);
  log(`  plan: ${schedule.map((e) => `${e.kind} at +${(e.atMs / 1000).toFixed(1)}s`).join(', ') || 'no kill, no restart'}`);
  log(`  outputs, emulator journal, logs and SQLite under ${o.outDir}`);

  // Paused (speed 0) until the first worker is up: the market must not run while nobody can trade.
  const emulator = await startEmulator({
    replayDir: o.replayDir,
    date: o.date,
    clock: { anchorRealMs: Date.now(), anchorMarketMs: startMarketMs, speed: 0 },
    port: 0,
    seed: o.seed,
    ...keys,
    journalPath,
    factsFile,
    ...(o.vixCsv ? { vixCsvPath: o.vixCsv } : {}),
  });
  const sink = await startWebhookSink(path.join(dirs.logs, 'alerts_received.log'));
  const port = await freePort();
  const uiPort = await freePort();
  const address = `127.0.0.1:${port}`;
  const startServer = (): Promise<DrillDevServer> =>
    startDrillDevServer({ port, uiPort, dbFile: path.join(dirs.temporal, 'temporal.sqlite'), logFile: path.join(dirs.logs, 'temporal_server.log') });
  let server: DrillDevServer | null = null;
  const settings: EmulatorWorkerSettings = {
    address,
    taskQueue: `drill-emulator-${o.seed}`,
    projectDir: dirs.project,
    outputDir: dirs.output,
    accountWorkflowId: `drill-emulator-account-${o.seed}`,
    botOverrides: emulatorBotOverrides(o),
    urls: { tradingUrl: emulator.tradingUrl, dataUrl: emulator.dataUrl, finnhubUrl: emulator.finnhubUrl, vixUrl: emulator.vixUrl },
    symbolsFile,
    alertWebhookUrl: sink.url,
    clockFile: path.join(dirs.project, 'market-clock.json'),
  };
  const config = emulatorDrillConfig(settings, keys);
  let workerCount = 0;
  const startWorker = () =>
    startWorkerProcess(path.join(__dirname, 'emulatorWorkerProcess.ts'), { [SETTINGS_VAR]: JSON.stringify(settings), [KEY_ID_VAR]: keys.keyId, [SECRET_VAR]: keys.secret }, {
      cwd: REPO_ROOT,
      logFile: path.join(dirs.logs, `worker_${++workerCount}.log`),
    });

  let driven: DriveResult;
  try {
    server = await startServer();
    const workers = { current: await startWorker() };
    // Never leave a worker behind, however the drill ends (the dev server has its own exit hook).
    const killOnExit = () => workers.current.child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: 'default' });
    try {
      const clock: ReplayClock = { anchorRealMs: Date.now(), anchorMarketMs: startMarketMs, speed: o.speed };
      emulator.setClock(clock);
      fs.writeFileSync(settings.clockFile, JSON.stringify(clock));
      // Faults from the day's start: the first worker's start-up checks ran clean, later workers' do not.
      if (o.faultRate > 0) emulator.setFaults(emulatorFaults(o.faultRate));
      const handle = await client.workflow.start(tradingDayWorkflow, {
        taskQueue: settings.taskQueue,
        workflowId: `drill-emulator-${o.seed}-${o.date}`,
        args: [rehearsalDayInput(config, o.date, universe, clock)],
      });
      const t0 = clock.anchorRealMs;
      driven = await driveDay({
        schedule,
        t0,
        day: awaitDay(handle, t0 + dayMs * 2 + 180_000 + schedule.length * 30_000),
        workers,
        startWorker,
        restartServer: async () => {
          await server?.stop();
          server = await startServer();
        },
        log,
        // A paper worker authenticates at start-up, and an injected fault there stops it: try again.
        startAttempts: 5,
        heldPositions: () => emulator.positions().filter((p) => p.qty !== 0).length,
      });
    } finally {
      await stopGently(workers.current);
      process.removeListener('exit', killOnExit);
      await connection.close();
    }
  } finally {
    await server?.stop();
    await sink.close();
    emulator.resetFaults();
  }

  const report = driven.outcome.ok ? rehearsalReport({ config, date: o.date, outputDir: dirs.output, speed: o.speed, replayDir: o.replayDir }, emulator, driven.outcome.summary, journalPath) : null;
  const stats = emulator.stats();
  const orders = emulator.orders();
  const repeated = repeatedSubmissions(emulator.journal());
  await emulator.close();

  const { completed, checks: outcome } = outcomeChecks(driven, o);
  const { checks, figures } = checkDayOutputs({
    outputDir: dirs.output,
    mode: 'paper',
    date: o.date,
    config: config.bot,
    watchedDirs: [path.join(REPO_ROOT, 'output')],
    sinceMs: started,
    alertsEnabled: true,
    brokerOrders: emulatorBrokerOrders(orders),
  });
  const paper = paperDayFields(report, stats, figures.escalations);
  const leaked = filesHolding(o.outDir, [keys.keyId, keys.secret]);
  const keyCheck: Check = {
    name: "the emulator's keys are in no file (outputs, logs, journal, Temporal's SQLite)",
    ok: leaked.length === 0,
    detail: leaked.length === 0 ? `none under ${o.outDir}` : leaked.join(', '),
  };
  const all = [...outcome, ...checks, ...paperDayChecks(paper, repeated), keyCheck];
  const faults = faultsByKind(stats.faultsInjected);
  const result: EmulatorDrillResult = {
    emulator: true,
    kills: completed ? driven.kills : 0,
    kills_holding_positions: completed ? driven.killsHoldingPositions : 0,
    restarts: completed ? driven.restarts : 0,
    faults: Object.values(faults).reduce((s, n) => s + n, 0),
    faults_by_kind: faults,
    orders: figures.orders,
    duplicate_orders: figures.duplicateOrders,
    repeated_submissions: [...repeated.values()].reduce((a, n) => a + n - 1, 0),
    lost_records: figures.lostRecords,
    ledger_balanced: figures.ledgerBalanced,
    live_paths_touched: figures.livePathsTouched,
    trades: figures.trades,
    ...paper,
    alerts_received: sink.received().length,
    worker_restarts: driven.workerRestarts,
    worker_start_failures: driven.workerStartFailures,
    day_completed: completed,
    violations: all.filter((c) => !c.ok).length,
    seed: o.seed,
    fault_rate: o.faultRate,
    elapsed_s: Math.round((Date.now() - started) / 100) / 10,
  };
  return { result, checks: all };
}
