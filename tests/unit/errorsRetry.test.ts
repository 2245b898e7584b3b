import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import {
  BrokerError,
  ConfigError,
  LogicError,
  NetworkError,
  boundedStack,
  classOf,
  describeError,
} from '../../domain/errors/errorClasses';
import { classifyActivityErrors, toApplicationFailure } from '../../activities/activityFailures';
import { NON_RETRYABLE_ERROR_CLASSES, activityOptionsFor, attemptsFor, retryDelaysMs, retryPolicyFor, worstCaseMs } from '../../domain/errors/retryPolicy';
import { readUnresolvedOrdersJson, recordEscalation, unresolvedOrderRecord } from '../../activities/outputs/unresolvedOrders';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';

void test('the four classes: names are Temporal failure types; only NetworkError is retryable', () => {
  const cases = [
    [new NetworkError('down', { code: 'timeout', provider: 'alpaca' }), 'NetworkError', false],
    [new BrokerError('refused', { code: '40410000' }), 'BrokerError', true],
    [new LogicError('impossible'), 'LogicError', true],
    [new ConfigError(['ALPACA_PAPER_API_KEY missing']), 'ConfigError', true],
  ] as const;
  for (const [err, type, nonRetryable] of cases) {
    assert.equal(err.name, type);
    assert.equal(classOf(err), type);
    const f = toApplicationFailure(err);
    assert.ok(f instanceof ApplicationFailure);
    assert.equal(f.type, type);
    assert.equal(f.nonRetryable, nonRetryable);
  }
  assert.deepEqual(toApplicationFailure(new NetworkError('x', { code: 'timeout', provider: 'alpaca' })).details, [{ code: 'timeout', provider: 'alpaca' }]);
  // Anything unclassified is a bot bug: LogicError, not retried.
  assert.equal(classOf(new TypeError('x is undefined')), 'LogicError');
  assert.equal(toApplicationFailure(new TypeError('x')).nonRetryable, true);
});

void test('a 429 Retry-After becomes the next retry delay', () => {
  const f = toApplicationFailure(new NetworkError('rate limited', { code: 'rate_limited', retryAfterMs: 7000 }));
  assert.equal(f.nextRetryDelay, 7000);
});

void test('describeError reads through a workflow ActivityFailure to the classified cause', () => {
  const cause = toApplicationFailure(new NetworkError('alpaca: submit failed (HTTP 503)', { code: '503', provider: 'alpaca' }));
  const af = new ActivityFailure('activity failed', 'submitOrder', '7', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'worker-1', cause);
  const d = describeError(af);
  assert.equal(d.errorClass, 'NetworkError');
  assert.equal(d.code, '503');
  assert.equal(d.provider, 'alpaca');
  assert.equal(d.message, 'alpaca: submit failed (HTTP 503)');
});

void test('classifyActivityErrors wraps every activity', async () => {
  const acts = classifyActivityErrors({
    async net() {
      throw new NetworkError('x');
    },
    async bug() {
      throw new Error('oops');
    },
    async ok() {
      return 1;
    },
  });
  assert.equal(await acts.ok(), 1);
  await assert.rejects(acts.net(), (e: unknown) => e instanceof ApplicationFailure && e.type === 'NetworkError' && !e.nonRetryable);
  await assert.rejects(acts.bug(), (e: unknown) => e instanceof ApplicationFailure && e.type === 'LogicError' && e.nonRetryable);
  const io = classifyActivityErrors({ async bug() { throw new Error('EIO'); } }, { unknownIsTransient: true });
  await assert.rejects(io.bug(), (e: unknown) => e instanceof ApplicationFailure && e.type === 'NetworkError');
});

