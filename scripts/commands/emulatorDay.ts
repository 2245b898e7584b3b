import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LoadedConfig } from '../../activities/config/loadConfig';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { alertsLogFile } from '../../activities/notify/notifier';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { replayInput } from '../../activities/schedulingActivities';
import { entryDeadlineMs } from '../../domain/orders/orderDeadline';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import type { ReplayClock } from '../../domain/time/replayClock';
import { LIVE_BROKER_NAMES, type LiveBrokerName } from '../../domain/vocabulary';
import { createWorkerRuntime } from '../../workers/workerRuntime';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import type { DayInput, DaySummary } from '../../workflows/tradingDayApi';
import { startEmulator, type EmulatorHandle, type EmulatorOptions, type OrderSummary } from '../emulator';
import { connectWorkerConnection } from '../../workers/temporal/connection';
import { UsageError } from './args';

/**
 * The paper rehearsal (`day --emulator`): the market emulator serves the replayed date on a virtual clock,
 * and the day runs with TEST_MODE=false and paper brokers through the worker production uses
 * (createWorkerRuntime: the real AlpacaBroker over HTTP and IbkrBroker over @stoqey/ib at the emulator's
 * TWS port, AlpacaBarsSource, the Finnhub client, alerts, outputs and ledger). It keeps to itself: its own
 * task queue, risk account and output folder, so a running production worker never picks up its tasks and
 * the paper books stay untouched.
 *
 * Each broker gets its own emulator (one account each, as two real brokers are two accounts) on the same
 * clock and bars: the engine holds one account, and two brokers sharing it would each see the other's
 * positions as untracked bot positions and exit them at reconciliation. The first one also serves the bars,
 * Finnhub and VIX.
 */

/** The brokers a rehearsal can trade at: the real adapters, never a simulated one. */
export type PaperBroker = LiveBrokerName;
export const PAPER_BROKERS: readonly PaperBroker[] = LIVE_BROKER_NAMES;

/** `--broker alpaca,ibkr`: the paper brokers of a rehearsal, each once, in the order given. */
export function paperBrokerList(text: string | undefined): PaperBroker[] {
  const names = (text ?? 'alpaca').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(PAPER_BROKERS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(`--broker=${text ?? ''}: a paper rehearsal trades at ${PAPER_BROKERS.join(', ')} or both (alpaca,ibkr)${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`);
  }
  return [...new Set(names)] as PaperBroker[];
}

/** One emulator per broker of the rehearsal; the first also serves market data. */
export interface BrokerEmulator {
  readonly broker: PaperBroker;
  readonly emulator: EmulatorHandle;
}
export interface RehearsalOptions {
  readonly config: Pick<LoadedConfig, 'bot' | 'env'>;
  readonly projectDir: string;
  readonly client: Client;
  readonly date: string;
  readonly replayDir: string;
  readonly speed: number;
  /** Empty: every symbol with bars on the date. */
  readonly symbols: readonly string[];
  readonly seed: number;
  /** Where the rehearsal's outputs and the emulator journal go. */
  readonly outputDir: string;
  /** Emulator settings a test or user sets (faults, publish delay, slippage, facts file). */
  readonly emulator?: Partial<EmulatorOptions>;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** Called with each running emulator and its broker, before the day starts (tests inject faults through it). */
  readonly onEmulator?: (emulator: EmulatorHandle, broker: PaperBroker) => void | Promise<void>;
  /** The paper brokers the day trades at (default alpaca): each session runs once per broker. */
  readonly brokers?: readonly PaperBroker[];
}

/** What a paper day proves, one JSON object (README, "The paper rehearsal"). */
export interface RehearsalReport {
  readonly date: string;
  readonly workflow_id: string;
  readonly summary: DaySummary;
  readonly trades: readonly TradeRecord[];
  readonly orders_after_close: readonly unknown[];
  readonly positions_at_close: readonly unknown[];
  readonly working_orders_at_close: readonly unknown[];
  readonly bars_published: number;
  readonly bars_seen: number;
  /** Bars the feed had between a session's first and last bar of a symbol that the session never decided on. */
  readonly bars_missed: readonly string[];
  readonly stale_signals_skipped: number;
  readonly stale_entries_sent: number;
  readonly unexplained_exit_records: readonly string[];
  readonly escalations: number;
  readonly alerts: number;
  readonly failed_sessions: readonly string[];
  /** Every order the emulators received, with the broker it went to: when (market time), what filled and at what price. */
  readonly orders: readonly (OrderSummary & { readonly broker: PaperBroker })[];
  readonly brokers: readonly PaperBroker[];
  /** The first broker's emulator journal; `journals` has every broker's. */
  readonly journal: string;
  readonly journals: Readonly<Partial<Record<PaperBroker, string>>>;
}

