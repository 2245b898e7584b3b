import path from 'node:path';
import type { BotConfig } from '../domain/config/botConfigSchema';
import { outputMode, routingFlagsOf } from '../domain/routing';
import { plannedSessions } from '../domain/day/sessionPlan';
import { sessionStartUtcMs } from '../domain/market/sessionWindow';
import type { DayInput } from '../workflows/tradingDayApi';
import { listMinuteBarFiles, loadMinuteBars } from './marketData/minuteBarCsv';
import { strategySetting } from '../domain/config/strategySettings';
import type { OutputMode } from '../domain/vocabulary';

export interface ScheduledDayPlan {
  readonly mode: OutputMode;
  /** The date the id is keyed on: the day the Schedule fired. */
  readonly runDate: string;
  readonly input: DayInput;
}

export interface SchedulingDeps {
  readonly bot: BotConfig;
  /** Absolute folder of minute CSVs that TEST_MODE replays; null when trading against a broker feed. */
  readonly replayFolder: string | null;
  readonly broker: DayInput['broker'];
  /** Every enabled broker, when a day trades at several (absent: `broker` alone). */
  readonly brokers?: DayInput['brokers'];
  readonly universe: readonly string[];
}

/** Latest UTC date with bars in a replay folder. */
export function latestReplayDate(folder: string): string | null {
  if (listMinuteBarFiles(folder).length === 0) return null;
  let latest: string | null = null;
  for (const byDate of loadMinuteBars(folder).bars.values()) {
    for (const d of byDate.keys()) if (latest === null || d > latest) latest = d;
  }
  return latest;
}

export function createSchedulingActivities(deps: SchedulingDeps) {
  return {
    /**
     * What a Schedule firing means. Live/paper: today's date in market time. TEST_MODE replay: the latest
     * date of the replay folder, compressed by TEST_MODE_TIME_COMPRESSION, starting just before its first session.
     */
    async planScheduledDay(input: { firedAt: string }): Promise<ScheduledDayPlan> {
      const mode = outputMode(routingFlagsOf(deps.bot));
      const runDate = input.firedAt.slice(0, 10);
      if (deps.replayFolder === null) {
        return { mode, runDate, input: { date: runDate, config: deps.bot, broker: deps.broker, brokers: deps.brokers, universe: deps.universe } };
      }
      const date = latestReplayDate(deps.replayFolder);
      if (date === null) throw new Error(`replay folder ${deps.replayFolder} has no minute bars`);
      return { mode, runDate, input: replayInput(deps.bot, date, path.resolve(deps.replayFolder), deps.universe) };
    },
  };
}

/**
 * A TEST_MODE replay of `date`, starting two market minutes before its first session. `brokers`: simulated
 * accounts to run every session at (default the one `sim`).
 */
export function replayInput(
  bot: BotConfig,
  date: string,
  folder: string,
  universe: readonly string[],
  speed?: number,
  brokers?: readonly ('sim' | 'sim-alpaca' | 'sim-ibkr')[],
): DayInput {
  const sessions = plannedSessions(bot).sessions;
  const starts = sessions.map((s) =>
    sessionStartUtcMs(date, strategySetting(bot, s, 'START_TIME'), bot.SESSION_TIME_ANCHOR),
  );
  const first = starts.length > 0 ? Math.min(...starts) : Date.parse(`${date}T13:00:00Z`);
  return {
    date,
    config: bot,
    broker: brokers?.[0] ?? 'sim',
    ...(brokers && brokers.length > 1 ? { brokers } : {}),
    universe,
    replay: { folder, speed: speed ?? bot.TEST_MODE_TIME_COMPRESSION, marketStartMs: first - 2 * 60_000 },
  };
}

export type SchedulingActivities = ReturnType<typeof createSchedulingActivities>;
