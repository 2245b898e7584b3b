import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { createScreenerActivities } from '../../activities/screening/screenerActivities';
import type { ScreeningDataProvider } from '../../activities/screening/screeningDataProvider';
import { readSymbolListFile } from '../../activities/screening/symbolListFile';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { isConfigError } from '../../domain/config/configError';
import { parseSymbolList, symbolTokens } from '../../domain/screening/symbolList';
import { readSymbolList as workerReadSymbolList } from '../../workers/workerRuntime';

// One grammar (domain/screening/symbolList.ts) and one reader (activities/screening/symbolListFile.ts):
// the worker's universe, the screener and the backtester read a list alike (docs/screening.md "Symbol lists").

const REPO = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(REPO, 'tests', 'fixtures', 'screening');
const GRAMMAR = 'symbols are separated by commas, spaces or new lines; # starts a comment';

/** The screener's universe: a live scan whose provider knows nothing rejects every symbol, in universe order. */
async function screenerUniverse(baseDir: string, file: string): Promise<string[]> {
  const provider: ScreeningDataProvider = { name: 'none', facts: async () => null };
  const { screenCandidates } = createScreenerActivities({ marketData: async () => assert.fail('no replay'), provider, baseDir });
  const r = await screenCandidates({
    date: '2026-03-13',
    strategy: 'open',
    universe: [],
    testMode: false,
    replayFolder: null,
    firstSessionBarMs: Date.parse('2026-03-13T14:30:00Z'),
    config: { ...defaultBotConfig(), SYMBOL_LIST_PATH: file },
  });
  assert.deepEqual(r.accepted, []);
  return r.rejected.map((x) => x.symbol);
}

/** Every path a list is read by: the same answer, or the same error. */
async function allPaths(baseDir: string, file: string): Promise<string[]> {
  const worker = workerReadSymbolList(baseDir, file);
  assert.deepEqual(readSymbolListFile(file, baseDir), worker, 'backtester reader');
  assert.deepEqual(await screenerUniverse(baseDir, file), worker, 'screener');
  return worker;
}

async function allPathsFail(baseDir: string, file: string): Promise<string> {
  const messages: string[] = [];
  const catchIt = async (f: () => unknown) => {
    try {
      await f();
    } catch (err) {
      assert.ok(isConfigError(err), String(err));
      messages.push((err as Error).message);
      return;
    }
    assert.fail(`expected a ConfigError for ${file}`);
  };
  await catchIt(() => workerReadSymbolList(baseDir, file));
  await catchIt(() => readSymbolListFile(file, baseDir));
  await catchIt(() => screenerUniverse(baseDir, file));
  assert.equal(new Set(messages).size, 1, messages.join('\n'));
  return messages[0]!;
}

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'symbols-'));

void test('the grammar: commas, spaces, tabs and lines; comments; case; repeats kept once in first order', () => {
  assert.deepEqual(parseSymbolList('AAPL, MSFT', 'x'), ['AAPL', 'MSFT']);
  assert.deepEqual(parseSymbolList('\uFEFF# universe\r\naapl,msft\r\n\tTSLA  AAPL # again\n\n', 'x'), ['AAPL', 'MSFT', 'TSLA']);
  assert.deepEqual(parseSymbolList('BRK.B\nBF-B # class B\r\n', 'x'), ['BRK.B', 'BF-B']);
  assert.deepEqual(parseSymbolList('SPY,,QQQ ,\n,IWM', 'x'), ['SPY', 'QQQ', 'IWM']);
  assert.deepEqual(symbolTokens('a b\n# c d\ne # f\n'), [
    { token: 'a', line: 1 },
    { token: 'b', line: 1 },
    { token: 'e', line: 3 },
  ]);
});

void test('bad tokens: each named with its source and line, all at once', () => {
  assert.throws(
    () => parseSymbolList('SPY\nQQQ ^VIX\n', 'u.txt'),
    (err: Error) => isConfigError(err) && err.message === `SYMBOL_LIST_PATH: u.txt:2: "^VIX" is not a ticker symbol (${GRAMMAR})`,
  );
  assert.throws(
    () => parseSymbolList('SPY;QQQ\nTOOLONGSYMBOL\n1AB\nBRK..B\n', 'u.txt'),
    (err: unknown) => {
      assert.ok(isConfigError(err));
      assert.deepEqual(err.problems, [
        `SYMBOL_LIST_PATH: u.txt:1: "SPY;QQQ" is not a ticker symbol (${GRAMMAR})`,
        `SYMBOL_LIST_PATH: u.txt:2: "TOOLONGSYMBOL" is not a ticker symbol (${GRAMMAR})`,
        `SYMBOL_LIST_PATH: u.txt:3: "1AB" is not a ticker symbol (${GRAMMAR})`,
        `SYMBOL_LIST_PATH: u.txt:4: "BRK..B" is not a ticker symbol (${GRAMMAR})`,
      ]);
      return true;
    },
  );
  assert.throws(() => parseSymbolList('# only comments\n\n , ,\n', 'e.txt'), new RegExp(`^ConfigError: SYMBOL_LIST_PATH: e\\.txt lists no symbols`));
  // A wrong file (a CSV export) gives a bounded list, not thousands of lines.
  const csv = Array.from({ length: 30 }, (_, i) => `2025-01-${String(i + 1).padStart(2, '0')},1.0`).join('\n');
  assert.throws(() => parseSymbolList(csv, 'c.csv'), (err: unknown) => isConfigError(err) && err.problems.length === 11 && /50 more bad tokens not shown/.test(err.problems[10]!));
});

void test('the fixtures through the worker, the screener and the backtester reader: the same symbols', async () => {
  assert.deepEqual(await allPaths(FIXTURES, 'symbols.txt'), ['TQQQ', 'SQQQ', 'TNA', 'SPY', 'UVXY']);
  assert.deepEqual(await allPaths(FIXTURES, 'symbols_mixed.txt'), ['AAPL', 'MSFT', 'TSLA', 'NVDA', 'SPY', 'QQQ', 'BRK.B', 'BF-B']);
  assert.equal(
    await allPathsFail(FIXTURES, 'symbols_bad.txt'),
    `SYMBOL_LIST_PATH: ${path.join(FIXTURES, 'symbols_bad.txt')}:4: "^VIX" is not a ticker symbol (${GRAMMAR})`,
  );
  assert.match(await allPathsFail(FIXTURES, 'missing.txt'), /^SYMBOL_LIST_PATH: cannot read .*missing\.txt \(ENOENT\)$/);
});

void test('property: any list of valid symbols with any separators reads the same on every path', async () => {
  const symbol = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,4}(?:[.-][A-Za-z0-9]{1,2})?$/);
  const sep = fc.constantFrom(',', ' ', '\t', '\n', ', ', ' ,\r\n', '  # note\n');
  const cwd = dir();
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(symbol, sep), { minLength: 1, maxLength: 12 }), async (parts) => {
      const text = parts.map(([s, p]) => s + p).join('');
      fs.writeFileSync(path.join(cwd, 'u.txt'), text);
      const want = [...new Set(parts.map(([s]) => s.toUpperCase()))];
      assert.deepEqual(await allPaths(cwd, 'u.txt'), want);
    }),
    { numRuns: 40 },
  );
});

void test('the worker still refuses an empty SYMBOL_LIST_PATH before reading anything', () => {
  assert.throws(() => workerReadSymbolList(dir(), '  '), /SYMBOL_LIST_PATH must name a symbol list file/);
});
