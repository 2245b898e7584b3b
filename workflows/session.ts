import { allHandlersFinished, condition, getExternalWorkflowHandle, log, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { BrokerOrder } from '../activities/broker/brokerTypes';
import type { BearishFacts } from '../activities/entryCheckActivities';
import type { AdoptedPosition } from '../activities/broker/protectionActivities';
import type { StrategyLogEvent } from '../activities/outputs/strategyLog';
import { attemptsFor } from '../domain/errors/retryPolicy';
import { BrokerError, describeError } from '../domain/errors/errorClasses';
import { protectiveStopPlan } from '../domain/orders/protectiveStop';
import { clientOrderId } from '../domain/orders/clientOrderId';
import { entryDeadlineMs, ORDER_DEADLINE_PASSED } from '../domain/orders/orderDeadline';
import { buildCheck, imbalanceGate } from '../domain/strategies/enhancements';
import { entrySpreadCheck } from '../domain/screening/screen';
import type { Bar } from '../domain/market/bar';
import { MINUTE_MS } from '../domain/market/bar';
import { sessionEnd, sessionWindowFor, strategyTiming } from '../domain/market/sessionWindow';
import { getStrategy } from '../domain/strategies/strategies';
import type { Decision, EntrySignal, ExitSignal, SymbolTracker } from '../domain/strategies/strategy';
import { chooseInstrument, type InstrumentChoice } from '../domain/instruments/bearishInstrument';
import type { TradeRecord } from '../domain/trades/tradeRecord';
import { closedTradeRecord } from '../domain/trades/closedTradeRecord';
import { closingExitReason, escalateTrading, finalSessionState, isBrokerHalted, mayOpen, type TradingState } from '../domain/session/tradingState';
import { entryGate } from '../domain/session/entryGate';
import { acceptedSignalCount, strongestFirst } from '../domain/session/entryRanking';
import { closingSide } from '../domain/trades/tradeOutcome';
import { exitOutcome } from '../domain/session/exitOutcome';
import { entryCapacityRequest } from '../domain/risk/entryCapacityRequest';
import { brokerHaltedSignal, type CapacityGrant } from './accountApi';
import {
  sessionConfirmSignal,
  sessionKillSignal,
  sessionStatusQuery,
  sessionStopSignal,
  type Connectivity,
  type SessionInput,
  type SessionState,
  type SessionStatus,
} from './sessionApi';
import {
  apiActivities,
  backupOutputs,
  closingImbalance,
  buildInfo,
  exportLedger,
  killAccountBroker,
  notify,
  postTradeToLedger,
  recordTrade,
  recordUnresolvedOrder,
  releaseCapacity,
  requestCapacity,
  screenCandidates,
  vixPreviousClose,
  writeStrategyLog,
} from './sessionActivities';
import { SessionStrategyLog } from './sessionStrategyLog';
import { grantRequestId, groupByStart, mergeBars, positionView, tradeOpeningOf, type OpenTrade } from './sessionPositions';
import { round2 } from '../domain/math/round';
import { sessionProgressSignal } from './tradingDayApi';
import { marketNowMs, sleepUntilMarket, workflowNowMs } from './workflowClock';
import { PATCHES } from './patches';
import { recordBarFetch, recordOrder } from './botMetrics';
import { DAY_STATE, HALTED, TRADING_DATE } from './searchAttributes';
import { strategySetting } from '../domain/config/strategySettings';
import type { ExitReason } from '../domain/vocabulary';

/**
 * One strategy session (OPEN, MID or CLOSE) on one date: screening, analysis, entries and monitoring
 * on one-minute bars, deciding with the pure strategy code and trading through broker activities.
 *
 * Polling pattern: one durable timer per market minute, then one activity that returns every bar closed
 * since the last call. About 11 history events per minute, so a 60-minute session stays well under
 * 2,000 events; when the workflow lags (a slow worker, a compressed replay) the next call simply
 * returns several bars, and decisions are still taken bar by bar in time order.
 */
export async function sessionWorkflow(input: SessionInput): Promise<SessionStatus> {
  const { config: cfg, strategy: strategyName, date, clock, replayFolder } = input;
  const info = workflowInfo();
  const strategy = getStrategy(strategyName);
  const window = sessionWindowFor(date, strategyTiming(cfg, strategyName), cfg.SESSION_TIME_ANCHOR);
  const { submitOrder, quote, brokerAccount, placeProtectiveStop, closePosition, brokerHeartbeat, reconcileSessionStart, entryQuote, bearishFacts, fetchBars, lookupOrder, cancelBotOrders } =
    apiActivities(cfg);
  // Every position this session opens is closed by here: the latest entry bar plus the hold, or one minute
  // before the close, so that no exit reaches the broker after the bell (docs/trading.md).
  const end = sessionEnd(window);
  const hardEndMs = end.endMs;
  const fetchDelayMs = cfg.BAR_FETCH_DELAY_SECONDS * 1000;
  const maxSignalAgeMs = cfg.MAX_SIGNAL_AGE_SECONDS * 1000;

  let state: SessionState = 'idle';
  /** Active, stopping, killed or broker halted: one value that only moves up (domain/session/tradingState.ts). */
  let trading: TradingState = 'active';
  let signals = 0;
  let entries = 0;
  let exits = 0;
  let realizedPnl = 0;
  let errors = 0;
  let retries = 0;
  let barsSeen = 0;
  /** Per symbol: first and last bar start decided on, and how many bars (a gap means a bar was missed). */
  const barCoverage: Record<string, [number, number, number]> = {};
  let staleSignalsSkipped = 0;
  /** Grants this session holds or held: with the current bar's signals, the n of the weights table. */
  let grantsTaken = 0;
  /** Why the session failed (an activity out of retries, a bug); null while it has not. */
  let failure: string | null = null;
  let escalations = 0;
  let brokerConnectivity: Connectivity = 'unknown';
  let dataConnectivity: Connectivity = 'unknown';
  let actualStart: string | null = null;
  let candidates: string[] = [];
  let pendingConfirmation: string | null = null;
  const confirmations = new Map<string, boolean>();
  const notes: string[] = [];
  const executionSeconds: number[] = [];
  const tradedTickers: string[] = [];
  const blocked = new Set(input.blockedTickers);
  const open = new Map<string, OpenTrade>();
  const trackers = new Map<string, SymbolTracker>();
  const lastBar = new Map<string, Bar>();
  // Sessions started by an earlier release replay their sequential orders (workflows/patches.ts).
  const concurrentOrders = patched(PATCHES.sessionConcurrentOrders);
  // One pending confirmation at a time: with TRADE_CONFIRMATION_REQUIRED the entries stay one after another.
  const pipelinedEntries = concurrentOrders && !cfg.TRADE_CONFIRMATION_REQUIRED && patched(PATCHES.sessionPipelinedEntries);
  /** Work that must finish before the session returns but need not hold the next order (alerts). */
  const background: Promise<void>[] = [];
  /** Stops being placed, by underlying: an exit waits for its position's before it cancels anything. */
  const protections = new Map<string, Promise<void>>();
  /** Best-effort work (alerts) that need not hold the next order: in the background where the session may. */
  const afterOrders = async (what: string, fn: () => Promise<unknown>) => {
    if (concurrentOrders) background.push(bestEffort(what, fn));
    else await bestEffort(what, fn);
  };
  const strategyLog = new SessionStrategyLog(info.workflowId, strategyName, () => marketNowMs(clock));

  const status = (): SessionStatus => ({
    strategy: strategyName,
    workflowId: info.workflowId,
    state,
    scheduledStart: new Date(window.analysisStartMs).toISOString(),
    actualStart,
    candidates,
    signals,
    entries,
    exits,
    positions: [...open.values()].map((t) => positionView(t, exitOrderId(t.underlying))),
    realizedPnl: round2(realizedPnl),
    tradedTickers: [...tradedTickers],
    pendingConfirmation,
    notes: [...notes],
    errors,
    executionSeconds: [...executionSeconds],
    connectivity: { broker: brokerConnectivity, data: dataConnectivity },
    retries,
    escalations,
    barsSeen,
    barCoverage: { ...barCoverage },
    staleSignalsSkipped,
    failure,
  });

  const exitOrderId = (underlying: string) => clientOrderId({ workflowId: info.workflowId, session: strategyName, ticker: underlying, leg: 'exit' });
  const parent = getExternalWorkflowHandle(input.dayWorkflowId);
  const report = async () => {
    try {
      await parent.signal(sessionProgressSignal, status());
    } catch (err) {
      // The day may have been stopped or terminated; the session still finishes its own work.
      log.warn('could not report progress to the day workflow', { error: String(err) });
    }
  };
  // A function, not a comparison on `state`, because handlers and helpers change it between awaits.
  const stateIs = (s: SessionState) => state === s;
  // The Web UI filters sessions by state (docs/temporal.md, "Finding workflows"). The day gives a session
  // TradingDate only when the namespace has the bot's attributes, so its presence is the check.
  const searchable = info.typedSearchAttributes.get(TRADING_DATE) !== undefined;
  let publishedState: SessionState | null = null;
  const publishSearchState = (s: SessionState) => {
    if (!searchable || s === publishedState || !patched(PATCHES.sessionSearchState)) return;
    publishedState = s;
    upsertSearchAttributes([
      { key: DAY_STATE, value: s },
      { key: HALTED, value: s === 'halted' },
    ]);
  };
  const setState = async (s: SessionState) => {
    state = s;
    publishSearchState(s);
    await report();
  };

  const recordExecution = (order: BrokerOrder) => {
    if (order.filledAt === null) return;
    const seconds = (Date.parse(order.filledAt) - Date.parse(order.submittedAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) executionSeconds.push(seconds);
  };
  const note = (event: string, message: string, symbol?: string, data?: StrategyLogEvent['data']) => strategyLog.note(event, message, symbol, data);
  const flushLog = async () => {
    const events = strategyLog.takePending();
    if (events.length === 0) return;
    await writeStrategyLog({ mode: input.mode, format: cfg.LOG_FORMAT, enabled: cfg.ENABLE_LOGGING, events });
  };

  const isoNow = () => new Date(marketNowMs(clock)).toISOString();
  /** A failed call's retries all count: Temporal made every attempt the policy allows. */
  const failedCall = () => {
    retries += attemptsFor(cfg) - 1;
  };

  /**
   * Escalation of a call that failed after its retries (docs/brokers.md, "Errors and retry policies"): an
   * entry in unresolved_orders_<mode>.log, an alert, and the kill switch for this broker (the account halts
   * it for the day and tells every session of it). Each step is best effort: escalating must never fail the
   * session.
   */
  const escalate = async (what: string, symbol: string | null, orderId: string | null, err: unknown) => {
    const d = describeError(err);
    errors += 1;
    escalations += 1;
    if (d.errorClass === 'NetworkError') brokerConnectivity = 'unreachable';
    const haltNow = !isBrokerHalted(trading);
    trading = escalateTrading(trading, 'broker_halted');
    const actions = ['alert', haltNow ? `kill switch for ${input.broker}` : `${input.broker} already halted`];
    const message = `${what} failed: ${d.errorClass}${d.code ? ` ${d.code}` : ''}: ${d.message}`;
    note('escalation', message, symbol ?? undefined, { error_code: d.code ?? d.errorClass, client_order_id: orderId });
    await bestEffort('unresolved order log', () =>
      recordUnresolvedOrder({
        mode: input.mode,
        order: {
          id: `${info.workflowId}:${what}:${symbol ?? '-'}`,
          timestamp: isoNow(),
          strategy: strategyName,
          broker: input.broker,
          symbol,
          error_type: d.errorClass,
          error_code: d.code,
          message: `${message} [${orderId ? `client order id ${orderId}; ` : ''}actions: ${actions.join(', ')}]`,
          stack: d.stack,
        },
      }),
    );
    await bestEffort('escalation alert', () =>
      notify({
        event: 'critical',
        mode: input.mode,
        eventId: `${info.workflowId}:escalation:${what}:${symbol ?? '-'}`,
        subject: `${strategyName.toUpperCase()} ${what} failed at ${input.broker}: trading halted`,
        lines: [message, `Client order id: ${orderId ?? 'none'}`, `Actions: ${actions.join(', ')}`, 'See logs/unresolved_orders and check the broker before the next session.'],
      }),
    );
    if (haltNow) {
      await bestEffort('broker kill switch', () => killAccountBroker({ broker: input.broker, date, reason: message, at: isoNow() }));
    }
    await report();
  };

  /** A write after the broker has acted: its failure is escalated, never thrown. */
  const mustWrite = async <T>(what: string, symbol: string, orderId: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      failedCall();
      await escalate(what, symbol, orderId, err);
      return null;
    }
  };

  /** The spec's shutdown alert: critical, once per cause, never failing the session itself. */
  const criticalAlert = async (what: string, lines: readonly string[]) => {
    await bestEffort(`${what} alert`, () =>
      notify({
        event: 'critical',
        mode: input.mode,
        eventId: `${info.workflowId}:failed:${what}`,
        subject: `${strategyName.toUpperCase()} session at ${input.broker}: ${what} failed, trading stopped`,
        lines: [...lines, 'Positions of this session are exited; check the broker and logs/unresolved_orders.'],
      }),
    );
  };
  /**
   * A grant that was not used goes back, and its signal no longer counts as accepted (n of the weights
   * table); if the account cannot be told, the failure is escalated.
   */
  const releaseQuietly = async (requestId: string) => {
    grantsTaken -= 1;
    try {
      await releaseCapacity({ requestId, realizedPnl: 0, filled: false });
    } catch (err) {
      failedCall();
      await escalate('capacity release', null, null, err);
    }
  };

  setHandler(sessionStatusQuery, status);
  setHandler(sessionStopSignal, (a) => {
    trading = escalateTrading(trading, 'stopping');
    note('stop', `stop requested by ${a.by}`);
  });
  setHandler(sessionKillSignal, (a) => {
    trading = escalateTrading(trading, 'killed');
    note('kill', `kill switch by ${a.by}${a.reason ? `: ${a.reason}` : ''}`);
  });
  setHandler(brokerHaltedSignal, (n) => {
    if (n.broker !== input.broker) return;
    trading = escalateTrading(trading, 'broker_halted');
    note('kill', `broker ${n.broker} halted by the account: ${n.reason}`);
  });
  setHandler(sessionConfirmSignal, (c) => {
    confirmations.set(c.symbol, c.approve);
    note('confirmation', `${c.approve ? 'approved' : 'rejected'} by ${c.by}`, c.symbol);
  });

  const blockSession = async (problems: readonly string[]) => {
    for (const p of problems) note('blocked', p);
    notes.push(...problems);
    await flushLog();
    await setState('halted');
    await condition(allHandlersFinished);
    return status();
  };

  // Screening: the universe that has data for the date, minus tickers already traded today.
  await sleepUntilMarket(clock, window.analysisStartMs);
  actualStart = new Date(marketNowMs(clock)).toISOString();
  await setState('screening');
  let runningTag: string | null = null;
  try {
    runningTag = (await buildInfo()).versionTag;
  } catch (err) {
    log.warn('build info unavailable', { error: String(err) });
  }
  const build = buildCheck({ configuredTag: cfg.VERSION_TAG, runningTag, buildMode: cfg.BUILD_MODE, liveMoney: input.mode === 'live' });
  if (build.warning) note('warning', build.warning);
  // A newer release continuing a day an older one started trades on: its patches keep the day's history
  // valid, and a worker only starts on its own VERSION_TAG (docs/temporal.md, "The build check in the
  // session"). An older worker still blocks; histories that recorded a block replay as a block.
  if (!build.allow && build.runningNewer && patched(PATCHES.sessionBuildCheckNotesNewerRelease)) {
    note('warning', `${build.reason}; trading on: the day continues on the release now deployed`);
  } else if (!build.allow) {
    return blockSession([build.reason ?? 'build check failed']);
  }
  let screened: Awaited<ReturnType<typeof screenCandidates>>;
  try {
    screened = await screenCandidates({
      date,
      strategy: strategyName,
      universe: input.universe,
      testMode: cfg.TEST_MODE,
      replayFolder,
      firstSessionBarMs: window.analysisStartMs,
      config: cfg,
    });
  } catch (err) {
    // Nothing is held yet: the session trades nothing and says so loudly (docs/trading.md, "When a session fails").
    failedCall();
    failure = `screening failed: ${describeError(err).message}`;
    await criticalAlert('screening', [failure]);
    return blockSession([failure]);
  }
  for (const r of screened.rejected) note('screened_out', `${r.rule}: ${r.reason}`, r.symbol);
  for (const sk of screened.skipped) note('screen_skip', sk.reason, sk.symbol);
  for (const n of screened.notes) note('screening', n);
  const universe = screened.accepted;
  candidates = universe.filter((s) => !blocked.has(s));
  for (const s of universe) if (blocked.has(s)) note('blocked', 'already traded today', s);
  const vix = strategyName === 'close' ? await vixPreviousClose({ date }) : null;
  const selfCheck = strategy.selfCheck(cfg, { vixPrevClose: vix });
  for (const w of selfCheck.warnings) note('warning', w);
  if (!selfCheck.ok) return blockSession(selfCheck.problems);
  for (const s of candidates) trackers.set(s, strategy.createTracker(s, date, cfg, { vixPrevClose: vix }));
  note('screened', `${candidates.length} candidates: ${candidates.join(' ')}`);
  /**
   * The broker's truth (docs/brokers.md, "Ownership and adoption"): real differences are critical; the
   * user's own holdings are one note; a position a bot session left (a crash, a failed or earlier session,
   * yesterday's CLOSE) is exited at once and recorded as `reconciled`, or, outside regular hours, waits for
   * the second call once the market is open. Positions of sessions still running are theirs.
   */
  let adoptionPending = false;
  let openReconciled = false;
  const reconcile = async (when: 'start' | 'open', accountValue: number) => {
    const nowMs = marketNowMs(clock);
    const rec = await reconcileSessionStart({
      broker: input.broker,
      date,
      replayFolder,
      adopter: { workflowId: info.workflowId, dayWorkflowId: input.dayWorkflowId, mode: input.mode },
      runningSessions: input.runningSessions ?? [],
      marketNowMs: nowMs,
      simFillBarStart: nowMs - (nowMs % MINUTE_MS) - MINUTE_MS,
    });
    for (const d of rec.discrepancies) note('reconcile', d);
    if (when === 'start' && rec.foreign.length > 0) {
      note('reconcile', `not the bot's, left alone: ${rec.foreign.map((p) => `${p.qty} ${p.symbol}`).join(', ')}`);
    }
    for (const h of rec.heldBySessions) note('reconcile', `${h.positionQty} ${h.symbol} held by ${h.ownerWorkflowId}, still running`, h.underlying);
    for (const p of rec.adoptPending) {
      blocked.add(p.underlying);
      note('warning', `${p.qty} ${p.symbol} left by ${p.ownerWorkflowId}: ${p.reason}; exited once the market is open`, p.underlying);
    }
    adoptionPending = rec.adoptPending.length > 0;
    for (const a of rec.adopted) await recordAdoption(a, accountValue);
    if (rec.discrepancies.length > 0) {
      await bestEffort('reconcile alert', () =>
        notify({
          event: 'critical',
          mode: input.mode,
          eventId: `${info.workflowId}:reconcile:${when}`,
          subject: `${strategyName.toUpperCase()} ${when}: ${rec.discrepancies.length} difference(s) at ${input.broker}`,
          lines: [...rec.discrepancies],
        }),
      );
    }
  };
  /** An adopted position was exited by reconciliation: its trade is written like any other exit. */
  const recordAdoption = async (a: AdoptedPosition, accountValue: number) => {
    blocked.add(a.underlying);
    const trade: TradeRecord = { ...a.trade, account_value: a.trade.account_value || accountValue };
    exits += 1;
    realizedPnl += trade.pnl;
    note('exit', `${trade.exit_reason}: ${a.qty} ${a.symbol} left by ${a.ownerWorkflowId} exited at ${trade.exit_price ?? 'unfilled'} pnl ${trade.pnl}`, a.underlying);
    await mustWrite('trade record', a.underlying, a.exitClientOrderId ?? a.tradeId, () => recordTrade({ mode: input.mode, trade }));
    await mustWrite('ledger posting', a.underlying, a.exitClientOrderId ?? a.tradeId, () => postTradeToLedger({ mode: input.mode, trade }));
    await bestEffort('exit alert', () =>
      notify({
        event: 'exit',
        mode: input.mode,
        eventId: `${info.workflowId}:adopted:${a.tradeId}`,
        subject: `${strategyName.toUpperCase()} exited ${a.symbol} left by an earlier session (${trade.exit_reason})`,
        lines: [`${a.qty} ${a.symbol} from ${a.ownerWorkflowId} closed at ${trade.exit_price ?? 'unfilled'}, PnL ${trade.pnl}`],
      }),
    );
    // The owner's grant, if the account still holds it (today's crashed session): the loss limit counts
    // the PnL and the slot is free. A grant of another day is unknown to it and nothing changes.
    if (a.filledQty >= a.qty && patched(PATCHES.sessionAdoptionReleasesGrant)) {
      const released = await mustWrite('capacity release', a.underlying, a.exitClientOrderId ?? a.tradeId, () =>
        releaseCapacity({ requestId: grantRequestId(a.ownerWorkflowId, a.underlying), realizedPnl: trade.pnl, filled: true }),
      );
      if (released?.brokerHalted && !isBrokerHalted(trading)) {
        trading = escalateTrading(trading, 'broker_halted');
        note('kill', `daily loss limit reached at ${input.broker}: trading halted for the day`);
      }
    }
  };

  // Start from the broker's truth (issue 5 reconciliation; docs/brokers.md, "Startup and reconciliation"):
  // the broker must answer, stops left by a crashed session are cancelled, and positions nobody tracks are
  // reported, never re-traded.
  let account: Awaited<ReturnType<typeof brokerAccount>>;
  try {
    account = await brokerAccount({ broker: input.broker, replayFolder });
    await reconcile('start', account.accountValue);
    brokerConnectivity = 'ok';
  } catch (err) {
    failedCall();
    await escalate('session start (broker unreachable)', null, null, err);
    await flushLog();
    await setState('halted');
    await condition(allHandlersFinished);
    return status();
  }
  await setState('analyzing');

  // Indicators use the whole regular session, so the first fetch starts at the date's beginning. After it,
  // each symbol's next unseen bar start decides what is asked for: a bar the provider publishes late is
  // asked for again (up to LATE_BAR_WINDOW_MS), and a bar already seen is never decided on twice.
  const dayStartMs = Date.parse(`${date}T00:00:00Z`);
  const nextBarFrom = new Map<string, number>();
  /** The end of the newest bar the session has of any symbol (each symbol's next bar start is its last end). */
  const newestBarEnd = (): number | null => (nextBarFrom.size === 0 ? null : Math.max(...nextBarFrom.values()));
  const metricTags = { mode: input.mode, broker: input.broker, strategy: strategyName };
  let lastThroughMs: number | null = null;
  const fetchFromMs = (symbols: readonly string[]) => {
    const earliest = Math.min(...symbols.map((s) => nextBarFrom.get(s) ?? dayStartMs));
    return lastThroughMs === null ? earliest : Math.max(earliest, lastThroughMs - LATE_BAR_WINDOW_MS);
  };

  type Submitted = { kind: 'ok'; order: BrokerOrder } | { kind: 'failed'; error: unknown; brokerSaysAbsent: boolean };
  /**
   * A submit that failed after its retries may still have reached the broker (the answer was lost): ask by
   * client order id before deciding anything, so the session never acts blind.
   */
  const submitOrSettle = async (orderId: string, submit: () => Promise<BrokerOrder>): Promise<Submitted> => {
    try {
      return { kind: 'ok', order: await submit() };
    } catch (err) {
      failedCall();
      try {
        const found = await lookupOrder({ broker: input.broker, clientOrderId: orderId, replayFolder });
        if (found) {
          note('warning', `order ${orderId} found at the broker after its submit failed: adopted`);
          return { kind: 'ok', order: found };
        }
        return { kind: 'failed', error: err, brokerSaysAbsent: true };
      } catch {
        return { kind: 'failed', error: err, brokerSaysAbsent: false };
      }
    }
  };

  /** The stop a real broker holds for a new position; its failure leaves the bot's own exits in charge. */
  const protect = async (symbol: string, choice: InstrumentChoice, order: BrokerOrder): Promise<{ id: string; kind: 'trailing' | 'stop' } | null> => {
    const fill = order.filledAvgPrice ?? 0;
    const plan = protectiveStopPlan({ strategy: strategyName, assetClass: choice.assetClass, openSide: choice.openSide, fillPrice: fill });
    if (plan === null) return null;
    const stopId = clientOrderId({ workflowId: info.workflowId, session: strategyName, ticker: symbol, leg: 'stop' });
    try {
      const r = await placeProtectiveStop({
        broker: input.broker,
        replayFolder,
        request: { clientOrderId: stopId, symbol: choice.symbol, assetClass: choice.assetClass, side: plan.side, qty: order.filledQty, kind: plan.kind, trailPercent: plan.trailPercent, stopPrice: plan.stopPrice, referencePrice: fill },
      });
      if (!r.placed) return null;
      note('stop', `${r.kind} stop held at ${input.broker}${r.note ? ` (${r.note})` : ''}`, symbol);
      return { id: stopId, kind: r.kind };
    } catch (err) {
      failedCall();
      errors += 1;
      // An attempt whose answer was lost may have placed it: the id is kept, so the exit looks it up and
      // cancels it first, and the broker's stop never sells what the bot's exit already sold.
      note('warning', `protective stop not confirmed (${describeError(err).message}); the bot's exits still apply, and each exit looks the stop up first`, symbol);
      return { id: stopId, kind: plan.kind };
    }
  };

  /**
   * A signal's age since its decision bar closed. A real broker fills at the market, so market time counts
   * (paper, live and the rehearsal); the simulated broker fills at the decision bar, so a TEST_MODE replay
   * counts only the bot's own lag in real time (market age / speed). docs/trading.md, "Stale signals".
   */
  const signalAgeMs = (signal: EntrySignal) => {
    const marketAgeMs = marketNowMs(clock) - (signal.barStart + MINUTE_MS);
    return cfg.TEST_MODE ? marketAgeMs / clock.speed : marketAgeMs;
  };
  /**
   * At a real broker an entry sent at or after the session's end could not be managed (and after the close
   * would sit queued); the simulated broker fills at the decision bar, so a lagging replay still may.
   */
  const pastSessionEnd = () => !cfg.TEST_MODE && marketNowMs(clock) >= hardEndMs;

  /** Refusals of one entry signal: each ends the signal with a note (and may allow a later one). */
  const entryRefusals = (signal: EntrySignal, symbol: string, tracker: SymbolTracker) => {
    const refuse = (why: string, opts: { laterEntry?: boolean } = {}): null => {
      tracker.cancelEntry(opts);
      note('skipped', why, symbol, { side: signal.side, price: signal.price });
      return null;
    };
    const staleRefusal = (): null => {
      staleSignalsSkipped += 1;
      return refuse(`stale signal: its bar closed ${Math.round(signalAgeMs(signal) / 1000)} s ago (MAX_SIGNAL_AGE_SECONDS=${cfg.MAX_SIGNAL_AGE_SECONDS})`);
    };
    return { refuse, staleRefusal };
  };

  /** An entry, strongest first: prepared, granted, placed (docs/trading.md, "Order latency"). */
  const enter = async (signal: EntrySignal, symbol: string, tracker: SymbolTracker, acceptedSignals: number) => {
    const prepared = await prepareEntry(signal, symbol, tracker);
    const granted = prepared && (await grantEntry(prepared, acceptedSignals));
    if (granted) await placeEntry(granted);
  };

  /**
   * A bar's entries at once: every entry prepares together; grants go one at a time in strength order (the
   * weights table's rank), the next asked while the previous order is out; each order goes out once its
   * grant returned and the order before it was answered, so a broker that failed one is not sent the next.
   */
  const enterPipelined = async (entriesHere: readonly { symbol: string; tracker: SymbolTracker; signal: EntrySignal }[], acceptedSignals: number) => {
    const preparing = entriesHere.map((e) => prepareEntry(e.signal, e.symbol, e.tracker));
    let placing: Promise<void> = Promise.resolve();
    for (const next of preparing) {
      const prepared = await next;
      const granted = prepared && (await grantEntry(prepared, acceptedSignals));
      if (granted) placing = placing.then(() => placeEntry(granted));
    }
    await placing;
  };

  /**
   * Everything an entry settles before it asks the account for a grant: the checks, the instrument, the
   * operator's confirmation, its price, spread and closing imbalance. Null when the signal was refused.
   */
  const prepareEntry = async (signal: EntrySignal, symbol: string, tracker: SymbolTracker): Promise<PreparedEntry | null> => {
    signals += 1;
    const { refuse, staleRefusal } = entryRefusals(signal, symbol, tracker);
    const gate = entryGate({
      trading,
      pastSessionEnd: pastSessionEnd(),
      stale: signalAgeMs(signal) > maxSignalAgeMs,
      tradingDisabled: cfg.DISABLE_ALL_TRADES,
      tickerTradedToday: blocked.has(symbol),
    });
    if (gate !== null) return gate.rule === 'stale_signal' ? staleRefusal() : refuse(gate.message);
    const shortType = strategySetting(cfg, strategyName, 'SHORT_TYPE');
    // Bearish: what the broker and the asset allow (and a real put chain) decide the instrument.
    let facts: BearishFacts = { supportsOptions: true, supportsShorting: true, shortable: true, putChain: null };
    if (signal.side === 'short' && shortType !== 'disabled' && shortType !== 'InverseETF') {
      try {
        facts = await bearishFacts({ broker: input.broker, replayFolder, underlying: symbol, price: signal.price, date, wantPutChain: shortType === 'LongPut' });
      } catch (err) {
        failedCall();
        return refuse(`no instrument facts from ${input.broker}: ${describeError(err).message}`);
      }
    }
    const choice = chooseInstrument({
      underlying: symbol,
      side: signal.side,
      shortType,
      underlyingPrice: signal.price,
      date,
      brokerSupportsOptions: facts.supportsOptions,
      brokerSupportsShorting: facts.supportsShorting,
      shortable: facts.shortable,
      putChain: facts.putChain,
    });
    if (!choice.ok) return refuse(choice.reason);
    if (cfg.TRADE_CONFIRMATION_REQUIRED) {
      pendingConfirmation = symbol;
      await report();
      // A stop or kill ends the wait at once: it must not sit out the confirmation timeout.
      const answered = await condition(
        () => confirmations.has(symbol) || !mayOpen(trading),
        cfg.TRADE_CONFIRMATION_TIMEOUT * 1000,
      );
      pendingConfirmation = null;
      if (!mayOpen(trading)) return refuse('kill switch or stop active');
      if (!answered || !confirmations.get(symbol)) return refuse(answered ? 'rejected by operator' : 'confirmation timed out');
    }
    const quoteInput = { broker: input.broker, replayFolder, symbol: choice.choice.symbol, assetClass: choice.choice.assetClass, barStart: signal.barStart };
    // Spread before a live entry (TEST_MODE skips it unless TEST_MODE_APPLY_SPREAD_CHECK; docs/screening.md,
    // "Spread check and one-sided quotes").
    const spreadChecked = !cfg.TEST_MODE || cfg.TEST_MODE_APPLY_SPREAD_CHECK;
    const askSpreadQuote = async (): Promise<{ bid: number | null; ask: number | null }> => {
      try {
        return await entryQuote(quoteInput);
      } catch (err) {
        failedCall();
        note('warning', `no quote for the spread check: ${describeError(err).message}`, symbol);
        return { bid: null, ask: null };
      }
    };
    // Both quotes at once when the session may (one round trip less before the order).
    const spreadQuote = concurrentOrders && spreadChecked ? askSpreadQuote() : null;
    let price: number | null;
    try {
      price = await quote(quoteInput);
    } catch (err) {
      await spreadQuote;
      failedCall();
      await escalate('quote', symbol, null, err);
      return refuse('broker failed to quote');
    }
    if (price === null || !(price > 0)) {
      await spreadQuote;
      return refuse(`no price for ${choice.choice.symbol}`);
    }
    if (spreadChecked) {
      const q = await (spreadQuote ?? askSpreadQuote());
      // An option has its own limit (docs/screening.md, "Spread check and one-sided quotes").
      const sc = choice.choice.assetClass === 'us_option'
        ? entrySpreadCheck(price, q.bid, q.ask, cfg.MAX_OPTION_SPREAD_PCT, 'MAX_OPTION_SPREAD_PCT')
        : entrySpreadCheck(price, q.bid, q.ask, cfg.MAX_SPREAD_PCT);
      // A one-sided, crossed or missing quote says nothing about the trade: a later bar may signal again
      // (docs/screening.md, "Spread check and one-sided quotes"); a wide spread ends this symbol's session.
      if (!sc.ok) return refuse(`spread: ${sc.reason}`, { laterEntry: sc.refusal !== 'too_wide' && sc.refusal !== 'no_price' });
    }
    // IBKR closing-imbalance scanner: live CLOSE entries only, when that broker is enabled (README.md,
    // "Strategies").
    if (strategyName === 'close' && !cfg.TEST_MODE && cfg.IBKR_ENABLED) {
      let data: Awaited<ReturnType<typeof closingImbalance>> = null;
      try {
        data = await closingImbalance({ symbols: [symbol] });
      } catch (err) {
        note('warning', `closing imbalance unavailable: ${describeError(err).message}`, symbol);
      }
      const gate = imbalanceGate(signal.side, data?.[symbol] ?? null, cfg.CLOSE_IMBALANCE_STRONG_RATIO);
      if (gate.warning) note('warning', gate.warning, symbol);
      if (!gate.allow) return refuse(`imbalance: strong opposing closing imbalance (${data?.[symbol]?.imbalance} of ${data?.[symbol]?.auctionVolume} paired)`);
    }
    return { signal, symbol, tracker, choice: choice.choice, price };
  };

  /**
   * The account's grant for a prepared entry (limits, weights and sizing decided atomically by the account
   * workflow, across sessions and brokers). `acceptedSignals`: grants so far plus the signals of this bar,
   * the n of the weights table. Null when refused.
   */
  const grantEntry = async (prepared: PreparedEntry, acceptedSignals: number): Promise<GrantedEntry | null> => {
    const { signal, symbol, tracker, choice, price } = prepared;
    const { refuse } = entryRefusals(signal, symbol, tracker);
    // Prepared alongside others, an entry checks again what may have changed while it waited.
    if (pipelinedEntries && !mayOpen(trading)) return refuse('kill switch or stop active');
    const requestId = grantRequestId(info.workflowId, symbol);
    let grant: Awaited<ReturnType<typeof requestCapacity>>;
    try {
      grant = await requestCapacity(
        entryCapacityRequest({
          requestId,
          date,
          session: strategyName,
          broker: input.broker,
          symbol,
          signal,
          choice,
          price,
          brokerFloat: account.accountValue,
          fractional: cfg.FRACTIONAL,
          sessionWorkflowId: info.workflowId,
          grantsTaken,
          acceptedSignals,
        }),
      );
    } catch (err) {
      // No risk decision, no entry; the account being out of reach halts this broker's entries.
      failedCall();
      await escalate('capacity request', symbol, null, err);
      return refuse('the risk account did not answer');
    }
    if (!grant.granted) return refuse(`risk: ${grant.reason}`);
    grantsTaken += 1;
    return { ...prepared, requestId, grant };
  };

  /** The granted entry's order, its record and its protective stop; a failure is escalated, never thrown. */
  const placeEntry = async (granted: GrantedEntry): Promise<void> => {
    const { signal, symbol, tracker, choice: chosen, requestId, grant } = granted;
    const { refuse, staleRefusal } = entryRefusals(signal, symbol, tracker);
    // Signals may have arrived while awaiting the quote, the confirmation or the grant: check again, with no
    // await between this check and scheduling the order.
    const late = signalAgeMs(signal) > maxSignalAgeMs;
    if (!mayOpen(trading) || late || pastSessionEnd()) {
      await releaseQuietly(requestId);
      if (late) staleRefusal();
      else refuse(pastSessionEnd() ? 'too late: the session has reached its end' : 'kill switch or stop active');
      return;
    }
    blocked.add(symbol);
    tradedTickers.push(symbol);
    const qty = grant.quantity;
    const allocation = grant.allocationDollars;
    note('order', `submitting ${chosen.openSide} ${qty} ${chosen.symbol}`, symbol);
    const entryId = clientOrderId({ workflowId: info.workflowId, session: strategyName, ticker: symbol, leg: 'entry' });
    // A real broker fills at the market: the submit activity refuses to post past the deadline (a retry
    // after downtime); the simulated broker fills at the decision bar, so a replay has none.
    const deadline = cfg.TEST_MODE ? null : { notAfterMs: entryDeadlineMs({ barStart: signal.barStart, maxSignalAgeMs, sessionEndMs: hardEndMs }), clock };
    const submitted = await submitOrSettle(entryId, () => submitOrder({
      broker: input.broker,
      replayFolder,
      deadline,
      request: {
        clientOrderId: entryId,
        symbol: chosen.symbol,
        assetClass: chosen.assetClass,
        side: chosen.openSide,
        qty,
        type: 'market',
        simFillBarStart: signal.barStart,
        underlying: symbol,
      },
    }));
    if (submitted.kind === 'failed') {
      tracker.cancelEntry();
      await escalate('entry order', symbol, entryId, submitted.error);
      // Free the slot only when the broker confirmed it has no such order; an unknown outcome keeps it taken.
      if (submitted.brokerSaysAbsent) await releaseQuietly(requestId);
      return;
    }
    const order = submitted.order;
    if (order.rejectReason === ORDER_DEADLINE_PASSED) {
      await releaseQuietly(requestId);
      staleRefusal();
      return;
    }
    recordOrder(metricTags, 'entry', order.status === 'filled' || order.status === 'partially_filled');
    if (order.status !== 'filled' && order.status !== 'partially_filled') {
      errors += 1;
      tracker.cancelEntry();
      await releaseQuietly(requestId);
      note('rejected', `entry order rejected: ${order.rejectReason ?? order.status}`, symbol, { error_code: order.rejectReason });
      return;
    }
    entries += 1;
    recordExecution(order);
    const trade: OpenTrade = {
      requestId,
      tags: grant.tags,
      underlying: symbol,
      choice: chosen,
      signal,
      order,
      stopClientOrderId: null,
      stopKind: null,
      allocation,
      accountValue: grant.accountValue,
      lastUnderlying: signal.price,
    };
    const protectPosition = async () => {
      const stop = await protect(symbol, chosen, order);
      const held = open.get(symbol) ?? trade;
      open.set(symbol, { ...held, stopClientOrderId: stop?.id ?? null, stopKind: stop?.kind ?? null });
    };
    if (concurrentOrders) {
      open.set(symbol, trade);
      protections.set(symbol, protectPosition());
    } else {
      await protectPosition();
    }
    note('entry', `${signal.side} ${order.filledQty} ${chosen.symbol} at ${order.filledAvgPrice}`, symbol, {
      side: signal.side,
      signal_price: signal.price,
      bar: new Date(signal.barStart).toISOString(),
      instrument: chosen.instrument,
    });
    await report();
    await afterOrders('fill alert', () =>
      notify({
        event: 'fill',
        mode: input.mode,
        eventId: `${info.workflowId}:fill:${symbol}`,
        subject: `${strategyName.toUpperCase()} entry ${chosen.symbol}`,
        lines: [`${signal.side} ${order.filledQty} ${chosen.symbol} at ${order.filledAvgPrice} (${symbol} signal at ${signal.price})`],
      }),
    );
  };

  const exit = async (symbol: string, reason: ExitReason, price: number, barStart: number) => {
    // The stop must be at the broker (or known absent) before the exit cancels it: never sell twice.
    await protections.get(symbol);
    const t = open.get(symbol);
    if (!t) return;
    open.delete(symbol);
    const closeSide = closingSide(t.choice.openSide);
    const exitId = exitOrderId(symbol);
    let closed: Awaited<ReturnType<typeof closePosition>> | null = null;
    let exitFailure: string | null = null;
    try {
      closed = await closePosition({
        broker: input.broker,
        replayFolder,
        stopClientOrderId: t.stopClientOrderId,
        stopKind: t.stopKind ?? null,
        request: {
          clientOrderId: exitId,
          symbol: t.choice.symbol,
          assetClass: t.choice.assetClass,
          side: closeSide,
          qty: t.order.filledQty,
          type: 'market',
          simFillBarStart: barStart,
          underlying: symbol,
        },
      });
      retries += closed.attempt - 1;
    } catch (err) {
      // The position may still be open at the broker: it is recorded as unresolved, never guessed closed.
      failedCall();
      const d = describeError(err);
      exitFailure = `${d.errorClass}${d.code ? `:${d.code}` : ''}`;
      await escalate('exit order', symbol, exitId, err);
    }
    const exitOrder = closed?.exit ?? null;
    if (exitOrder) recordOrder(metricTags, 'exit', exitOrder.filledQty > 0);
    if (exitOrder && exitOrder.filledAt !== null) recordExecution(exitOrder);
    if (closed?.stop && closed.stop.filledQty > 0) note('stop', `the broker's stop had filled ${closed.stop.filledQty} at ${closed.stop.filledAvgPrice}`, symbol);
    const held = { openSide: t.choice.openSide, assetClass: t.choice.assetClass, entryPrice: t.order.filledAvgPrice ?? 0, filledQty: t.order.filledQty, entryFees: t.order.fees, stopKind: t.stopKind ?? null };
    // The broker's stop filled first: its kind, time and price are the trade's (docs/trading.md).
    const outcome = exitOutcome({ held, closed, exitFailure, reason, decidedAt: new Date(barStart).toISOString() });
    const { exitPrice, closedQty, fees, pnl, fullyClosed, stopClosed, reason: recordedReason, exitTime, errorCode } = outcome;
    if (!fullyClosed && exitFailure === null) {
      // The broker answered but the position is (partly) still there, e.g. an order refused as market closed:
      // escalate, and keep its risk grant below, since the exposure is real (docs/trading.md).
      const left = t.order.filledQty - closedQty;
      await escalate('exit order not filled', symbol, exitId, new BrokerError(`exit filled ${closedQty} of ${t.order.filledQty} (${exitOrder?.rejectReason ?? exitOrder?.status ?? 'no order'}): ${left} ${t.choice.symbol} stay open at ${input.broker}`));
    }
    const exitOrderIds = [exitOrder, closed?.stop ?? null].filter((o): o is BrokerOrder => o !== null && o.filledQty > 0);
    exits += 1;
    realizedPnl += pnl;
    const trade = closedTradeRecord(tradeOpeningOf(t, { workflowId: info.workflowId, strategy: strategyName }), {
      timestamp: new Date(marketNowMs(clock)).toISOString(),
      date,
      size: t.order.filledQty,
      exitPrice,
      exitTime,
      exitReason: recordedReason,
      pnl,
      fees,
      broker: input.broker,
      mode: input.mode,
      exitOrderId: exitOrderIds.map((o) => o.id).join(' ') || (exitOrder?.id ?? null),
      // The exit's id only when an exit may have reached the broker (not when the broker's stop closed it all).
      clientOrderIds: [t.order.clientOrderId, ...(stopClosed && exitOrder === null ? [] : [exitId]), ...(t.stopClientOrderId ? [t.stopClientOrderId] : [])],
      errorCode,
    });
    note('exit', `${recordedReason}${stopClosed ? ` (the stop held at ${input.broker} filled first)` : ''}: ${t.choice.symbol} at ${exitPrice ?? 'unfilled'} pnl ${pnl}`, symbol, {
      reason: recordedReason,
      underlying_price: price,
      bar: new Date(barStart).toISOString(),
    });
    // The position is already closed at the broker: a record or ledger that cannot be written is escalated
    // (unresolved_orders log, alert, broker halted) and the session goes on exiting (docs/trading.md).
    await mustWrite('trade record', symbol, exitId, () => recordTrade({ mode: input.mode, trade }));
    await mustWrite('ledger posting', symbol, exitId, () => postTradeToLedger({ mode: input.mode, trade }));
    await bestEffort('ledger export', () => exportLedger({ mode: input.mode, trigger: 'auto' }));
    await afterOrders('exit alert', () =>
      notify({
        event: 'exit',
        mode: input.mode,
        eventId: `${info.workflowId}:exit:${symbol}`,
        subject: `${strategyName.toUpperCase()} exit ${t.choice.symbol} (${reason})`,
        lines: [`${t.choice.symbol} closed at ${exitPrice ?? 'unfilled'}, PnL ${pnl}`],
      }),
    );
    // A position still (partly) held keeps its slot: freeing it would let the bot open more than the limits allow.
    const released = fullyClosed ? await mustWrite('capacity release', symbol, exitId, () => releaseCapacity({ requestId: t.requestId, realizedPnl: pnl, filled: true })) : null;
    if (released?.brokerHalted && !isBrokerHalted(trading)) {
      trading = escalateTrading(trading, 'broker_halted');
      note('kill', `daily loss limit reached at ${input.broker}: trading halted for the day`);
    }
    await report();
  };

  const handle = async (symbol: string, tracker: SymbolTracker, d: Decision) => {
    if (d === null) return;
    if (d.kind === 'exit') await exit(symbol, d.reason, d.price, d.barStart);
    else await enter(d, symbol, tracker, acceptedSignalCount(grantsTaken, 1));
  };

  // Every position at once: at the close deadline one exit must not wait for another's round trips.
  const exitAll = async (reason: ExitReason) => {
    await Promise.all(
      [...open.keys()].map((symbol) => {
        const bar = lastBar.get(symbol);
        const t = open.get(symbol) as OpenTrade;
        return exit(symbol, reason, bar?.c ?? t.signal.price, bar?.t ?? t.signal.barStart);
      }),
    );
  };

  // Watchdog (README.md, "Paper and live"): the broker must answer a heartbeat every few market minutes; one
  // that does not after every retry gets its pending orders cancelled and its trading halted.
  let lastHeartbeatMs = marketNowMs(clock);
  const heartbeat = async (nowMs: number) => {
    if (nowMs - lastHeartbeatMs < WATCHDOG_INTERVAL_MS) return;
    lastHeartbeatMs = nowMs;
    try {
      const hb = await brokerHeartbeat({ broker: input.broker, replayFolder });
      retries += hb.attempt - 1;
      brokerConnectivity = 'ok';
    } catch (err) {
      failedCall();
      brokerConnectivity = 'unreachable';
      await bestEffort('cancel pending orders', () => cancelBotOrders({ broker: input.broker, replayFolder }));
      await escalate('broker heartbeat', null, null, err);
    }
  };
  let dataFailures = 0;
  let dataLost = false;

  // Bar loop: wake at each market minute, take the bars closed since the last call, decide bar by bar.
  // Anything that still escapes it (an activity out of retries, a bug) ends trading, not the session: what
  // it holds is exited below and the day hears why (docs/trading.md, "When a session fails").
  try {
    await runBarLoop();
  } catch (err) {
    const d = describeError(err);
    failure = `${d.errorClass}${d.code ? ` ${d.code}` : ''}: ${d.message}`;
    errors += 1;
    note('kill', `session failed: ${failure}; positions exited`);
    await criticalAlert('session', [failure]);
  }

  const faulted = dataLost || failure !== null;
  await exitAll(closingExitReason(trading, end.reason, faulted));
  // Alerts still on their way are part of the session (and of its backup).
  await Promise.all(background);
  await flushLog();
  // After each session: logs, trade history, summaries and the ledger are archived.
  await bestEffort('backup', () => backupOutputs({ mode: input.mode, label: `${date}-${strategyName}` }));
  await setState(finalSessionState(trading, faulted));
  log.info('session finished', { strategy: strategyName, entries, exits, realizedPnl, at: workflowNowMs() });
  // Every handler is synchronous today; this keeps it so if one ever awaits (docs/temporal.md).
  await condition(allHandlersFinished);
  return status();

  async function runBarLoop(): Promise<void> {
    while (mayOpen(trading)) {
      const now = marketNowMs(clock);
      const through = Math.min(now - (now % MINUTE_MS) + MINUTE_MS, hardEndMs);
      // Providers publish a minute's bar a moment after it ends: asking at the boundary would miss it.
      await sleepUntilMarket(clock, through + fetchDelayMs);
      if (!mayOpen(trading)) break;
      const active = [...trackers.entries()].filter(([, t]) => !t.done).map(([s]) => s);
      if (active.length === 0) break;
      let res: Awaited<ReturnType<typeof fetchBars>>;
      try {
        const seen = Object.fromEntries(active.filter((s) => nextBarFrom.has(s)).map((s) => [s, nextBarFrom.get(s) as number]));
        res = await fetchBars({ symbols: active, fromMs: fetchFromMs(active), throughMs: through, nextBarFrom: seen, replayFolder });
      } catch (err) {
        // Nothing is marked seen: the next call asks for every bar since, so nothing is skipped if the feed recovers.
        failedCall();
        errors += 1;
        dataFailures += 1;
        dataConnectivity = 'unreachable';
        note('warning', `bar fetch failed (${dataFailures} in a row): ${describeError(err).message}`);
        if (dataFailures >= MAX_DATA_FAILURES || through >= hardEndMs) {
          dataLost = true;
          note('kill', `market data unreachable after ${dataFailures} attempts: session halted, positions exited`);
          await bestEffort('data loss alert', () =>
            notify({
              event: 'critical',
              mode: input.mode,
              eventId: `${info.workflowId}:data-lost`,
              subject: `${strategyName.toUpperCase()} halted: market data unreachable`,
              lines: [describeError(err).message],
            }),
          );
          break;
        }
        await flushLog();
        continue;
      }
      dataFailures = 0;
      dataConnectivity = 'ok';
      retries += (res.attempt ?? 1) - 1;
      // A position an earlier session left outside regular hours is exited once the market is open.
      if (adoptionPending && !openReconciled && window.sessionOpenMs !== null && through > window.sessionOpenMs) {
        openReconciled = true;
        await reconcile('open', account.accountValue);
      }
      // The first fetch brings the day's history for the indicators: those bars are not late, only old.
      const warmUp = lastThroughMs === null;
      lastThroughMs = through;
      // A bar already decided on (a re-delivery, an out-of-order page) is dropped before any tracker sees it.
      const merged = mergeBars(res.bars).filter(({ symbol, bar }) => bar.t >= (nextBarFrom.get(symbol) ?? dayStartMs));
      for (const { symbol, bar } of merged) nextBarFrom.set(symbol, bar.t + MINUTE_MS);
      barsSeen += merged.length;
      recordBarFetch(metricTags, {
        nowMs: marketNowMs(clock),
        newBars: merged.length,
        latencyBarEndsMs: warmUp ? [] : merged.map(({ bar }) => bar.t + MINUTE_MS),
        newestBarEndMs: newestBarEnd(),
      });
    for (const { symbol, bar } of merged) {
      const c = barCoverage[symbol];
      barCoverage[symbol] = c ? [c[0], bar.t, c[2] + 1] : [bar.t, bar.t, 1];
    }
      if (stateIs('analyzing') && through > window.entryStartMs) await setState('trading');
      // Exits before entries on the same bar, so a freed slot can be used; entries strongest first.
      for (const group of groupByStart(merged)) {
        const entriesHere: { symbol: string; tracker: SymbolTracker; signal: EntrySignal }[] = [];
        const exitsHere: Promise<void>[] = [];
        for (const { symbol, bar } of group) {
          const tracker = trackers.get(symbol) as SymbolTracker;
          lastBar.set(symbol, bar);
          const t = open.get(symbol);
          if (t) t.lastUnderlying = bar.c;
          const d = tracker.onBar(bar);
          if (d?.kind === 'entry') entriesHere.push({ symbol, tracker, signal: d });
          else if (concurrentOrders) exitsHere.push(handle(symbol, tracker, d));
          else await handle(symbol, tracker, d);
        }
        await Promise.all(exitsHere);
        entriesHere.sort(strongestFirst);
        const acceptedSignals = acceptedSignalCount(grantsTaken, entriesHere.length);
        if (pipelinedEntries) await enterPipelined(entriesHere, acceptedSignals);
        else for (const e of entriesHere) await enter(e.signal, e.symbol, e.tracker, acceptedSignals);
      }
      const exhausted = new Set(res.exhausted);
      // Time exits (the session's end among them): every position's at once where the session may.
      const timeExits = async (symbol: string) => {
        const tracker = trackers.get(symbol) as SymbolTracker;
        await handle(symbol, tracker, tracker.onTime(through) as ExitSignal | null);
        if (exhausted.has(symbol)) await handle(symbol, tracker, tracker.onEndOfData() as ExitSignal | null);
      };
      if (concurrentOrders) await Promise.all(active.map(timeExits));
      else for (const symbol of active) await timeExits(symbol);
      if (stateIs('trading') && through >= window.entryEndMs) await setState('monitoring');
      if (!isBrokerHalted(trading)) await heartbeat(through);
      await flushLog();
      if (through >= hardEndMs) break;
    }
  }
}

/** An entry signal whose instrument and price are settled; next it asks the account for a grant. */
interface PreparedEntry {
  readonly signal: EntrySignal;
  readonly symbol: string;
  readonly tracker: SymbolTracker;
  readonly choice: InstrumentChoice;
  readonly price: number;
}

/** A prepared entry the account granted: its quantity and allocation, under its request id. */
interface GrantedEntry extends PreparedEntry {
  readonly requestId: string;
  readonly grant: CapacityGrant;
}

/** Runs an activity whose failure must not stop trading; the failure is logged. */
async function bestEffort(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.warn(`${what} failed; trading goes on`, { error: String(err) });
  }
}

/** Market minutes between watchdog heartbeats to the broker. */
const WATCHDOG_INTERVAL_MS = 5 * MINUTE_MS;
/** How late a bar may be published and still be asked for again (market ms). */
const LATE_BAR_WINDOW_MS = 5 * MINUTE_MS;
/** Consecutive failed bar fetches (each after its retries) that halt a session. */
const MAX_DATA_FAILURES = 3;
