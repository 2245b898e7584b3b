// The worker process (`npm run worker`, or the systemd unit in README): registers every workflow and activity.
import { loadConfig } from '../activities/config/loadConfig';
import { reportProcessFailure } from './processFailure';
import { runWorkerProcess } from './runWorker';

async function main(): Promise<void> {
  const cwd = process.env.TRADEBOT_HOME ?? process.cwd();
  const config = await loadConfig({ cwd });
  for (const w of config.warnings) console.warn(`warning: ${w}`);
  await runWorkerProcess(config, cwd, (s) => console.log(s));
}

main().catch((err) => {
  process.exit(reportProcessFailure(err));
});
