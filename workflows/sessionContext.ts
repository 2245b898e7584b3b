import { getExternalWorkflowHandle, log, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { BrokerOrder } from '../activities/broker/brokerTypes';
import type { StrategyLogEvent } from '../activities/outputs/strategyLog';
import { describeError } from '../domain/errors/errorClasses';
import { attemptsFor } from '../domain/errors/retryPolicy';
import { sessionEnd, type SessionWindow } from '../domain/market/sessionWindow';
import { round2 } from '../domain/math/round';
import { clientOrderId } from '../domain/orders/clientOrderId';
import { SessionEngine } from '../domain/session/sessionEngine';
import { isBrokerHalted } from '../domain/session/tradingState';
import { apiActivities, killAccountBroker, notify, recordUnresolvedOrder, writeStrategyLog } from './sessionActivities';
import type { Connectivity, SessionInput, SessionState, SessionStatus } from './sessionApi';
import { positionView, type OpenTrade } from './sessionPositions';
import { SessionStrategyLog } from './sessionStrategyLog';
import { PATCHES } from './patches';
import { DAY_STATE, HALTED, TRADING_DATE } from './searchAttributes';
import { sessionProgressSignal } from './tradingDayApi';
import { marketNowMs } from './workflowClock';

/** What the live session holds per position and per exit (the engine passes them through). */
export interface LiveVenue {
  readonly position: OpenTrade;
  readonly closing: { readonly exit: BrokerOrder | null; readonly stop: BrokerOrder | null } | null;
}

/**
 * The live session's state beside the engine's (docs/architecture.md, "The session engine and its port"):
 * its status counters and log, and the steps every part of it shares: noting, reporting to the day,
 * escalating a failure, best-effort work. One per session workflow run.
 */
export class SessionContext {
  readonly info = workflowInfo();
  readonly engine: SessionEngine<LiveVenue>;
  /** The broker and market data activities, with the config's retry limit and timeout. */
  readonly activities: ReturnType<typeof apiActivities>;
  state: SessionState = 'idle';
  errors = 0;
  retries = 0;
  escalations = 0;
  barsSeen = 0;
  /** Per symbol: first and last bar start decided on, and how many bars (a gap means a bar was missed). */
  readonly barCoverage: Record<string, [number, number, number]> = {};
  /** Why the session failed (an activity out of retries, a bug); null while it has not. */
  failure: string | null = null;
  brokerConnectivity: Connectivity = 'unknown';
  dataConnectivity: Connectivity = 'unknown';
  actualStart: string | null = null;
  candidates: string[] = [];
  pendingConfirmation: string | null = null;
  readonly confirmations = new Map<string, boolean>();
  readonly notes: string[] = [];
  readonly executionSeconds: number[] = [];
  /** Work that must finish before the session returns but need not hold the next order (alerts). */
  readonly background: Promise<void>[] = [];
  /** Sessions started by an earlier release replay their sequential orders (workflows/patches.ts). */
  readonly concurrentOrders: boolean;
  /** Prepared entries go out alongside each other (and check the trading state again before a grant). */
  readonly pipelinedEntries: boolean;
  /**
   * Every position this session opens is closed by here: the latest entry bar plus the hold, or one minute
   * before the close, so that no exit reaches the broker after the bell (docs/trading.md).
   */
  readonly end: ReturnType<typeof sessionEnd>;
  private readonly searchable: boolean;
  private readonly strategyLog: SessionStrategyLog;
  private publishedState: SessionState | null = null;

  constructor(
    readonly input: SessionInput,
    readonly window: SessionWindow,
  ) {
    this.end = sessionEnd(window);
    this.activities = apiActivities(input.config);
    this.concurrentOrders = patched(PATCHES.sessionConcurrentOrders);
    // One pending confirmation at a time: with TRADE_CONFIRMATION_REQUIRED the entries stay one after another.
    this.pipelinedEntries = this.concurrentOrders && !input.config.TRADE_CONFIRMATION_REQUIRED && patched(PATCHES.sessionPipelinedEntries);
    this.engine = new SessionEngine<LiveVenue>({
      cfg: input.config,
      strategy: input.strategy,
      date: input.date,
      blocked: new Set(input.blockedTickers),
      recheckBeforeGrant: this.pipelinedEntries,
    });
    // The Web UI filters sessions by state (docs/temporal.md, "Finding workflows"). The day gives a session
    // TradingDate only when the namespace has the bot's attributes, so its presence is the check.
    this.searchable = this.info.typedSearchAttributes.get(TRADING_DATE) !== undefined;
    this.strategyLog = new SessionStrategyLog(this.info.workflowId, input.strategy, () => marketNowMs(input.clock));
  }

  status(): SessionStatus {
    const { engine } = this;
    return {
      strategy: this.input.strategy,
      workflowId: this.info.workflowId,
      state: this.state,
      scheduledStart: new Date(this.window.analysisStartMs).toISOString(),
      actualStart: this.actualStart,
      candidates: this.candidates,
      signals: engine.counts.signals,
      entries: engine.counts.entries,
      exits: engine.counts.exits,
      positions: [...engine.open.values()].map((t) => positionView(t, this.exitOrderId(t.underlying))),
      realizedPnl: round2(engine.counts.realizedPnl),
      tradedTickers: [...engine.tradedTickers],
      pendingConfirmation: this.pendingConfirmation,
      notes: [...this.notes],
      errors: this.errors,
      executionSeconds: [...this.executionSeconds],
      connectivity: { broker: this.brokerConnectivity, data: this.dataConnectivity },
      retries: this.retries,
      escalations: this.escalations,
      barsSeen: this.barsSeen,
      barCoverage: { ...this.barCoverage },
      staleSignalsSkipped: engine.counts.staleSignalsSkipped,
      failure: this.failure,
    };
  }

  exitOrderId(underlying: string): string {
    return clientOrderId({ workflowId: this.info.workflowId, session: this.input.strategy, ticker: underlying, leg: 'exit' });
  }

  isoNow(): string {
    return new Date(marketNowMs(this.input.clock)).toISOString();
  }

  note(event: string, message: string, symbol?: string, data?: StrategyLogEvent['data']): void {
    this.strategyLog.note(event, message, symbol, data);
  }

  async flushLog(): Promise<void> {
    const events = this.strategyLog.takePending();
    if (events.length === 0) return;
    const cfg = this.input.config;
    await writeStrategyLog({ mode: this.input.mode, format: cfg.LOG_FORMAT, enabled: cfg.ENABLE_LOGGING, events });
  }

  async report(): Promise<void> {
    try {
      await getExternalWorkflowHandle(this.input.dayWorkflowId).signal(sessionProgressSignal, this.status());
    } catch (err) {
      // The day may have been stopped or terminated; the session still finishes its own work.
      log.warn('could not report progress to the day workflow', { error: String(err) });
    }
  }

  async setState(s: SessionState): Promise<void> {
    this.state = s;
    this.publishSearchState(s);
    await this.report();
  }

  /** A failed call's retries all count: Temporal made every attempt the policy allows. */
  failedCall(): void {
    this.retries += attemptsFor(this.input.config) - 1;
  }

  recordExecution(order: BrokerOrder): void {
    if (order.filledAt === null) return;
    const seconds = (Date.parse(order.filledAt) - Date.parse(order.submittedAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) this.executionSeconds.push(seconds);
  }

  /** Best-effort work (alerts) that need not hold the next order: in the background where the session may. */
  async afterOrders(what: string, fn: () => Promise<unknown>): Promise<void> {
    if (this.concurrentOrders) this.background.push(bestEffort(what, fn));
    else await bestEffort(what, fn);
  }

  /**
   * Escalation of a call that failed after its retries (docs/brokers.md, "Errors and retry policies"): an
   * entry in unresolved_orders_<mode>.log, an alert, and the kill switch for this broker (the account halts
   * it for the day and tells every session of it). Each step is best effort: escalating must never fail the
   * session.
   */
  async escalate(what: string, symbol: string | null, orderId: string | null, err: unknown): Promise<void> {
    const { input, info } = this;
    const d = describeError(err);
    this.errors += 1;
    this.escalations += 1;
    if (d.errorClass === 'NetworkError') this.brokerConnectivity = 'unreachable';
    const haltNow = !isBrokerHalted(this.engine.trading);
    this.engine.escalate('broker_halted');
    const actions = ['alert', haltNow ? `kill switch for ${input.broker}` : `${input.broker} already halted`];
    const message = `${what} failed: ${d.errorClass}${d.code ? ` ${d.code}` : ''}: ${d.message}`;
    this.note('escalation', message, symbol ?? undefined, { error_code: d.code ?? d.errorClass, client_order_id: orderId });
    await bestEffort('unresolved order log', () =>
      recordUnresolvedOrder({
        mode: input.mode,
        order: {
          id: `${info.workflowId}:${what}:${symbol ?? '-'}`,
          timestamp: this.isoNow(),
          strategy: input.strategy,
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
        subject: `${input.strategy.toUpperCase()} ${what} failed at ${input.broker}: trading halted`,
        lines: [message, `Client order id: ${orderId ?? 'none'}`, `Actions: ${actions.join(', ')}`, 'See logs/unresolved_orders and check the broker before the next session.'],
      }),
    );
    if (haltNow) {
      await bestEffort('broker kill switch', () => killAccountBroker({ broker: input.broker, date: input.date, reason: message, at: this.isoNow() }));
    }
    await this.report();
  }

  /** A write after the broker has acted: its failure is escalated, never thrown. */
  async mustWrite<T>(what: string, symbol: string, orderId: string, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      this.failedCall();
      await this.escalate(what, symbol, orderId, err);
      return null;
    }
  }

  /** The spec's shutdown alert: critical, once per cause, never failing the session itself. */
  async criticalAlert(what: string, lines: readonly string[]): Promise<void> {
    const { input, info } = this;
    await bestEffort(`${what} alert`, () =>
      notify({
        event: 'critical',
        mode: input.mode,
        eventId: `${info.workflowId}:failed:${what}`,
        subject: `${input.strategy.toUpperCase()} session at ${input.broker}: ${what} failed, trading stopped`,
        lines: [...lines, 'Positions of this session are exited; check the broker and logs/unresolved_orders.'],
      }),
    );
  }

  private publishSearchState(s: SessionState): void {
    if (!this.searchable || s === this.publishedState || !patched(PATCHES.sessionSearchState)) return;
    this.publishedState = s;
    upsertSearchAttributes([
      { key: DAY_STATE, value: s },
      { key: HALTED, value: s === 'halted' },
    ]);
  }
}

/** Runs an activity whose failure must not stop trading; the failure is logged. */
export async function bestEffort(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.warn(`${what} failed; trading goes on`, { error: String(err) });
  }
}
