import { describeError } from '../domain/errors/errorClasses';
import { MINUTE_MS, type Bar } from '../domain/market/bar';
import type { MinuteDecisions } from '../domain/session/sessionEngine';
import type { EntryCandidate, ExitDecision } from '../domain/session/sessionPort';
import { isBrokerHalted, mayOpen } from '../domain/session/tradingState';
import { recordBarFetch } from './botMetrics';
import { notify } from './sessionActivities';
import { bestEffort, type SessionContext } from './sessionContext';
import { groupByStart, mergeBars } from './sessionPositions';
import { marketNowMs, sleepUntilMarket } from './workflowClock';

/** How the bar loop acts on the engine's decisions (each through the activity port). */
export interface SessionActs {
  exit(d: ExitDecision | null): Promise<void>;
  enter(e: EntryCandidate, acceptedSignals: number): Promise<void>;
  enterPipelined(decisions: MinuteDecisions): Promise<void>;
  reconcileAtOpen(): Promise<void>;
}

/**
 * The bar loop: wake at each market minute, take the bars closed since the last call, decide bar by bar.
 * Indicators use the whole regular session, so the first fetch starts at the date's beginning; after it,
 * each symbol's next unseen bar start decides what is asked for: a bar the provider publishes late is asked
 * for again (up to LATE_BAR_WINDOW_MS), and a bar already seen is never decided on twice.
 */
