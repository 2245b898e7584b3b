import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  acknowledgeEvents,
  brokerKill,
  brokerKillProblems,
  capacityRequestProblems,
  configure,
  createAccountState,
  importRiskHistory,
  importRiskHistoryProblems,
  releaseRequestProblems,
  setDefenseMode,
  setDefenseModeProblems,
  snapshot,
  type AccountEvent,
  type AccountState,
  type DefenseModeEvent,
  type KillSwitchEvent,
} from '../domain/risk/accountState';
import {
  emptyTickerBook,
  pruneTickerBook,
  recentDayRuns,
  releaseWithTickerRule,
  requestWithTickerRule,
} from '../domain/risk/tickerRule';
import {
  accountStatusQuery,
  brokerHaltedSignal,
  brokerKillUpdate,
  configureSignal,
  importRiskHistoryUpdate,
  releaseCapacityUpdate,
  requestCapacityUpdate,
  setDefenseModeUpdate,
  watchBrokerHaltsSignal,
  type AccountBook,
  type AccountEventActivities,
  type AccountWorkflowInput,
  type BrokerHaltedNotice,
  type CapacityDecision,
} from './accountApi';
import { RETRY_POLICIES } from '../domain/errors/retryPolicy';
import type { BrokerName } from '../domain/vocabulary';

/**
 * The account: a long-lived entity workflow (one per deployment mode, id `tradebot-account-<mode>`) that
 * owns every shared risk decision: concurrency slots, session allocations, daily loss limits (kill switch)
 * and defense mode.
 *
 * Why it cannot be raced: a workflow execution is single-threaded, and every handler below is synchronous
 * (no await), so each update reads and replaces the whole state in one step before the next one runs.
 * Two sessions or brokers asking at the same moment are applied one after the other; the second sees the
 * first's grant. The state lives in the workflow's event history, so it survives worker and server
 * restarts; continue-as-new carries it to a fresh history before that history grows long.
 *
 * I/O (disaster log, risk event log, alerts, halt notices) leaves through an outbox in the state, drained
 * by the main loop with activities and signals; the handlers themselves never wait for I/O.
 */

const emptyBook = (): AccountBook => ({ ...emptyTickerBook(), watchers: [] });

/** The ticker book pruned to the retained dates (domain/risk/tickerRule.ts), with the day runs still inside them. */
function pruneBook(book: AccountBook, latestDate: string | null): AccountBook {
  return { ...pruneTickerBook(book, latestDate), watchers: recentDayRuns(book.watchers, latestDate) };
}

export const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 2000;

const eventActivities = proxyActivities<AccountEventActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.accountEvents,
});

function rejectIfProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(`invalid request: ${problems.join('; ')}`);
}

