import { connectClient } from '../temporal/connection';
import { SCHEDULE_ID, ensureSchedule, nextScheduledRuns } from '../temporal/schedule';
import { UsageError, loadProjectConfig, parseArgs } from './shared';

/** `schedule create|update|pause|unpause|trigger|list|delete`. */
export async function runScheduleCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { positionals } = parseArgs(argv);
  const sub = positionals[0] ?? 'list';
  const config = await loadProjectConfig();
  const client = await connectClient(config.env);
  try {
    const handle = client.schedule.getHandle(SCHEDULE_ID);
    switch (sub) {
      case 'create':
      case 'update': {
        const r = await ensureSchedule(client, config.bot, config.env.TEMPORAL_TASK_QUEUE);
        out.write(`schedule ${SCHEDULE_ID} ${r} for ${config.bot.TRADING_DAYS.join(',')}\n`);
        break;
      }
      case 'pause':
        await handle.pause('paused from the CLI');
        out.write(`schedule ${SCHEDULE_ID} paused\n`);
        return 0;
      case 'unpause':
        await handle.unpause('unpaused from the CLI');
        out.write(`schedule ${SCHEDULE_ID} unpaused\n`);
        break;
      case 'trigger':
        await handle.trigger();
        out.write(`schedule ${SCHEDULE_ID} triggered now\n`);
        return 0;
      case 'delete':
        await handle.delete();
        out.write(`schedule ${SCHEDULE_ID} deleted\n`);
        return 0;
      case 'list':
        break;
      default:
        throw new UsageError(`unknown schedule command ${sub} (create, update, pause, unpause, trigger, list, delete)`);
    }
    const runs = await nextScheduledRuns(client);
    out.write(`schedule ${SCHEDULE_ID}${runs.paused ? ' (paused)' : ''}; next runs (UTC):\n`);
    for (const d of runs.next) out.write(`  ${d.toISOString()}\n`);
    return 0;
  } finally {
    await client.connection.close();
  }
}
