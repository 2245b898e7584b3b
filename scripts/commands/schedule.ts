import type { Client } from '@temporalio/client';
import type { LoadedConfig } from '../../activities/config/loadConfig';
import { connectClient } from '../../workers/temporal/connection';
import { SCHEDULE_ID, ensureSchedule, nextScheduledRuns } from '../../workers/temporal/schedule';
import { groupCommand, leafCommand, type CommandIo, type LeafCommand } from './command';
import { loadProjectConfig } from './shared';
import { COMMAND_SUMMARIES } from './catalog';

/** `schedule create|update|pause|unpause|trigger|list|delete`: the trading-day Schedule in Temporal. */

type ScheduleAction = (client: Client, config: LoadedConfig) => Promise<{ line: string; thenList: boolean }>;

const JSON_OPTION = { json: { type: 'boolean', description: 'print the schedule id, paused and the next runs as JSON' } } as const;

function scheduleLeaf(name: string, summary: string, action: ScheduleAction, options: { readonly json?: typeof JSON_OPTION.json } = {}): LeafCommand {
  return leafCommand({ name, summary, options }, async ({ values }, io: CommandIo) => {
    const out = io.stdout ?? process.stdout;
    const config = await loadProjectConfig();
    const client = await connectClient(config.env);
    try {
      const r = await action(client, config);
      if (r.line) out.write(`${r.line}\n`);
      if (!r.thenList) return 0;
      const runs = await nextScheduledRuns(client);
      if (values.json === true) {
        out.write(`${JSON.stringify({ scheduleId: SCHEDULE_ID, paused: runs.paused, next: runs.next.map((d) => d.toISOString()) }, null, 2)}\n`);
        return 0;
      }
      out.write(`schedule ${SCHEDULE_ID}${runs.paused ? ' (paused)' : ''}; next runs (UTC):\n`);
      for (const d of runs.next) out.write(`  ${d.toISOString()}\n`);
      return 0;
    } finally {
      await client.connection.close();
    }
  });
}

const ensure: ScheduleAction = async (client, config) => {
  const r = await ensureSchedule(client, config.bot, config.env.TEMPORAL_TASK_QUEUE);
  return { line: `schedule ${SCHEDULE_ID} ${r} for ${config.bot.TRADING_DAYS.join(',')}`, thenList: true };
};
const handle = (client: Client) => client.schedule.getHandle(SCHEDULE_ID);

export const scheduleCommand = groupCommand({
  name: 'schedule',
  summary: COMMAND_SUMMARIES.schedule,
  defaultSubcommand: 'list',
  subcommands: [
    scheduleLeaf('create', 'create the Schedule from TRADING_DAYS and the session times (updates it when present)', ensure),
    scheduleLeaf('update', 'update the Schedule to the current settings (creates it when absent)', ensure),
    scheduleLeaf('pause', 'pause the Schedule: no new trading day starts', async (c) => {
      await handle(c).pause('paused from the CLI');
      return { line: `schedule ${SCHEDULE_ID} paused`, thenList: false };
    }),
    scheduleLeaf('unpause', 'resume the Schedule', async (c) => {
      await handle(c).unpause('unpaused from the CLI');
      return { line: `schedule ${SCHEDULE_ID} unpaused`, thenList: true };
    }),
    scheduleLeaf('trigger', "start the Schedule's trading day now", async (c) => {
      await handle(c).trigger();
      return { line: `schedule ${SCHEDULE_ID} triggered now`, thenList: false };
    }),
    scheduleLeaf('list', 'the next scheduled runs', async () => ({ line: '', thenList: true }), JSON_OPTION),
    scheduleLeaf('delete', 'delete the Schedule', async (c) => {
      await handle(c).delete();
      return { line: `schedule ${SCHEDULE_ID} deleted`, thenList: false };
    }),
  ],
});