void test('retry policy from API_RETRY_LIMIT and API_TIMEOUT: plain data, exponential, bounded, non-retryable classes', () => {
  const bot = defaultBotConfig();
  const p = retryPolicyFor(bot);
  assert.deepEqual(p, {
    initialInterval: 1000,
    backoffCoefficient: 2,
    maximumInterval: 30000,
    maximumAttempts: bot.API_RETRY_LIMIT + 1,
    nonRetryableErrorTypes: ['ConfigError', 'LogicError', 'BrokerError'],
  });
  assert.deepEqual(JSON.parse(JSON.stringify(p)), p);
  assert.deepEqual(activityOptionsFor({ API_RETRY_LIMIT: 3, API_TIMEOUT: 30 }), { startToCloseTimeout: 30000, retry: p });
  assert.deepEqual(retryDelaysMs({ API_RETRY_LIMIT: 3, API_TIMEOUT: 30 }), [1000, 2000, 4000]);
  assert.deepEqual(retryDelaysMs({ API_RETRY_LIMIT: 8, API_TIMEOUT: 5 }, 'broker').slice(-3), [30000, 30000, 30000]);
  assert.deepEqual(retryDelaysMs({ API_RETRY_LIMIT: 2, API_TIMEOUT: 5 }, 'marketData'), [500, 1000]);
  assert.equal(worstCaseMs({ API_RETRY_LIMIT: 3, API_TIMEOUT: 30 }), 4 * 30000 + 7000);
  // 0 retries still means one attempt (Temporal reads maximumAttempts 0 as unlimited).
  assert.equal(attemptsFor({ API_RETRY_LIMIT: 0, API_TIMEOUT: 1 }), 1);
  assert.ok(!NON_RETRYABLE_ERROR_CLASSES.includes('NetworkError'));
});

void test('stack traces are cut on a line boundary', () => {
  const stack = `Error: x\n${Array.from({ length: 200 }, (_, i) => `    at frame${i} (file.ts:${i}:1)`).join('\n')}`;
  const cut = boundedStack(stack, 500);
  assert.ok(cut.length < 600);
  assert.match(cut, /more characters cut\)$/);
  assert.equal(boundedStack('short', 500), 'short');
});

void test('unresolved_orders_<mode>.log: spec fields, bounded stack, written once per event, never for backtests', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unresolved-'));
  const err = new NetworkError('alpaca: submit order tb-x failed (HTTP 503)', { code: '503', provider: 'alpaca' });
  err.stack = `${err.message}\n${'    at somewhere (x.ts:1:1)\n'.repeat(500)}`;
  const input = { timestamp: '2025-03-03T15:01:02.000Z', strategy: 'open', broker: 'alpaca', symbol: 'AAPL', clientOrderId: 'tb-x', actions: ['alert', 'kill_switch:alpaca'], eventId: 'wf-1:submit:tb-x', error: err, maxStackChars: 300 };
  const rec = unresolvedOrderRecord(input);
  assert.equal(rec.error_type, 'NetworkError');
  assert.equal(rec.error_code, '503');
  assert.match(rec.message, /client order id tb-x; actions: alert, kill_switch:alpaca/);
  assert.ok((rec.stack ?? '').length <= 360);
  assert.equal(recordEscalation(dir, 'paper', 'json', input).written, true);
  assert.equal(recordEscalation(dir, 'paper', 'json', input).written, false);
  const rows = readUnresolvedOrdersJson(dir, 'paper');
  assert.equal(rows.length, 1);
  for (const k of ['timestamp', 'strategy', 'broker', 'error_type', 'error_code', 'stack']) assert.ok(k in (rows[0] as object), k);
  assert.ok(fs.existsSync(path.join(dir, 'logs', 'unresolved_orders_paper.log')));
  assert.ok(!fs.existsSync(path.join(dir, 'logs', 'unresolved_orders_live.log')));
  assert.throws(() => recordEscalation(dir, 'backtest', 'json', input), /backtests never write/);
  // CSV follows LOG_FORMAT through the same writer.
  const csvDir = fs.mkdtempSync(path.join(os.tmpdir(), 'unresolved-'));
  recordEscalation(csvDir, 'paper', 'csv', input);
  assert.match(fs.readFileSync(path.join(csvDir, 'logs', 'unresolved_orders_paper.log'), 'utf8'), /^timestamp,id,strategy,broker,symbol,error_type,error_code,message,stack\n/);
});
