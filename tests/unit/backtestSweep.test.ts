import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPortfolioBacktest } from '../../activities/backtest/runBacktest';
import { runCellsInThreads, sweepCells } from '../../activities/backtest/sweep';
import { cellSpec } from '../../activities/backtest/sweepCell';
import { botConfigSchema } from '../../domain/config/botConfigSchema';
import { runBacktestCommand } from '../../scripts/commands/backtest';
import { fixtureRunSpec, MINUTE_FIXTURE } from '../helpers/fixtureRunSpec';

/** Parameter sweeps in local worker threads: the grid, the comparison table and report, thread = in-process. */

const dir = mkdtempSync(join(tmpdir(), 'tradebot-btsweep-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const base = fixtureRunSpec({ resultsDir: join(dir, 'direct') });

void test('the grid is every combination, each cell validated like .env_bot', async () => {
  const cells = await sweepCells(
    [
      { key: 'STRAT_OPEN_BUFFER', values: ['0.002', '0.02'] },
      { key: 'TOTAL_ALLOCATION', values: ['0.02', '0.05', '0.1'] },
    ],
    async (s) => botConfigSchema.parse(s),
  );
  assert.equal(cells.length, 6);
  assert.equal(cells[0]!.name, 'STRAT_OPEN_BUFFER=0.002,TOTAL_ALLOCATION=0.02');
  assert.equal(cells[5]!.cfg.TOTAL_ALLOCATION, 0.1);
  assert.equal(cells[5]!.cfg.STRAT_OPEN_BUFFER, 0.02);
});

void test('cells run in worker threads give what the same cells give in this process', async () => {
  const cells = await sweepCells([{ key: 'STRAT_OPEN_BUFFER', values: ['0.002', '0.005', '0.02'] }], async (s) => botConfigSchema.parse(s));
  const progress: string[] = [];
  const threaded = await runCellsInThreads(base, cells, 2, (done, total) => progress.push(`${done}/${total}`));
  assert.equal(threaded.length, 3);
  assert.deepEqual(progress, ['1/3', '2/3', '3/3'], 'progress after each cell');
  assert.ok(threaded.every((r) => /^thread \d$/.test(r.ranBy)));
  for (let i = 0; i < cells.length; i++) {
    const direct = runPortfolioBacktest({ ...cellSpec(base, cells[i]!), resultsDir: null });
    assert.equal(threaded[i]!.cell, cells[i]!.name);
    assert.deepEqual(threaded[i]!.overall, direct.metrics.overall);
    assert.equal(threaded[i]!.endingEquity, direct.metrics.endingEquity);
    assert.ok(existsSync(join(threaded[i]!.resultsDir, 'trades', 'trade_history_backtest.csv')));
  }
  assert.notDeepEqual(threaded[0]!.overall, threaded[2]!.overall, 'the swept key changes the result');
});

void test('the command: --sweep grid, comparison CSV and JSON, sweep report with the table', async () => {
  const results = join(dir, 'cmd');
  const out: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = () => undefined;
  let code: number;
  try {
    code = await runBacktestCommand([
      '--strategy=all',
      '--start=2025-04-08',
      '--end=2025-04-09',
      `--data_source=${MINUTE_FIXTURE}`,
      '--results',
      results,
      '--no-cache',
      '--sweep',
      'STRAT_OPEN_BUFFER=0.002,0.02',
      '--sweep',
      'TOTAL_ALLOCATION=0.02,0.05',
      '--workers',
      '2',
    ]);
  } finally {
    console.log = log;
    console.error = error;
  }
  assert.equal(code, 0, out.join('\n'));
  assert.match(out.join('\n'), /sweep: 4 cells in [\d.]+s \(2 worker thread\(s\)\)/);
  const csv = readFileSync(join(results, 'sweep_backtest.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 5);
  assert.match(csv[0]!, /^cell,STRAT_OPEN_BUFFER,TOTAL_ALLOCATION,trades,win_rate,total_pnl/);
  const json = JSON.parse(readFileSync(join(results, 'sweep_backtest.json'), 'utf8')) as { cells: { overall: { totalPnl: number } }[] };
  // Same signals, two and a half times the allocation: the PnL scales with it.
  assert.ok(Math.abs(json.cells[1]!.overall.totalPnl) > Math.abs(json.cells[0]!.overall.totalPnl));
  const html = readFileSync(join(results, 'sweep_report_backtest.html'), 'utf8');
  assert.match(html, /id="sweep-table"/);
  assert.equal((html.match(/<tr><td>STRAT_OPEN_BUFFER=/g) ?? []).length, 4);
  // Two swept keys: the heat map of Sharpe ratios, STRAT_OPEN_BUFFER down, TOTAL_ALLOCATION across.
  const map = /<table class="metrics heat-map" id="sweep-heat-map">(.*?)<\/table>/.exec(html);
  assert.ok(map !== null, 'the sweep report has a heat map');
  assert.match(map[1]!, /<th>STRAT_OPEN_BUFFER \\ TOTAL_ALLOCATION<\/th><th>0\.02<\/th><th>0\.05<\/th>/);
  assert.equal((map[1]!.match(/<td class="heat/g) ?? []).length, 4);
});
