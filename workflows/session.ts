import { allHandlersFinished, condition, log, patched, setHandler } from '@temporalio/workflow';
import { describeError } from '../domain/errors/errorClasses';
import { sessionWindowFor, strategyTiming } from '../domain/market/sessionWindow';
import { runFlowAsync } from '../domain/session/sessionPort';
import { closingExitReason, finalSessionState } from '../domain/session/tradingState';
import { buildCheck } from '../domain/strategies/enhancements';
import { getStrategy } from '../domain/strategies/strategies';
import { brokerHaltedSignal } from './accountApi';
import { PATCHES } from './patches';
import { backupOutputs, buildInfo, screenCandidates, vixPreviousClose } from './sessionActivities';
import { barLoop } from './sessionBarLoop';
import { sessionActivityPort } from './sessionActivityPort';
import { sessionConfirmSignal, sessionKillSignal, sessionStatusQuery, sessionStopSignal, type SessionInput, type SessionStatus } from './sessionApi';
import { bestEffort, SessionContext } from './sessionContext';
import { reconcileSession } from './sessionReconcile';
import { sleepUntilMarket, workflowNowMs } from './workflowClock';

/**
 * One strategy session (OPEN, MID or CLOSE) on one date: the Temporal shell around the session engine
 * (domain/session/sessionEngine.ts), which decides on each bar and acts through a port made of
 * activities (workflows/sessionActivityPort.ts). Here: message handlers, screening, reconciliation and
 * the bar loop (docs/architecture.md, "How a bar and an order travel").
 *
 * Polling pattern: one durable timer per market minute, then one activity that returns every bar closed
 * since the last call. About 11 history events per minute, so a 60-minute session stays well under
 * 2,000 events; when the workflow lags (a slow worker, a compressed replay) the next call simply
 * returns several bars, and decisions are still taken bar by bar in time order.
 */
export async function sessionWorkflow(input: SessionInput): Promise<SessionStatus> {
  const { config: cfg, strategy: strategyName, date, clock, replayFolder } = input;
  const window = sessionWindowFor(date, strategyTiming(cfg, strategyName), cfg.SESSION_TIME_ANCHOR);
  const ctx = new SessionContext(input, window);
  const { engine } = ctx;
  setMessageHandlers(ctx);

  const blockSession = async (problems: readonly string[]) => {
    for (const p of problems) ctx.note('blocked', p);
    ctx.notes.push(...problems);
    return finishHalted(ctx);
  };

  // Screening: the universe that has data for the date, minus tickers already traded today.
  await sleepUntilMarket(clock, window.analysisStartMs);
  ctx.actualStart = ctx.isoNow();
  await ctx.setState('screening');
  const build = await checkBuild(ctx);
  if (build !== null) return blockSession([build]);
  let screened: Awaited<ReturnType<typeof screenCandidates>>;
  try {
    screened = await screenCandidates({ date, strategy: strategyName, universe: input.universe, testMode: cfg.TEST_MODE, replayFolder, firstSessionBarMs: window.analysisStartMs, config: cfg });
  } catch (err) {
    // Nothing is held yet: the session trades nothing and says so loudly (docs/trading.md, "When a session fails").
    ctx.failedCall();
    ctx.failure = `screening failed: ${describeError(err).message}`;
    await ctx.criticalAlert('screening', [ctx.failure]);
    return blockSession([ctx.failure]);
  }
  for (const r of screened.rejected) ctx.note('screened_out', `${r.rule}: ${r.reason}`, r.symbol);
  for (const sk of screened.skipped) ctx.note('screen_skip', sk.reason, sk.symbol);
  for (const n of screened.notes) ctx.note('screening', n);
  const universe = screened.accepted;
  ctx.candidates = universe.filter((s) => !engine.blocked.has(s));
  for (const s of universe) if (engine.blocked.has(s)) ctx.note('blocked', 'already traded today', s);
  const vix = strategyName === 'close' ? await vixPreviousClose({ date }) : null;
  const strategy = getStrategy(strategyName);
  const selfCheck = strategy.selfCheck(cfg, { vixPrevClose: vix });
  for (const w of selfCheck.warnings) ctx.note('warning', w);
  if (!selfCheck.ok) return blockSession(selfCheck.problems);
  engine.track(ctx.candidates, ctx.candidates.map((s) => strategy.createTracker(s, date, cfg, { vixPrevClose: vix })));
  ctx.note('screened', `${ctx.candidates.length} candidates: ${ctx.candidates.join(' ')}`);

  // Start from the broker's truth (docs/brokers.md, "Startup and reconciliation"): the broker must answer,
  // stops left by a crashed session are cancelled, and positions nobody tracks are reported, never re-traded.
  let accountValue: number;
  let adoptionPending: boolean;
  try {
    accountValue = (await ctx.activities.brokerAccount({ broker: input.broker, replayFolder })).accountValue;
    adoptionPending = await reconcileSession(ctx, 'start', accountValue);
    ctx.brokerConnectivity = 'ok';
  } catch (err) {
    ctx.failedCall();
    await ctx.escalate('session start (broker unreachable)', null, null, err);
    return finishHalted(ctx);
  }
  await ctx.setState('analyzing');

  const port = sessionActivityPort(ctx, () => accountValue);
  const loop = barLoop(ctx, {
    exit: async (d) => {
      if (d !== null) await runFlowAsync(engine.exit(d), port);
    },
    enter: (e, acceptedSignals) => runFlowAsync(engine.enter(e, acceptedSignals), port),
    enterPipelined: async (decisions) => {
      const preparing = decisions.entries.map((e) => runFlowAsync(engine.prepare(e), port));
      let placing: Promise<void> = Promise.resolve();
      for (const next of preparing) {
        const prepared = await next;
        const granted = prepared && (await runFlowAsync(engine.grant(prepared, decisions.acceptedSignals), port));
        if (granted) placing = placing.then(() => runFlowAsync(engine.place(granted), port));
      }
      await placing;
    },
    reconcileAtOpen: async () => {
      if (!adoptionPending) return;
      adoptionPending = false;
      await reconcileSession(ctx, 'open', accountValue);
    },
  });

  // Anything that still escapes the bar loop (an activity out of retries, a bug) ends trading, not the
  // session: what it holds is exited below and the day hears why (docs/trading.md, "When a session fails").
  let dataLost = false;
  try {
    dataLost = await loop.run();
  } catch (err) {
    const d = describeError(err);
    ctx.failure = `${d.errorClass}${d.code ? ` ${d.code}` : ''}: ${d.message}`;
    ctx.errors += 1;
    ctx.note('kill', `session failed: ${ctx.failure}; positions exited`);
    await ctx.criticalAlert('session', [ctx.failure]);
  }

  const faulted = dataLost || ctx.failure !== null;
  // Every position at once: at the close deadline one exit must not wait for another's round trips.
  await Promise.all(engine.closingExits(closingExitReason(engine.trading, ctx.end.reason, faulted)).map((d) => loop.acts.exit(d)));
  // Alerts still on their way are part of the session (and of its backup).
  await Promise.all(ctx.background);
  await ctx.flushLog();
  // After each session: logs, trade history, summaries and the ledger are archived.
  await bestEffort('backup', () => backupOutputs({ mode: input.mode, label: `${date}-${strategyName}` }));
  await ctx.setState(finalSessionState(engine.trading, faulted));
  log.info('session finished', { strategy: strategyName, entries: engine.counts.entries, exits: engine.counts.exits, realizedPnl: engine.counts.realizedPnl, at: workflowNowMs() });
  // Every handler is synchronous today; this keeps it so if one ever awaits (docs/temporal.md).
  await condition(allHandlersFinished);
  return ctx.status();
}

