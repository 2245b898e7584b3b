import path from 'node:path';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import { ConfigError } from '../../domain/config/configError';
import { NetworkError } from '../../domain/errors/errorClasses';
import type { Bar } from '../../domain/market/bar';
import { addDays } from '../../domain/market/nyTime';
import { SCREEN_LOOKBACK_CALENDAR_DAYS, screeningFacts, sessionCloseOf, type SessionClose } from '../../domain/screening/replayScreeningFacts';
import { screen, type ScreenRule, type ScreeningConfig, type ScreeningFacts, type ScreenSkip } from '../../domain/screening/screen';
import type { MarketDataSource } from '../marketData/marketDataSource';
import type { ScreeningDataProvider } from './screeningDataProvider';
import { readSymbolListFile } from './symbolListFile';
import type { StrategyName } from '../../domain/vocabulary';

/**
 * The screener activity: builds each candidate's facts and applies domain/screening/screen.ts.
 *
 * Facts come from one of two places:
 * - a TEST_MODE replay (`replayFolder` set): previous close = the last regular-session close of the latest
 *   earlier date with data; open = the open of the date's first regular-session bar starting at or before
 *   `firstSessionBarMs`; price = the last close of a bar starting before `firstSessionBarMs` that date, else
 *   the previous close, else the open; average daily volume = mean regular-session volume of up to
 *   AVERAGE_VOLUME_DAYS earlier dates with data. Nothing at or after the session's first bar is read except
 *   that bar's open, which is known when it starts, so screening never looks ahead. Market cap and spread
 *   are unknown (minute bars carry neither). These are the backtester's definitions, computed by its code
 *   (domain/screening/replayScreeningFacts.ts), so a replayed day and a backtest screen alike.
 * - a ScreeningDataProvider (live; `replayFolder` null), e.g. Finnhub.
 *
 * The universe is SYMBOL_LIST_PATH when set (narrowed to `universe` when that is non-empty too), else
 * `universe`, else, in a replay, every symbol with bars on the date.
 *
 * In TEST_MODE the scan has a wall-clock deadline (one minute): symbols not examined by then are reported
 * as rejected with rule `deadline`, never silently dropped. A live scan has no deadline of its own (a Finnhub
 * free tier paces three calls per symbol at 60 a minute); it heartbeats per symbol, so give its activity a
 * heartbeat timeout and a start-to-close timeout that fits the universe.
 */

export const TEST_MODE_SCAN_BUDGET_MS = 60_000;

export interface ScreenerDeps {
  marketData(replayFolder: string | null): Promise<MarketDataSource>;
  /** Live facts; absent: only replays can be screened on this worker. */
  readonly provider?: ScreeningDataProvider | null;
  /** SYMBOL_LIST_PATH is relative to this folder (the project root); default the process's cwd. */
  readonly baseDir?: string;
  /** Wall clock for the TEST_MODE deadline (tests replace it). */
  readonly nowMs?: () => number;
  readonly testModeScanBudgetMs?: number;
}

export type ScreenerConfig = ScreeningConfig & Pick<BotConfig, 'SYMBOL_LIST_PATH'>;

export interface ScreenCandidatesInput {
  readonly date: string;
  readonly strategy: StrategyName;
  /** The day's configured universe (CLI --symbols); empty: SYMBOL_LIST_PATH or the replay's symbols. */
  readonly universe: readonly string[];
  readonly testMode: boolean;
  /** TEST_MODE replay folder; null for the live provider. */
  readonly replayFolder: string | null;
  /** Start (epoch ms) of the session's first bar, the analysis start: facts are as of this instant. */
  readonly firstSessionBarMs: number;
  /** The session's own config: the workflow's input decides, not the worker's files. */
  readonly config: ScreenerConfig;
}

export type ScreenerRejectRule = ScreenRule | 'universe' | 'data' | 'deadline' | 'provider';

export interface ScreenCandidatesResult {
  /** In universe order. */
  readonly accepted: string[];
  readonly rejected: { readonly symbol: string; readonly reason: string; readonly rule: ScreenerRejectRule }[];
  /** Rules skipped for accepted symbols (unknown data in TEST_MODE): log them. */
  readonly skipped: ScreenSkip[];
  readonly notes: string[];
  /** `replay` or the provider's name. */
  readonly factsSource: string;
  /** Where the universe came from (the list file, `input`, or `replay`). */
  readonly universeSource: string;
}

/**
 * Facts from replayed minute bars (see the module comment), by the backtester's own rule
 * (domain/screening/replayScreeningFacts.ts); `bars` are the symbol's bars from the lookback's start up to
 * the session's first bar, ascending.
 */
export function replayFactsFromBars(symbol: string, date: string, firstSessionBarMs: number, bars: readonly Bar[]): ScreeningFacts {
  const byDate = new Map<string, Bar[]>();
  for (const b of bars) {
    const d = new Date(b.t - (b.t % 86_400_000)).toISOString().slice(0, 10);
    let list = byDate.get(d);
    if (!list) byDate.set(d, (list = []));
    list.push(b);
  }
  const history: SessionClose[] = [];
  for (const d of [...byDate.keys()].sort()) {
    if (d >= date) continue;
    const close = sessionCloseOf(d, byDate.get(d)!);
    if (close !== null) history.push(close);
  }
  return screeningFacts({ symbol, date, firstSessionBarMs, history, bars: byDate.get(date) ?? [] });
}

