import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { bookProblems } from '../../domain/ledger/balance';
import { buildTradePostings } from '../../domain/ledger/postings';
import { backupLedgerFile, ledgerBackupDir, ledgerFile, LedgerCorruptError, postEntries, readBook } from '../../activities/ledger/ledgerStore';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { makeTrade } from './ledgerFixtures';

const ROOT = path.resolve(__dirname, '../..');
const WRITER = path.join(__dirname, 'ledgerPostWriter.ts');

function dirs() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-ledger-'));
  return { root, outputDir: path.join(root, 'output'), backupsDir: path.join(root, 'backups') };
}

void test('posting is exactly once per entryKey: a second call (a retry) appends nothing', () => {
  const d = dirs();
  const entries = buildTradePostings(makeTrade({ n: 1 }));
  const first = postEntries({ ...d, book: 'paper', entries });
  assert.deepEqual(first.posted, entries.map((e) => e.entryKey));
  assert.equal(first.backup, null, 'nothing to back up before the first write');
  const again = postEntries({ ...d, book: 'paper', entries });
  assert.deepEqual(again.posted, []);
  assert.deepEqual(again.alreadyPosted, entries.map((e) => e.entryKey));
  assert.equal(again.backup, null, 'no write, no backup');
  assert.equal(readBook(d.outputDir, 'paper').length, entries.length);
  // A second trade on the same broker does not post a second float.
  const second = postEntries({ ...d, book: 'paper', entries: buildTradePostings(makeTrade({ n: 2 })) });
  assert.deepEqual(second.alreadyPosted, ['float:alpaca']);
  assert.equal(readBook(d.outputDir, 'paper').length, entries.length + 3);
  assert.deepEqual(bookProblems(readBook(d.outputDir, 'paper'), 'paper'), []);
});

void test('every write is preceded by a backup of the ledger as it was; backups never overwrite each other', () => {
  const d = dirs();
  const at = new Date('2025-03-10T15:00:00.000Z');
  postEntries({ ...d, book: 'paper', entries: buildTradePostings(makeTrade({ n: 1 })), now: at });
  const before = fs.readFileSync(ledgerFile(d.outputDir, 'paper'));
  const r = postEntries({ ...d, book: 'paper', entries: buildTradePostings(makeTrade({ n: 2 })), now: at });
  assert.ok(r.backup);
  assert.deepEqual(gunzipSync(fs.readFileSync(r.backup)), before);
  const r3 = postEntries({ ...d, book: 'paper', entries: buildTradePostings(makeTrade({ n: 3 })), now: at });
  assert.notEqual(r3.backup, r.backup, 'same timestamp, new name');
  assert.equal(fs.readdirSync(ledgerBackupDir(d.backupsDir)).length, 2);
  assert.ok(backupLedgerFile(ledgerFile(d.outputDir, 'paper'), d.backupsDir, at));
});

