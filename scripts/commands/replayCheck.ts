import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../activities/config/loadConfig';
import { WORKFLOWS_PATH } from '../../workers/createWorker';
import { connectClient } from '../../workers/temporal/connection';
import { payloadDataConverter } from '../../workers/temporal/payloadCodec';
import { UsageError } from './args';
import { leafCommand } from './command';
import { COMMAND_SUMMARIES } from './catalog';

const DEFAULT_LOOKBACK_DAYS = 7;
const DAY_MS = 86_400_000;

interface ReplayCheckOptions {
  readonly since: string;
  readonly workflowsPath: string;
}

/** One workflow run the check replays, as the server's visibility lists it. */
interface ListedRun {
  readonly workflowId: string;
  readonly runId: string;
  readonly type: string;
  readonly status: string;
}

/** `replay-check`: histories from the server replayed against the current (or given) workflow code (docs/temporal.md). */
export const replayCheckCommand = leafCommand(
  {
    name: 'replay-check',
    summary: COMMAND_SUMMARIES['replay-check'],
    description: 'Closed workflows from --since on (default: 7 days ago) and every open one, of the namespace and task queue in .env.',
    options: {
      since: { type: 'string', value: 'YYYY-MM-DD', description: 'closed workflows from this UTC date on (open ones always)' },
      'workflows-path': { type: 'string', value: 'FILE', description: "the workflow code to check (default: this checkout's workflows/index.ts)" },
    },
  },
  async ({ values }, io) => {
    const since = values.since ?? defaultSince();
    if (!isDate(since)) throw new UsageError(`--since ${since} is not a date (expected YYYY-MM-DD)`);
    return runReplayCheck({ since, workflowsPath: values['workflows-path'] ?? WORKFLOWS_PATH }, (io.stdout ?? process.stdout) as NodeJS.WritableStream);
  },
);

async function runReplayCheck(options: ReplayCheckOptions, out: NodeJS.WritableStream): Promise<number> {
  const config = await loadConfig({ cwd: process.env.TRADEBOT_HOME ?? process.cwd() });
  const { TEMPORAL_NAMESPACE: namespace, TEMPORAL_TASK_QUEUE: taskQueue } = config.env;
  const client = await connectClient(config.env);
  try {
    const runs = await listRuns(client, visibilityQuery(taskQueue, options.since));
    out.write(`replay-check: ${runs.length} workflow(s) on ${namespace}/${taskQueue}, open or closed since ${options.since}, against ${options.workflowsPath}\n`);
    const failures = await replayRuns(client, runs, { workflowsPath: options.workflowsPath, dataConverter: payloadDataConverter(config.env) }, out);
    out.write(failures === 0 ? 'replay-check: every history replays\n' : `replay-check: ${failures} of ${runs.length} do NOT replay; do not deploy this code\n`);
    return failures === 0 ? 0 : 1;
  } finally {
    await client.connection.close();
  }
}

function defaultSince(): string {
  return new Date(Date.now() - DEFAULT_LOOKBACK_DAYS * DAY_MS).toISOString().slice(0, 10);
}

function isDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
}

/** Open runs of the task queue, and runs closed from `since` (UTC midnight) on. */
export function visibilityQuery(taskQueue: string, since: string): string {
  const quoted = taskQueue.replace(/'/g, "\\'");
  return `TaskQueue = '${quoted}' AND (ExecutionStatus = 'Running' OR CloseTime >= '${since}T00:00:00Z')`;
}

async function listRuns(client: Client, query: string): Promise<ListedRun[]> {
  const runs: ListedRun[] = [];
  for await (const w of client.workflow.list({ query })) runs.push(listedRun(w));
  return runs;
}

function listedRun(w: WorkflowExecutionInfo): ListedRun {
  return { workflowId: w.workflowId, runId: w.runId, type: w.type, status: w.status.name };
}

/** Replays every run's history and prints its line; returns how many did not replay. */
async function replayRuns(
  client: Client,
  runs: readonly ListedRun[],
  replayer: { workflowsPath: string; dataConverter?: DataConverter },
  out: NodeJS.WritableStream,
): Promise<number> {
  if (runs.length === 0) return 0;
  let failures = 0;
  let i = 0;
  // Results come back in the order the histories are given.
  for await (const result of Worker.runReplayHistories({ ...replayer, replayName: 'replay-check' }, fetchHistories(client, runs))) {
    const run = runs[i++] as ListedRun;
    const label = `${run.workflowId} (${run.type}, ${run.status.toLowerCase()})`;
    if (result.error === undefined) {
      out.write(`  ok      ${label}\n`);
    } else {
      failures += 1;
      out.write(`  FAILED  ${label}: ${result.error.name}: ${firstLine(result.error.message)}\n`);
    }
  }
  return failures;
}

/** Histories fetched one at a time, as the replayer asks for them. */
async function* fetchHistories(client: Client, runs: readonly ListedRun[]) {
  for (const r of runs) yield { workflowId: r.workflowId, history: await client.workflow.getHandle(r.workflowId, r.runId).fetchHistory() };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
