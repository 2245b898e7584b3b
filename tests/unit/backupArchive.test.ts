import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as tar from 'tar';
import { createAuditActivities } from '../../activities/auditActivities';
import { backupSources, createBackup, listBackups, restoreBackup, sha256File } from '../../activities/backup/archive';
import { LEDGER_BACKUPS_KEPT, rotateLogs } from '../../activities/backup/rotation';
import { generateKey } from '../../activities/config/envBotCrypto';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { makeTrade } from './ledgerFixtures';

function tree() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-backup-'));
  const outputDir = path.join(root, 'output');
  const backupsDir = path.join(root, 'backups');
  const put = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(outputDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(outputDir, rel), text);
  };
  for (const mode of ['paper', 'live']) {
    put(`logs/open_${mode}.log`, `{"eventId":"${mode}#1"}\n`);
    put(`logs/unresolved_orders_${mode}.log`, `${mode} unresolved\n`);
    put(`trades/trade_history_${mode}.csv`, 'timestamp,tradeId\n');
    put(`trades/trade_history_${mode}.json`, '[]\n');
    put(`summaries/daily_summary_${mode}.json`, '{}\n');
    put(`ledgers/tbot_${mode}_ledger.jsonl`, `${mode} ledger\n`);
  }
  put('logs/disaster_log.json', '[]\n');
  put('state/notify_sent_paper.jsonl', 'not backed up\n');
  return { root, outputDir, backupsDir, put };
}

void test('sources: the mode\'s logs, trade history, summaries, ledgers and the disaster log; never the other mode', () => {
  const { outputDir } = tree();
  const files = backupSources(outputDir, 'paper');
  assert.deepEqual(files.sort(), [
    'ledgers/tbot_paper_ledger.jsonl',
    'logs/disaster_log.json',
    'logs/open_paper.log',
    'logs/unresolved_orders_paper.log',
    'summaries/daily_summary_paper.json',
    'trades/trade_history_paper.csv',
    'trades/trade_history_paper.json',
  ]);
});

void test('round trip: archive, list, restore into an empty folder, files identical and verified', async () => {
  const { root, outputDir, backupsDir } = tree();
  const at = new Date('2025-03-10T21:00:05.000Z');
  const b = await createBackup({ outputDir, backupsDir, mode: 'paper', label: '2025-03-10 open', now: at });
  assert.equal(path.basename(b.archive), 'tbot_paper_2025-03-10-open_20250310T210005Z.tar.gz');
  assert.equal(fs.readFileSync(`${b.archive}.sha256`, 'utf8'), `${b.sha256}  ${path.basename(b.archive)}\n`);
  assert.equal(sha256File(b.archive), b.sha256);
  const listed = listBackups(backupsDir);
  assert.equal(listed.length, 1);
  assert.deepEqual({ ...listed[0], archive: '', bytes: 0 }, { archive: '', mode: 'paper', label: '2025-03-10-open', createdAt: '2025-03-10T21:00:05Z', bytes: 0, encrypted: false, complete: true });
  const to = path.join(root, 'restored');
  const r = await restoreBackup({ archive: b.archive, to });
  assert.equal(r.sidecarChecked, true);
  assert.deepEqual([...r.files].sort(), [...b.files].sort());
  for (const f of b.files) assert.deepEqual(fs.readFileSync(path.join(to, f)), fs.readFileSync(path.join(outputDir, f)), f);
  // Restoring again into the same (now full) folder is refused: nothing is overwritten.
  await assert.rejects(restoreBackup({ archive: b.archive, to }), /not empty/);
});

void test('retry with the same mode and label returns the same archive; a new label never overwrites, even in the same second', async () => {
  const { outputDir, backupsDir } = tree();
  const at = new Date('2025-03-10T21:00:05.000Z');
  const a = await createBackup({ outputDir, backupsDir, mode: 'paper', label: 'close', now: at });
  const again = await createBackup({ outputDir, backupsDir, mode: 'paper', label: 'close', now: at });
  assert.equal(again.archive, a.archive);
  assert.equal(again.reused, true);
  const other = await createBackup({ outputDir, backupsDir, mode: 'paper', label: 'close-2', now: at });
  assert.notEqual(other.archive, a.archive);
  // An archive linked into place whose sidecar was lost in a crash is completed, not replaced.
  fs.rmSync(`${a.archive}.sha256`);
  const healed = await createBackup({ outputDir, backupsDir, mode: 'paper', label: 'close', now: at });
  assert.equal(healed.archive, a.archive);
  assert.equal(fs.readFileSync(`${a.archive}.sha256`, 'utf8').split(' ')[0], a.sha256);
  assert.equal(listBackups(backupsDir).length, 2);
});

