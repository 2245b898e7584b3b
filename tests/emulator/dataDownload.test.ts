import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listMinuteBarFiles, loadMinuteBars, parseMinuteBarCsv } from '../../activities/marketData/minuteBarCsv';
import type { Bar } from '../../domain/market/bar';
import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { runCli } from '../../scripts/cli';
import { runCommandLine } from '../../scripts/commands/command';
import { dataCommand, type DataCommandIo } from '../../scripts/commands/data';
import { reportFailure } from '../../scripts/commands/shared';
import { runBacktestCommand } from '../../scripts/commands/backtest';
import type { Emulator } from '../../scripts/emulator';
import type { RequestEntry } from '../../scripts/emulator/journal';
import { FakeAlpacaServer } from '../helpers/fakeAlpacaServer';
import { emulatorAt, FIXTURE_DIR } from './emulatorHarness';

/*
 * `data download` against the market emulator (its /v2/stocks/bars follows Alpaca's documented paging and
 * 429 answers): the files equal the replayed source bars, an interrupted run resumes with only the missing
 * pages, a 429 is waited out, bad arguments are refused, and the folder backtests.
 */

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-data-download-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const START = '2025-04-08';
const END = '2025-04-09';
const SYMBOLS = ['TQQQ', 'SQQQ'];
/** 780 regular bars per symbol over the two days: three pages each. */
const PAGE_LIMIT = 300;
/** After the second day's close, so the emulator's feed has published every bar of both days. */
const AFTER_CLOSE = Date.parse('2025-04-10T01:00:00Z');

const fixture = loadMinuteBars(FIXTURE_DIR, { symbols: SYMBOLS });

/** The source's bars of a symbol in the regular sessions, [09:30, 16:00) New York, as the backtester trades them. */
function regularSourceBars(symbol: string): Bar[] {
  const days = fixture.bars.get(symbol)!;
  return [START, END].flatMap((d) => {
    const s = regularSessionUtc(d)!;
    return (days.get(d) ?? []).filter((b) => b.t >= s.openMs && b.t < s.closeMs);
  });
}

/** A project folder with no .env or .env_bot (all defaults), only the VERSION.md the config check reads. */
function projectDir(): string {
  const dir = fs.mkdtempSync(path.join(root, 'project-'));
  fs.copyFileSync('VERSION.md', path.join(dir, 'VERSION.md'));
  return dir;
}

function keysOf(emu: Emulator): Record<string, string> {
  return { ALPACA_DATA_URL: emu.dataUrl, ALPACA_PAPER_API_KEY: emu.keyId, ALPACA_PAPER_SECRET_KEY: emu.secret };
}

interface RunResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** `data <argv>` as the CLI runs it: usage errors exit 2, other failures 1, each printed as one message. */
async function runData(argv: readonly string[], io: Omit<DataCommandIo, 'stdout' | 'stderr'>): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = { write: (s: string) => out.push(s) };
  const stderr = { write: (s: string) => err.push(s) };
  let code: number;
  try {
    code = await runCommandLine(dataCommand, argv, { ...io, stdout, stderr }, 'tradebot');
  } catch (e) {
    code = reportFailure(e, stderr);
  }
  return { code, out: out.join(''), err: err.join('') };
}

const fastSleep = (): Promise<void> => new Promise((r) => setImmediate(r));

function downloadArgs(out: string, extra: readonly string[] = []): string[] {
  return ['download', '--symbols', SYMBOLS.join(','), '--start', START, '--end', END, '--out', out, ...extra];
}

function barRequests(emu: Emulator, since = 0): RequestEntry[] {
  return emu.journal(since).filter((e): e is RequestEntry => e.kind === 'request' && e.path.startsWith('/data/v2/stocks/bars'));
}

function fileOf(out: string, symbol: string): string {
  return path.join(out, `${symbol}_20250408_20250409.csv`);
}

function readBars(file: string): Bar[] {
  return parseMinuteBarCsv(fs.readFileSync(file, 'utf8'), file);
}

interface ManifestFile {
  file: string;
  symbol: string;
  feed: string;
  finished: boolean;
  bars: number;
  first_bar: string | null;
  last_bar: string | null;
  sha256: string | null;
  next_page_token: string | null;
}

function manifestOf(out: string): { symbols: string[]; files: ManifestFile[] } {
  return JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { symbols: string[]; files: ManifestFile[] };
}

