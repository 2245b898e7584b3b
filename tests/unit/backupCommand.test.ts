import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { generateKey } from '../../activities/config/envBotCrypto';
import { runBackupCommand } from '../../scripts/commands/backup';

const VERSION_MD = fs.readFileSync(path.resolve(__dirname, '..', '..', 'VERSION.md'), 'utf8');

class Capture {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

function project(envText = ''): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-backup-cli-'));
  fs.writeFileSync(path.join(dir, 'VERSION.md'), VERSION_MD);
  fs.writeFileSync(path.join(dir, '.env'), envText);
  for (const [rel, text] of Object.entries({ 'output/logs/open_paper.log': '{"a":1}\n', 'output/trades/trade_history_paper.json': '[]\n', 'output/logs/open_live.log': 'live\n' })) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

async function run(cwd: string, args: string[]) {
  const out = new Capture();
  const err = new Capture();
  const code = await runBackupCommand(args, { cwd, env: {}, stdout: out, stderr: err, now: () => new Date('2025-03-10T21:30:00.000Z') });
  return { code, out: out.text, err: err.text };
}

void test('backup now / list / restore: encrypted round trip through the CLI, key never printed', async () => {
  const key = generateKey();
  const dir = project(`ENCRYPTION_KEY=${key}\n`);
  const now = await run(dir, ['now', '--label', 'eod']);
  assert.equal(now.code, 0, now.err);
  assert.match(now.out, /archived 2 files -> backups\/tbot_paper_eod_20250310T213000Z\.tar\.gz\.enc \(encrypted\)/);
  assert.equal((await run(dir, ['now', '--label', 'eod'])).out.split('\n')[0], 'already archived -> backups/tbot_paper_eod_20250310T213000Z.tar.gz.enc (encrypted)');
  const list = await run(dir, ['list']);
  assert.match(list.out, /2025-03-10T21:30:00Z {2}paper .* enc .* tbot_paper_eod_20250310T213000Z\.tar\.gz\.enc/);
  const restore = await run(dir, ['restore', 'tbot_paper_eod_20250310T213000Z.tar.gz.enc', '--to', 'restored']);
  assert.equal(restore.code, 0, restore.err);
  assert.match(restore.out, /verified checksum, manifest of 2 files/);
  assert.equal(fs.readFileSync(path.join(dir, 'restored', 'logs', 'open_paper.log'), 'utf8'), '{"a":1}\n');
  for (const r of [now, list, restore]) assert.ok(!(r.out + r.err).includes(key));
  const again = await run(dir, ['restore', 'tbot_paper_eod_20250310T213000Z.tar.gz.enc', '--to', 'restored']);
  assert.equal(again.code, 1);
  assert.match(again.err, /not empty/);
});

void test('backup now refuses live in TEST_MODE; usage errors exit 2', async () => {
  const dir = project();
  const live = await run(dir, ['now', '--mode', 'live']);
  assert.equal(live.code, 1);
  assert.match(live.err, /refusing a _live output/);
  assert.equal(fs.existsSync(path.join(dir, 'backups')) && fs.readdirSync(path.join(dir, 'backups')).some((n) => n.includes('_live')), false);
  assert.equal((await run(dir, ['restore', 'x.tar.gz'])).code, 2);
  assert.equal((await run(dir, ['frobnicate'])).code, 2);
  assert.match((await run(dir, ['list'])).out, /no backups/);
});
