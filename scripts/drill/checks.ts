import fs from 'node:fs';
import path from 'node:path';
import type { BrokerOrder } from '../../activities/broker/brokerTypes';
import { readSimJournal } from '../../activities/broker/simBroker';
import { readBook } from '../../activities/ledger/ledgerStore';
import { alertsLogFile } from '../../activities/notify/notifier';
import { outputPaths } from '../../activities/outputs/outputPaths';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { readJsonFile } from '../../activities/outputs/atomicFile';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import { bookProblems } from '../../domain/ledger/balance';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { sessionEndMs } from './plan';
import type { StrategyName, OutputMode } from '../../domain/vocabulary';

/*
 * The exactly-once and bookkeeping checks of a finished TEST_MODE day, on its output folder alone:
 * what the reliability drill prints, and what the worker-crash and two-worker tests assert.
 * Each check says what it looked at, so a pass means something a reader can verify.
 */

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DayFigures {
  /** Order submissions the broker recorded (every one, duplicates included): the simulator's journal or the emulator's orders. */
  readonly orders: number;
  /** Submissions beyond the first for a client order id. */
  readonly duplicateOrders: number;
  readonly trades: number;
  /** Fills, trades or postings that should exist and do not. */
  readonly lostRecords: number;
  readonly ledgerBalanced: boolean;
  /** Paths under the output folder (or touched in the project's output/) whose name says `_live`. */
  readonly livePathsTouched: number;
  readonly escalations: number;
}

export interface DayCheckInput {
  readonly outputDir: string;
  readonly mode: OutputMode;
  readonly date: string;
  /** With the config, each trade's exit is checked against its session's end. */
  readonly config?: BotConfig;
  /** Other folders where a `_live` file modified since `sinceMs` counts as touched (the project's output/). */
  readonly watchedDirs?: readonly string[];
  readonly sinceMs?: number;
  /** Alerts are configured (a channel is set and TEST_MODE alerts are on): every escalation must have one. */
  readonly alertsEnabled?: boolean;
  /** Whether the daily summary must exist (a finished day writes it). Default true. */
  readonly requireSummary?: boolean;
  /** The orders as the broker accepted them (the market emulator's); default the simulated broker's journals. */
  readonly brokerOrders?: readonly BrokerOrder[];
}

/** Every submission in the simulated broker journals under `<outputDir>/state`. */
export function readSimJournals(outputDir: string, mode: OutputMode): BrokerOrder[] {
  const dir = outputPaths(outputDir, mode).stateDir;
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^sim_broker_.*\.jsonl$/.test(f))
    .sort()
    .flatMap((f) => readSimJournal(path.join(dir, f)));
}

/** Client order ids submitted more than once, with their counts. */
export function duplicateClientOrderIds(journal: readonly BrokerOrder[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of journal) counts.set(o.clientOrderId, (counts.get(o.clientOrderId) ?? 0) + 1);
  return new Map([...counts].filter(([, n]) => n > 1));
}

function walk(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) walk(p, out);
  }
  return out;
}

/** Paths named `_live` under `outputDir` (any age) and under each watched folder (modified since `sinceMs`). */
export function livePaths(outputDir: string, watchedDirs: readonly string[] = [], sinceMs = 0): string[] {
  const isLive = (p: string) => path.basename(p).includes('_live');
  const own = walk(outputDir).filter(isLive);
  const watched = watchedDirs.flatMap((d) => walk(d).filter((p) => isLive(p) && fs.statSync(p).mtimeMs >= sinceMs));
  return [...own, ...watched];
}

function readJsonLines(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A torn last line of a killed writer; the record it held is retried by its activity.
    }
  }
  return out;
}

/** Net quantity per symbol over the filled orders: anything but zero is a position left open. */
function openPositions(journal: readonly BrokerOrder[]): Map<string, number> {
  const net = new Map<string, number>();
  const seen = new Set<string>();
  for (const o of journal) {
    if (seen.has(o.clientOrderId)) continue; // a duplicate is reported as such, not as a position
    seen.add(o.clientOrderId);
    if (o.filledQty <= 0) continue;
    net.set(o.symbol, (net.get(o.symbol) ?? 0) + (o.side === 'buy' ? o.filledQty : -o.filledQty));
  }
  return new Map([...net].filter(([, q]) => Math.abs(q) > 1e-9));
}

