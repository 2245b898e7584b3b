import {
  ChildWorkflowFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { TradingActivities } from '../activities/tradingActivities';
import type { ProtectionActivities } from '../activities/broker/protectionActivities';
import type { AccountActivities } from '../activities/accountClient';
import type { AuditActivities } from '../activities/auditActivities';
import { isTradingDay, holidayName } from '../domain/market/exchangeCalendar';
import { dstMisalignment, sessionStartUtcMs } from '../domain/market/sessionWindow';
import { outputMode, routingFlagsOf } from '../domain/routing';
import { capitalReport } from '../domain/risk/capital';
import { liveClock, realDelayUntil, type ReplayClock } from '../domain/time/replayClock';
import { plannedSessions, weekdayOf } from '../domain/day/sessionPlan';
import {
  confirmTradeSignal,
  dayStatusQuery,
  defenseModeSignal,
  killSignal,
  sessionProgressSignal,
  stopSignal,
  type BrokerDayStatus,
  type DayInput,
  type DayState,
  type DayStatus,
  type DaySummary,
} from './tradingDayApi';
import {
  sessionConfirmSignal,
  sessionKillSignal,
  sessionStopSignal,
  type Connectivity,
  type PositionView,
  type SessionStatus,
} from './sessionApi';
import { sessionWorkflow } from './session';
import { brokerHaltedSignal, watchBrokerHaltsSignal, type BrokerHaltedNotice } from './accountApi';
import type { DefenseSource, DefenseTrigger } from '../domain/risk/defenseMode';
import { marketNowMs, sleepUntilMarket, workflowNowMs } from './workflowClock';
import { PATCHES } from './patches';
import { recordBrokerHalt, recordKillSwitch, recordSessionEnd } from './botMetrics';
import { BROKER, DAY_STATE, HALTED, MODE, STRATEGY, TRADING_DATE } from './searchAttributes';
import type { SearchAttributeActivities } from '../workers/searchAttributeActivities';
import { RETRY_POLICIES } from '../domain/errors/retryPolicy';
import { round2 } from '../domain/math/round';
import { closingSide } from '../domain/trades/tradeOutcome';
import { strategySetting } from '../domain/config/strategySettings';
import type { StrategyName, BrokerName } from '../domain/vocabulary';

const { startupChecks, brokerAccount } = proxyActivities<TradingActivities>({
  startToCloseTimeout: '1 minute',
  retry: RETRY_POLICIES.dayStartupChecks,
});
const { ensureAccount, setAccountDefenseMode, accountStatus } = proxyActivities<AccountActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.dayAccount,
});
const { notify, rotateLogs } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '1 minute',
  retry: RETRY_POLICIES.dayAlerts,
});
const { closePosition } = proxyActivities<ProtectionActivities>({
  startToCloseTimeout: '1 minute',
  retry: RETRY_POLICIES.dayExits,
});

const { botSearchAttributesRegistered } = proxyActivities<SearchAttributeActivities>({
  startToCloseTimeout: '10 seconds',
  retry: RETRY_POLICIES.searchAttributeProbe,
});

const { writeDailySummary } = proxyActivities<TradingActivities>({
  startToCloseTimeout: '1 minute',
  retry: RETRY_POLICIES.daySummary,
});

/**
 * One trading day: calendar check, startup checks, then each enabled session as a child workflow
 * started after a durable timer until its START_TIME (UTC), once per enabled broker, and finally the daily
 * summary. Signals (stop, kill, defense mode, trade confirmation) are forwarded to the running sessions.
 * A broker halted by the account (daily loss limit, broker kill) stops its own sessions; the others go on.
 */