/**
 * Reports progress and stops a cancelled scan: Temporal delivers an activity's cancellation (a worker's
 * graceful shutdown, the session ending) through heartbeats, and a scan of a live universe can run for
 * minutes, so it must not finish first (docs/temporal.md, "Stopping a worker").
 */
function heartbeatOrStop(details: { symbol: string; examined: number }, total: number): void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return; // Called outside an activity (unit tests): nothing to report to.
  }
  ctx.heartbeat(details);
  if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`screening cancelled after ${details.examined} of ${total} symbols`);
}

export function createScreenerActivities(deps: ScreenerDeps) {
  const now = deps.nowMs ?? (() => Date.now());
  const baseDir = deps.baseDir ?? process.cwd();

  return {
    async screenCandidates(input: ScreenCandidatesInput): Promise<ScreenCandidatesResult> {
      if (!Number.isFinite(input.firstSessionBarMs)) throw new ConfigError(`screenCandidates: firstSessionBarMs must be epoch ms, got ${input.firstSessionBarMs}`);
      const started = now();
      const rejected: { symbol: string; reason: string; rule: ScreenerRejectRule }[] = [];
      const notes: string[] = [];
      const replay = input.replayFolder !== null;
      const source = replay ? await deps.marketData(input.replayFolder) : null;
      if (!replay && !deps.provider) {
        throw new ConfigError('screening: no screening data provider is configured on this worker (set FINNHUB_API_KEY in .env), and the day is not a replay');
      }

      // The universe.
      let universe: string[];
      let universeSource: string;
      const listPath = input.config.SYMBOL_LIST_PATH.trim();
      const given = [...new Set(input.universe.map((s) => s.toUpperCase()))];
      if (listPath !== '') {
        universe = readSymbolListFile(listPath, baseDir);
        universeSource = path.resolve(baseDir, listPath);
        if (given.length > 0) {
          const narrow = new Set(given);
          for (const s of universe) if (!narrow.has(s)) rejected.push({ symbol: s, rule: 'universe', reason: 'not in the day\'s symbol selection (--symbols)' });
          universe = universe.filter((s) => narrow.has(s));
        }
      } else if (given.length > 0) {
        universe = given;
        universeSource = 'input';
      } else if (source) {
        universe = await source.symbolsOn(input.date);
        universeSource = 'replay';
      } else {
        throw new ConfigError('screening: no universe: set SYMBOL_LIST_PATH in .env_bot (the live provider cannot list symbols)');
      }

      // Replays: only symbols with bars on the date can trade it.
      if (source) {
        const present = new Set(await source.symbolsOn(input.date));
        for (const s of universe) if (!present.has(s)) rejected.push({ symbol: s, rule: 'data', reason: `no bars on ${input.date} in the replay data` });
        universe = universe.filter((s) => present.has(s));
      }

      // Facts, symbol by symbol, under the TEST_MODE deadline.
      const budget = deps.testModeScanBudgetMs ?? TEST_MODE_SCAN_BUDGET_MS;
      const facts: ScreeningFacts[] = [];
      const lookbackFrom = Date.parse(`${addDays(input.date, -SCREEN_LOOKBACK_CALENDAR_DAYS)}T00:00:00Z`);
      for (let i = 0; i < universe.length; i++) {
        const symbol = universe[i]!;
        if (input.testMode && now() - started > budget) {
          const left = universe.slice(i);
          for (const s of left) {
            rejected.push({ symbol: s, rule: 'deadline', reason: `not examined: the TEST_MODE screening deadline (${budget / 1000} s) passed after ${i} of ${universe.length} symbols` });
          }
          notes.push(`screening deadline: ${left.length} of ${universe.length} symbols not examined (${left.join(' ')})`);
          break;
        }
        heartbeatOrStop({ symbol, examined: i }, universe.length);
        if (source) {
          // One minute past the first bar's start: that bar's open is known when it starts.
          const got = await source.closedBars([symbol], lookbackFrom, input.firstSessionBarMs + 60_000);
          facts.push(replayFactsFromBars(symbol, input.date, input.firstSessionBarMs, got[symbol] ?? []));
          continue;
        }
        const provider = deps.provider!;
        try {
          const f = await provider.facts(symbol, input.date);
          if (f === null) rejected.push({ symbol, rule: 'provider', reason: `${provider.name} has no data for ${symbol}` });
          else facts.push({ ...f, symbol });
        } catch (err) {
          // A dead provider or a bad key is the scan's failure (retried or fatal), not one symbol's.
          if (err instanceof NetworkError || err instanceof ConfigError) throw err;
          const name = (err as Error)?.name;
          if (name === 'NetworkError' || name === 'ConfigError') throw err;
          rejected.push({ symbol, rule: 'provider', reason: `${provider.name}: ${(err as Error)?.message ?? String(err)}` });
        }
      }

      const outcome = screen(facts, input.config, { strategy: input.strategy, testMode: input.testMode, stage: 'session' });
      const order = new Map(universe.map((s, i) => [s, i]));
      const all = [...rejected, ...outcome.rejected.map((r) => ({ symbol: r.symbol, reason: r.reason, rule: r.rule as ScreenerRejectRule }))];
      all.sort((a, b) => (order.get(a.symbol) ?? -1) - (order.get(b.symbol) ?? -1));
      return {
        accepted: outcome.accepted,
        rejected: all,
        skipped: outcome.skipped,
        notes: [...outcome.notes, ...notes],
        factsSource: source ? 'replay' : deps.provider!.name,
        universeSource,
      };
    },
  };
}

export type ScreenerActivities = ReturnType<typeof createScreenerActivities>;
