import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SERVER_LATENCY_ARGS } from '../../scripts/temporal/devServer';
import { searchAttributeSpecs } from '../../workflows/searchAttributes';

/** Every dev server the project starts registers the same search attributes the workflows set. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const specsIn = (text: string) => [...text.matchAll(/\b([A-Za-z]+=(?:Keyword|KeywordList|Bool|Datetime|Int|Double|Text))\b/g)].map((m) => m[1]);

test('the six bot search attributes, with the CLI type names', () => {
  assert.deepEqual(searchAttributeSpecs(), ['TradingDate=Keyword', 'TradingMode=Keyword', 'Broker=KeywordList', 'Strategy=KeywordList', 'DayState=Keyword', 'Halted=Bool']);
});

test('scripts/runTests.js starts the test server with exactly those', () => {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'runTests.js'), 'utf8');
  const line = text.split('\n').find((l) => l.includes('BOT_SEARCH_ATTRIBUTE_SPECS = ['));
  assert.ok(line, 'runTests.js lists BOT_SEARCH_ATTRIBUTE_SPECS');
  assert.deepEqual(specsIn(line), searchAttributeSpecs());
  assert.match(text, /BOT_SEARCH_ATTRIBUTE_SPECS\.flatMap\(\(spec\) => \['--search-attribute', spec\]\)/);
});

test('the systemd dev server unit registers exactly those', () => {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'systemd', 'tradebot-temporal.service'), 'utf8');
  const exec = text.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.ok(exec);
  assert.deepEqual([...exec.matchAll(/--search-attribute (\S+)/g)].map((m) => m[1]), searchAttributeSpecs());
});

test('every dev server the project starts has the latency settings: runTests.js and the systemd unit pass the same dynamic config', () => {
  const pairs: [string, string][] = [];
  for (let i = 0; i < SERVER_LATENCY_ARGS.length; i += 2) pairs.push([SERVER_LATENCY_ARGS[i] as string, SERVER_LATENCY_ARGS[i + 1] as string]);
  assert.deepEqual(pairs.map(([, v]) => v.split('=')[0]), ['history.timerProcessorMaxTimeShift', 'system.enableActivityEagerExecution']);
  const runTests = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'runTests.js'), 'utf8');
  const literal = runTests.split('\n').find((l) => l.startsWith('const SERVER_LATENCY_ARGS = ['));
  assert.ok(literal, 'runTests.js lists SERVER_LATENCY_ARGS');
  assert.equal(literal, `const SERVER_LATENCY_ARGS = [${SERVER_LATENCY_ARGS.map((a) => `'${a}'`).join(', ')}];`);
  assert.match(runTests, /\.\.\.SERVER_LATENCY_ARGS\]/);
  const unit = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'systemd', 'tradebot-temporal.service'), 'utf8');
  const exec = unit.split('\n').find((l) => l.startsWith('ExecStart=')) ?? '';
  // Single-quoted: systemd keeps the JSON quotes inside.
  for (const [flag, value] of pairs) assert.ok(exec.includes(`${flag} '${value}'`), `the systemd unit passes ${value}`);
});
