import fs from 'node:fs';
import path from 'node:path';
import { createAuditActivities } from '../../activities/auditActivities';
import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { accountRefFrom, loadValidBook, managerExportPaths, parseAccountKeyMap, writeManagerFiles } from '../../activities/ledger/ledgerExport';
import { readBook } from '../../activities/ledger/ledgerStore';
import { bookProblems, trialBalance } from '../../domain/ledger/balance';
import type { LedgerBook } from '../../domain/ledger/chartOfAccounts';
import { managerTsvProblems, parseManagerTsv } from '../../domain/ledger/manager';
import { formatCents } from '../../domain/ledger/postings';
import { outputMode, routingFlagsOf } from '../../domain/routing';
import { parseArgs, reportFailure, stringFlag, UsageError } from './shared';

export const LEDGER_USAGE = `usage: ledger <command> [options]

commands:
  export [--mode paper|live] [--api] [--account-keys FILE]
                 validate the book, then write output/ledgers/tbot_<mode>_ledger.manager.tsv and
                 .manager.json for manual import; with --api also post new journal entries to
                 Manager.io (MANAGER_API_URL, MANAGER_API_TOKEN); each Reference is posted once.
                 --account-keys: a "Name<TAB>Key" file naming Manager.io account keys, for a
                 Batch Create screen that wants keys instead of account names.
                 Default mode: the one TEST_MODE / FORCE_PAPER_EXPORT route to.
  check [--mode paper|live]
                 validate the book(s) and any .manager.tsv, print a trial balance (read-only).
`;

export interface Writable {
  write(chunk: string): unknown;
}

export interface LedgerCommandIO {
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  /** Project folder (config, output/, backups/); default TRADEBOT_HOME or the working directory. */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function modeFlag(flags: Map<string, string | true>): LedgerBook | undefined {
  const m = stringFlag(flags, 'mode');
  if (m === undefined) return undefined;
  if (m !== 'paper' && m !== 'live') throw new UsageError(`--mode=${m} is not paper or live`);
  return m;
}

export async function runLedgerCommand(argv: string[], io: LedgerCommandIO = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const cwd = path.resolve(io.cwd ?? process.env.TRADEBOT_HOME ?? process.cwd());
  const args = argv[0] === 'ledger' ? argv.slice(1) : argv;
  const [command, ...rest] = args;
  try {
    const { flags, positionals } = parseArgs(rest);
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const load = () => loadConfig({ cwd, processEnv: io.env ?? process.env, checkCredentials: false });
    const dirs = { outputDir: path.join(cwd, 'output'), backupsDir: path.join(cwd, 'backups') };
    switch (command) {
      case 'export':
        return await exportCommand(await load(), dirs, flags, cwd, out);
      case 'check':
        return checkCommand(dirs.outputDir, modeFlag(flags), out);
      case undefined:
      case 'help':
      case '--help':
        out.write(LEDGER_USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown ledger command "${command}"\n${LEDGER_USAGE}`);
    }
  } catch (e) {
    return reportFailure(e, err as NodeJS.WritableStream);
  }
}

async function exportCommand(
  config: LoadedConfig,
  dirs: { outputDir: string; backupsDir: string },
  flags: Map<string, string | true>,
  cwd: string,
  out: Writable,
): Promise<number> {
  const routed = outputMode(routingFlagsOf(config.bot));
  const mode = modeFlag(flags) ?? (routed === 'live' ? 'live' : 'paper');
  const api = flags.get('api') === true;
  const keysFile = stringFlag(flags, 'account-keys');
  const acts = createAuditActivities({ ...dirs, env: config.env, bot: config.bot });
  const r = await acts.exportLedger({ mode, trigger: 'manual', api });
  if (keysFile) {
    // Rewrite the manual-import files with account keys in place of names.
    const keys = parseAccountKeyMap(fs.readFileSync(path.resolve(cwd, keysFile), 'utf8'));
    writeManagerFiles(dirs.outputDir, mode, loadValidBook(dirs.outputDir, mode), accountRefFrom(keys));
  }
  out.write(`${mode} ledger: ${r.entries} journal entries, balanced and valid\n`);
  for (const f of r.files) out.write(`  wrote ${path.relative(cwd, f)}${keysFile ? ' (accounts as keys)' : ''}\n`);
  if (r.api) out.write(`  Manager.io: ${r.api.posted.length} posted, ${r.api.alreadyPresent.length} already there\n`);
  else out.write('  Manager.io API: not used (add --api; needs MANAGER_API_URL and MANAGER_API_TOKEN)\n');
  return 0;
}

function checkCommand(outputDir: string, only: LedgerBook | undefined, out: Writable): number {
  let problems = 0;
  for (const book of only ? [only] : (['paper', 'live'] as const)) {
    const entries = readBook(outputDir, book);
    const p = bookProblems(entries, book);
    out.write(`${book} book: ${entries.length} entries, ${p.length === 0 ? 'every entry balances' : `${p.length} problem(s)`}\n`);
    for (const x of p) out.write(`  problem: ${x}\n`);
    problems += p.length;
    const tb = trialBalance(entries, book);
    if (tb.length > 0) {
      out.write(`  ${'account'.padEnd(40)} ${'debit'.padStart(14)} ${'credit'.padStart(14)} ${'balance'.padStart(14)}\n`);
      for (const r of tb) {
        out.write(`  ${`${r.code} ${r.name}`.padEnd(40)} ${formatCents(r.debitCents).padStart(14)} ${formatCents(r.creditCents).padStart(14)} ${formatCents(r.balanceCents).padStart(14)}\n`);
      }
      const d = tb.reduce((a, r) => a + r.debitCents, 0);
      const c = tb.reduce((a, r) => a + r.creditCents, 0);
      out.write(`  ${'total'.padEnd(40)} ${formatCents(d).padStart(14)} ${formatCents(c).padStart(14)}\n`);
    }
    const tsv = managerExportPaths(outputDir, book).tsv;
    if (fs.existsSync(tsv)) {
      let fp: string[];
      try {
        fp = managerTsvProblems(parseManagerTsv(fs.readFileSync(tsv, 'utf8')));
      } catch (e) {
        fp = [(e as Error).message];
      }
      out.write(`  ${path.basename(tsv)}: ${fp.length === 0 ? 'format ok, balanced' : `${fp.length} problem(s)`}\n`);
      for (const x of fp) out.write(`  problem: ${x}\n`);
      problems += fp.length;
    }
  }
  return problems === 0 ? 0 : 1;
}
