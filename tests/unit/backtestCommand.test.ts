import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatSignalAuditCsv,
  isoBarTime,
  runSignalAudit,
  vixCloseBefore,
} from '../../domain/backtest/signalAudit';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import type { Bar } from '../../domain/market/bar';
import { parseBacktestArgs, runBacktestCommand } from '../../scripts/commands/backtest';

const dir = mkdtempSync(join(tmpdir(), 'tradebot-backtest-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Captures console output while a command runs. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await fn();
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

// One OPEN breakout day (summer, defaults: range 14:30-14:49, entry 14:50-14:59).
const HEADER = 'timestamp,open,high,low,close,volume';
function openDayCsv(): string {
  const rows = [HEADER];
  for (let m = 0; m < 60; m++) {
    const t = Date.parse('2025-06-10T14:30:00Z') + m * 60_000;
    const c = m >= 22 ? 103 : 100;
    rows.push(`${new Date(t).toISOString().slice(0, 19)}Z,${c},${c},${c},${c},1000`);
  }
  return `${rows.join('\n')}\n`;
}
const barsFile = join(dir, 'ABC_20250610.csv');
writeFileSync(barsFile, openDayCsv());

// No bar cache: tests must not leave cache files behind.
const base = ['--strategy=open', '--start=2025-06-01', '--end=2025-06-30', `--data_source=${barsFile}`, '--no-cache'];

void test('vixCloseBefore takes the latest date strictly before the session date', () => {
  const vix = { dates: ['2025-04-04', '2025-04-07', '2025-04-08'], closes: [45, 46, 52] };
  assert.equal(vixCloseBefore(vix, '2025-04-08'), 46);
  assert.equal(vixCloseBefore(vix, '2025-04-07'), 45, 'over a weekend');
  assert.equal(vixCloseBefore(vix, '2025-04-09'), 52);
  assert.equal(vixCloseBefore(vix, '2025-04-04'), null);
  assert.equal(vixCloseBefore(null, '2025-04-09'), null);
});

void test('CSV format: exact columns, ISO bar starts, shortest round-trip prices, sorted', () => {
  const bar = (hhmm: string, c: number): Bar => ({ t: Date.parse(`2025-06-10T${hhmm}:00Z`), o: c, h: c, l: c, c, v: 1 });
  const day = [bar('14:30', 100), bar('14:50', 103), bar('14:51', 0.1 + 0.2)];
  const bars = new Map([
    ['ZZ', new Map([['2025-06-10', day]])],
    ['AA', new Map([['2025-06-10', day]])],
  ]);
  const cfg = { ...defaultBotConfig(), OPEN_ANALYSIS_TIME: 20, OPEN_MONITORING_TIME: 1 };
  const audit = runSignalAudit({ bars, cfg, strategies: ['open'], vix: null });
  assert.equal(
    formatSignalAuditCsv(audit.rows),
    'symbol,date,strategy,side,entry_time,entry_price,exit_time,exit_price,exit_reason\n' +
      'AA,2025-06-10,open,long,2025-06-10T14:50:00Z,103,2025-06-10T14:51:00Z,0.30000000000000004,trailing_stop\n' +
      'ZZ,2025-06-10,open,long,2025-06-10T14:50:00Z,103,2025-06-10T14:51:00Z,0.30000000000000004,trailing_stop\n',
  );
  assert.equal(isoBarTime(Date.parse('2025-04-07T14:54:00Z')), '2025-04-07T14:54:00Z');
});

void test('argument forms: --k=v and --k v, repeatable --set, aliases', () => {
  const a = parseBacktestArgs([
    '--strategy',
    'all',
    '--start=2025-01-01',
    '--end',
    '2025-12-31',
    '--data_source=x',
    '--results',
    'r',
    '--symbols',
    'SPY, QQQ',
    '--set',
    'STRAT_OPEN_BUFFER=0.01',
    '--set=ACCOUNTING_EXPORT_MODE=off',
    '--signals-only',
  ]);
  assert.deepEqual(a.strategies, ['open', 'mid', 'close']);
  assert.equal(a.resultsDir, 'r');
  assert.deepEqual(a.symbols, ['SPY', 'QQQ']);
  assert.deepEqual(a.sets, { STRAT_OPEN_BUFFER: '0.01', LEDGER_EXPORT_MODE: 'off' });
  assert.equal(a.signalsOnly, true);
});

void test('bad arguments: one clear line and exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--start=2025-01-01', '--end=2025-01-02', '--data_source=x', '--signals-only'], /--strategy is required/],
    [['--strategy=noon', ...base.slice(1), '--signals-only'], /--strategy=noon: allowed: open, mid, close or all/],
    [[...base.slice(0, 1), '--start=2025-13-01', ...base.slice(2), '--signals-only'], /--start=2025-13-01: allowed: a date/],
    [['--strategy=open', '--start=2025-02-01', '--end=2025-01-01', '--data_source=x', '--signals-only'], /is after --end/],
    [[...base, '--set', 'NOT_A_KEY=1', '--signals-only'], /--set NOT_A_KEY: unknown \.env_bot key/],
    [[...base, '--set', 'STRAT_OPEN_BUFFER=abc', '--signals-only'], /--set STRAT_OPEN_BUFFER=abc: allowed: a number/],
    [[...base, '--bogus', '--signals-only'], /unknown option --bogus/],
    [[...base, '--results'], /--results needs a value/],
    [[...base, '--fill=vwap'], /--fill=vwap: allowed: next_open or signal_close/],
    [[...base, '--slippage-bps=-1'], /--slippage-bps=-1: allowed: a number >= 0/],
    [[...base, '--sweep', 'NOPE=1,2'], /--sweep NOPE: unknown \.env_bot key/],
    [[...base, '--sweep', 'MAX_TRADES=', '--signals-only'], /--sweep MAX_TRADES=: allowed/],
    [[...base, '--temporal'], /--temporal distributes a --sweep/],
    [[...base, '--sweep', 'MAX_TRADES=1,2', '--signals-only'], /cannot be combined with --signals-only/],
    [[...base, '--metric=sortino'], /--metric ranks the cells of a --sweep/],
    [[...base, '--sweep', 'MAX_TRADES=1,2', '--metric=luck'], /--metric=luck: allowed: sharpe, sortino, calmar, total_pnl/],
    [[...base, '--walk-forward=20,5'], /--walk-forward chooses among the cells of a --sweep/],
    [[...base, '--sweep', 'MAX_TRADES=1,2', '--walk-forward=20'], /--walk-forward=20: allowed: TRAIN,TEST or TRAIN,TEST,STEP/],
    [[...base, '--sweep', 'MAX_TRADES=1,2', '--walk-forward=20,0'], /--walk-forward=20,0: allowed/],
    [[...base, '--sweep', 'MAX_TRADES=1,2', '--walk-forward=20,5.5'], /--walk-forward=20,5.5: allowed/],
  ];
  for (const [argv, re] of cases) {
    const r = await capture(() => runBacktestCommand(argv));
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err.split('\n')[0]!, re);
  }
});

