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
  releaseCapacity,
  releaseRequestProblems,
  requestCapacity,
  setDefenseMode,
  setDefenseModeProblems,
  snapshot,
  type AccountConfig,
  type AccountEvent,
  type AccountState,
  type DefenseModeEvent,
  type KillSwitchEvent,
} from '../domain/risk/accountState';
import type { OutputMode } from '../domain/trades/tradeRecord';
import {
  accountStatusQuery,
  brokerHaltedSignal,
  brokerKillUpdate,
  configureSignal,
  releaseCapacityUpdate,
  requestCapacityUpdate,
  setDefenseModeUpdate,
  type AccountEventActivities,
} from './accountApi';

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

export interface AccountWorkflowInput {
  readonly mode: OutputMode;
  readonly config: AccountConfig;
  /** ISO instant of the first start (the state's creation time; workflow code reads no clock). */
  readonly startedAt: string;
  /** The state carried across continue-as-new; absent on the very first run. */
  readonly state?: AccountState;
  /** Continue as new after this many history events (the server's suggestion also counts). */
  readonly continueAsNewAfterEvents?: number;
}

export const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 2000;

const eventActivities = proxyActivities<AccountEventActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

function rejectIfProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(`invalid request: ${problems.join('; ')}`);
}

export async function accountWorkflow(input: AccountWorkflowInput): Promise<void> {
  let state: AccountState = input.state ?? createAccountState(input.config, input.startedAt);
  const eventThreshold = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  // Kill events whose holders were already signalled in this run (so a retried drain does not repeat them).
  const notifiedKillEvents = new Set<string>();

  // Every handler applies one pure reducer and returns: no await, hence atomic (see the file comment).
  setHandler(
    requestCapacityUpdate,
    (req) => {
      const t = requestCapacity(state, req);
      state = t.state;
      return t.result;
    },
    { validator: (req) => rejectIfProblems(capacityRequestProblems(req)) },
  );
  setHandler(
    releaseCapacityUpdate,
    (rel) => {
      const t = releaseCapacity(state, rel);
      state = t.state;
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
  setHandler(configureSignal, (req) => {
    state = configure(state, req).state;
  });
  setHandler(accountStatusQuery, () => snapshot(state));

  const shouldContinueAsNew = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= eventThreshold;
  };

  async function notifyHolders(event: KillSwitchEvent): Promise<void> {
    if (notifiedKillEvents.has(event.id)) return;
    for (const holder of event.holders) {
      try {
        await getExternalWorkflowHandle(holder.workflowId).signal(brokerHaltedSignal, {
          broker: event.broker,
          date: event.date,
          reason: event.reason,
          cause: event.cause,
          requestIds: holder.requestIds,
          at: event.at,
        });
      } catch (err) {
        // A holder that already finished has nothing left to exit.
        log.warn('broker halt notice not delivered', { workflowId: holder.workflowId, error: String(err) });
      }
    }
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
    await condition(() => state.pendingEvents.length > 0 || shouldContinueAsNew());
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
      });
    }
  }
}
