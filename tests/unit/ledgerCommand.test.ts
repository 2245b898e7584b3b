import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createAuditActivities } from '../../activities/auditActivities';
import { managerExportPaths } from '../../activities/ledger/ledgerExport';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { PAPER_CHART } from '../../domain/ledger/chartOfAccounts';
import { runLedgerCommand } from '../../scripts/commands/ledger';
import { makeTrade } from './ledgerFixtures';
import { chartFor, startFakeManager, type FakeManager } from './managerFakeServer';

const VERSION_MD = fs.readFileSync(path.resolve(__dirname, '..', '..', 'VERSION.md'), 'utf8');
const servers: FakeManager[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

class Capture {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

async function project(envText = '', botText = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-ledger-cli-'));
  fs.writeFileSync(path.join(dir, 'VERSION.md'), VERSION_MD);
  fs.writeFileSync(path.join(dir, '.env'), envText);
  fs.writeFileSync(path.join(dir, '.env_bot'), botText);
  const acts = createAuditActivities({ outputDir: path.join(dir, 'output'), backupsDir: path.join(dir, 'backups'), env: defaultEnvConfig(), bot: defaultBotConfig() });
  for (const n of [1, 2]) await acts.postTradeToLedger({ mode: 'paper', trade: makeTrade({ n }) });
  return dir;
}

async function run(cwd: string, args: string[]) {
  const out = new Capture();
  const err = new Capture();
  const code = await runLedgerCommand(args, { cwd, env: {}, stdout: out, stderr: err });
  return { code, out: out.text, err: err.text };
}

void test('ledger export writes the manual-import files of the routed book; --api posts them once; the token is never printed', async () => {
  const manager = await startFakeManager({ accounts: chartFor(PAPER_CHART.map((a) => a.name)) });
  servers.push(manager);
  const dir = await project(`MANAGER_API_URL=${manager.baseUrl}\nMANAGER_API_TOKEN=${manager.token}\n`);
  const r = await run(dir, ['export']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /paper ledger: 7 journal entries, balanced and valid/);
  assert.match(r.out, /wrote output\/ledgers\/tbot_paper_ledger\.manager\.tsv/);
  assert.equal(manager.entries.length, 0, 'no API without --api');
  const api = await run(dir, ['export', '--api']);
  assert.match(api.out, /Manager\.io: 7 posted, 0 already there/);
  const again = await run(dir, ['export', '--api']);
  assert.match(again.out, /Manager\.io: 0 posted, 7 already there/);
  assert.equal(manager.entries.length, 7);
  for (const x of [r, api, again]) assert.ok(!(x.out + x.err).includes(manager.token));
});

void test('ledger export --account-keys writes account keys into the manual-import files', async () => {
  const dir = await project();
  fs.writeFileSync(path.join(dir, 'keys.tsv'), `# from Manager\n${PAPER_CHART.map((a, i) => `${a.name}\tkey-${i}`).join('\n')}\n`);
  const r = await run(dir, ['export', '--account-keys', 'keys.tsv']);
  assert.equal(r.code, 0, r.err);
  const tsv = fs.readFileSync(managerExportPaths(path.join(dir, 'output'), 'paper').tsv, 'utf8');
  assert.match(tsv, /\tkey-0\t/);
  assert.ok(!tsv.split('\n\n')[1].includes('Simulated Cash - Alpaca'));
});

void test('ledger export refuses the live book while TEST_MODE routes to paper; check validates read-only and exits 1 on a problem', async () => {
  const dir = await project();
  const live = await run(dir, ['export', '--mode', 'live']);
  assert.equal(live.code, 1);
  assert.match(live.err, /refusing a _live output/);
  assert.equal(fs.existsSync(path.join(dir, 'output', 'ledgers', 'tbot_live_ledger.manager.tsv')), false);
  await run(dir, ['export']);
  const ok = await run(dir, ['check']);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /paper book: 7 entries, every entry balances/);
  assert.match(ok.out, /tbot_paper_ledger\.manager\.tsv: format ok, balanced/);
  assert.match(ok.out, /live book: 0 entries/);
  const tsv = managerExportPaths(path.join(dir, 'output'), 'paper').tsv;
  fs.writeFileSync(tsv, fs.readFileSync(tsv, 'utf8').replace('Line description', 'Memo'));
  const bad = await run(dir, ['check', '--mode', 'paper']);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /problem: journal entries header/);
  assert.equal((await run(dir, ['nope'])).code, 2);
});
