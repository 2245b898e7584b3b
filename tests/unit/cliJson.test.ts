import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { runBacktestCommand } from '../../scripts/commands/backtest';
import { runLedgerCommand } from '../../scripts/commands/ledger';

// `--json` puts one JSON object on stdout and nothing else there (the human lines go to stderr).

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');

async function captureConsole(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = () => undefined;
  try {
    return { code: await fn(), out: out.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('backtest --json: the portfolio metrics, or the signal audit figures, as the only stdout line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-cli-json-'));
  const base = ['--strategy=open', '--start=2025-04-09', '--end=2025-04-09', `--data_source=${FIXTURE}`, '--no-cache', '--json'];
  const p = await captureConsole(() => runBacktestCommand([...base, '--results', path.join(dir, 'p'), '--no-report']));
  assert.equal(p.code, 0);
  const portfolio = JSON.parse(p.out) as { kind: string; metrics: { overall: { trades: number }; endingEquity: number } };
  assert.equal(portfolio.kind, 'portfolio');
  assert.equal(typeof portfolio.metrics.overall.trades, 'number');
  assert.equal(typeof portfolio.metrics.endingEquity, 'number');
  const s = await captureConsole(() => runBacktestCommand([...base, '--results', path.join(dir, 's'), '--signals-only']));
  assert.equal(s.code, 0);
  const signals = JSON.parse(s.out) as { kind: string; trades: number; file: string };
  assert.equal(signals.kind, 'signals');
  assert.ok(fs.existsSync(signals.file));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('ledger check --json: each book with its entries, problems and trial balance', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-cli-json-'));
  let out = '';
  const code = await runLedgerCommand(['check', '--json'], { cwd: dir, env: {}, stdout: { write: (t: string) => (out += t) }, stderr: { write: () => undefined } });
  assert.equal(code, 0);
  const r = JSON.parse(out) as { ok: boolean; books: { book: string; entries: number; problems: string[] }[] };
  assert.equal(r.ok, true);
  assert.deepEqual(r.books.map((b) => [b.book, b.entries, b.problems.length]), [['paper', 0, 0], ['live', 0, 0]]);
  fs.rmSync(dir, { recursive: true, force: true });
});
