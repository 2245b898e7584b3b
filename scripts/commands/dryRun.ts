import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { createAuditActivities } from '../../activities/auditActivities';
import { AlpacaBroker } from '../../activities/broker/alpaca/alpacaBroker';
import { brokerPlan, createBroker, type BrokerFactoryOptions } from '../../activities/broker/brokerFactory';
import { type RealBroker } from '../../activities/broker/brokerTypes';
import { protectedExit } from '../../activities/broker/reconcile';
import { loadValidBook, managerExportPaths } from '../../activities/ledger/ledgerExport';
import { DRY_RUN_COMMAND, recordDryRun, settingsHashes, type DryRunCheck, type DryRunRecord } from '../../activities/liveGate';
import { AlpacaBarsSource } from '../../activities/marketData/alpacaBarsSource';
import { latestReplayDate } from '../../activities/schedulingActivities';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { outputPaths } from '../../activities/outputs/outputPaths';
import { numberOption, type OptionValues } from './args';
import { leafCommand, runCommandLine, type CommandIo, type Writable } from './command';
import { PROJECT_DIR, dateOption, symbolList } from './shared';
import { COMMAND_SUMMARIES } from './catalog';

/**
 * `dry-run [--date D] [--speed N] [--symbols A,B] [--replay DIR] [--json]`: the live gate's dry run.
 * Runs a compressed TEST_MODE session and confirms, one check each:
 *   - broker connection: every enabled broker authenticates against its PAPER account (TEST_MODE is
 *     forced, so no live endpoint can be reached) and answers account and positions; with no paper
 *     credentials the built-in simulated broker stands in (docs/brokers.md, "The live gate and the dry run");
 *   - the session: a replayed day on the simulated broker (replayed history cannot be executed at a real
 *     broker) on the Temporal dev server, on its own task queue and account workflow;
 *   - trade logging: the session's trades are in trade_history_paper.csv and .json;
 *   - ledger export: the paper ledger validates and its Manager.io files exist (skipped when
 *     LEDGER_EXPORT_MODE=off);
 *   - notifications: one test alert reaches every configured channel (skipped when none is configured).
 * The session's outputs go to output/dry_run/<stamp>/, never into the real paper files. The result is
 * recorded in output/state/dry_run.json with the version and the settings hash the live gate checks.
 *
 * `dry-run --alpaca-paper-check [--symbol SPY]`: the manual checklist against the user's own Alpaca paper
 * account (see docs/brokers.md), including, while the market is open, a one-share order round trip.
 */

export interface SessionOutcome {
  readonly ok: boolean;
  readonly detail: string;
}

export interface DryRunSessionContext {
  readonly config: LoadedConfig;
  readonly cwd: string;
  /** Where the session writes its outputs. */
  readonly runDir: string;
  readonly date: string;
  readonly replayFolder: string;
  readonly speed: number;
  readonly symbols: readonly string[];
  readonly stamp: string;
  readonly log: (line: string) => void;
}