void test('writes <results>/signals_backtest.csv; bad data is exit code 1 naming file and line', async () => {
  const results = join(dir, 'results');
  const r = await capture(() => runBacktestCommand([...base, '--results', results, '--signals-only']));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /signal audit: 1 trades over 1 symbol-days/);
  assert.equal(
    readFileSync(join(results, 'signals_backtest.csv'), 'utf8'),
    'symbol,date,strategy,side,entry_time,entry_price,exit_time,exit_price,exit_reason\n' +
      'ABC,2025-06-10,open,long,2025-06-10T14:52:00Z,103,2025-06-10T15:22:00Z,103,hold_limit\n',
  );
  // Outside the date range: header only.
  const empty = join(dir, 'empty');
  const e = await capture(() =>
    runBacktestCommand(['--strategy=open', '--start=2025-07-01', '--end=2025-07-31', `--data_source=${barsFile}`, '--results', empty, '--signals-only', '--no-cache']),
  );
  assert.equal(e.code, 0);
  assert.equal(readFileSync(join(empty, 'signals_backtest.csv'), 'utf8').split('\n')[1], '');

  const badFile = join(dir, 'BAD.csv');
  writeFileSync(badFile, `${HEADER}\n2025-06-10T14:30:00Z,1,1,1,oops,1\n`);
  const b = await capture(() =>
    runBacktestCommand(['--strategy=open', '--start=2025-06-01', '--end=2025-06-30', `--data_source=${badFile}`, '--results', join(dir, 'bad'), '--signals-only', '--no-cache']),
  );
  assert.equal(b.code, 1);
  assert.match(b.err, /BAD\.csv:2: unparsable number/);
  assert.equal(existsSync(join(dir, 'bad', 'signals_backtest.csv')), false);
});

void test('CLOSE without VIX warns that the gate does not block', async () => {
  delete process.env.VIX_SOURCE;
  const r = await capture(() =>
    runBacktestCommand(['--strategy=close', ...base.slice(1), '--results', join(dir, 'close'), '--signals-only']),
  );
  assert.equal(r.code, 0);
  assert.match(r.err, /no VIX history .* does not block/);
});