void test('a two-symbol, two-day download equals the source bars, one file per symbol, with a true manifest', async () => {
  const emu = await emulatorAt(AFTER_CLOSE);
  try {
    const out = path.join(root, 'full');
    const r = await runData(downloadArgs(out), { cwd: projectDir(), env: keysOf(emu), pageLimit: PAGE_LIMIT, sleep: fastSleep });
    assert.equal(r.code, 0, r.err);
    for (const symbol of SYMBOLS) {
      const expected = regularSourceBars(symbol);
      assert.equal(expected.length, 780, 'two full sessions of 390 minutes in the fixture');
      assert.deepEqual(readBars(fileOf(out, symbol)), expected, `${symbol}: the file holds the source's regular-session bars, unchanged`);
    }
    assert.deepEqual(fs.readdirSync(out).sort(), ['SQQQ_20250408_20250409.csv', 'TQQQ_20250408_20250409.csv', 'manifest.json'], 'no .partial file is left');
    const manifest = manifestOf(out);
    assert.deepEqual(manifest.symbols, ['SQQQ', 'TQQQ']);
    for (const f of manifest.files) {
      const expected = regularSourceBars(f.symbol);
      assert.equal(f.finished, true);
      assert.equal(f.feed, 'iex');
      assert.equal(f.bars, 780);
      assert.equal(f.first_bar, new Date(expected[0]!.t).toISOString().replace('.000Z', 'Z'));
      assert.equal(f.last_bar, new Date(expected.at(-1)!.t).toISOString().replace('.000Z', 'Z'));
      assert.equal(f.sha256, createHash('sha256').update(fs.readFileSync(path.join(out, f.file))).digest('hex'));
      assert.equal(f.next_page_token, null);
    }
    assert.equal(barRequests(emu).length, 6, 'three pages per symbol');
    assert.match(r.out, /TQQQ: page 1, 300 bars so far/);
    assert.match(r.out, /SQQQ: done, 780 bars/);
    assert.ok(!r.out.includes(emu.secret) && !r.err.includes(emu.secret), 'the secret is never printed');

    const again = await runData(downloadArgs(out), { cwd: projectDir(), env: keysOf(emu), pageLimit: PAGE_LIMIT, sleep: fastSleep });
    assert.equal(again.code, 0, again.err);
    assert.equal(barRequests(emu).length, 6, 'a rerun of a finished download asks for nothing');
    assert.match(again.out, /TQQQ: finished earlier, 780 bars .*; skipped/);
  } finally {
    await emu.close();
  }
});

