import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createAuditActivities } from '../../activities/auditActivities';
import { readBook } from '../../activities/ledger/ledgerStore';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { runLedgerCommand } from '../../scripts/commands/ledger';
import { assertToolsAgreeWithTrialBalance } from '../helpers/accountingTools';
import { makeTrade } from './ledgerFixtures';

const VERSION_MD = fs.readFileSync(path.resolve(__dirname, '..', '..', 'VERSION.md'), 'utf8');

class Capture {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

/** A project folder with config files and, unless `empty`, a paper book of three trades (a put among them). */
async function project(opts: { empty?: boolean; botText?: string } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbot-journal-cli-'));
  fs.writeFileSync(path.join(dir, 'VERSION.md'), VERSION_MD);
  fs.writeFileSync(path.join(dir, '.env'), '');
  fs.writeFileSync(path.join(dir, '.env_bot'), opts.botText ?? '');
  if (!opts.empty) {
    const acts = createAuditActivities({ outputDir: path.join(dir, 'output'), backupsDir: path.join(dir, 'backups'), env: defaultEnvConfig(), bot: defaultBotConfig() });
    for (const trade of [makeTrade({ n: 1 }), makeTrade({ n: 2, instrument: 'put', entry_price: 2.15, exit_price: 1.8 }), makeTrade({ n: 3, instrument: 'short_stock', broker: 'sim' })]) {
      await acts.postTradeToLedger({ mode: 'paper', trade });
    }
  }
  return dir;
}

async function run(cwd: string, args: string[]) {
  const out = new Capture();
  const err = new Capture();
  const code = await runLedgerCommand(args, { cwd, env: {}, stdout: out, stderr: err });
  return { code, out: out.text, err: err.text };
}

void test('ledger export --format beancount and hledger write the routed book; both tools accept it and agree with the trial balance', async () => {
  const dir = await project();
  const bean = await run(dir, ['export', '--format', 'beancount']);
  assert.equal(bean.code, 0, bean.err);
  // Two floats (alpaca, sim), then entry, exit and fees of each of the three trades.
  assert.match(bean.out, /paper ledger: 11 journal entries, balanced and valid/);
  assert.match(bean.out, /wrote output\/ledgers\/tbot_paper_ledger\.beancount \(beancount\)/);
  assert.match(bean.out, /balances: bean-report output\/ledgers\/tbot_paper_ledger\.beancount balances/);
  const hl = await run(dir, ['export', '--format=hledger', '--out', 'books/paper.journal']);
  assert.equal(hl.code, 0, hl.err);
  assert.match(hl.out, /wrote books\/paper\.journal \(hledger\)/);
  assert.match(hl.out, /balances: hledger -f books\/paper\.journal balance/);
  assert.equal(fs.existsSync(path.join(dir, 'output', 'ledgers', 'tbot_paper_ledger.manager.tsv')), false, 'a journal export writes no Manager.io files');
  const files = { beancount: path.join(dir, 'output', 'ledgers', 'tbot_paper_ledger.beancount'), hledger: path.join(dir, 'books', 'paper.journal') };
  assertToolsAgreeWithTrialBalance(files, readBook(path.join(dir, 'output'), 'paper'), 'paper');
});

void test('bad input gets a specific error: unknown --format or --mode, options of the other export, the live book under TEST_MODE', async () => {
  const dir = await project();
  const format = await run(dir, ['export', '--format', 'ledger-cli']);
  assert.equal(format.code, 2);
  assert.match(format.err, /--format=ledger-cli is not manager, beancount or hledger/);
  const mode = await run(dir, ['export', '--format', 'hledger', '--mode', 'backtest']);
  assert.equal(mode.code, 2);
  assert.match(mode.err, /--mode=backtest is not paper or live/);
  const api = await run(dir, ['export', '--format', 'beancount', '--api']);
  assert.equal(api.code, 2);
  assert.match(api.err, /--api and --account-keys are for the Manager\.io export, not --format beancount/);
  const out = await run(dir, ['export', '--out', 'x.journal']);
  assert.equal(out.code, 2);
  assert.match(out.err, /--out is for --format beancount or hledger/);
  const live = await run(dir, ['export', '--format', 'hledger', '--mode', 'live', '--out', 'live.journal']);
  assert.equal(live.code, 1);
  assert.match(live.err, /refusing a _live output/);
  assert.equal(fs.existsSync(path.join(dir, 'live.journal')), false);
});

void test('an unwritable --out is a clear error naming the file and why; the book is never overwritten', async () => {
  const dir = await project();
  fs.writeFileSync(path.join(dir, 'afile'), 'not a folder');
  const underFile = await run(dir, ['export', '--format', 'hledger', '--out', 'afile/paper.journal']);
  assert.equal(underFile.code, 1);
  assert.match(underFile.err, /cannot write the journal to .*afile\/paper\.journal: a part of the path is a file, not a folder/);
  fs.mkdirSync(path.join(dir, 'books'));
  const folder = await run(dir, ['export', '--format', 'beancount', '--out', 'books']);
  assert.equal(folder.code, 1);
  assert.match(folder.err, /cannot write the journal to .*books: it is a folder \(give a file name\)/);
  const bookFile = path.join(dir, 'output', 'ledgers', 'tbot_paper_ledger.jsonl');
  const before = fs.readFileSync(bookFile, 'utf8');
  const itself = await run(dir, ['export', '--format', 'hledger', '--out', 'output/ledgers/tbot_paper_ledger.jsonl']);
  assert.equal(itself.code, 1);
  assert.match(itself.err, /that is the paper book itself/);
  assert.equal(fs.readFileSync(bookFile, 'utf8'), before);
  // A folder without write permission; root ignores file modes, so as root a folder of /proc, which cannot hold files.
  if (process.getuid?.() !== 0) {
    fs.mkdirSync(path.join(dir, 'locked'), { mode: 0o500 });
    const denied = await run(dir, ['export', '--format', 'hledger', '--out', 'locked/paper.journal']);
    assert.equal(denied.code, 1);
    assert.match(denied.err, /cannot write the journal to .*locked\/paper\.journal: permission denied/);
  } else if (fs.existsSync('/proc/self')) {
    const ro = await run(dir, ['export', '--format', 'hledger', '--out', '/proc/self/tbot.journal']);
    assert.equal(ro.code, 1);
    assert.match(ro.err, /cannot write the journal to \/proc\/self\/tbot\.journal: its folder cannot hold new files/);
  }
});

void test('an empty ledger is an error, not an empty journal; an invalid book exports nothing', async () => {
  const empty = await project({ empty: true });
  const r = await run(empty, ['export', '--format', 'beancount']);
  assert.equal(r.code, 1);
  assert.match(r.err, /the paper ledger has no entries yet \(.*tbot_paper_ledger\.jsonl is missing or empty\): no beancount journal written/);
  assert.equal(fs.existsSync(path.join(empty, 'output', 'ledgers', 'tbot_paper_ledger.beancount')), false);
  const dir = await project();
  const bookFile = path.join(dir, 'output', 'ledgers', 'tbot_paper_ledger.jsonl');
  fs.writeFileSync(bookFile, fs.readFileSync(bookFile, 'utf8').replace(/"sha256":"[0-9a-f]/, '"sha256":"x'));
  const bad = await run(dir, ['export', '--format', 'hledger']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /fails its checksum/);
  assert.equal(fs.existsSync(path.join(dir, 'output', 'ledgers', 'tbot_paper_ledger.journal')), false);
});