void test('a torn last line (killed mid-write) is ignored by readers and cut off (after a backup) by the next writer', () => {
  const d = dirs();
  const entries = buildTradePostings(makeTrade({ n: 1 }));
  postEntries({ ...d, book: 'paper', entries: entries.slice(0, 2) });
  const file = ledgerFile(d.outputDir, 'paper');
  const whole = fs.readFileSync(file, 'utf8');
  fs.appendFileSync(file, '{"v":1,"sha256":"abc","entry":{"entryKey":"half');
  assert.equal(readBook(d.outputDir, 'paper').length, 2);
  const r = postEntries({ ...d, book: 'paper', entries });
  assert.deepEqual(r.posted, entries.slice(2).map((e) => e.entryKey));
  assert.ok(fs.readFileSync(file, 'utf8').startsWith(whole));
  assert.equal(readBook(d.outputDir, 'paper').length, entries.length);
  assert.match(gunzipSync(fs.readFileSync(r.backup as string)).toString(), /"entryKey":"half$/);
});

void test('a complete line that fails its checksum is corruption: the store refuses to read or write', () => {
  const d = dirs();
  postEntries({ ...d, book: 'paper', entries: buildTradePostings(makeTrade({ n: 1 })) });
  const file = ledgerFile(d.outputDir, 'paper');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"cents":100000', '"cents":100001'));
  assert.throws(() => readBook(d.outputDir, 'paper'), LedgerCorruptError);
  assert.throws(() => postEntries({ ...d, book: 'paper', entries: buildTradePostings(makeTrade({ n: 2 })) }), LedgerCorruptError);
});

void test('an unbalanced or foreign posting is rejected before anything is written', () => {
  const d = dirs();
  const [f, e] = buildTradePostings(makeTrade({ n: 1 }));
  const bad = { ...e, lines: e.lines.map((l, i) => (i === 0 ? { ...l, cents: l.cents + 1 } : l)) };
  assert.throws(() => postEntries({ ...d, book: 'paper', entries: [f, bad] }), /debits .* != credits/);
  assert.throws(() => postEntries({ ...d, book: 'live', entries: [f] }), /belongs to the paper book/);
  assert.equal(fs.existsSync(ledgerFile(d.outputDir, 'paper')), false);
});

void test('six processes posting the same trade at once: each posting is stored exactly once', async () => {
  const d = dirs();
  const runs = await Promise.all(
    Array.from({ length: 6 }, () =>
      new Promise<string>((resolve, reject) => {
        const c = spawn(process.execPath, ['--import', 'tsx', WRITER, 'once', d.outputDir, d.backupsDir, '7'], { cwd: ROOT });
        let out = '';
        c.stdout.on('data', (b: Buffer) => (out += b.toString()));
        c.stderr.on('data', (b: Buffer) => (out += b.toString()));
        c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(out))));
      }),
    ),
  );
  const posted = runs.flatMap((r) => JSON.parse(r.trim()) as string[]);
  const expected = buildTradePostings(makeTrade({ n: 7 })).map((e) => e.entryKey);
  assert.deepEqual([...posted].sort(), [...expected].sort());
  assert.deepEqual(readBook(d.outputDir, 'paper').map((e) => e.entryKey), expected);
});

void test('crash safety: a writer killed with SIGKILL mid-loop leaves a ledger, trade history, log and summary that parse; the next writer goes on', async () => {
  const d = dirs();
  for (const delay of [150, 400, 900]) {
    const c = spawn(process.execPath, ['--import', 'tsx', WRITER, 'loop', d.outputDir, d.backupsDir, String(delay * 1000)], { cwd: ROOT });
    await new Promise<void>((resolve) => c.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, delay));
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
    const book = readBook(d.outputDir, 'paper');
    assert.ok(book.length > 0, 'the writer got some postings in');
    assert.deepEqual(bookProblems(book, 'paper'), []);
    const trades = readTradeHistory(d.outputDir, 'paper');
    assert.ok(Array.isArray(trades));
    const csv = fs.readFileSync(path.join(d.outputDir, 'trades', 'trade_history_paper.csv'), 'utf8').split('\n');
    assert.ok(csv[0].startsWith('timestamp,tradeId'));
    JSON.parse(fs.readFileSync(path.join(d.outputDir, 'summaries', 'daily_summary_paper.json'), 'utf8'));
    const log = fs.readFileSync(path.join(d.outputDir, 'logs', 'open_paper.log'), 'utf8').split('\n');
    // Every complete log line parses; only a torn last line may not.
    for (const l of log.slice(0, -1)) if (l !== '') JSON.parse(l);
  }
  // A clean writer after the crashes posts normally and fixes any torn tail.
  const r = spawnSync(process.execPath, ['--import', 'tsx', WRITER, 'once', d.outputDir, d.backupsDir, '3'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(ledgerFile(d.outputDir, 'paper'), 'utf8');
  assert.ok(text.endsWith('\n'));
  assert.deepEqual(bookProblems(readBook(d.outputDir, 'paper'), 'paper'), []);
});
