import path from 'node:path';
import { replayInput } from '../../activities/schedulingActivities';
import { botConfigSchema, type BotConfig } from '../../domain/config/botConfigSchema';
import { plannedSessions } from '../../domain/day/sessionPlan';
import { sessionWindowFor, strategyTiming } from '../../domain/market/sessionWindow';
import type { DayInput } from '../../workflows/tradingDayApi';
import { seededRandom } from '../seededRandom';
import type { StrategyName } from '../../domain/vocabulary';

/*
 * What a drill runs: the options, the day's configuration and the seeded schedule of kills and restarts.
 * Everything here is a pure function of the options, so the same seed gives the same plan.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The shared real minute bars (laid beside the clone); the repo fixture when they are absent. */
export const SHARED_MINUTE_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'minute');
export const FIXTURE_MINUTE_DIR = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');
export const SHARED_VIX_CSV = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'vix_daily.csv');

/** 2025-04-09: OPEN and CLOSE signals on most of these leveraged funds (see tests/workflows). */
export const DRILL_DATE = '2025-04-09';
export const DRILL_UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY', 'FAS', 'FAZ', 'ERX', 'ERY'];

export interface DrillOptions {
  readonly seed: number;
  readonly kills: number;
  readonly restarts: number;
  readonly faultRate: number;
  /** Market minutes per real minute (TEST_MODE_TIME_COMPRESSION). */
  readonly speed: number;
  /** Sessions to run: one strategy, or the whole day's sequence. */
  readonly sessions: StrategyName | 'all';
  readonly date: string;
  readonly symbols: readonly string[];
  readonly replayDir: string;
  readonly vixCsv: string | null;
  /** Where outputs, the simulated broker's journal and the dev server's SQLite file go. */
  readonly outDir: string;
  /**
   * A paper day (TEST_MODE=false) through the real Alpaca adapter against the market emulator, which
   * injects the broker faults at the HTTP level (scripts/drill/emulatorRun.ts).
   */
  readonly emulator: boolean;
}

/**
 * The day's settings: room for every signal (so nothing the drill checks depends on a risk limit),
 * screening bands open, alerts on in TEST_MODE (they go to the drill's local webhook, so escalation
 * alerts leave a record), and replay speed as asked.
 */
export function drillBotOverrides(o: Pick<DrillOptions, 'sessions' | 'speed'>): Record<string, string> {
  return {
    ...(o.sessions === 'all' ? {} : { STRATEGY_OVERRIDE: o.sessions }),
    ...roomyLimits(20),
    NOTIFY_IN_TEST_MODE: 'true',
    TEST_MODE_TIME_COMPRESSION: String(o.speed),
  };
}

/**
 * Limits under which every signal gets a slot (MAX_TRADES equal weights, concurrency and positions to
 * match) and screening lets every replayed symbol through: what a day must trade to be compared with the
 * strategy's own simulation.
 */
export function roomyLimits(slots: number): Record<string, string> {
  return {
    MAX_TRADES: String(slots),
    WEIGHTS: Array.from({ length: slots }, () => String(1 / slots)).join(','),
    MAX_CONCURRENT_TRADES_PER_BROKER: String(slots),
    MAX_OPEN_POSITIONS: String(slots),
    TOTAL_ALLOCATION: '0.5',
    MIN_PRICE: '0',
    MAX_PRICE: '100000',
    MAX_GAP_PCT_OPEN: '100',
    MAX_GAP_PCT_MID: '100',
    MAX_GAP_PCT_CLOSE: '100',
  };
}

export function drillBotConfig(o: Pick<DrillOptions, 'sessions' | 'speed'>): BotConfig {
  return botConfigSchema.parse(drillBotOverrides(o));
}

export function drillDayInput(o: DrillOptions, config: BotConfig): DayInput {
  return replayInput(config, o.date, o.replayDir, o.symbols, o.speed);
}

/** Latest instant (epoch ms) a position of `session` may still be open: end of entries plus the hold time. */
export function sessionEndMs(config: BotConfig, date: string, session: StrategyName): number {
  const w = sessionWindowFor(date, strategyTiming(config, session), config.SESSION_TIME_ANCHOR);
  const end = w.entryEndMs + w.holdMs;
  return w.marketCloseMs === null ? end : Math.min(end, w.marketCloseMs);
}

/** Real milliseconds from the workflow start to the end of its last session, at the replay speed. */
export function expectedDayMs(input: DayInput): number {
  const replay = input.replay;
  if (!replay) throw new Error('a drill day is always a replay');
  return dayLengthMs(input.config, input.date, replay.marketStartMs, replay.speed);
}

/** Real milliseconds from market instant `marketStartMs` to the end of the day's last session at `speed`. */
export function dayLengthMs(config: BotConfig, date: string, marketStartMs: number, speed: number): number {
  const sessions = plannedSessions(config).sessions;
  const last = Math.max(...sessions.map((s) => sessionEndMs(config, date, s)));
  return (last - marketStartMs) / speed;
}

export interface DrillEvent {
  readonly kind: 'kill' | 'restart';
  /** Real milliseconds after the day's workflow started. */
  readonly atMs: number;
}

/**
 * K kills and R dev-server restarts at seeded moments between 10% and 80% of the day's expected real
 * length, so that each lands while sessions are trading and the day has time left to recover.
 */
export function drillSchedule(o: Pick<DrillOptions, 'seed' | 'kills' | 'restarts'>, dayMs: number): DrillEvent[] {
  const rand = seededRandom(o.seed);
  const events: DrillEvent[] = [];
  for (let i = 0; i < o.kills; i++) events.push({ kind: 'kill', atMs: Math.round(dayMs * (0.1 + 0.7 * rand())) });
  for (let i = 0; i < o.restarts; i++) events.push({ kind: 'restart', atMs: Math.round(dayMs * (0.1 + 0.7 * rand())) });
  return events.sort((a, b) => a.atMs - b.atMs || a.kind.localeCompare(b.kind));
}
