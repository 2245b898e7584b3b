import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSource, sourceFiles } from '../helpers/sourceFiles';
import { RETRY_POLICIES } from '../../domain/errors/retryPolicy';

/**
 * Retry policies are named once (RETRY_POLICIES and retryPolicyFor in domain/errors/retryPolicy.ts) and
 * used by name. This scan fails when an inline retry literal reappears anywhere in the program's source
 * (the lint rule NAMED_RETRY_POLICY in eslint.config.mjs catches the `retry: {` form in TypeScript).
 */
const HOME = 'domain/errors/retryPolicy.ts';
const INLINE_RETRY = [
  /\bretry\s*:\s*\{/,
  /\b(maximumAttempts|initialInterval|maximumInterval|backoffCoefficient|nonRetryableErrorTypes)\s*:/,
];

function inlineRetryLines(text: string): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .filter(({ line }) => INLINE_RETRY.some((re) => re.test(line)))
    .map(({ line, n }) => `${n}: ${line.trim()}`);
}

void test('the scan recognises an inline retry literal', () => {
  assert.equal(inlineRetryLines("proxyActivities({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });").length, 1);
  assert.equal(inlineRetryLines("const p = { initialInterval: '1 second' };").length, 1);
  assert.equal(inlineRetryLines('  retry: RETRY_POLICIES.screening,').length, 0);
  assert.equal(inlineRetryLines(' * maximumAttempts: in a comment').length, 0);
});

void test('no inline retry literal outside domain/errors/retryPolicy.ts', () => {
  const files = sourceFiles();
  assert.ok(files.includes(HOME) && files.some((f) => f.startsWith('workflows/')), 'the scan sees the source tree');
  const found = files.filter((f) => f !== HOME).flatMap((f) => inlineRetryLines(readSource(f)).map((l) => `${f}:${l}`));
  assert.deepEqual(found, [], `use a named policy from RETRY_POLICIES (${HOME}) instead of:\n${found.join('\n')}`);
});

void test('every named policy is used by name somewhere', () => {
  const text = sourceFiles(['workflows', 'activities', 'workers', 'scripts']).map(readSource).join('\n');
  const unused = Object.keys(RETRY_POLICIES).filter((name) => !text.includes(`RETRY_POLICIES.${name}`));
  assert.deepEqual(unused, []);
});
