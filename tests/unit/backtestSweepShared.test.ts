import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadColumns } from '../../activities/backtest/barCache';
import type { PortfolioRunSpec } from '../../activities/backtest/runBacktest';
import { columnsFromShared, pickColumns, shareColumns } from '../../activities/backtest/sharedBars';
import { SharedBarsCache } from '../../activities/backtest/sharedBarsCache';
import { loadSharedBars, runCellsInThreads, sweepCells, sweepSymbols } from '../../activities/backtest/sweep';
import { cellSpec, type CellResult, type SweepCell } from '../../activities/backtest/sweepCell';
import { SweepThreadPool } from '../../activities/backtest/sweepThreadPool';
import { MAX_SWEEP_CELLS, sweepGrid } from '../../domain/backtest/sweepGrid';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { isConfigError } from '../../domain/config/configError';
import { fixtureRunSpec, MINUTE_FIXTURE } from '../helpers/fixtureRunSpec';

/**
 * Sweeps on shared memory: the bars are loaded once into a SharedArrayBuffer that every thread reads.
 * The results must be exactly those of the old path (each cell loading its own bars), for any number of
 * threads, and a bad grid must still be refused with a clear message.
 */

const dir = mkdtempSync(join(tmpdir(), 'tradebot-btsweep-shared-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function baseSpec(resultsDir: string, symbols: readonly string[] | null = null): PortfolioRunSpec {
  return fixtureRunSpec({ symbols, resultsDir: join(dir, resultsDir) });
}

const grid = (axes: Parameters<typeof sweepCells>[0]) => sweepCells(axes, async (s) => botConfigSchema.parse(s));

/** A cell's result without what differs between two equal runs (where it ran, how long, which folder). */
const essence = (r: CellResult) => {
  const { runMs: _ms, ranBy: _by, resultsDir: _dir, ...rest } = r;
  return rest;
};

/** Every output file of a run's cells, by path below the run's sweep folder. */
function cellOutputs(resultsDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(join(resultsDir, 'sweep'), '');
  return out;
}

void test('shared memory gives the old path results, with 1 and with 2 threads, outputs byte for byte', { timeout: 120_000 }, async () => {
  const cells = await grid([
    { key: 'STRAT_OPEN_BUFFER', values: ['0.002', '0.02'] },
    { key: 'TOTAL_ALLOCATION', values: ['0.02', '0.05'] },
  ]);
  const perCell = await runCellsInThreads(baseSpec('per-cell'), cells, 2, undefined, { barsPerCell: true });
  const shared2 = await runCellsInThreads(baseSpec('shared-2'), cells, 2);
  const shared1 = await runCellsInThreads(baseSpec('shared-1'), cells, 1);
  assert.ok(perCell.some((r) => r.overall.trades > 0), 'the fixture days trade, so equality says something');
  assert.notDeepEqual(essence(perCell[0]!), essence(perCell[3]!), 'the swept keys change the result');
  assert.deepEqual(shared2.map(essence), perCell.map(essence));
  assert.deepEqual(shared1.map(essence), perCell.map(essence));
  assert.deepEqual(new Set(shared1.map((r) => r.ranBy)), new Set(['thread 1']));
  const reference = cellOutputs(join(dir, 'per-cell'));
  assert.ok(reference.size >= cells.length * 3, `every cell wrote its outputs (${[...reference.keys()].join(', ')})`);
  for (const run of ['shared-2', 'shared-1']) {
    const outputs = cellOutputs(join(dir, run));
    assert.deepEqual([...outputs.keys()].sort(), [...reference.keys()].sort());
    for (const [file, text] of reference) assert.equal(outputs.get(file), text, `${run}: ${file}`);
  }
});

void test('cells with different symbol needs (inverse ETFs) each see only their own symbols from the shared load', { timeout: 120_000 }, async () => {
  const symbols = ['TQQQ', 'TNA'];
  const cells = await grid([{ key: 'SHORT_TYPE_MID', values: ['InverseETF', 'LongPut'] }]);
  // The InverseETF cell needs the inverse funds of its universe as well; the shared load holds the union.
  assert.deepEqual(sweepSymbols(baseSpec('x', symbols), cells), ['SQQQ', 'TNA', 'TQQQ', 'TZA']);
  const perCell = await runCellsInThreads(baseSpec('etf-per-cell', symbols), cells, 2, undefined, { barsPerCell: true });
  const shared = await runCellsInThreads(baseSpec('etf-shared', symbols), cells, 2);
  assert.deepEqual(shared.map(essence), perCell.map(essence));
  const reference = cellOutputs(join(dir, 'etf-per-cell'));
  const outputs = cellOutputs(join(dir, 'etf-shared'));
  for (const [file, text] of reference) assert.equal(outputs.get(file), text, file);
});

void test('picking symbols from a wider load equals loading just those symbols', () => {
  const all = loadColumns(MINUTE_FIXTURE, { cacheDir: null });
  const wanted = ['TZA', 'SQQQ'];
  const own = loadColumns(MINUTE_FIXTURE, { cacheDir: null, symbols: wanted });
  const picked = pickColumns(columnsFromShared(shareColumns(all)), wanted);
  assert.equal(picked.rowCount, own.rowCount);
  assert.ok(picked.rowCount < all.rowCount);
  assert.deepEqual(picked.gaps, own.gaps);
  assert.deepEqual(picked.files, own.files);
  assert.deepEqual(
    picked.series.map((s) => s.symbol),
    own.series.map((s) => s.symbol),
  );
  for (let i = 0; i < own.series.length; i++) {
    const a = picked.series[i]!;
    const b = own.series[i]!;
    for (const col of ['t', 'o', 'h', 'l', 'c', 'v'] as const) assert.deepEqual(Array.from(a[col]), Array.from(b[col]), `${b.symbol}.${col}`);
    assert.deepEqual(a.dates, b.dates);
    assert.deepEqual(Array.from(a.dayStart), Array.from(b.dayStart));
    assert.ok(a.c.buffer instanceof SharedArrayBuffer, 'a view of the shared buffer');
  }
});

void test('threads read the one shared buffer itself: a change made here shows in the next cell there', { timeout: 60_000 }, async () => {
  const base = { ...baseSpec('mutate'), resultsDir: null };
  const [cell] = (await grid([{ key: 'STRAT_OPEN_BUFFER', values: ['0.002'] }])) as [SweepCell];
  const bars = loadSharedBars(base, [cell]);
  const pool = new SweepThreadPool(1);
  try {
    const job = { spec: cellSpec(base, cell), cell: { name: cell.name, settings: cell.settings }, bars };
    const before = await pool.run(job);
    assert.ok(before.overall.trades > 0, 'the real bars trade');
    // Flat prices everywhere (times kept): no range is ever broken, nothing trades. A thread holding a
    // copy of the bars would still trade.
    const all = new Float64Array(bars.buffer);
    for (const s of bars.series) all.fill(50, s.offset + s.rows, s.offset + 5 * s.rows);
    const after = await pool.run(job);
    assert.equal(after.overall.trades, 0);
  } finally {
    await pool.close();
  }
});

void test('a failing cell fails with its own message; the pool goes on with the next; a closed pool refuses', { timeout: 60_000 }, async () => {
  const base = { ...baseSpec('fail'), resultsDir: null };
  const [cell] = (await grid([{ key: 'MAX_TRADES', values: ['2'] }])) as [SweepCell];
  const pool = new SweepThreadPool(1);
  try {
    const bad = { spec: { ...cellSpec(base, cell), dataSource: join(dir, 'nowhere') }, cell, bars: null };
    await assert.rejects(pool.run(bad), /data source not found: .*nowhere/);
    const good = await pool.run({ spec: cellSpec(base, cell), cell, bars: loadSharedBars(base, [cell]) });
    assert.equal(good.cell, 'MAX_TRADES=2');
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.run({ spec: cellSpec(base, cell), cell, bars: null }), /pool is closed/);
  await assert.rejects(
    runCellsInThreads({ ...base, dataSource: join(dir, 'nowhere') }, [cell], 1, undefined, { barsPerCell: true }),
    /^Error: sweep cell MAX_TRADES=2: data source not found/,
  );
});

void test('a worker process keeps one shared load per data set, and loads again when a file changes', () => {
  const data = join(dir, 'data');
  mkdirSync(data);
  for (const f of ['TQQQ_20250408_20250409.csv', 'SQQQ_20250408_20250409.csv']) copyFileSync(join(MINUTE_FIXTURE, f), join(data, f));
  const cache = new SharedBarsCache({ keep: 2 });
  const req = { dataSource: data, cacheDir: null, symbols: ['TQQQ', 'SQQQ'] };
  const first = cache.get(req);
  assert.equal(cache.get({ ...req, symbols: ['SQQQ', 'TQQQ'] }), first, 'same data set, same shared bars');
  const other = cache.get({ ...req, symbols: ['TQQQ'] });
  assert.notEqual(other, first);
  assert.equal(cache.size, 2);
  utimesSync(join(data, 'TQQQ_20250408_20250409.csv'), new Date(), new Date(Date.UTC(2020, 0, 1)));
  const reloaded = cache.get(req);
  assert.notEqual(reloaded, first, 'a changed file is a new data set');
  assert.equal(cache.size, 2, 'at most `keep` data sets');
  assert.equal(cache.get({ ...req, symbols: ['TQQQ'] }).series.length, 1);
  cache.clear();
  assert.equal(cache.size, 0);
});

/** The ConfigError's problems, or a failure when the grid was accepted. */
function gridProblems(axes: Parameters<typeof sweepGrid>[0]): readonly string[] {
  try {
    sweepGrid(axes);
  } catch (err) {
    assert.ok(isConfigError(err), String(err));
    return err.problems;
  }
  assert.fail('the grid was accepted');
}

void test('bad grids are refused with every problem, each naming the key and value', async () => {
  assert.deepEqual(gridProblems([]), ['a sweep needs at least one axis (KEY=v1,v2,...)']);
  assert.deepEqual(
    gridProblems([
      { key: 'MAX_TRADES', values: ['1', '2', '1'] },
      { key: 'STRAT_OPEN_BUFFER', values: [] },
      { key: 'MAX_TRADES', values: ['3'] },
    ]),
    ['sweep MAX_TRADES: the value 1 is given more than once', 'sweep STRAT_OPEN_BUFFER: no values (allowed: KEY=v1,v2,...)', 'sweep MAX_TRADES: the key is given more than once'],
  );
  const wide = Array.from({ length: 101 }, (_, i) => String(i));
  assert.deepEqual(gridProblems([{ key: 'A', values: wide }, { key: 'B', values: wide }]), [`the sweep grid has 10201 cells (101 x 101); at most ${MAX_SWEEP_CELLS}`]);
  assert.deepEqual(gridProblems([{ key: 'STRAT_CLOSE_MODE', values: ['a b', 'a/b'] }]), [
    'sweep cells STRAT_CLOSE_MODE="a b" and STRAT_CLOSE_MODE="a/b" would share the results folder STRAT_CLOSE_MODE=a_b; use values that differ in letters, digits or . _ -',
  ]);
  // Through sweepCells as the command calls it: refused before any cell's config is loaded.
  let loads = 0;
  await assert.rejects(
    sweepCells([{ key: 'MAX_TRADES', values: ['2', '2'] }], async (s) => {
      loads += 1;
      return botConfigSchema.parse(s);
    }),
    (err: unknown) => isConfigError(err) && err.message === 'sweep MAX_TRADES: the value 2 is given more than once',
  );
  assert.equal(loads, 0);
  assert.equal(sweepGrid([{ key: 'MAX_TRADES', values: ['1', '2'] }, { key: 'TOTAL_ALLOCATION', values: ['0.02', '0.05'] }]).length, 4);
});