void test('an interrupted run leaves no CSV the backtester would read; the rerun fetches only the missing pages', async () => {
  // TQQQ's three pages and SQQQ's first pass; then the data API fails until the run gives up.
  const emu = await emulatorAt(AFTER_CLOSE, { faults: { next: [{ fault: 'error', path: '/v2/stocks/bars', skip: 4, count: 5 }] } });
  try {
    const out = path.join(root, 'resume');
    const io = { cwd: projectDir(), env: keysOf(emu), pageLimit: PAGE_LIMIT, sleep: fastSleep };
    const first = await runData(downloadArgs(out), io);
    assert.equal(first.code, 1, 'the run failed');
    assert.match(first.err, /alpaca: minute bars .*failed \(HTTP 500/);
    assert.deepEqual(listMinuteBarFiles(out).map((f) => path.basename(f)), ['TQQQ_20250408_20250409.csv'], 'only the finished file is a bar file');
    const partial = `${fileOf(out, 'SQQQ')}.partial`;
    assert.equal(readBars(partial).length, PAGE_LIMIT, 'the first page is kept');
    const sqqq = manifestOf(out).files.find((f) => f.symbol === 'SQQQ')!;
    assert.equal(sqqq.finished, false);
    assert.ok(sqqq.next_page_token !== null, 'the next page token is recorded');
    // A crash inside the last write leaves a torn line: the rerun must cut it, not read it.
    fs.appendFileSync(partial, '2025-04-09T15:0');

    const since = emu.journal().length;
    const second = await runData(downloadArgs(out), io);
    assert.equal(second.code, 0, second.err);
    const asked = barRequests(emu, since);
    assert.equal(asked.length, 2, 'SQQQ pages 2 and 3 only; TQQQ is not asked for again');
    assert.ok(asked.every((e) => e.path.includes('symbols=SQQQ') && e.status === 200));
    assert.match(asked[0]!.path, /page_token=/, 'continued from the recorded page token');
    assert.match(second.out, /SQQQ: resuming .* \(300 bars kept, from its page token\)/);
    for (const symbol of SYMBOLS) assert.deepEqual(readBars(fileOf(out, symbol)), regularSourceBars(symbol), `${symbol} equals the source`);
    assert.ok(!fs.existsSync(partial));
  } finally {
    await emu.close();
  }
});

void test('a file renamed before its manifest entry was written is taken as finished, without a request', async () => {
  const emu = await emulatorAt(AFTER_CLOSE);
  try {
    const out = path.join(root, 'renamed');
    const io = { cwd: projectDir(), env: keysOf(emu), pageLimit: PAGE_LIMIT, sleep: fastSleep };
    assert.equal((await runData(downloadArgs(out), io)).code, 0);
    // The state a crash between the rename and the manifest write leaves: the file whole, the entry unfinished.
    const manifestFile = path.join(out, 'manifest.json');
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { files: Record<string, unknown>[] };
    m.files = m.files.map((f) => (f.symbol === 'SQQQ' ? { ...f, finished: false, sha256: null, next_page_token: 'x' } : f));
    fs.writeFileSync(manifestFile, JSON.stringify(m));
    const since = emu.journal().length;
    const r = await runData(downloadArgs(out), io);
    assert.equal(r.code, 0, r.err);
    assert.equal(barRequests(emu, since).length, 0);
    const sqqq = manifestOf(out).files.find((f) => f.symbol === 'SQQQ')!;
    assert.equal(sqqq.finished, true);
    assert.equal(sqqq.sha256, createHash('sha256').update(fs.readFileSync(fileOf(out, 'SQQQ'))).digest('hex'));
  } finally {
    await emu.close();
  }
});

void test('a 429 is waited out until X-RateLimit-Reset, then the download goes on', async () => {
  const emu = await emulatorAt(AFTER_CLOSE, { faults: { next: [{ fault: 'rate_limit', path: '/v2/stocks/bars', skip: 1 }] } });
  try {
    const out = path.join(root, 'rate-limited');
    const waits: number[] = [];
    // The emulator's window is a real minute; the waits are recorded instead of slept.
    const sleep = (ms: number) => {
      waits.push(ms);
      return fastSleep();
    };
    const r = await runData(downloadArgs(out), { cwd: projectDir(), env: keysOf(emu), pageLimit: PAGE_LIMIT, sleep });
    assert.equal(r.code, 0, r.err);
    const statuses = barRequests(emu).map((e) => e.status);
    assert.deepEqual(statuses.slice(0, 3), [200, 429, 200], 'the throttled page is asked for again');
    // X-RateLimit-Reset is the end of the minute window that began with the first request.
    const resetWaits = waits.filter((w) => w > 30_000);
    assert.equal(resetWaits.length, 1, `one wait to the window's reset (waits: ${waits.join(', ')})`);
    assert.ok(resetWaits[0]! <= 61_000, 'at most the minute window, rounded up to its whole second');
    for (const symbol of SYMBOLS) assert.deepEqual(readBars(fileOf(out, symbol)), regularSourceBars(symbol));
  } finally {
    await emu.close();
  }
});

void test('a 429 with Retry-After is waited out in real time', async () => {
  const keys = { keyId: 'FAKEKEY', secret: 'fake-secret' };
  const server = await FakeAlpacaServer.start(keys);
  try {
    server.bars.set('TQQQ', regularSourceBars('TQQQ'));
    server.inject('/v2/stocks/bars', { kind: 'status', status: 429, body: { code: 42910000, message: 'rate limit exceeded' }, headers: { 'Retry-After': '1' } });
    const out = path.join(root, 'retry-after');
    const started = Date.now();
    const r = await runData(['download', '--symbols', 'TQQQ', '--start', START, '--end', END, '--out', out], {
      cwd: projectDir(),
      env: { ALPACA_DATA_URL: server.url, ALPACA_PAPER_API_KEY: keys.keyId, ALPACA_PAPER_SECRET_KEY: keys.secret },
    });
    const elapsed = Date.now() - started;
    assert.equal(r.code, 0, r.err);
    assert.ok(elapsed >= 950, `waited the second Retry-After asked for (${elapsed} ms)`);
    assert.deepEqual(readBars(fileOf(out, 'TQQQ')), regularSourceBars('TQQQ'));
  } finally {
    await server.close();
  }
});

void test('bad arguments are refused with a clear message, before any request', async () => {
  const emu = await emulatorAt(AFTER_CLOSE);
  try {
    const io = { cwd: projectDir(), env: keysOf(emu), sleep: fastSleep };
    const out = path.join(root, 'bad');
    const aFile = path.join(root, 'a-file');
    fs.writeFileSync(aFile, 'not a folder');
    const cases: [string[], number, RegExp][] = [
      [['download', '--symbols', 'TQQQ', '--start', END, '--end', START, '--out', out], 2, /--end=2025-04-08 is before --start=2025-04-09/],
      [downloadArgs(out, ['--feed', 'otc']), 2, /--feed=otc is not a feed \(allowed: iex, sip\)/],
      [['download', '--symbols', 'TQQQ,1X', '--start', START, '--end', END, '--out', out], 2, /"1X" is not a ticker symbol/],
      [['download', '--symbols', 'BRK.B', '--start', START, '--end', END, '--out', out], 2, /"BRK\.B": a symbol with "\." cannot name a bar file/],
      [['download', '--symbols', ' , ', '--start', START, '--end', END, '--out', out], 2, /--symbols needs at least one symbol/],
      [['download', '--symbols', 'TQQQ', '--start', '2025-04-31', '--end', END, '--out', out], 2, /--start=2025-04-31 is not a date/],
      [['download', '--symbols', 'TQQQ', '--start', '2025-04-05', '--end', '2025-04-06', '--out', out], 2, /holds no NYSE trading day/],
      [['download', '--symbols', 'TQQQ', '--start', START, '--end', END], 2, /--out DIR is required/],
      [downloadArgs(path.join(aFile, 'sub')), 2, /--out=.*a-file\/sub is not a writable folder \(ENOTDIR\)/],
      [downloadArgs(out, ['--fed', 'sip']), 2, /unknown option --fed/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await runData(argv, io);
      assert.equal(r.code, code, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
    const notClosed = await runData(downloadArgs(out), { ...io, now: () => Date.parse('2025-04-09T19:00:00Z') });
    assert.equal(notClosed.code, 2);
    assert.match(notClosed.err, /--end=2025-04-09: that session has not closed yet/);

    const noKeys = await runData(downloadArgs(out), { ...io, env: { ALPACA_DATA_URL: emu.dataUrl } });
    assert.equal(noKeys.code, 1);
    assert.match(noKeys.err, /set ALPACA_PAPER_API_KEY and ALPACA_PAPER_SECRET_KEY/);

    const wrongKeys = await runData(downloadArgs(out), { ...io, env: { ...keysOf(emu), ALPACA_PAPER_SECRET_KEY: 'not-the-secret' } });
    assert.equal(wrongKeys.code, 1);
    assert.match(wrongKeys.err, /credentials were rejected .*check ALPACA_PAPER_API_KEY \/ ALPACA_PAPER_SECRET_KEY/);
    assert.ok(!wrongKeys.err.includes('not-the-secret'), 'the secret is never printed');

    assert.equal(barRequests(emu).filter((e) => e.status === 200).length, 0, 'no bad command line fetched anything');
  } finally {
    await emu.close();
  }
});

void test('the CLI lists data download and answers its --help', async () => {
  const out: string[] = [];
  const code = await runCli(['data', 'download', '--help'], { stdout: { write: (s: string) => out.push(s) } });
  assert.equal(code, 0);
  assert.match(out.join(''), /usage: tradebot data download .*--symbols A,B.*--feed iex\|sip/s);
});

void test('the downloaded folder backtests, with the trades of the source folder', async () => {
  const emu = await emulatorAt(AFTER_CLOSE);
  try {
    const out = path.join(root, 'backtest-data');
    const r = await runData(downloadArgs(out), { cwd: projectDir(), env: keysOf(emu), sleep: fastSleep });
    assert.equal(r.code, 0, r.err);
    const trades = async (dataSource: string, results: string) => {
      const code = await quiet(() =>
        runBacktestCommand(['--strategy=all', `--start=${START}`, `--end=${END}`, `--data_source=${dataSource}`, `--symbols=${SYMBOLS.join(',')}`, '--results', results, '--no-cache', '--no-report']),
      );
      assert.equal(code, 0);
      return JSON.parse(fs.readFileSync(path.join(results, 'trades', 'trade_history_backtest.json'), 'utf8')) as { ticker: string }[];
    };
    const fromDownload = await trades(out, path.join(root, 'bt-download'));
    const fromSource = await trades(FIXTURE_DIR, path.join(root, 'bt-source'));
    assert.ok(fromSource.length > 0, 'the source days trade (otherwise the comparison proves nothing)');
    assert.deepEqual(stripIds(fromDownload), stripIds(fromSource));
  } finally {
    await emu.close();
  }
});

/** Trade records without the fields that differ between two runs (ids and times of writing). */
function stripIds(trades: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return trades.map(({ trade_id: _id, recorded_at: _at, ...rest }) => rest);
}

async function quiet(fn: () => Promise<number>): Promise<number> {
  const { log, error } = console;
  console.log = () => undefined;
  console.error = () => undefined;
  try {
    return await fn();
  } finally {
    console.log = log;
    console.error = error;
  }
}
