// `npm start`: the embedded default. Dev server (SQLite) if none answers locally, the worker,
// the trading-day Schedule; prints the Web UI address and the next scheduled runs.
import { loadConfig } from '../activities/config/loadConfig';
import { runWorkerProcess } from '../workers/runWorker';
import { startConfiguredDashboard } from './commands/dashboard';
import { scriptArgs } from './commands/args';
import { reportFailure } from './commands/shared';
import { connectClient } from '../workers/temporal/connection';
import { ensureDevServer } from './temporal/devServer';
import { ensureSchedule, nextScheduledRuns } from '../workers/temporal/schedule';

const START_SPEC = {
  name: '',
  summary: 'the embedded default: the Temporal dev server when none answers, the worker, the Schedule (and the dashboard when DASHBOARD_ENABLED=true)',
  options: {},
} as const;

async function main(argv: readonly string[]): Promise<number> {
  const args = scriptArgs(START_SPEC, argv, 'npm start');
  if (typeof args === 'number') return args;
  const cwd = process.env.TRADEBOT_HOME ?? process.cwd();
  const log = (s: string) => console.log(s);
  const config = await loadConfig({ cwd });
  for (const w of config.warnings) console.warn(`warning: ${w}`);
  if (!config.sources.envBot) log('no .env_bot found: running with defaults (TEST_MODE=true)');
  if (config.bot.TEST_MODE) {
    log('TEST_MODE: simulated broker, replayed minute bars, outputs to _paper files only; no live endpoint is ever called');
  }
  const server = await ensureDevServer({ address: config.env.TEMPORAL_ADDRESS, log });
  const client = await connectClient(config.env);
  const r = await ensureSchedule(client, config.bot, config.env.TEMPORAL_TASK_QUEUE);
  const runs = await nextScheduledRuns(client, 3);
  await client.connection.close();
  log(`Temporal ${server.started ? 'dev server started' : 'server'} at ${config.env.TEMPORAL_ADDRESS} (namespace ${config.env.TEMPORAL_NAMESPACE})`);
  log(`Temporal Web UI: ${config.env.TEMPORAL_UI_URL ?? server.uiUrl}`);
  log(`schedule ${r}; next scheduled run${runs.paused ? ' (paused)' : ''}: ${runs.next[0]?.toISOString() ?? 'none'}`);
  // The dashboard is optional: a failure to serve it (a busy port) is a warning, never a stop.
  let dashboard: { url: string; close(): Promise<void> } | null = null;
  if (config.env.DASHBOARD_ENABLED) {
    try {
      dashboard = await startConfiguredDashboard(config, cwd);
      log(`dashboard: ${dashboard.url}`);
    } catch (err) {
      console.warn(`warning: dashboard not started: ${(err as Error).message}`);
    }
  }
  try {
    await runWorkerProcess(config, cwd, log);
  } finally {
    await dashboard?.close();
    if (server.started) {
      log('stopping the Temporal dev server');
      await server.stop();
    }
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => process.exit(reportFailure(err)),
);