void test('encrypted backups (AES-256-GCM): round trip with the key; a wrong key, a modified byte or no key is a clear error', async () => {
  const { root, outputDir, backupsDir } = tree();
  const key = generateKey();
  const b = await createBackup({ outputDir, backupsDir, mode: 'live', label: 'day', encryptionKey: key });
  assert.ok(b.archive.endsWith('.tar.gz.enc'));
  assert.equal(fs.readFileSync(b.archive).subarray(0, 8).toString(), 'TBOTBAK1');
  const r = await restoreBackup({ archive: b.archive, to: path.join(root, 'ok'), encryptionKey: key });
  assert.ok(r.files.includes('ledgers/tbot_live_ledger.jsonl'));
  await assert.rejects(restoreBackup({ archive: b.archive, to: path.join(root, 'nokey') }), /encrypted: set ENCRYPTION_KEY/);
  await assert.rejects(restoreBackup({ archive: b.archive, to: path.join(root, 'wrong'), encryptionKey: generateKey() }), /wrong ENCRYPTION_KEY or the archive was modified/);
  assert.equal(fs.existsSync(path.join(root, 'wrong', 'MANIFEST.json')), false);
  // Tamper with one ciphertext byte; drop the sidecar so the cipher itself must catch it.
  const bytes = fs.readFileSync(b.archive);
  bytes[40] ^= 1;
  const tampered = path.join(backupsDir, 'tbot_live_tampered_20250101T000000Z.tar.gz.enc');
  fs.writeFileSync(tampered, bytes);
  await assert.rejects(restoreBackup({ archive: tampered, to: path.join(root, 't'), encryptionKey: key }), /wrong ENCRYPTION_KEY or the archive was modified/);
});

void test('restore verifies: the sidecar checksum, the manifest, and refuses entries that escape the folder', async () => {
  const { root, outputDir, backupsDir } = tree();
  const b = await createBackup({ outputDir, backupsDir, mode: 'paper', label: 'x' });
  const copy = path.join(backupsDir, 'tbot_paper_copy_20250101T000000Z.tar.gz');
  const bytes = fs.readFileSync(b.archive);
  bytes[bytes.length - 30] ^= 0xff;
  fs.writeFileSync(copy, bytes);
  fs.writeFileSync(`${copy}.sha256`, `${b.sha256}  ${path.basename(copy)}\n`);
  await assert.rejects(restoreBackup({ archive: copy, to: path.join(root, 'a') }), /does not match its \.sha256/);
  // An archive whose manifest lies about a file.
  const stage = path.join(root, 'stage');
  fs.mkdirSync(path.join(stage, 'logs'), { recursive: true });
  fs.writeFileSync(path.join(stage, 'logs', 'open_paper.log'), 'changed\n');
  fs.writeFileSync(path.join(stage, 'MANIFEST.json'), JSON.stringify({ format: 'tradebot-backup', version: 1, mode: 'paper', label: 'l', createdAt: '', files: [{ path: 'logs/open_paper.log', bytes: 3, sha256: '00' }] }));
  const lying = path.join(root, 'lying.tar.gz');
  await tar.c({ gzip: true, cwd: stage, file: lying }, ['MANIFEST.json', 'logs/open_paper.log']);
  await assert.rejects(restoreBackup({ archive: lying, to: path.join(root, 'b') }), /does not match the manifest/);
  // An archive with a path that climbs out of the restore folder.
  const evil = path.join(root, 'evil.tar.gz');
  fs.mkdirSync(path.join(root, 'ev', 'in'), { recursive: true });
  fs.writeFileSync(path.join(root, 'ev', 'MANIFEST.json'), '{}');
  fs.writeFileSync(path.join(root, 'ev', 'x.txt'), 'x');
  await tar.c({ gzip: true, cwd: path.join(root, 'ev', 'in'), file: evil, preservePaths: true }, ['../MANIFEST.json', '../x.txt']);
  await assert.rejects(restoreBackup({ archive: evil, to: path.join(root, 'c') }), /outside the restore folder/);
  assert.equal(fs.existsSync(path.join(root, 'x.txt')), false);
});