export async function runRehearsalDay(opts: RehearsalOptions): Promise<RehearsalReport> {
  const universe = rehearsalUniverse(opts.replayDir, opts.date, opts.symbols);
  fs.mkdirSync(opts.outputDir, { recursive: true });
  // The market stands still (anchored an hour ahead) until the worker polls; then it starts to run.
  const startClock = (realStartMs: number) => rehearsalClock(opts.config, opts.date, opts.replayDir, universe, opts.speed, realStartMs);
  const clock = startClock(Date.now() + 3_600_000);
  const keys = { keyId: `EMU${crypto.randomBytes(8).toString('hex').toUpperCase()}`, secret: crypto.randomBytes(24).toString('base64url') };
  const brokers = opts.brokers && opts.brokers.length > 0 ? [...new Set(opts.brokers)] : (['alpaca'] as PaperBroker[]);
  const journals: Partial<Record<PaperBroker, string>> = {};
  const emulators: BrokerEmulator[] = [];
  try {
    for (const [i, broker] of brokers.entries()) {
      const journal = path.join(opts.outputDir, i === 0 ? 'emulator-journal.jsonl' : `emulator-journal-${broker}.jsonl`);
      journals[broker] = journal;
      // twsPort 0: a free port, so rehearsals and tests never collide with a gateway on 4002.
      const tws = broker === 'ibkr' ? { twsPort: 0 } : {};
      const emulator = await startEmulator({ replayDir: opts.replayDir, date: opts.date, clock, port: 0, seed: opts.seed, ...keys, journalPath: journal, ...opts.emulator, ...tws });
      emulators.push({ broker, emulator });
    }
    for (const e of emulators) await opts.onEmulator?.(e.emulator, e.broker);
    const summary = await runDayThroughProductionWorker(opts, emulators, keys, universe, () => {
      const started = startClock(Date.now() + 1000);
      for (const e of emulators) e.emulator.setClock(started);
      return emulators[0]!.emulator.clock;
    });
    return rehearsalReport(opts, emulators, summary, journals[brokers[0]!]!, journals);
  } finally {
    for (const e of emulators) await e.emulator.close();
  }
}

/** The replayed symbols: the ones asked for, or every symbol with bars on the date. */
export function rehearsalUniverse(replayDir: string, date: string, symbols: readonly string[]): string[] {
  const data = loadMinuteBars(replayDir, symbols.length > 0 ? { symbols } : {});
  const withBars = [...data.bars.entries()].filter(([, byDate]) => (byDate.get(date)?.length ?? 0) > 0).map(([s]) => s).sort();
  const missing = symbols.filter((s) => !withBars.includes(s));
  if (missing.length > 0) throw new UsageError(`--symbols: no bars on ${date} in ${replayDir} for ${missing.join(', ')}`);
  if (withBars.length === 0) throw new UsageError(`${replayDir} has no minute bars on ${date}`);
  return withBars;
}

/** The virtual clock the emulator and the day share: two market minutes before the first session, reached at `realStartMs`. */
export function rehearsalClock(config: Pick<LoadedConfig, 'bot'>, date: string, replayDir: string, universe: readonly string[], speed: number, realStartMs: number): ReplayClock {
  const start = replayInput(config.bot, date, replayDir, universe, speed).replay;
  if (!start) throw new UsageError(`no session is planned on ${date} with this configuration`);
  return { anchorRealMs: realStartMs, anchorMarketMs: start.marketStartMs, speed };
}

/**
 * The user's configuration, pointed at the emulator: paper Alpaca (always its data API, and its trading API
 * when it trades), paper IBKR at an emulator's TWS port when `ibkr` is given, its own queue, keys that live
 * nowhere else.
 */
