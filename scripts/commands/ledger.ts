import fs from 'node:fs';
import path from 'node:path';
import { createAuditActivities } from '../../activities/auditActivities';
import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { accountRefFrom, LedgerExportError, loadValidBook, managerExportPaths, parseAccountKeyMap, writeManagerFiles } from '../../activities/ledger/ledgerExport';
import { exportPlainTextJournal } from '../../activities/ledger/plainTextExport';
import { readBook } from '../../activities/ledger/ledgerStore';
import { bookProblems, trialBalance, type TrialBalanceRow } from '../../domain/ledger/balance';
import type { LedgerBook } from '../../domain/ledger/chartOfAccounts';
import { managerTsvProblems, parseManagerTsv } from '../../domain/ledger/manager';
import { isJournalFormat, JOURNAL_FORMATS, type JournalFormat } from '../../domain/ledger/plainTextJournal';
import { formatCents } from '../../domain/ledger/postings';
import { outputMode, routingFlagsOf } from '../../domain/routing';
import { UsageError } from './args';
import { groupCommand, leafCommand, runCommandLine, type CommandIo, type Writable } from './command';
import { reportFailure } from './shared';
import { COMMAND_SUMMARIES } from './catalog';

export interface LedgerCommandIO extends CommandIo {
  /** Project folder (config, output/, backups/); default TRADEBOT_HOME or the working directory. */
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const MODE = { type: 'string', value: 'paper|live', description: 'which book (default: the one TEST_MODE / FORCE_PAPER_EXPORT route to)' } as const;

function modeOption(m: string | undefined): LedgerBook | undefined {
  if (m === undefined) return undefined;
  if (m !== 'paper' && m !== 'live') throw new UsageError(`--mode=${m} is not paper or live`);
  return m;
}

function formatOption(f: string | undefined): 'manager' | JournalFormat {
  if (f === undefined || f === 'manager') return 'manager';
  if (!isJournalFormat(f)) throw new UsageError(`--format=${f} is not manager, ${JOURNAL_FORMATS.join(' or ')}`);
  return f;
}

/** The book a command works on: --mode, else the one the configuration routes to. */
function routedBook(config: LoadedConfig, mode: LedgerBook | undefined): LedgerBook {
  return mode ?? (outputMode(routingFlagsOf(config.bot)) === 'live' ? 'live' : 'paper');
}

function context(io: LedgerCommandIO) {
  const cwd = path.resolve(io.cwd ?? process.env.TRADEBOT_HOME ?? process.cwd());
  return {
    out: io.stdout ?? process.stdout,
    cwd,
    dirs: { outputDir: path.join(cwd, 'output'), backupsDir: path.join(cwd, 'backups') },
    load: () => loadConfig({ cwd, processEnv: io.env ?? process.env, checkCredentials: false }),
  };
}

const exportLeaf = leafCommand(
  {
    name: 'export',
    summary: 'validate the book, then write the Manager.io files (and post them with --api) or a beancount/hledger journal',
    description: [
      'writes output/ledgers/tbot_<mode>_ledger.manager.tsv and .manager.json for manual import; with --api',
      'also posts new journal entries to Manager.io (MANAGER_API_URL, MANAGER_API_TOKEN); each Reference is',
      'posted once. --format beancount or hledger writes the same entries as a plain-text journal instead',
      '(to --out FILE, or output/ledgers/tbot_<mode>_ledger.beancount / .journal).',
    ].join('\n'),
    options: {
      mode: MODE,
      format: { type: 'string', value: 'manager|beancount|hledger', description: 'manager (default): the Manager.io files; beancount or hledger: a plain-text journal' },
      out: { type: 'string', value: 'FILE', description: 'the journal file (default output/ledgers/tbot_<mode>_ledger.beancount or .journal)' },
      api: { type: 'boolean', description: 'also post new journal entries to the Manager.io API' },
      'account-keys': { type: 'string', value: 'FILE', description: 'a "Name<TAB>Key" file: write Manager.io account keys instead of names' },
    },
  },
  async ({ values }, io: LedgerCommandIO) => {
    const mode = modeOption(values.mode);
    const format = formatOption(values.format);
    const c = context(io);
    if (format !== 'manager') {
      if (values.api === true || values['account-keys'] !== undefined) throw new UsageError(`--api and --account-keys are for the Manager.io export, not --format ${format}`);
      return journalCommand(await c.load(), c.dirs.outputDir, { mode, format, out: values.out }, c.cwd, c.out);
    }
    if (values.out !== undefined) throw new UsageError('--out is for --format beancount or hledger; the Manager.io files go to output/ledgers/');
    return exportCommand(await c.load(), c.dirs, { mode, api: values.api === true, keysFile: values['account-keys'] }, c.cwd, c.out);
  },
);

const checkLeaf = leafCommand(
  {
    name: 'check',
    summary: 'validate the book(s) and any .manager.tsv, print a trial balance (read-only)',
    options: {
      mode: { ...MODE, description: 'check one book (default: both)' },
      json: { type: 'boolean', description: 'print { ok, books: [{ book, entries, problems, trialBalance, managerTsv }] } as JSON' },
    },
  },
  async ({ values }, io: LedgerCommandIO) => {
    const mode = modeOption(values.mode);
    const c = context(io);
    return checkCommand(c.dirs.outputDir, mode, c.out, values.json === true);
  },
);

export const ledgerCommand = groupCommand<LedgerCommandIO>({
  name: 'ledger',
  summary: COMMAND_SUMMARIES.ledger,
  subcommands: [exportLeaf, checkLeaf],
});

/** `ledger ...` on its own (tests; a leading `ledger` is tolerated): the exit code, failures printed to stderr. */
export async function runLedgerCommand(argv: string[], io: LedgerCommandIO = {}): Promise<number> {
  try {
    return await runCommandLine(ledgerCommand, argv[0] === 'ledger' ? argv.slice(1) : argv, io, '');
  } catch (e) {
    return reportFailure(e, io.stderr ?? process.stderr);
  }
}

async function exportCommand(
  config: LoadedConfig,
  dirs: { outputDir: string; backupsDir: string },
  opts: { mode: LedgerBook | undefined; api: boolean; keysFile: string | undefined },
  cwd: string,
  out: Writable,
): Promise<number> {
  const mode = routedBook(config, opts.mode);
  const { api, keysFile } = opts;
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

/** `ledger export --format beancount|hledger`: the book as a plain-text journal, under the same routing rule as the Manager.io export. */
function journalCommand(
  config: LoadedConfig,
  outputDir: string,
  opts: { mode: LedgerBook | undefined; format: JournalFormat; out: string | undefined },
  cwd: string,
  out: Writable,
): number {
  const book = routedBook(config, opts.mode);
  if (book === 'live' && outputMode(routingFlagsOf(config.bot)) !== 'live') {
    throw new LedgerExportError('refusing a _live output: TEST_MODE, FORCE_PAPER_EXPORT or a paper-only account routes every output to _paper');
  }
  const outFile = opts.out === undefined ? undefined : path.resolve(cwd, opts.out);
  const r = exportPlainTextJournal({ outputDir, book, format: opts.format, outFile });
  const shown = path.relative(cwd, r.file).startsWith('..') ? r.file : path.relative(cwd, r.file);
  out.write(`${book} ledger: ${r.entries} journal entries, balanced and valid\n`);
  out.write(`  wrote ${shown} (${opts.format})\n`);
  out.write(`  balances: ${opts.format === 'beancount' ? `bean-report ${shown} balances` : `hledger -f ${shown} balance`}\n`);
  return 0;
}

interface BookCheck {
  readonly book: LedgerBook;
  readonly entries: number;
  readonly problems: readonly string[];
  readonly trialBalance: readonly TrialBalanceRow[];
  /** The manual-import file beside the book, when there is one. */
  readonly managerTsv: { readonly file: string; readonly problems: readonly string[] } | null;
}

function checkBook(outputDir: string, book: LedgerBook): BookCheck {
  const entries = readBook(outputDir, book);
  const tsv = managerExportPaths(outputDir, book).tsv;
  let managerTsv: BookCheck['managerTsv'] = null;
  if (fs.existsSync(tsv)) {
    let fp: string[];
    try {
      fp = managerTsvProblems(parseManagerTsv(fs.readFileSync(tsv, 'utf8')));
    } catch (e) {
      fp = [(e as Error).message];
    }
    managerTsv = { file: tsv, problems: fp };
  }
  return { book, entries: entries.length, problems: bookProblems(entries, book), trialBalance: trialBalance(entries, book), managerTsv };
}

function checkCommand(outputDir: string, only: LedgerBook | undefined, out: Writable, json: boolean): number {
  const checks = (only ? [only] : (['paper', 'live'] as const)).map((book) => checkBook(outputDir, book));
  const problems = checks.reduce((n, c) => n + c.problems.length + (c.managerTsv?.problems.length ?? 0), 0);
  if (json) {
    out.write(`${JSON.stringify({ ok: problems === 0, books: checks }, null, 2)}\n`);
    return problems === 0 ? 0 : 1;
  }
  for (const c of checks) {
    out.write(`${c.book} book: ${c.entries} entries, ${c.problems.length === 0 ? 'every entry balances' : `${c.problems.length} problem(s)`}\n`);
    for (const x of c.problems) out.write(`  problem: ${x}\n`);
    const tb = c.trialBalance;
    if (tb.length > 0) {
      out.write(`  ${'account'.padEnd(40)} ${'debit'.padStart(14)} ${'credit'.padStart(14)} ${'balance'.padStart(14)}\n`);
      for (const r of tb) {
        out.write(`  ${`${r.code} ${r.name}`.padEnd(40)} ${formatCents(r.debitCents).padStart(14)} ${formatCents(r.creditCents).padStart(14)} ${formatCents(r.balanceCents).padStart(14)}\n`);
      }
      const d = tb.reduce((a, r) => a + r.debitCents, 0);
      const cr = tb.reduce((a, r) => a + r.creditCents, 0);
      out.write(`  ${'total'.padEnd(40)} ${formatCents(d).padStart(14)} ${formatCents(cr).padStart(14)}\n`);
    }
    if (c.managerTsv) {
      const fp = c.managerTsv.problems;
      out.write(`  ${path.basename(c.managerTsv.file)}: ${fp.length === 0 ? 'format ok, balanced' : `${fp.length} problem(s)`}\n`);
      for (const x of fp) out.write(`  problem: ${x}\n`);
    }
  }
  return problems === 0 ? 0 : 1;
}