export async function tradingDayWorkflow(input: DayInput): Promise<DaySummary> {
  const { config: cfg, date } = input;
  const info = workflowInfo();
  const mode = outputMode(routingFlagsOf(cfg));
  const clock: ReplayClock = input.clock
    ? input.clock
    : input.replay
      ? { anchorRealMs: workflowNowMs(), anchorMarketMs: input.replay.marketStartMs, speed: input.replay.speed }
      : liveClock();

  let state: DayState = 'idle';
  let stopped = false;
  let killed = false;
  let defense = cfg.DEFENSE_MODE_ACTIVE;
  let defenseSource: DefenseSource | null = cfg.DEFENSE_MODE_ACTIVE ? 'config' : null;
  let defenseTrigger: DefenseTrigger | null = null;
  /** The account decides defense mode (automatic triggers included); the day shows its latest word. */
  const refreshDefense = async () => {
    try {
      const d = (await accountStatus()).defense;
      defense = d.active;
      defenseSource = d.source;
      defenseTrigger = d.trigger;
    } catch (err) {
      log.warn('could not read the account status; the day shows the last known defense mode', { error: String(err) });
    }
  };
  let haltReason: string | null = null;
  let closedReason: string | null = null;
  let currentSession: StrategyName | null = null;
  const warnings: string[] = [];
  // Several brokers: each session runs once per broker (allocation is per session and broker).
  const brokers: BrokerName[] = [...new Set(input.brokers && input.brokers.length > 0 ? input.brokers : [input.broker])];
  const multiBroker = brokers.length > 1;
  /** Session statuses by child workflow id (one strategy may run at several brokers). */
  const sessions = new Map<string, SessionStatus>();
  const children = new Map<string, { readonly handle: ChildWorkflowHandle<typeof sessionWorkflow>; readonly broker: BrokerName; readonly strategy: StrategyName }>();
  const brokerOf = new Map<string, BrokerName>();
  const halts = new Map<BrokerName, BrokerHaltedNotice>();
  const skippedSessions = new Map<BrokerName, StrategyName[]>();
  const scheduledStarts: Partial<Record<StrategyName, string>> = {};
  const plan = plannedSessions(cfg);
  // A single-broker day keeps the ids it always had, so existing ids, tests and histories stay valid.
  const childId = (s: StrategyName, b: BrokerName) => (multiBroker ? `${info.workflowId}-${s}-${b}` : `${info.workflowId}-${s}`);
  const withBroker = (s: SessionStatus): SessionStatus => {
    const b = brokerOf.get(s.workflowId);
    return b === undefined ? s : { ...s, broker: b };
  };

  // Search attributes for the Web UI and visibility queries (docs/temporal.md, "Finding workflows"). Days
  // begun before the patch, and namespaces without the attributes, go without them. Decided once the
  // handlers are registered (a query must never find the day without them); until then nothing is published.
  let searchable = false;
  let publishedSearchState: string | null = null;
  /** What the Web UI shows of the day: current details (no command, so no patch) and the search attributes. */
  const publishDayView = () => {
    setCurrentDetails(dayDetails(currentStatus()));
    if (!searchable) return;
    const halted = killed || haltReason !== null || halts.size > 0;
    const current = `${state}|${halted}`;
    if (current === publishedSearchState) return;
    const first = publishedSearchState === null;
    publishedSearchState = current;
    if (first) {
      upsertSearchAttributes([
        { key: TRADING_DATE, value: date },
        { key: MODE, value: mode },
        { key: BROKER, value: [...brokers] },
        { key: STRATEGY, value: [...plan.sessions] },
      ]);
    }
    upsertSearchAttributes([
      { key: DAY_STATE, value: state },
      { key: HALTED, value: halted },
    ]);
  };

  const forward = async (fn: (childId: string) => Promise<void>, only?: BrokerName) => {
    for (const [id, child] of children) {
      if (only !== undefined && child.broker !== only) continue;
      const s = sessions.get(id);
      if (s && (s.state === 'done' || s.state === 'halted')) continue;
      try {
        await fn(id);
      } catch (err) {
        log.warn('could not signal session', { session: id, error: String(err) });
      }
    }
  };

  const brokerStatuses = (): BrokerDayStatus[] =>
    brokers.map((b) => {
      const own = [...sessions.values()].filter((s) => (s.broker ?? brokers[0]) === b);
      const h = halts.get(b);
      return {
        broker: b,
        halted: h !== undefined,
        haltReason: h?.reason ?? null,
        haltedAt: h?.at ?? null,
        cause: h?.cause ?? null,
        skippedSessions: [...(skippedSessions.get(b) ?? [])],
        entries: own.reduce((a, s) => a + s.entries, 0),
        exits: own.reduce((a, s) => a + s.exits, 0),
        realizedPnl: round2(own.reduce((a, s) => a + s.realizedPnl, 0)),
      };
    });

  const currentStatus = (): DayStatus => {
    const all = [...sessions.values()];
    return {
      workflowId: info.workflowId,
      date,
      state,
      mode,
      testMode: cfg.TEST_MODE,
      defenseMode: defense,
      defenseSource,
      defenseTrigger,
      currentSession,
      sessions: all,
      scheduledStarts,
      warnings,
      haltReason,
      killed,
      stopped,
      signals: all.reduce((a, s) => a + s.signals, 0),
      entries: all.reduce((a, s) => a + s.entries, 0),
      exits: all.reduce((a, s) => a + s.exits, 0),
      realizedPnl: round2(all.reduce((a, s) => a + s.realizedPnl, 0)),
      unrealizedPnl: round2(all.reduce((a, s) => a + s.positions.reduce((b, p) => b + p.unrealizedPnl, 0), 0)),
      brokerConnectivity: Object.fromEntries(brokers.map((b) => [b, latestConnectivity(all.filter((x) => x.broker === b), 'broker')] as const)),
      dataConnectivity: latestConnectivity(all, 'data'),
      brokers: brokerStatuses(),
      retries: all.reduce((a, s) => a + s.retries, 0),
      escalations: all.reduce((a, s) => a + s.escalations, 0),
      errors: all.reduce((a, s) => a + s.errors, 0),
    };
  };
  setHandler(dayStatusQuery, currentStatus);
  setHandler(sessionProgressSignal, (s) => {
    sessions.set(s.workflowId, withBroker(s));
    if (s.state !== 'done' && s.state !== 'halted') {
      currentSession = s.strategy;
      if (!stopped && !killed) state = s.state === 'idle' ? state : s.state;
    }
    publishDayView();
  });
  setHandler(stopSignal, (a) => {
    stopped = true;
    log.info('stop requested', { by: a.by });
    void forward((id) => getExternalWorkflowHandle(id).signal(sessionStopSignal, a));
  });
  setHandler(killSignal, async (a) => {
    killed = true;
    state = 'halted';
    haltReason = `kill switch by ${a.by}${a.reason ? `: ${a.reason}` : ''}`;
    recordKillSwitch({ mode });
    publishDayView();
    await forward((id) => getExternalWorkflowHandle(id).signal(sessionKillSignal, a));
    await alert('kill_switch', `kill switch: ${date}`, [haltReason]);
  });
  setHandler(defenseModeSignal, async (d) => {
    log.info('defense mode change requested', { active: d.active, by: d.by });
    // The account workflow owns defense mode: it applies the limits to every session and writes the disaster log.
    const r = await setAccountDefenseMode({ active: d.active, by: d.by, reason: d.reason });
    defense = r.active;
    defenseSource = r.source;
    if (r.changed) await alert('defense_mode', `defense mode ${r.active ? 'on' : 'off'}`, [`by ${d.by}${d.reason ? `: ${d.reason}` : ''}`]);
  });
  setHandler(confirmTradeSignal, (c) => {
    void forward((id) => getExternalWorkflowHandle(id).signal(sessionConfirmSignal, c));
  });
  // The account tells the day of every broker halt on its date: that broker's sessions stop and exit their
  // positions (also those holding nothing at this moment), its later sessions are not started; others go on.
  setHandler(brokerHaltedSignal, async (n) => {
    if (n.date !== date || !brokers.includes(n.broker) || halts.has(n.broker)) return;
    halts.set(n.broker, n);
    recordBrokerHalt({ mode, broker: n.broker, cause: n.cause });
    const line = `broker ${n.broker} halted for the day (${n.cause}): ${n.reason}`;
    warnings.push(line);
    log.warn(line);
    if (brokers.every((b) => halts.has(b))) {
      haltReason = `every broker halted: ${brokers.map((b) => `${b}: ${halts.get(b)?.reason ?? ''}`).join('; ')}`;
      state = 'halted';
    }
    publishDayView();
    await forward((id) => getExternalWorkflowHandle(id).signal(brokerHaltedSignal, n), n.broker);
  });

  /** The 50/50 target split (docs/risk.md, "Formulas"), reported, never acted on. */
  const rebalancingNeeds = async (): Promise<string[]> => {
    try {
      const floats: { broker: BrokerName; accountValue: number }[] = [];
      for (const b of brokers) {
        const acct = await brokerAccount({ broker: b, replayFolder: input.replay?.folder ?? null });
        floats.push({ broker: b, accountValue: acct.accountValue });
      }
      return capitalReport(floats, cfg.CAPITAL_RESERVE).rebalancingNeeds.map(
        (n) => `${n.broker}: ${n.action} ${n.amount.toFixed(2)} (float ${n.float.toFixed(2)}, target ${n.target.toFixed(2)})`,
      );
    } catch (err) {
      return [`rebalancing not computed: ${String(err)}`];
    }
  };

  let alertSeq = 0;
  /** Alerts never block the day: a failing mail server is retried a little, then logged. */
  const alert = async (event: 'kill_switch' | 'defense_mode' | 'critical' | 'shutdown', subject: string, lines: string[]) => {
    alertSeq += 1;
    try {
      await notify({ event, mode, subject, lines, eventId: `${info.workflowId}:${event}:${alertSeq}` });
    } catch (err) {
      log.warn('alert failed; the day goes on', { event, error: String(err) });
    }
  };

  /**
   * A session's end. One that failed (a bug, a workflow failure the session could not catch) does not fail
   * the day: the day marks it, exits what it last reported holding with the session's own client order ids
   * (a retried or repeated exit finds the first), and sends the shutdown alert (docs/trading.md).
   */
  const settled = new Set<string>();
  const settleSession = async (id: string, handle: ChildWorkflowHandle<typeof sessionWorkflow>) => {
    try {
      const result = withBroker(await handle.result());
      sessions.set(id, result);
      if (!settled.has(id)) recordSessionEnd(result, { mode, broker: brokerOf.get(id) ?? input.broker }, false);
      settled.add(id);
      return;
    } catch (err) {
      settled.add(id);
      const last = sessions.get(id) ?? unreportedSession(id, children.get(id)?.strategy ?? 'open');
      const why = `session ${id} failed: ${failureChain(err instanceof ChildWorkflowFailure && err.cause ? err.cause : err)}`;
      warnings.push(why);
      const exits = await exitFailedSession(brokerOf.get(id) ?? input.broker, last.positions);
      // The status query names the failed session and why, also when it failed before its first report.
      sessions.set(id, withBroker({ ...last, state: 'halted', failure: why, positions: [], notes: [...last.notes, why, ...exits] }));
      recordSessionEnd(last, { mode, broker: brokerOf.get(id) ?? input.broker }, true);
      await alert('shutdown', `${date}: ${why}`, [why, ...exits, 'The day goes on with its other sessions; check the broker.']);
    }
  };
  // Each session is settled once: the loop settles it, the day's end settles every child again. Before
  // that patch a failed session was handled twice (its warning and shutdown alert went out twice).
  const settlements = new Map<string, Promise<void>>();
  const settleSessionOnce = (id: string, handle: ChildWorkflowHandle<typeof sessionWorkflow>): Promise<void> => {
    const first = settlements.get(id);
    if (first && patched(PATCHES.daySettlesSessionOnce)) return first;
    const settling = settleSession(id, handle);
    settlements.set(id, settling);
    return settling;
  };
  const unreportedSession = (id: string, strategy: StrategyName): SessionStatus => ({
    strategy,
    workflowId: id,
    state: 'halted',
    scheduledStart: scheduledStarts[strategy] ?? '',
    actualStart: null,
    candidates: [],
    signals: 0,
    entries: 0,
    exits: 0,
    positions: [],
    realizedPnl: 0,
    tradedTickers: [],
    pendingConfirmation: null,
    notes: [],
    errors: 1,
    executionSeconds: [],
    connectivity: { broker: 'unknown', data: 'unknown' },
    retries: 0,
    escalations: 0,
  });
  const exitFailedSession = async (broker: BrokerName, positions: readonly PositionView[]): Promise<string[]> => {
    const lines: string[] = [];
    for (const p of positions) {
      if (!p.exitPlan) continue;
      const side = closingSide(p.exitPlan.openSide);
      try {
        const r = await closePosition({
          broker,
          replayFolder: input.replay?.folder ?? null,
          stopClientOrderId: p.exitPlan.stopClientOrderId,
          request: { clientOrderId: p.exitPlan.exitClientOrderId, symbol: p.ticker, assetClass: p.exitPlan.assetClass, side, qty: p.size, type: 'market', underlying: p.underlying },
        });
        lines.push(`${p.ticker}: exited ${r.filledQty} of ${p.size} at ${r.avgPrice ?? 'unfilled'}`);
      } catch (err) {
        lines.push(`${p.ticker}: exit FAILED (${String(err)}); ${p.size} may still be held at ${broker}`);
      }
    }
    return lines;
  };

  const finish = async (): Promise<DaySummary> => {
    const rebalancing = closedReason === null ? await rebalancingNeeds() : [];
    await writeDailySummary({
      mode,
      date,
      extras: {
        strategiesRun: [...new Set([...sessions.values()].map((s) => s.strategy))],
        closedReason,
        haltReason,
        executionSeconds: [...sessions.values()].flatMap((x) => x.executionSeconds),
        rebalancing,
        warnings,
      },
    });
    // A kill or defense change still alerting finishes before the day closes (docs/temporal.md).
    if (patched(PATCHES.dayHandlersFinishFirst)) await condition(allHandlersFinished);
    if (state !== 'halted') state = 'done';
    publishDayView();
    return {
      date,
      mode,
      closedReason,
      sessions: [...sessions.values()],
      halted: haltReason !== null,
      haltReason,
      finalStatus: currentStatus(),
    };
  };

  searchable = patched(PATCHES.daySearchAttributes) && (await searchAttributesRegistered());
  publishDayView();

  // 1. Calendar: TRADING_DAYS and the exchange's holidays.
  if (!cfg.TRADING_DAYS.includes(weekdayOf(date))) {
    closedReason = `${date} is not in TRADING_DAYS (${cfg.TRADING_DAYS.join(',')})`;
    state = 'done';
    return finish();
  }
  if (!isTradingDay(date)) {
    closedReason = `${date}: exchange closed${holidayName(date) ? ` (${holidayName(date)})` : ''}`;
    state = 'done';
    return finish();
  }

  // 2. Startup checks: a failure blocks trading and is reported.
  const replayFolder = input.replay?.folder ?? null;
  // Every broker must be usable before any session: a failure at one blocks the day, as for one broker.
  const problems: string[] = [];
  for (const b of brokers) {
    const checks = await startupChecks({ broker: b, mode, replayFolder });
    for (const w of checks.warnings) if (!warnings.includes(w)) warnings.push(w);
    for (const p of checks.problems) if (!problems.includes(p)) problems.push(p);
  }
  if (problems.length > 0) {
    haltReason = `startup checks failed: ${problems.join('; ')}`;
    state = 'halted';
    await alert('critical', `trading blocked on ${date}`, problems);
    return finish();
  }

  // Yesterday's logs move to logs/rotated (and old ones go after LOG_RETENTION_DAYS) before today's start.
  try {
    await rotateLogs({ mode });
  } catch (err) {
    log.warn('log rotation failed; the day goes on', { error: String(err) });
  }

  // The account workflow holds the risk state shared by every session and broker; it gets today's limits.
  const account = await ensureAccount(cfg);
  await refreshDefense();
  try {
    await getExternalWorkflowHandle(account.workflowId).signal(watchBrokerHaltsSignal, { workflowId: info.workflowId, date });
  } catch (err) {
    // Sessions still hear of halts of brokers where they hold grants; only the day's view would lag.
    log.warn('could not subscribe to broker halts', { error: String(err) });
  }

  // 3. Sessions in order, each after a durable timer until its start.
  for (const s of plan.sessions) {
    const startMs = sessionStartUtcMs(date, startTimeOf(s, cfg), cfg.SESSION_TIME_ANCHOR);
    scheduledStarts[s] = new Date(startMs).toISOString();
    const dst = dstMisalignment(date, startTimeOf(s, cfg), s);
    if (dst && cfg.SESSION_TIME_ANCHOR === 'utc') {
      warnings.push(dst);
      log.warn(dst);
    }
  }
  for (const note of plan.skipped) warnings.push(note);

  for (const s of plan.sessions) {
    const startMs = Date.parse(scheduledStarts[s] as string);
    // Start the child slightly early (one market minute) so it can screen before its analysis phase.
    // A stop or kill ends the wait at once; days begun before that patch keep their plain timer.
    const waitSummary = `waiting for ${s.toUpperCase()} (${new Date(startMs - 60_000).toISOString().slice(11, 16)} UTC market time)`;
    if (patched(PATCHES.daySessionWaitEndsOnStop)) await waitUntilMarketOr(clock, startMs - 60_000, () => stopped || killed, waitSummary);
    else await sleepUntilMarket(clock, startMs - 60_000);
    if (stopped || killed) break;
    // Automatic triggers (win rate, drawdown, kill history) may have switched defense mode since.
    await refreshDefense();
    // Tickers traded earlier today at any broker (the account enforces the same rule atomically, across
    // sessions and brokers running at the same time).
    const traded = [...new Set([...sessions.values()].flatMap((x) => x.tradedTickers))];
    const started: { id: string; handle: ChildWorkflowHandle<typeof sessionWorkflow> }[] = [];
    for (const b of brokers) {
      if (halts.has(b)) {
        skippedSessions.set(b, [...(skippedSessions.get(b) ?? []), s]);
        warnings.push(`${s} session not started at ${b}: broker halted for the day`);
        continue;
      }
      const id = childId(s, b);
      brokerOf.set(id, b);
      const handle = await startChild(sessionWorkflow, {
        workflowId: id,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        ...(patched(PATCHES.daySummaries) ? { staticSummary: `${s.toUpperCase()} session at ${b}, ${date} (${mode})` } : {}),
        typedSearchAttributes: searchable
          ? [
              { key: TRADING_DATE, value: date },
              { key: MODE, value: mode },
              { key: BROKER, value: [b] },
              { key: STRATEGY, value: [s] },
            ]
          : undefined,
        args: [
          {
            dayWorkflowId: info.workflowId,
            date,
            strategy: s,
            config: cfg,
            mode,
            broker: b,
            clock,
            replayFolder,
            universe: input.universe,
            blockedTickers: traded,
            // Their positions are theirs: the new session's reconciliation leaves them alone.
            runningSessions: [...children.keys()].filter((c) => !settled.has(c)),
          },
        ],
      });
      children.set(id, { handle, broker: b, strategy: s });
      started.push({ id, handle });
    }
    currentSession = s;
    // Sessions run one after another unless their windows overlap: wait for this one only if the next starts later.
    const next = plan.sessions[plan.sessions.indexOf(s) + 1];
    const nextStart = next ? Date.parse(scheduledStarts[next] as string) : Number.POSITIVE_INFINITY;
    const results = Promise.all(started.map((c) => settleSessionOnce(c.id, c.handle)));
    await Promise.race([results, waitUntilMarket(clock, nextStart - 60_000)]);
  }
  for (const [id, child] of children) await settleSessionOnce(id, child.handle);
  currentSession = null;
  log.info('trading day finished', { date, at: new Date(marketNowMs(clock)).toISOString() });
  return finish();
}

