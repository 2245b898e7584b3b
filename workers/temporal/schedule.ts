import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { BotConfig } from '../../domain/config/botConfigSchema';

export const SCHEDULE_ID = 'tradebot-trading-day';
/** The Schedule fires before any US session in either season; the day workflow then waits on timers. */
export const SCHEDULE_FIRE_HOUR_UTC = 12;

const DAY_NAMES = { sun: 'SUNDAY', mon: 'MONDAY', tue: 'TUESDAY', wed: 'WEDNESDAY', thu: 'THURSDAY', fri: 'FRIDAY', sat: 'SATURDAY' } as const;

export function scheduleOptions(cfg: Pick<BotConfig, 'TRADING_DAYS'>, taskQueue: string): ScheduleOptions {
  return {
    scheduleId: SCHEDULE_ID,
    spec: {
      calendars: [
        { dayOfWeek: cfg.TRADING_DAYS.map((d) => DAY_NAMES[d]), hour: SCHEDULE_FIRE_HOUR_UTC, minute: 0 },
      ],
    },
    action: { type: 'startWorkflow', workflowType: 'scheduledDayWorkflow', taskQueue, args: [], workflowId: 'tradebot-scheduled-day' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
  };
}

/** Creates the Schedule, or updates it to the current TRADING_DAYS and task queue. */
export async function ensureSchedule(client: Client, cfg: Pick<BotConfig, 'TRADING_DAYS'>, taskQueue: string): Promise<'created' | 'updated'> {
  const opts = scheduleOptions(cfg, taskQueue);
  const handle = client.schedule.getHandle(SCHEDULE_ID);
  try {
    await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule.create(opts);
    return 'created';
  }
  await handle.update((prev) => ({ ...prev, spec: opts.spec, action: opts.action, policies: { ...prev.policies, ...opts.policies } }));
  return 'updated';
}

export async function nextScheduledRuns(client: Client, count = 5): Promise<{ paused: boolean; next: Date[] }> {
  const d = await client.schedule.getHandle(SCHEDULE_ID).describe();
  return { paused: d.state.paused, next: d.info.nextActionTimes.slice(0, count) };
}
