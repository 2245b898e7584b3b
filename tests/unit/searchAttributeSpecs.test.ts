import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { TIMER_PRECISION_ARGS } from '../../scripts/temporal/devServer';
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

test('every dev server the project starts fires timers on time: runTests.js and the systemd unit pass the same dynamic config', () => {
  const [flag, value] = TIMER_PRECISION_ARGS;
  assert.equal(flag, '--dynamic-config-value');
  const runTests = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'runTests.js'), 'utf8');
  assert.ok(runTests.includes(`const TIMER_PRECISION_ARGS = ['${flag}', '${value}'];`), 'runTests.js lists TIMER_PRECISION_ARGS');
  assert.match(runTests, /\.\.\.TIMER_PRECISION_ARGS\]/);
  const unit = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'systemd', 'tradebot-temporal.service'), 'utf8');
  assert.ok(unit.split('\n').some((l) => l.startsWith('ExecStart=') && l.includes(`${flag} '${value}'`)), 'the systemd unit passes it (single-quoted: systemd keeps the JSON quotes inside)');
});