export function rehearsalConfig(
  config: Pick<LoadedConfig, 'bot' | 'env'>,
  emulator: Pick<EmulatorHandle, 'tradingUrl' | 'dataUrl' | 'finnhubUrl' | 'vixUrl'>,
  keys: { keyId: string; secret: string },
  symbolsFile: string,
  taskQueue: string,
  brokers: { readonly alpaca: boolean; readonly ibkr?: Pick<EmulatorHandle, 'twsPort' | 'twsAccounts'> } = { alpaca: true },
): Pick<LoadedConfig, 'bot' | 'env'> {
  const ibkr = brokers.ibkr;
  if (ibkr && (ibkr.twsPort === null || ibkr.twsAccounts.length === 0)) throw new Error('the IBKR emulator has no TWS port');
  const ibkrEnv = ibkr ? { IBKR_HOST: '127.0.0.1', IBKR_PORT: ibkr.twsPort as number, IBKR_PAPER_ACCOUNT_NUMBER: ibkr.twsAccounts[0] } : {};
  return {
    bot: { ...config.bot, TEST_MODE: false, ALPACA_ENABLED: brokers.alpaca, ALPACA_MODE: 'paper', IBKR_ENABLED: ibkr !== undefined, IBKR_MODE: 'paper', SYMBOL_LIST_PATH: symbolsFile },
    env: {
      ...config.env,
      ...ibkrEnv,
      ALPACA_PAPER_URL: emulator.tradingUrl,
      ALPACA_PAPER_API_KEY: keys.keyId,
      ALPACA_PAPER_SECRET_KEY: keys.secret,
      ALPACA_DATA_URL: emulator.dataUrl,
      FINNHUB_URL: emulator.finnhubUrl,
      FINNHUB_API_KEY: keys.secret,
      VIX_SOURCE: emulator.vixUrl,
      TEMPORAL_TASK_QUEUE: taskQueue,
    },
  };
}

/** The day the rehearsal starts: the paper brokers (each session runs once per broker), the replayed universe, the emulator's clock. */
export function rehearsalDayInput(config: Pick<LoadedConfig, 'bot'>, date: string, universe: readonly string[], clock: ReplayClock, brokers: readonly PaperBroker[] = ['alpaca']): DayInput {
  return { date, config: config.bot, broker: brokers[0] ?? 'alpaca', brokers: [...brokers], universe, clock };
}

async function runDayThroughProductionWorker(
  opts: RehearsalOptions,
  emulators: readonly BrokerEmulator[],
  keys: { keyId: string; secret: string },
  universe: readonly string[],
  /** Starts market time once the worker polls, and returns the clock the day runs on. */
  startMarket: () => ReplayClock,
): Promise<DaySummary> {
  const symbolsFile = path.join(opts.outputDir, 'symbols.txt');
  fs.writeFileSync(symbolsFile, `${universe.join('\n')}\n`);
  const emulator = emulators[0]!.emulator;
  const ibkr = emulators.find((e) => e.broker === 'ibkr')?.emulator;
  const brokers = emulators.map((e) => e.broker);
  const config = rehearsalConfig(opts.config, emulator, keys, symbolsFile, `${opts.config.env.TEMPORAL_TASK_QUEUE}-rehearsal-${process.pid}`, { alpaca: brokers.includes('alpaca'), ibkr });
  const stamp = `${opts.date}-${Date.now()}`;
  const accountWorkflowId = `tradebot-account-rehearsal-${stamp}`;
  const connection = await connectWorkerConnection(config.env);
  const runtime = await createWorkerRuntime({
    config,
    cwd: opts.projectDir,
    connection,
    client: opts.client,
    outputDir: opts.outputDir,
    accountWorkflowId,
    marketClock: () => emulator.clock,
  });
  const running = runtime.worker.run();
  try {
    const clock = startMarket();
    opts.log(runtime.description);
    const workflowId = `tradebot-rehearsal-${stamp}`;
    const handle = await opts.client.workflow.start(tradingDayWorkflow, {
      taskQueue: config.env.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: [rehearsalDayInput(config, opts.date, universe, clock, brokers)],
    });
    const where = emulators.map((e) => `${e.broker} at ${e.broker === 'ibkr' ? `TWS port ${e.emulator.twsPort}` : e.emulator.baseUrl}`).join(', ');
    opts.log(`started ${workflowId}: ${opts.date} against the emulator (${where}), ${opts.speed}x`);
    return await handle.result();
  } finally {
    await endRehearsalAccount(opts.client, accountWorkflowId);
    runtime.worker.shutdown();
    await running;
    await runtime.close?.();
    await connection.close();
  }
}

/**
 * The rehearsal's risk account lives only as long as its day: left running, every rehearsal would leave
 * a workflow open on the user's server. It has no trades to keep (its book is the emulator's).
 */