function startTimeOf(s: StrategyName, cfg: DayInput['config']): string {
  return strategySetting(cfg, s, 'START_TIME');
}

/** Whether the namespace has the bot's search attributes; an unanswered check counts as no. */
async function searchAttributesRegistered(): Promise<boolean> {
  try {
    return await botSearchAttributesRegistered();
  } catch (err) {
    log.warn('search attributes not checked; the day goes without them', { error: String(err) });
    return false;
  }
}

/** Durable timer until market time `marketMs`, ended early once `interrupted` holds. */
async function waitUntilMarketOr(clock: ReplayClock, marketMs: number, interrupted: () => boolean, summary: string): Promise<void> {
  const delay = realDelayUntil(clock, workflowNowMs(), marketMs);
  if (delay <= 0 || interrupted()) return;
  // The timer's summary shows in the Web UI's timeline; days begun before that patch have none.
  if (patched(PATCHES.daySummaries)) await condition(interrupted, delay, { summary });
  else await condition(interrupted, delay);
}

/** The day's current details for the Web UI (Markdown): date, mode, state, what runs, the figures, a halt. */
function dayDetails(s: DayStatus): string {
  const lines = [
    `**${s.date}** ${s.mode}${s.testMode ? ' (TEST_MODE)' : ''}: ${s.state}${s.currentSession ? `, ${s.currentSession.toUpperCase()} session` : ''}`,
    `entries ${s.entries}, exits ${s.exits}, realized PnL ${s.realizedPnl.toFixed(2)}, unrealized ${s.unrealizedPnl.toFixed(2)}`,
  ];
  if (s.defenseMode) lines.push('defense mode on');
  if (s.haltReason) lines.push(`halted: ${s.haltReason}`);
  for (const b of s.brokers ?? []) if (b.halted) lines.push(`broker ${b.broker} halted: ${b.haltReason ?? ''}`);
  for (const x of s.sessions) if (x.failure) lines.push(`failed: ${x.failure}`);
  return lines.join('\n');
}

/** Every message along a failure's cause chain (a child's failure wraps the activity failure that caused it). */
function failureChain(err: unknown): string {
  const messages: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    const message = cur instanceof Error ? cur.message : String(cur);
    if (message !== '' && !messages.includes(message)) messages.push(message);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return messages.join(': ') || 'unknown failure';
}

async function waitUntilMarket(clock: ReplayClock, marketMs: number): Promise<void> {
  if (!Number.isFinite(marketMs)) {
    await condition(() => false);
    return;
  }
  await sleepUntilMarket(clock, marketMs);
}

/** The watchdog's latest word on a link: the last session (in start order) that has checked it. */
function latestConnectivity(sessions: readonly SessionStatus[], link: 'broker' | 'data'): Connectivity {
  for (let i = sessions.length - 1; i >= 0; i--) {
    const c = sessions[i]?.connectivity[link];
    if (c !== undefined && c !== 'unknown') return c;
  }
  return 'unknown';
}