export async function accountWorkflow(input: AccountWorkflowInput): Promise<void> {
  let state: AccountState = input.state ?? createAccountState(input.config, input.startedAt);
  let book: AccountBook = input.book ?? emptyBook();
  // Halt notices owed to days that started watching after their broker was already halted.
  const lateNotices: { readonly workflowId: string; readonly notice: BrokerHaltedNotice }[] = [];
  const eventThreshold = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  // Kill events whose holders were already signalled in this run (so a retried drain does not repeat them).
  const notifiedKillEvents = new Set<string>();

  // Every handler applies one pure reducer and returns: no await, hence atomic (see the file comment).
  setHandler(
    requestCapacityUpdate,
    (req): CapacityDecision => {
      // The ticker rule first, then the reducer (domain/risk/tickerRule.ts); same request id, same answer.
      const t = requestWithTickerRule(state, book, book.watchers, req);
      const granted = t.result.granted && t.book !== book;
      state = t.state;
      book = granted ? { ...t.book, watchers: recentDayRuns(book.watchers, state.latestDate) } : { ...t.book, watchers: book.watchers };
      return t.result;
    },
    { validator: (req) => rejectIfProblems(capacityRequestProblems(req)) },
  );
  setHandler(
    releaseCapacityUpdate,
    (rel) => {
      const t = releaseWithTickerRule(state, book, rel);
      state = t.state;
      book = { ...t.book, watchers: book.watchers };
      return t.result;
    },
    { validator: (rel) => rejectIfProblems(releaseRequestProblems(rel)) },
  );
  setHandler(
    setDefenseModeUpdate,
    (req) => {
      const t = setDefenseMode(state, req);
      state = t.state;
      return t.result;
    },
    { validator: (req) => rejectIfProblems(setDefenseModeProblems(req)) },
  );
  setHandler(
    brokerKillUpdate,
    (req) => {
      const t = brokerKill(state, req);
      state = t.state;
      return t.result;
    },
    { validator: (req) => rejectIfProblems(brokerKillProblems(req)) },
  );
  setHandler(
    importRiskHistoryUpdate,
    (req) => {
      const t = importRiskHistory(state, req);
      state = t.state;
      return t.result;
    },
    // Reads the state too: a new import is refused while defense mode is on.
    { validator: (req) => rejectIfProblems(importRiskHistoryProblems(state, req)) },
  );
  setHandler(configureSignal, (req) => {
    state = configure(state, req).state;
  });
  setHandler(watchBrokerHaltsSignal, (w) => {
    if (book.watchers.some((x) => x.workflowId === w.workflowId && x.date === w.date)) return;
    book = { ...book, watchers: [...book.watchers, { workflowId: w.workflowId, date: w.date }] };
    for (const d of Object.values(state.brokerDays)) {
      if (d.date !== w.date || !d.halted) continue;
      const cause = state.killHistory.find((k) => k.date === d.date && k.broker === d.broker)?.cause ?? 'manual';
      lateNotices.push({
        workflowId: w.workflowId,
        notice: { broker: d.broker, date: d.date, reason: d.haltReason ?? 'halted', cause, requestIds: [], at: d.haltedAt ?? '' },
      });
    }
  });
  setHandler(accountStatusQuery, () => ({ ...snapshot(state), tickersTraded: book.tickersTraded }));

  const shouldContinueAsNew = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= eventThreshold;
  };

  async function sendHalt(workflowId: string, notice: BrokerHaltedNotice): Promise<void> {
    try {
      await getExternalWorkflowHandle(workflowId).signal(brokerHaltedSignal, notice);
    } catch (err) {
      // A holder or day that already finished has nothing left to exit.
      log.warn('broker halt notice not delivered', { workflowId, error: String(err) });
    }
  }

  async function notifyHolders(event: KillSwitchEvent): Promise<void> {
    if (notifiedKillEvents.has(event.id)) return;
    const notice = (requestIds: readonly string[]): BrokerHaltedNotice => ({
      broker: event.broker as BrokerName,
      date: event.date,
      reason: event.reason,
      cause: event.cause,
      requestIds,
      at: event.at,
    });
    for (const holder of event.holders) await sendHalt(holder.workflowId, notice(holder.requestIds));
    // Days of that date stop the broker's other sessions too (those holding nothing at this moment).
    for (const w of book.watchers) if (w.date === event.date) await sendHalt(w.workflowId, notice([]));
    notifiedKillEvents.add(event.id);
  }

  async function drainEvents(): Promise<void> {
    const batch: AccountEvent[] = [...state.pendingEvents];
    for (const event of batch) {
      if (event.kind === 'kill_switch') {
        log.error('kill switch fired', { broker: event.broker, date: event.date, cause: event.cause, reason: event.reason });
        await notifyHolders(event);
      } else if (event.kind === 'defense_mode') {
        log.warn('defense mode changed', { change: event.change, active: event.active, trigger: event.trigger.kind });
      }
    }
    const defenseEvents = batch.filter((e): e is DefenseModeEvent => e.kind === 'defense_mode');
    if (defenseEvents.length > 0) await eventActivities.recordDisasterLogEvents(defenseEvents);
    await eventActivities.recordAccountEvents(input.mode, batch);
    state = acknowledgeEvents(state, batch.map((e) => e.id));
  }

  for (;;) {
    await condition(() => state.pendingEvents.length > 0 || lateNotices.length > 0 || shouldContinueAsNew());
    while (lateNotices.length > 0) {
      const n = lateNotices.shift() as (typeof lateNotices)[number];
      await sendHalt(n.workflowId, n.notice);
    }
    if (state.pendingEvents.length > 0) {
      try {
        await drainEvents();
      } catch (err) {
        // The events stay in the outbox (and travel with continue-as-new); try again later.
        log.error('account events not recorded; retrying later', { error: String(err) });
        await sleep('1 minute');
      }
    }
    if (shouldContinueAsNew()) {
      // Let in-flight handlers finish so no accepted update is lost; then carry the state over.
      await condition(allHandlersFinished);
      await continueAsNew<typeof accountWorkflow>({
        mode: input.mode,
        config: state.config,
        startedAt: input.startedAt,
        state,
        continueAsNewAfterEvents: input.continueAsNewAfterEvents,
        book: pruneBook(book, state.latestDate),
      });
    }
  }
}
