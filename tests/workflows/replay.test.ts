import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/createWorker';
import { HISTORY_DIR, runRecordedScenario } from '../helpers/recordHistories';

/**
 * Determinism guard: histories recorded from real runs must replay against the current workflow code.
 * A change that alters the commands a workflow issues fails here; re-record deliberately
 * (RECORD_HISTORIES=1 npx tsx tests/helpers/recordHistories.ts against a dev server) when that is intended.
 */
test('recorded day, session and account histories replay without non-determinism', async () => {
  const files = fs.readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 3, 'the recorded day, session and account histories are committed');
  const histories = files.map((f) => JSON.parse(fs.readFileSync(path.join(HISTORY_DIR, f), 'utf8')) as { workflowId: string; history: unknown });
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) results.push(r);
  assert.equal(results.length, histories.length);
  for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
});

test('a fresh run replays too, and a session stays under 2,000 history events', async () => {
  const recorded = await runRecordedScenario();
  for (const r of recorded) assert.ok(r.events < 2000, `${r.workflowId} has ${r.events} events`);
  const results = [];
  for await (const r of Worker.runReplayHistories(
    { workflowsPath: WORKFLOWS_PATH },
    recorded.map((r) => ({ workflowId: r.workflowId, history: r.history })),
  )) {
    results.push(r);
  }
  for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
});