export interface DryRunOptions {
  /** The configuration with TEST_MODE forced on. */
  readonly config: LoadedConfig;
  readonly cwd: string;
  /** The main output folder (dry_run.json goes to its state folder). */
  readonly outputDir: string;
  readonly date?: string;
  readonly replayFolder?: string;
  readonly speed?: number;
  readonly symbols?: readonly string[];
  /** Runs the compressed session; default: Temporal dev server and an in-process worker. */
  readonly session?: (ctx: DryRunSessionContext) => Promise<SessionOutcome>;
  /** Test seams for broker construction and alert transport. */
  readonly brokerOptions?: Partial<BrokerFactoryOptions>;
  readonly audit?: { fetchImpl?: typeof fetch; smtpOptions?: Record<string, unknown> };
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

function stampOf(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

async function check(name: string, fn: () => Promise<Omit<DryRunCheck, 'name'>>): Promise<DryRunCheck> {
  try {
    return { name, ...(await fn()) };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

/** The dry run itself: every check, then the record. Never throws for a failed check. */
export async function runDryRun(opts: DryRunOptions): Promise<DryRunRecord> {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => undefined);
  const startedAt = now();
  const stamp = stampOf(startedAt);
  const { bot, env } = opts.config;
  if (!bot.TEST_MODE) throw new Error('runDryRun needs the configuration with TEST_MODE forced on');
  const checks: DryRunCheck[] = [];
  const brokersUsed: string[] = [];

  // 1. Broker connection, paper only.
  const plan = brokerPlan(bot, env);
  if (plan.problems.length > 0) checks.push({ name: 'broker connection', ok: false, detail: plan.problems.join('; ') });
  for (const entry of plan.entries) {
    if (entry.broker === 'sim') {
      brokersUsed.push('sim');
      checks.push({ name: 'broker connection: sim', ok: true, detail: entry.description });
      continue;
    }
    const name = entry.broker;
    brokersUsed.push(`${name}-${entry.mode}`);
    checks.push(
      await check(`broker connection: ${name} ${entry.mode}`, async () => {
        const b = createBroker(name, { bot, env, ...opts.brokerOptions });
        try {
          await b.authenticate();
          const acct = await b.account();
          const positions = await b.positions();
          let clock = '';
          if (b instanceof AlpacaBroker) clock = `; market ${(await b.clock()).isOpen ? 'open' : 'closed'}`;
          return { ok: true, detail: `${entry.description}: authenticated; account value ${acct.accountValue.toFixed(2)}; ${positions.length} open position(s)${clock}` };
        } finally {
          await b.close();
        }
      }),
    );
  }

  // 2. The compressed session on the simulator.
  const replayFolder = path.resolve(opts.cwd, opts.replayFolder ?? bot.TEST_MODE_REPLAY_DIR);
  const runDir = path.join(opts.outputDir, 'dry_run', stamp);
  const date = opts.date ?? latestReplayDate(replayFolder);
  const speed = opts.speed ?? Math.max(bot.TEST_MODE_TIME_COMPRESSION, 600);
  let sessionRan = false;
  if (date === null) {
    checks.push({ name: 'session', ok: false, detail: `no minute bars in ${replayFolder} (TEST_MODE_REPLAY_DIR) to replay` });
  } else {
    fs.mkdirSync(runDir, { recursive: true });
    const run = opts.session ?? defaultSession;
    checks.push(
      await check('session', async () => {
        const r = await run({ config: opts.config, cwd: opts.cwd, runDir, date, replayFolder, speed, symbols: opts.symbols ?? [], stamp, log });
        sessionRan = true;
        return { ok: r.ok, detail: `${date} replayed at ${speed}x: ${r.detail}` };
      }),
    );
  }

  // 3. Trade logging.
  const trades = sessionRan ? readTradeHistory(runDir, 'paper').filter((t) => t.date === date) : [];
  checks.push(
    await check('trade logging', async () => {
      if (!sessionRan) return { ok: false, detail: 'the session did not run' };
      const p = outputPaths(runDir, 'paper');
      const files = [p.tradeHistoryCsv, p.tradeHistoryJson].filter((f) => fs.existsSync(f));
      if (trades.length === 0) return { ok: false, detail: `the replayed day ${date} made no trade, so trade logging was not exercised; pick a --date with signals` };
      if (files.length < 2) return { ok: false, detail: `trade history incomplete: found ${files.map((f) => path.basename(f)).join(', ') || 'nothing'}` };
      return { ok: true, detail: `${trades.length} trade(s) in ${files.map((f) => path.relative(opts.cwd, f)).join(' and ')}` };
    }),
  );

  // 4. Ledger export.
  checks.push(
    await check('ledger export', async () => {
      if (bot.LEDGER_EXPORT_MODE === 'off') return { ok: true, skipped: true, detail: 'LEDGER_EXPORT_MODE=off' };
      if (trades.length === 0) return { ok: false, detail: 'no trade to post, so the ledger was not exercised' };
      const entries = loadValidBook(runDir, 'paper');
      const files = managerExportPaths(runDir, 'paper');
      const present = [files.tsv, files.json].filter((f) => fs.existsSync(f));
      if (entries.length === 0) return { ok: false, detail: 'the paper ledger has no entries after the session' };
      if (present.length < 2) return { ok: false, detail: `Manager.io export files missing (${[files.tsv, files.json].map((f) => path.basename(f)).join(', ')})` };
      return { ok: true, detail: `${entries.length} balanced entries; ${present.map((f) => path.relative(opts.cwd, f)).join(' and ')}` };
    }),
  );

  // 5. Notifications: one test alert through every configured channel.
  checks.push(
    await check('notifications', async () => {
      const audit = createAuditActivities({
        outputDir: runDir,
        backupsDir: path.join(runDir, 'backups'),
        env,
        // The dry run exists to prove delivery, so TEST_MODE's suppression is lifted for this one alert.
        bot: { ...bot, NOTIFY_IN_TEST_MODE: true },
        now,
        ...opts.audit,
      });
      const r = await audit.notify({
        event: 'shutdown',
        mode: 'paper',
        subject: `dry run notification test ${stamp} (no action needed)`,
        lines: [`TradeBot ${bot.VERSION_TAG} dry run: this message confirms that alerts are delivered.`],
        eventId: `dry-run:${stamp}`,
      });
      const outcomes = `email ${r.email}, webhook ${r.webhook}`;
      if (r.email === 'not_configured' && r.webhook === 'not_configured') return { ok: true, skipped: true, detail: 'no alert channel configured (ALERT_EMAIL with SMTP_HOST, or ALERT_WEBHOOK_URL)' };
      return { ok: r.errors.length === 0, detail: outcomes };
    }),
  );

  const hashes = settingsHashes(bot, env);
  const record: DryRunRecord = {
    version: bot.VERSION_TAG,
    settingsHash: hashes.combined,
    hashes,
    passed: checks.every((c) => c.ok),
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    brokers: brokersUsed,
    checks,
  };
  recordDryRun(opts.outputDir, record);
  return record;
}

/** The default session: the Temporal dev server (started if needed) and a worker in this process. */
async function defaultSession(ctx: DryRunSessionContext): Promise<SessionOutcome> {
  // Loaded here so that tests of runDryRun with their own session need no Temporal modules.
  const [{ connectClient, connectWorkerConnection }, { ensureDevServer }, { createActivityDeps }, { createSchedulingActivities, replayInput }, { createTradingWorker }, { installRuntimeLogging }, { tradingDayWorkflow }] =
    await Promise.all([
      import('../../workers/temporal/connection'),
      import('../temporal/devServer'),
      import('../../activities/replayDeps'),
      import('../../activities/schedulingActivities'),
      import('../../workers/createWorker'),
      import('../../workers/workerRuntime'),
      import('../../workflows/tradingDay'),
    ]);
  const { bot, env } = ctx.config;
  // Its own task queue and account workflow: a running production worker never picks these tasks up and
  // the paper account's limits and history are not touched.
  const taskQueue = `tradebot-dryrun-${ctx.stamp}`;
  const accountWorkflowId = `tradebot-account-dryrun-${ctx.stamp}`;
  const server = await ensureDevServer({ address: env.TEMPORAL_ADDRESS, log: ctx.log });
  installRuntimeLogging(bot.DEBUG_LOG_LEVEL);
  const client = await connectClient(env);
  const connection = await connectWorkerConnection(env);
  try {
    const vixCsvPath = env.VIX_SOURCE && env.VIX_SOURCE.endsWith('.csv') ? path.resolve(ctx.cwd, env.VIX_SOURCE) : null;
    const deps = createActivityDeps({ outputDir: ctx.runDir, startingCash: bot.SIM_STARTING_CASH, vixCsvPath });
    const worker = await createTradingWorker({
      connection,
      client,
      mode: 'paper',
      accountWorkflowId,
      audit: { backupsDir: path.join(ctx.runDir, 'backups'), env, bot },
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue,
      deps,
      extraActivities: createSchedulingActivities({ bot, replayFolder: ctx.replayFolder, broker: 'sim', universe: [] }),
    });
    const running = worker.run();
    try {
      const workflowId = `tradebot-dryrun-${ctx.date}-${ctx.stamp}`;
      ctx.log(`dry run: replaying ${ctx.date} at ${ctx.speed}x as ${workflowId}`);
      const handle = await client.workflow.start(tradingDayWorkflow, {
        taskQueue,
        workflowId,
        args: [replayInput(bot, ctx.date, ctx.replayFolder, ctx.symbols, ctx.speed)],
      });
      const summary = await handle.result();
      const sessions = summary.sessions.map((s) => `${s.strategy}: ${s.entries} entr${s.entries === 1 ? 'y' : 'ies'}, ${s.exits} exit(s)`).join('; ');
      return { ok: !summary.halted, detail: summary.halted ? `halted: ${summary.haltReason ?? 'unknown reason'}` : `completed (${sessions || 'no session ran'})` };
    } finally {
      worker.shutdown();
      await running;
      await client.workflow
        .getHandle(accountWorkflowId)
        .terminate('dry run finished')
        .catch(() => undefined);
    }
  } finally {
    await connection.close();
    await client.connection.close();
    if (server.started) await server.stop();
  }
}

const DRY_RUN_OPTIONS = {
  date: { type: 'string', value: 'YYYY-MM-DD', description: 'the replayed day (default: the latest day in the replay folder)' },
  speed: { type: 'string', value: 'N', description: 'market minutes per real minute, 1 to 100000 (default: TEST_MODE_TIME_COMPRESSION, at least 600)' },
  symbols: { type: 'string', value: 'A,B', description: 'replay only these symbols' },
  replay: { type: 'string', value: 'DIR', description: 'minute-bar CSV folder (default: TEST_MODE_REPLAY_DIR)' },
  json: { type: 'boolean', description: 'print the record as JSON' },
  'alpaca-paper-check': { type: 'boolean', description: 'instead: the manual checklist against your own Alpaca paper account (docs/brokers.md)' },
  symbol: { type: 'string', value: 'SYMBOL', description: 'with --alpaca-paper-check: the symbol of the one-share round trip (default SPY)' },
} as const;

interface DryRunIo extends CommandIo {
  readonly extra?: Partial<DryRunOptions>;
}

export const dryRunCommand = leafCommand(
  {
    name: 'dry-run',
    summary: COMMAND_SUMMARIES['dry-run'],
    description: 'records output/state/dry_run.json; live trading needs a passing record for this version and settings',
    options: DRY_RUN_OPTIONS,
  },
  runDryRunArgs,
);

export async function runDryRunCommand(argv: string[], out: NodeJS.WritableStream = process.stdout, extra: Partial<DryRunOptions> = {}): Promise<number> {
  return runCommandLine(dryRunCommand, argv, { stdout: out, extra }, '');
}

async function runDryRunArgs({ values }: { values: OptionValues<typeof DRY_RUN_OPTIONS> }, io: DryRunIo): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const extra = io.extra ?? {};
  const speed = numberOption('speed', values.speed, (n) => n >= 1 && n <= 100000, 'a number from 1 to 100000');
  const dateText = values.date === undefined ? undefined : dateOption(values.date);
  const cwd = extra.cwd ?? PROJECT_DIR;
  // TEST_MODE is forced for the whole dry run: no live endpoint can be reached, whatever .env_bot says.
  const config = extra.config ?? (await loadConfig({ cwd, botOverrides: { TEST_MODE: 'true' }, botOverridesLabel: 'dry-run' }));
  if (values['alpaca-paper-check']) return runAlpacaPaperCheck(config, values.symbol ?? 'SPY', out, extra.brokerOptions);
  const replay = values.replay;
  const record = await runDryRun({
    config,
    cwd,
    outputDir: path.resolve(cwd, 'output'),
    date: dateText,
    speed,
    replayFolder: replay,
    symbols: symbolList(values.symbols),
    log: (s) => out.write(`${s}\n`),
    ...extra,
  });
  if (values.json) out.write(`${JSON.stringify(record, null, 2)}\n`);
  else {
    out.write(`dry run for ${record.version}, settings ${record.settingsHash.slice(0, 12)} (broker ${record.hashes.broker.slice(0, 8)}, strategy ${record.hashes.strategy.slice(0, 8)}, accounting ${record.hashes.accounting.slice(0, 8)})\n`);
    for (const c of record.checks) out.write(`  [${c.skipped ? 'SKIP' : c.ok ? 'PASS' : 'FAIL'}] ${c.name}: ${c.detail}\n`);
    out.write(record.passed ? 'dry run PASSED: live trading may start with this version and these settings\n' : `dry run FAILED: live trading stays blocked; fix the failures and run ${DRY_RUN_COMMAND} again\n`);
  }
  return record.passed ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// The manual check against the user's own Alpaca paper account.

export async function runAlpacaPaperCheck(
  config: LoadedConfig,
  symbol: string,
  out: Writable,
  brokerOptions: Partial<BrokerFactoryOptions> = {},
): Promise<number> {
  const { bot, env } = config;
  const results: { step: string; ok: boolean | null; detail: string }[] = [];
  const step = async (name: string, fn: () => Promise<string | { skip: string }>) => {
    try {
      const r = await fn();
      results.push(typeof r === 'string' ? { step: name, ok: true, detail: r } : { step: name, ok: null, detail: r.skip });
    } catch (err) {
      results.push({ step: name, ok: false, detail: (err as Error).message });
    }
    const last = results[results.length - 1]!;
    out.write(`  [${last.ok === null ? 'SKIP' : last.ok ? 'PASS' : 'FAIL'}] ${last.step}: ${last.detail}\n`);
  };
  out.write(`Alpaca paper account check (${env.ALPACA_PAPER_URL}); no live endpoint is called\n`);
  let broker: RealBroker | null = null;
  await step('credentials accepted and account active', async () => {
    broker = createBroker('alpaca', { bot: { ...bot, TEST_MODE: true }, env, ...brokerOptions });
    await broker.authenticate();
    return 'GET /v2/account answered; status ACTIVE; trading not blocked';
  });
  const b = broker as AlpacaBroker | null;
  if (!b) return 1;
  await step('account value and buying power', async () => {
    const a = await b.account();
    return `equity ${a.accountValue.toFixed(2)}, cash ${a.cash.toFixed(2)}, buying power ${a.buyingPower.toFixed(2)}; options ${b.capabilities.options ? 'enabled' : 'not enabled'}, shorting ${b.capabilities.shortSelling ? 'enabled' : 'not enabled'}`;
  });
  let open = false;
  await step('market clock and calendar', async () => {
    const c = await b.clock();
    open = c.isOpen;
    const today = c.timestamp.slice(0, 10);
    const days = await b.calendar(today, new Date(Date.parse(today) + 7 * 86_400_000).toISOString().slice(0, 10));
    return `market ${c.isOpen ? 'open' : 'closed'}; next open ${c.nextOpen}; ${days.length} trading day(s) in the next week`;
  });
  await step(`asset ${symbol}`, async () => {
    const a = await b.assetInfo(symbol);
    if (!a) throw new Error(`${symbol} is not an Alpaca asset`);
    return `tradable ${a.tradable}, fractionable ${a.fractionable}, shortable ${a.shortable}`;
  });
  await step(`latest quote and minute bars for ${symbol} (data API)`, async () => {
    const q = await b.latestQuote(symbol, 'us_equity');
    const source = new AlpacaBarsSource({ keyId: env.ALPACA_PAPER_API_KEY ?? '', secret: env.ALPACA_PAPER_SECRET_KEY ?? '', dataUrl: brokerOptions.alpacaDataUrl ?? 'https://data.alpaca.markets', timeoutMs: bot.API_TIMEOUT * 1000 });
    const nowMs = Date.now();
    const bars = (await source.closedBars([symbol], nowMs - 4 * 86_400_000, nowMs))[symbol] ?? [];
    return `bid ${q?.bid ?? 'none'} / ask ${q?.ask ?? 'none'}; ${bars.length} one-minute bars over the last four days (IEX feed)`;
  });
  await step('open positions', async () => `${(await b.positions()).length} open position(s)`);
  const date = new Date().toISOString().slice(0, 10);
  const entryId = `tb-papercheck-${date}-${symbol}-buy`;
  let fillPrice = 0;
  await step(`one-share market buy of ${symbol} with a deterministic client order id`, async () => {
    if (!open) return { skip: 'market closed: run the check again during regular hours to test orders' };
    const o = await b.submitOrder({ clientOrderId: entryId, symbol, assetClass: 'us_equity', side: 'buy', qty: 1, type: 'market' });
    if (o.status !== 'filled' && o.status !== 'partially_filled') throw new Error(`order ${o.status} (${o.rejectReason ?? 'no reason'})`);
    fillPrice = o.filledAvgPrice ?? 0;
    return `filled ${o.filledQty} at ${o.filledAvgPrice} (order ${o.id})`;
  });
  await step('the same client order id again returns the same order (no second order)', async () => {
    if (!open) return { skip: 'market closed' };
    const first = await b.getOrderByClientId(entryId);
    const again = await b.submitOrder({ clientOrderId: entryId, symbol, assetClass: 'us_equity', side: 'buy', qty: 1, type: 'market' });
    if (!first || again.id !== first.id) throw new Error('a different order came back');
    return `same order ${again.id}`;
  });
  await step('protective trailing stop (2%) at the broker, then the bot exit cancels it and sells', async () => {
    if (!open) return { skip: 'market closed' };
    const stopId = `tb-papercheck-${date}-${symbol}-stop`;
    const s = await b.placeProtectiveStop({ clientOrderId: stopId, symbol, assetClass: 'us_equity', side: 'sell', qty: 1, kind: 'trailing', trailPercent: 2, referencePrice: fillPrice });
    if (!s.placed) throw new Error(`stop not placed: ${s.reason}`);
    const r = await protectedExit(b, { exit: { clientOrderId: `tb-papercheck-${date}-${symbol}-sell`, symbol, assetClass: 'us_equity', side: 'sell', qty: 1, type: 'market' }, stopClientOrderId: stopId });
    return `stop ${r.stop?.status ?? 'none'}; exit ${r.exit?.status ?? 'none'}; ${r.filledQty} sold at ${r.avgPrice ?? 'n/a'}`;
  });
  await b.close();
  const failed = results.filter((r) => r.ok === false).length;
  out.write(failed === 0 ? 'Alpaca paper check PASSED\n' : `Alpaca paper check: ${failed} step(s) FAILED\n`);
  return failed === 0 ? 0 : 1;
}