const list = (xs: readonly string[], max = 6) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);

export function checkDayOutputs(input: DayCheckInput): { checks: Check[]; figures: DayFigures } {
  const { outputDir, mode, date } = input;
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const paths = outputPaths(outputDir, mode);

  // 1. At most one submission per client order id.
  const journal = input.brokerOrders ?? readSimJournals(outputDir, mode);
  const dups = duplicateClientOrderIds(journal);
  const duplicateOrders = [...dups.values()].reduce((s, n) => s + n - 1, 0);
  add(
    'orders submitted at most once per client order id',
    dups.size === 0,
    `${journal.length} submissions, ${new Set(journal.map((o) => o.clientOrderId)).size} client order ids` +
      (dups.size ? `; twice or more: ${list([...dups].map(([id, n]) => `${id} x${n}`))}` : ''),
  );

  // 2. Trade history: each trade once in JSON and once in CSV; each filled order in exactly one trade.
  const trades: TradeRecord[] = readTradeHistory(outputDir, mode).filter((t) => t.date === date);
  const tradeIds = trades.map((t) => t.tradeId);
  const repeatedTrades = tradeIds.filter((id, i) => tradeIds.indexOf(id) !== i);
  const csv = fs.existsSync(paths.tradeHistoryCsv) ? fs.readFileSync(paths.tradeHistoryCsv, 'utf8') : '';
  const csvRows = (id: string) => csv.split('\n').filter((l) => l.includes(`,${id},`)).length;
  const csvMissing = trades.filter((t) => csvRows(t.tradeId) === 0).map((t) => t.tradeId);
  const csvRepeated = trades.filter((t) => csvRows(t.tradeId) > 1).map((t) => t.tradeId);
  const inTrades = new Map<string, number>();
  for (const t of trades) for (const id of t.client_order_ids) inTrades.set(id, (inTrades.get(id) ?? 0) + 1);
  const filledIds = [...new Set(journal.filter((o) => o.filledQty > 0).map((o) => o.clientOrderId))];
  const fillsWithoutTrade = filledIds.filter((id) => !inTrades.has(id));
  const fillsInTwoTrades = filledIds.filter((id) => (inTrades.get(id) ?? 0) > 1);
  const journalIds = new Set(journal.map((o) => o.clientOrderId));
  const phantom = [...inTrades.keys()].filter((id) => !journalIds.has(id));
  add(
    'each fill recorded once in trade history (JSON and CSV)',
    repeatedTrades.length + csvMissing.length + csvRepeated.length + fillsWithoutTrade.length + fillsInTwoTrades.length + phantom.length === 0,
    `${filledIds.length} filled orders, ${trades.length} trades` +
      (repeatedTrades.length ? `; trade twice in JSON: ${list(repeatedTrades)}` : '') +
      (csvMissing.length ? `; missing from CSV: ${list(csvMissing)}` : '') +
      (csvRepeated.length ? `; twice in CSV: ${list(csvRepeated)}` : '') +
      (fillsWithoutTrade.length ? `; fills in no trade: ${list(fillsWithoutTrade)}` : '') +
      (fillsInTwoTrades.length ? `; fills in two trades: ${list(fillsInTwoTrades)}` : '') +
      (phantom.length ? `; orders in trades but not at the broker: ${list(phantom)}` : ''),
  );

  // 3. Ledger: each trade's entry and exit posted exactly once; every posting key once; the book balances.
  const book = readBook(outputDir, mode === 'live' ? 'live' : 'paper');
  const keys = book.map((e) => e.entryKey);
  const repeatedKeys = keys.filter((k, i) => keys.indexOf(k) !== i);
  const unposted: string[] = [];
  for (const t of trades) {
    for (const kind of ['entry', 'exit'] as const) {
      if (kind === 'exit' && t.exit_price === null) continue; // an unfilled exit has nothing to post
      if (!keys.includes(`${t.tradeId}#${kind}`)) unposted.push(`${t.tradeId}#${kind}`);
    }
  }
  add(
    'each fill posted once in the ledger',
    repeatedKeys.length + unposted.length === 0,
    `${book.length} postings for ${trades.length} trades` +
      (repeatedKeys.length ? `; posted twice: ${list(repeatedKeys)}` : '') +
      (unposted.length ? `; not posted: ${list(unposted)}` : ''),
  );
  const problems = bookProblems(book, mode === 'live' ? 'live' : 'paper');
  add('ledger balanced', problems.length === 0, problems.length ? list(problems, 3) : `${book.length} postings balance (debits = credits per entry and in total)`);

  // 4. No position left open past its session.
  const open = openPositions(journal);
  const late: string[] = [];
  const unexited = trades.filter((t) => t.exit_price === null || t.exit_time === null).map((t) => t.tradeId);
  if (input.config) {
    for (const t of trades) {
      if (t.exit_time === null) continue;
      const end = sessionEndMs(input.config, date, t.strategy_name as StrategyName);
      if (Date.parse(t.exit_time) > end) late.push(`${t.tradeId} exited ${t.exit_time}`);
    }
  }
  add(
    'no position left open past its session',
    open.size + late.length + unexited.length === 0,
    (open.size ? `open at the broker: ${list([...open].map(([s, q]) => `${s} ${q}`))}` : 'no net position at the broker') +
      (unexited.length ? `; trades without an exit fill: ${list(unexited)}` : '') +
      (input.config ? (late.length ? `; exits after the session end: ${list(late)}` : '; every exit bar within its session') : ''),
  );

  // 5. TEST_MODE never creates or touches a _live path.
  const live = livePaths(outputDir, input.watchedDirs ?? [], input.sinceMs ?? 0);
  add('no _live path created or touched', live.length === 0, live.length ? list(live) : `none under ${[outputDir, ...(input.watchedDirs ?? [])].join(', ')}`);

  // 6. Daily summary.
  const summaries = readJsonFile<Record<string, { trades?: unknown }>>(paths.dailySummary, {});
  const summary = summaries[date];
  if (input.requireSummary ?? true) add('daily summary written', summary !== undefined, summary ? `${paths.dailySummary} has ${date}` : `${paths.dailySummary} has no entry for ${date}`);

  // 7. Escalations (logs/unresolved_orders_<mode>.log) each have an alert record, when alerts are recorded.
  const escalations = readJsonLines(paths.unresolvedOrdersLog);
  const alerts = readJsonLines(alertsLogFile(outputDir, mode));
  const critical = alerts.filter((a) => a.event === 'critical');
  // The session names an escalation `<workflow>:<what>:<symbol>` and its alert `<workflow>:escalation:<what>:<symbol>`.
  const unalerted = escalations.filter((e) => {
    const id = String(e.id ?? '');
    return !critical.some((a) => {
      const eventId = String(a.eventId ?? '');
      return eventId === id || eventId.replace(':escalation:', ':') === id;
    });
  });
  // Without a configured channel TEST_MODE alerts are suppressed and leave no record: only match what exists.
  const strict = input.alertsEnabled === true || alerts.length > 0;
  add(
    'an alert for every escalation',
    !strict || unalerted.length === 0,
    `${escalations.length} escalations in ${path.basename(paths.unresolvedOrdersLog)}, ${alerts.length} alert records ` +
      `(${critical.length} critical) in ${path.basename(alertsLogFile(outputDir, mode))}` +
      (!strict && escalations.length > 0 ? '; alerts are not configured, so the match was not checked' : '') +
      (strict && unalerted.length ? `; escalations without a matching critical alert: ${list(unalerted.map((e) => String(e.id)))}` : '') +
      (escalations.length > 0 && unalerted.length === 0 && strict ? '; each has its critical alert (event id <workflow>:escalation:<what>:<symbol>)' : ''),
  );

  const lostRecords = fillsWithoutTrade.length + csvMissing.length + unposted.length;
  return {
    checks,
    figures: {
      orders: journal.length,
      duplicateOrders,
      trades: trades.length,
      lostRecords,
      ledgerBalanced: problems.length === 0,
      livePathsTouched: live.length,
      escalations: escalations.length,
    },
  };
}

/** The failed checks, one line each: empty when the day's outputs are sound. */
export function failedChecks(checks: readonly Check[]): string[] {
  return checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
}
