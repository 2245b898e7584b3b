import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

/*
 * The layer and error-model rules of eslint.config.mjs fire: each probe text is linted as if it were a
 * real file of that layer (docs/architecture.md, "Layers"), and the rule's own message must appear.
 * Without this, a rule whose selector or pattern stopped matching would pass every `npm run lint`.
 */

const REPO = join(__dirname, '..', '..');
const eslint = new ESLint({ cwd: REPO });

async function messagesOf(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: join(REPO, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

async function assertFlags(file: string, text: string, expected: RegExp): Promise<void> {
  const messages = await messagesOf(file, text);
  assert.ok(messages.some((m) => expected.test(m)), `${file}: expected ${expected}, got ${JSON.stringify(messages)}`);
}

void test('domain code imports no Temporal value, no Node built-in, no I/O layer', async () => {
  await assertFlags('domain/backtest/sweepMetric.ts', "import { sleep } from '@temporalio/workflow';\nexport const s = sleep;\n", /domain code imports no Temporal values/);
  await assertFlags('domain/backtest/sweepMetric.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", /may not import Node built-ins or I\/O packages/);
  await assertFlags('domain/backtest/sweepMetric.ts', "import { csvCell } from '../../activities/outputs/csvCell';\nexport const c = csvCell;\n", /deterministic code may not import I\/O layers/);
  const typeOnly = await messagesOf('domain/backtest/sweepMetric.ts', "import type { Duration } from '@temporalio/common';\nexport type D = Duration;\n");
  assert.deepEqual(typeOnly.filter((m) => /restricted-imports/.test(m)), [], 'a type import is allowed');
});

void test('workflows keep to workflow time and randomness; activities reach workflows only through *Api.ts', async () => {
  await assertFlags('workflows/session.ts', 'export const now = Date.now();\n', /use workflow time/);
  await assertFlags('workflows/session.ts', 'export const r = Math.random();\n', /no randomness in deterministic code/);
  await assertFlags('activities/outputs/csvCell.ts', "import { sessionWorkflow } from '../../workflows/session';\nexport const w = sessionWorkflow;\n", /activities import a workflow only through its \*Api\.ts module/);
  const api = await messagesOf('activities/outputs/csvCell.ts', "import type { SessionStatus } from '../../workflows/sessionApi';\nexport type S = SessionStatus;\n");
  assert.deepEqual(api.filter((m) => /restricted/.test(m)), [], 'an *Api.ts import is allowed');
  await assertFlags('workers/sweepWorker.ts', "import { backtestCommand } from '../scripts/commands/backtest';\nexport const b = backtestCommand;\n", /only scripts\/ and tests\/ import from scripts\//);
});

void test('the error model: an Error subclass sets its name; retry policies and failure types by name', async () => {
  await assertFlags('activities/outputs/csvCell.ts', 'export class ProbeError extends Error {}\n', /an Error subclass sets its name/);
  await assertFlags('activities/outputs/csvCell.ts', 'export const opts = { retry: { maximumAttempts: 3 } };\n', /use a named retry policy/);
  await assertFlags(
    'activities/outputs/csvCell.ts',
    "import { ApplicationFailure } from '@temporalio/common';\nexport const f = ApplicationFailure.nonRetryable('x', 'MyType');\n",
    /name a failure type through FAILURE_TYPE/,
  );
});

void test('the plain JavaScript files are linted: an unknown global or an unused variable is an error', async () => {
  await assertFlags('scripts/run.js', 'undefinedStartupHelper();\n', /no-undef: 'undefinedStartupHelper' is not defined/);
  await assertFlags('scripts/run.js', "const unusedPath = require('node:path');\n", /no-unused-vars: 'unusedPath'/);
  await assertFlags('dashboard/static/dashboard.js', "const fs = require('fs');\nconsole.log(fs);\n", /no-undef: 'require' is not defined/);
  assert.deepEqual(await messagesOf('scripts/run.js', "const path = require('node:path');\nconsole.log(path.join(__dirname, 'x'), process.argv);\n"), []);
});