function setMessageHandlers(ctx: SessionContext): void {
  const { engine, input } = ctx;
  setHandler(sessionStatusQuery, () => ctx.status());
  setHandler(sessionStopSignal, (a) => {
    engine.escalate('stopping');
    ctx.note('stop', `stop requested by ${a.by}`);
  });
  setHandler(sessionKillSignal, (a) => {
    engine.escalate('killed');
    ctx.note('kill', `kill switch by ${a.by}${a.reason ? `: ${a.reason}` : ''}`);
  });
  setHandler(brokerHaltedSignal, (n) => {
    if (n.broker !== input.broker) return;
    engine.escalate('broker_halted');
    ctx.note('kill', `broker ${n.broker} halted by the account: ${n.reason}`);
  });
  setHandler(sessionConfirmSignal, (c) => {
    ctx.confirmations.set(c.symbol, c.approve);
    ctx.note('confirmation', `${c.approve ? 'approved' : 'rejected'} by ${c.by}`, c.symbol);
  });
}

/** A session that trades nothing more: its log written, its state halted, its handlers done. */
async function finishHalted(ctx: SessionContext): Promise<SessionStatus> {
  await ctx.flushLog();
  await ctx.setState('halted');
  await condition(allHandlersFinished);
  return ctx.status();
}

/**
 * The build check (docs/temporal.md, "The build check in the session"): a newer release continuing a day
 * an older one started trades on, since its patches keep the day's history valid; an older worker still
 * blocks, and histories that recorded a block replay as a block. Returns the reason to block, or null.
 */
async function checkBuild(ctx: SessionContext): Promise<string | null> {
  const cfg = ctx.input.config;
  let runningTag: string | null = null;
  try {
    runningTag = (await buildInfo()).versionTag;
  } catch (err) {
    log.warn('build info unavailable', { error: String(err) });
  }
  const build = buildCheck({ configuredTag: cfg.VERSION_TAG, runningTag, buildMode: cfg.BUILD_MODE, liveMoney: ctx.input.mode === 'live' });
  if (build.warning) ctx.note('warning', build.warning);
  if (!build.allow && build.runningNewer && patched(PATCHES.sessionBuildCheckNotesNewerRelease)) {
    ctx.note('warning', `${build.reason}; trading on: the day continues on the release now deployed`);
    return null;
  }
  return build.allow ? null : (build.reason ?? 'build check failed');
}