void test('rotation: active logs of the mode move to logs/rotated, old rotated logs and old ledger copies go after the retention; the other mode is untouched', () => {
  const { outputDir, backupsDir, put } = tree();
  const now = new Date('2025-04-30T22:00:00.000Z');
  put('logs/rotated/open_paper.20250301T220000Z.log', 'old\n');
  put('logs/rotated/open_paper.20250425T220000Z.log', 'recent\n');
  put('logs/rotated/open_live.20250101T220000Z.log', 'live old\n');
  const lb = path.join(backupsDir, 'ledger');
  fs.mkdirSync(lb, { recursive: true });
  for (let i = 0; i < LEDGER_BACKUPS_KEPT + 3; i++) fs.writeFileSync(path.join(lb, `tbot_paper_ledger.202503${String(i + 1).padStart(2, '0')}T100000000Z.jsonl.gz`), 'x');
  fs.writeFileSync(path.join(lb, 'tbot_live_ledger.20250101T100000000Z.jsonl.gz'), 'x');
  const liveBefore = fs.readFileSync(path.join(outputDir, 'logs', 'open_live.log'));
  const r = rotateLogs({ outputDir, backupsDir, mode: 'paper', retentionDays: 30, now });
  assert.deepEqual(r.rotated.map((f) => path.basename(f)).sort(), ['open_paper.20250430T220000Z.log', 'unresolved_orders_paper.20250430T220000Z.log']);
  assert.equal(fs.existsSync(path.join(outputDir, 'logs', 'open_paper.log')), false);
  assert.ok(r.deleted.some((f) => f.endsWith('open_paper.20250301T220000Z.log')));
  assert.ok(fs.existsSync(path.join(outputDir, 'logs', 'rotated', 'open_paper.20250425T220000Z.log')));
  assert.ok(fs.existsSync(path.join(outputDir, 'logs', 'rotated', 'open_live.20250101T220000Z.log')));
  assert.deepEqual(fs.readFileSync(path.join(outputDir, 'logs', 'open_live.log')), liveBefore);
  assert.equal(fs.readdirSync(lb).filter((n) => n.startsWith('tbot_paper')).length, LEDGER_BACKUPS_KEPT);
  assert.ok(fs.existsSync(path.join(lb, 'tbot_live_ledger.20250101T100000000Z.jsonl.gz')));
  // Idempotent: a retry finds nothing more to do.
  assert.deepEqual(rotateLogs({ outputDir, backupsDir, mode: 'paper', retentionDays: 30, now }), { rotated: [], deleted: [] });
});

void test('activities: backupOutputs and rotateLogs through the factory; a paper-routed worker refuses live', async () => {
  const { outputDir, backupsDir } = tree();
  const acts = createAuditActivities({ outputDir, backupsDir, env: { ...defaultEnvConfig(), ENCRYPTION_KEY: generateKey() }, bot: defaultBotConfig() });
  // The placeholder book of tree() is not a ledger: the store refuses it rather than guess.
  await assert.rejects(acts.postTradeToLedger({ mode: 'paper', trade: makeTrade() }), /not valid JSON; the ledger was not modified/);
  fs.rmSync(path.join(outputDir, 'ledgers', 'tbot_paper_ledger.jsonl'));
  await acts.postTradeToLedger({ mode: 'paper', trade: makeTrade() });
  const b = await acts.backupOutputs({ mode: 'paper', label: 'day-2025-03-10' });
  assert.equal(b.encrypted, true);
  assert.equal((await acts.backupOutputs({ mode: 'paper', label: 'day-2025-03-10' })).archive, b.archive);
  await assert.rejects(acts.backupOutputs({ mode: 'live', label: 'x' }), /refusing a _live output/);
  await assert.rejects(acts.rotateLogs({ mode: 'live' }), /refusing a _live output/);
  await assert.rejects(acts.backupOutputs({ mode: 'paper', label: '///' }), /no usable characters/);
  assert.equal((await acts.rotateLogs({ mode: 'paper' })).rotated.length, 2);
});