async function endRehearsalAccount(client: Client, workflowId: string): Promise<void> {
  try {
    await client.workflow.getHandle(workflowId).terminate('the paper rehearsal finished; its risk account ends with it');
  } catch (err) {
    // Never started (the day failed before its first grant) or already ended: nothing is left open.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/**
 * The report over every broker's emulator (a single emulator is an Alpaca-only rehearsal, as the drill
 * runs it). What the emulators list at the close is tagged with its broker.
 */
export function rehearsalReport(
  opts: Pick<RehearsalOptions, 'config' | 'date' | 'outputDir' | 'speed' | 'replayDir'>,
  emulatorOrEmulators: EmulatorHandle | readonly BrokerEmulator[],
  summary: DaySummary,
  journal: string,
  journals: Partial<Record<PaperBroker, string>> = {},
): RehearsalReport {
  const emulators: readonly BrokerEmulator[] = Array.isArray(emulatorOrEmulators) ? emulatorOrEmulators : [{ broker: 'alpaca', emulator: emulatorOrEmulators as EmulatorHandle }];
  const trades = readTradeHistory(opts.outputDir, summary.mode).filter((t) => t.date === opts.date);
  const byBroker = emulators.map((e) => ({ broker: e.broker, stats: e.emulator.stats() }));
  const tagged = (pick: (s: ReturnType<EmulatorHandle['stats']>) => readonly unknown[]) =>
    byBroker.flatMap(({ broker, stats }) => pick(stats).map((x) => (typeof x === 'object' && x !== null ? { broker, ...x } : x)));
  const orders = emulators.flatMap((e) => e.emulator.orders().map((o) => ({ ...o, broker: e.broker })));
  const fills = emulatorFills(orders);
  const sessions = summary.sessions;
  return {
    date: opts.date,
    workflow_id: summary.finalStatus.workflowId,
    summary,
    trades,
    orders_after_close: tagged((s) => s.ordersAfterClose),
    positions_at_close: tagged((s) => s.positionsAtClose),
    working_orders_at_close: tagged((s) => s.workingOrdersAtClose),
    // Every emulator publishes the same bars on the same clock: the first one's feed is the one the bot read.
    bars_published: byBroker[0]!.stats.barsPublished.total,
    bars_seen: sessions.reduce((a, s) => a + (s.barsSeen ?? 0), 0),
    bars_missed: barsMissed(sessions, loadMinuteBars(opts.replayDir), opts.date),
    stale_signals_skipped: sessions.reduce((a, s) => a + (s.staleSignalsSkipped ?? 0), 0),
    stale_entries_sent: staleEntriesSent(trades, fills, opts.config.bot.MAX_SIGNAL_AGE_SECONDS * 1000, opts.speed),
    unexplained_exit_records: unexplainedExits(trades, fills),
    escalations: sessions.reduce((a, s) => a + s.escalations, 0),
    alerts: countLines(alertsLogFile(opts.outputDir, summary.mode)),
    failed_sessions: sessions.filter((s) => s.failure).map((s) => `${s.workflowId}: ${s.failure}`),
    orders,
    brokers: emulators.map((e) => e.broker),
    journal,
    journals: Object.keys(journals).length > 0 ? journals : { [emulators[0]!.broker]: journal },
  };
}

/** The emulator's fills by client order id: when it received each order and what it filled at. */
interface OrderFacts {
  readonly receivedMarketMs: number;
  readonly filledQty: number;
  readonly avgPrice: number | null;
  readonly filledAt: string | null;
}

/** Client order ids carry the session's workflow id, which names the broker on a day of several: unique across emulators. */
function emulatorFills(orders: readonly OrderSummary[]): Map<string, OrderFacts> {
  const out = new Map<string, OrderFacts>();
  for (const o of orders) {
    out.set(o.clientOrderId, { receivedMarketMs: o.receivedMarketMs, filledQty: o.filledQty, avgPrice: o.filledAvgPrice, filledAt: o.filledAt });
  }
  return out;
}

/**
 * The request's own way from the submit activity's deadline check to the emulator, in real time: market
 * time runs `speed` times faster, so at 60x these 250 ms are 15 market seconds.
 */
const SUBMIT_TRANSIT_REAL_MS = 250;

/**
 * Entries the emulator received, in market time, later than the age bound after their decision bar closed
 * (the deadline the submit activity enforces; docs/trading.md, "Stale signals"), beyond the request's transit.
 */
function staleEntriesSent(trades: readonly TradeRecord[], fills: ReadonlyMap<string, OrderFacts>, maxAgeMs: number, speed: number): number {
  let stale = 0;
  for (const t of trades) {
    const entry = fills.get(t.client_order_ids[0] ?? '');
    if (!entry) continue;
    const deadlineMs = entryDeadlineMs({ barStart: Date.parse(t.entry_time), maxSignalAgeMs: maxAgeMs, sessionEndMs: Number.POSITIVE_INFINITY });
    if (entry.receivedMarketMs > deadlineMs + SUBMIT_TRANSIT_REAL_MS * speed) stale += 1;
  }
  return stale;
}

/** Trade records whose exit price is not what the broker's exit and stop orders filled at. */
function unexplainedExits(trades: readonly TradeRecord[], fills: ReadonlyMap<string, OrderFacts>): string[] {
  const out: string[] = [];
  for (const t of trades) {
    const closing = t.client_order_ids.slice(1).map((id) => fills.get(id)).filter((f): f is OrderFacts => f !== undefined && f.filledQty > 0 && f.avgPrice !== null);
    const qty = closing.reduce((a, f) => a + f.filledQty, 0);
    const avg = qty > 0 ? closing.reduce((a, f) => a + f.filledQty * (f.avgPrice as number), 0) / qty : null;
    const matches = t.exit_price === null ? avg === null : avg !== null && Math.abs(avg - t.exit_price) <= 1e-6 * Math.max(1, Math.abs(avg));
    if (!matches) out.push(`${t.tradeId}: recorded exit ${t.exit_price ?? 'none'}, broker fills ${avg ?? 'none'}`);
  }
  return out;
}

/** Per session and symbol: replayed bars inside the span the session covered that it did not decide on. */
function barsMissed(sessions: DaySummary['sessions'], data: ReturnType<typeof loadMinuteBars>, date: string): string[] {
  const out: string[] = [];
  for (const s of sessions) {
    for (const [symbol, [first, last, count]] of Object.entries(s.barCoverage ?? {})) {
      const published = (data.bars.get(symbol)?.get(date) ?? []).filter((b) => b.t >= first && b.t <= last).length;
      if (published !== count) out.push(`${s.workflowId} ${symbol}: ${published - count} of ${published} bars between ${new Date(first).toISOString()} and ${new Date(last).toISOString()} not seen`);
    }
  }
  return out;
}

function countLines(file: string): number {
  if (!fs.existsSync(file)) return 0;
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
}

/** A paper day passes when nothing reached the broker after the bell, the account is flat and clean, and every record is explained. */
export function rehearsalPassed(r: RehearsalReport): boolean {
  return (
    r.orders_after_close.length === 0 &&
    r.positions_at_close.length === 0 &&
    r.working_orders_at_close.length === 0 &&
    r.stale_entries_sent === 0 &&
    r.bars_missed.length === 0 &&
    r.unexplained_exit_records.length === 0 &&
    r.failed_sessions.length === 0
  );
}

/** The report for a terminal: the figures first, then the trades. */
export function rehearsalText(r: RehearsalReport): string {
  const lines = [
    `paper rehearsal ${r.date} (${r.workflow_id}) at ${r.brokers.join(', ')}: ${rehearsalPassed(r) ? 'PASSED' : 'FAILED'}`,
    `  trades ${r.trades.length}, escalations ${r.escalations}, alerts ${r.alerts}`,
    `  bars published ${r.bars_published}, bars decided on ${r.bars_seen}, missed ${r.bars_missed.length}, stale signals skipped ${r.stale_signals_skipped}, stale entries sent ${r.stale_entries_sent}`,
    `  at the close: ${r.positions_at_close.length} position(s), ${r.working_orders_at_close.length} working order(s); ${r.orders_after_close.length} order(s) received after the close`,
    ...r.unexplained_exit_records.map((u) => `  unexplained exit record: ${u}`),
    ...r.failed_sessions.map((f) => `  failed session: ${f}`),
    ...r.trades.map((t) => `  ${r.brokers.length > 1 ? `${t.broker} ` : ''}${t.strategy_name} ${t.ticker} ${t.side} ${t.size} in ${t.entry_price} out ${t.exit_price ?? '-'} (${t.exit_reason}) pnl ${t.pnl}`),
    ...Object.entries(r.journals).map(([b, j]) => `  journal${r.brokers.length > 1 ? ` (${b})` : ''}: ${j}`),
  ];
  return `${lines.join('\n')}\n`;
}