export function barLoop(ctx: SessionContext, acts: SessionActs) {
  const { input, engine, window } = ctx;
  const { config: cfg, clock, replayFolder } = input;
  const { fetchBars, brokerHeartbeat, cancelBotOrders } = ctx.activities;
  const hardEndMs = ctx.end.endMs;
  const dayStartMs = Date.parse(`${input.date}T00:00:00Z`);
  const slotOf = new Map(engine.symbols.map((s, slot) => [s, slot]));
  const nextBarFrom = new Map<string, number>();
  const metricTags = { mode: input.mode, broker: input.broker, strategy: input.strategy };
  let lastThroughMs: number | null = null;
  let dataFailures = 0;
  let lastHeartbeatMs = marketNowMs(clock);

  const fetchFromMs = (symbols: readonly string[]) => {
    const earliest = Math.min(...symbols.map((s) => nextBarFrom.get(s) ?? dayStartMs));
    return lastThroughMs === null ? earliest : Math.max(earliest, lastThroughMs - LATE_BAR_WINDOW_MS);
  };

  /** Bars closed through `through`; after a failed fetch `retry`, or `lost` once the data is given up on. */
  const fetchNew = async (active: readonly string[], through: number): Promise<Awaited<ReturnType<typeof fetchBars>> | 'retry' | 'lost'> => {
    try {
      const seen = Object.fromEntries(active.filter((s) => nextBarFrom.has(s)).map((s) => [s, nextBarFrom.get(s) as number]));
      const res = await fetchBars({ symbols: active, fromMs: fetchFromMs(active), throughMs: through, nextBarFrom: seen, replayFolder });
      dataFailures = 0;
      ctx.dataConnectivity = 'ok';
      ctx.retries += (res.attempt ?? 1) - 1;
      return res;
    } catch (err) {
      // Nothing is marked seen: the next call asks for every bar since, so nothing is skipped if the feed recovers.
      ctx.failedCall();
      ctx.errors += 1;
      dataFailures += 1;
      ctx.dataConnectivity = 'unreachable';
      ctx.note('warning', `bar fetch failed (${dataFailures} in a row): ${describeError(err).message}`);
      if (dataFailures < MAX_DATA_FAILURES && through < hardEndMs) return 'retry';
      ctx.note('kill', `market data unreachable after ${dataFailures} attempts: session halted, positions exited`);
      await bestEffort('data loss alert', () =>
        notify({ event: 'critical', mode: input.mode, eventId: `${ctx.info.workflowId}:data-lost`, subject: `${input.strategy.toUpperCase()} halted: market data unreachable`, lines: [describeError(err).message] }),
      );
      return 'lost';
    }
  };

  /** The new bars in time order (ties by symbol), each symbol's seen mark and coverage moved on. */
  const takeNew = (res: Awaited<ReturnType<typeof fetchBars>>) => {
    // The first fetch brings the day's history for the indicators: those bars are not late, only old.
    const warmUp = lastThroughMs === null;
    // A bar already decided on (a re-delivery, an out-of-order page) is dropped before any tracker sees it.
    const merged = mergeBars(res.bars).filter(({ symbol, bar }) => bar.t >= (nextBarFrom.get(symbol) ?? dayStartMs));
    for (const { symbol, bar } of merged) nextBarFrom.set(symbol, bar.t + MINUTE_MS);
    ctx.barsSeen += merged.length;
    recordBarFetch(metricTags, {
      nowMs: marketNowMs(clock),
      newBars: merged.length,
      latencyBarEndsMs: warmUp ? [] : merged.map(({ bar }) => bar.t + MINUTE_MS),
      newestBarEndMs: nextBarFrom.size === 0 ? null : Math.max(...nextBarFrom.values()),
    });
    for (const { symbol, bar } of merged) {
      const c = ctx.barCoverage[symbol];
      ctx.barCoverage[symbol] = c ? [c[0], bar.t, c[2] + 1] : [bar.t, bar.t, 1];
    }
    return merged;
  };

  /** One bar start's decisions: exits first (at once where the session may), then entries strongest first. */
  const actOnMinute = async (group: readonly { symbol: string; bar: Bar }[]) => {
    for (const { symbol, bar } of group) {
      const slot = slotOf.get(symbol) as number;
      const held = engine.open.get(slot);
      if (held) held.lastUnderlying = bar.c;
      engine.onBar(slot, bar);
    }
    const decisions = engine.endMinute();
    if (ctx.concurrentOrders) await Promise.all(decisions.exits.map((d) => acts.exit(d)));
    else for (const d of decisions.exits) await acts.exit(d);
    if (ctx.pipelinedEntries) await acts.enterPipelined(decisions);
    else for (const e of decisions.entries) await acts.enter(e, decisions.acceptedSignals);
  };

  /** Time exits (the session's end among them): every position's at once where the session may. */
  const timeExits = async (active: readonly string[], through: number, exhausted: ReadonlySet<string>) => {
    const exitsOf = async (symbol: string) => {
      const slot = slotOf.get(symbol) as number;
      await acts.exit(engine.timeExit(slot, through));
      if (exhausted.has(symbol)) await acts.exit(engine.endOfDataExit(slot));
    };
    if (ctx.concurrentOrders) await Promise.all(active.map(exitsOf));
    else for (const symbol of active) await exitsOf(symbol);
  };

  // Watchdog (README.md, "Paper and live"): the broker must answer a heartbeat every few market minutes; one
  // that does not after every retry gets its pending orders cancelled and its trading halted.
  const heartbeat = async (nowMs: number) => {
    if (nowMs - lastHeartbeatMs < WATCHDOG_INTERVAL_MS) return;
    lastHeartbeatMs = nowMs;
    try {
      const hb = await brokerHeartbeat({ broker: input.broker, replayFolder });
      ctx.retries += hb.attempt - 1;
      ctx.brokerConnectivity = 'ok';
    } catch (err) {
      ctx.failedCall();
      ctx.brokerConnectivity = 'unreachable';
      await bestEffort('cancel pending orders', () => cancelBotOrders({ broker: input.broker, replayFolder }));
      await ctx.escalate('broker heartbeat', null, null, err);
    }
  };

  /** Runs until the session's end, a stop or the data's loss; true when the data was lost. */
  const run = async (): Promise<boolean> => {
    while (mayOpen(engine.trading)) {
      const now = marketNowMs(clock);
      const through = Math.min(now - (now % MINUTE_MS) + MINUTE_MS, hardEndMs);
      // Providers publish a minute's bar a moment after it ends: asking at the boundary would miss it.
      await sleepUntilMarket(clock, through + cfg.BAR_FETCH_DELAY_SECONDS * 1000);
      if (!mayOpen(engine.trading)) break;
      const active = engine.activeSlots().map((slot) => engine.symbols[slot]!);
      if (active.length === 0) break;
      const res = await fetchNew(active, through);
      if (res === 'lost') return true;
      if (res === 'retry') {
        await ctx.flushLog();
        continue;
      }
      // A position an earlier session left outside regular hours is exited once the market is open.
      if (window.sessionOpenMs !== null && through > window.sessionOpenMs) await acts.reconcileAtOpen();
      const merged = takeNew(res);
      lastThroughMs = through;
      if (ctx.state === 'analyzing' && through > window.entryStartMs) await ctx.setState('trading');
      for (const group of groupByStart(merged)) await actOnMinute(group);
      await timeExits(active, through, new Set(res.exhausted));
      if (ctx.state === 'trading' && through >= window.entryEndMs) await ctx.setState('monitoring');
      if (!isBrokerHalted(engine.trading)) await heartbeat(through);
      await ctx.flushLog();
      if (through >= hardEndMs) break;
    }
    return false;
  };

  return { run, acts };
}

/** Market minutes between watchdog heartbeats to the broker. */
const WATCHDOG_INTERVAL_MS = 5 * MINUTE_MS;
/** How late a bar may be published and still be asked for again (market ms). */
const LATE_BAR_WINDOW_MS = 5 * MINUTE_MS;
/** Consecutive failed bar fetches (each after its retries) that halt a session. */
const MAX_DATA_FAILURES = 3;

