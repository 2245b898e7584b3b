// Records the histories that tests/workflows/replay.test.ts replays. Run it after a release's workflow
// changes with RECORD_HISTORIES_SUFFIX=<release> (the files get that suffix, beside the earlier ones, which
// are never re-recorded: docs/temporal.md, "The release procedure") and commit the new files.
// The run: the fixture replay data, OPEN only, compressed; the day, its session and the account are recorded.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { replayInput } from '../../activities/schedulingActivities';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { REPO_ROOT, createTestWorker, quietRuntime, tempOutputDir, testConfig } from './tradingDayHarness';
import { connectTestTemporal, uniqueTaskQueue } from './temporalTestServer';

export const HISTORY_DIR = path.join(REPO_ROOT, 'tests', 'fixtures', 'histories');
export const FIXTURE_MINUTE_DIR = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');

function temporalCli(): string {
  if (process.env.TEMPORAL_CLI_PATH_RESOLVED) return process.env.TEMPORAL_CLI_PATH_RESOLVED;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the plain JS installer
  return (require('../../scripts/installTemporalCli.js') as { ensureTemporalCli(o: object): string }).ensureTemporalCli({ quiet: true });
}

/** Runs the recorded scenario and returns the histories (day, then session) and their event counts. */
export async function runRecordedScenario(): Promise<{ workflowId: string; history: ReturnType<typeof JSON.parse>; events: number }[]> {
  quietRuntime();
  const temporal = await connectTestTemporal();
  const taskQueue = uniqueTaskQueue('record');
  const worker = await createTestWorker({
    connection: temporal.nativeConnection,
    client: temporal.client,
    taskQueue,
    outputDir: tempOutputDir('record'),
    vixCsvPath: null,
  });
  const config = testConfig({ STRATEGY_OVERRIDE: 'open' });
  const input = replayInput(config, '2025-04-09', FIXTURE_MINUTE_DIR, [], 600);
  try {
    return await worker.runUntil(async () => {
      const id = `record-day-${Date.now()}`;
      const handle = await temporal.client.workflow.start(tradingDayWorkflow, { taskQueue, workflowId: id, args: [input] });
      await handle.result();
      const out = [];
      // The account workflow is still running (it lives for the deployment); its history so far replays too.
      for (const wid of [id, `${id}-open`, `account-${taskQueue}`]) {
        // The CLI's JSON is the format Worker.runReplayHistories reads (and what users export from the UI).
        const json = execFileSync(temporalCli(), ['workflow', 'show', '--address', temporal.address, '--workflow-id', wid, '--output', 'json'], {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        const history = JSON.parse(json) as { events: unknown[] };
        out.push({ workflowId: wid, history, events: history.events.length });
      }
      return out;
    });
  } finally {
    await temporal.close();
  }
}

if (require.main === module || process.env.RECORD_HISTORIES === '1') {
  void runRecordedScenario().then((list) => {
    fs.mkdirSync(HISTORY_DIR, { recursive: true });
    for (const [i, h] of list.entries()) {
      const suffix = process.env.RECORD_HISTORIES_SUFFIX ? `-${process.env.RECORD_HISTORIES_SUFFIX}` : '';
      const name = `${['tradingDay', 'session-open', 'account'][i] ?? `history-${i}`}${suffix}.json`;
      fs.writeFileSync(path.join(HISTORY_DIR, name), `${JSON.stringify({ workflowId: h.workflowId, history: h.history }, null, 1)}\n`);
      console.log(`${name}: ${h.events} events`);
    }
  });
}
