// The operator CLI: `npm run cli -- <command> ...` (or `npx tsx scripts/cli.ts <command> ...`). README "Operator CLI".
import fs from 'node:fs';
import { projectPath } from '../activities/projectRoot';
import { extractVersionTag } from '../domain/config/versionTag';
import { UsageError, columns } from './commands/args';
import { runCommandLine, type CliCommand, type CommandIo } from './commands/command';
import { reportFailure } from './commands/shared';

export interface CommandEntry {
  readonly name: string;
  /** A group of subcommands (listed as `name <command>`). */
  readonly group?: true;
  /**
   * The command's one-line summary, as its module's spec says it (a test keeps the two equal): the command
   * list prints these without loading every command and its dependencies (docs/temporal.md, "Compiled start-up").
   */
  readonly summary: string;
  /** Loaded when named, so a command's dependencies load only for it. */
  readonly load: () => Promise<CliCommand>;
}

/** Every command of the CLI. Adding one is one line here; its module exports the command (scripts/commands/command.ts). */
export const CLI_COMMANDS: readonly CommandEntry[] = [
  { name: 'day', summary: 'run one TEST_MODE day now (replayed minute bars, simulated broker)', load: async () => (await import('./commands/day')).dayCommand },
  { name: 'status', summary: "the day's status query (a finished day: its final status)", load: async () => (await import('./commands/control')).statusCommand },
  { name: 'stop', summary: 'exit positions and end the day cleanly', load: async () => (await import('./commands/control')).stopCommand },
  { name: 'kill', summary: 'halt new entries at once and exit positions', load: async () => (await import('./commands/control')).killCommand },
  { name: 'defense', summary: 'switch defense mode on or off for the day', load: async () => (await import('./commands/control')).defenseCommand },
  { name: 'confirm', summary: 'approve (or --reject) a pending trade (TRADE_CONFIRMATION_REQUIRED=true)', load: async () => (await import('./commands/control')).confirmCommand },
  { name: 'schedule', group: true, summary: 'the trading-day Schedule in Temporal', load: async () => (await import('./commands/schedule')).scheduleCommand },
  { name: 'worker', summary: 'run the worker (as npm run worker): every workflow and activity, until stopped', load: async () => (await import('./commands/worker')).workerCommand },
  { name: 'dashboard', group: true, summary: 'the monitoring web app on LOCAL_IP:LOCAL_PORT; the login hash for .env', load: async () => (await import('./commands/dashboard')).dashboardCommand },
  { name: 'emulator', summary: 'serve the local market emulator (Alpaca trading and data, Finnhub, VIX) until Ctrl-C', load: async () => (await import('./commands/emulator')).emulatorCommand },
  { name: 'check', summary: 'startup self-checks and the pre-deployment checklist, item by item', load: async () => (await import('./commands/check')).checkCommand },
  { name: 'dry-run', summary: 'the live gate: a compressed TEST_MODE session, recorded with version and settings hash', load: async () => (await import('./commands/dryRun')).dryRunCommand },
  { name: 'config', group: true, summary: 'check, show and encrypt the configuration (.env, .env_bot, VERSION.md); secrets are masked in everything printed', load: async () => (await import('./commands/config')).configCommand },
  { name: 'ledger', group: true, summary: 'the double-entry ledger: Manager.io export and balance check', load: async () => (await import('./commands/ledger')).ledgerCommand },
  { name: 'backup', group: true, summary: 'archives of the outputs: make, list, restore', load: async () => (await import('./commands/backup')).backupCommand },
  { name: 'backtest', summary: 'replay history through the strategies: signal audit, portfolio metrics, parameter sweeps', load: async () => (await import('./commands/backtest')).backtestCommand },
  { name: 'data', group: true, summary: 'market data for backtests: download minute bars', load: async () => (await import('./commands/data')).dataCommand },
  { name: 'replay-check', summary: 'replay open and recent workflows from the server against this code (exit 1: do not deploy)', load: async () => (await import('./commands/replayCheck')).replayCheckCommand },
];

export const PROGRAM = 'tradebot';
const VERSION_FILE = projectPath('VERSION.md');

/** The top-level usage: every command with its one-line summary (each command's --help has the rest). */
export function cliUsage(): string {
  const rows = CLI_COMMANDS.map((entry): [string, string] => [entry.group ? `${entry.name} <command>` : entry.name, entry.summary]);
  return [
    `usage: ${PROGRAM} <command> [options]`,
    '',
    'commands:',
    columns(rows),
    '',
    'options:',
    columns([
      ['-h, --help', 'print this help and exit (after a command: that command\'s help)'],
      ['--version', 'print the version (VERSION.md) and exit'],
    ]),
    '',
    `"${PROGRAM} <command> --help" shows a command's options; exit codes: 0 done, 1 failed, 2 usage error`,
    '',
  ].join('\n');
}

/** The release tag from VERSION.md's first heading (domain/config/versionTag.ts reads it for the config check too). */
export function cliVersion(): string {
  const tag = extractVersionTag(fs.readFileSync(VERSION_FILE, 'utf8'));
  if (tag === null) throw new Error(`${VERSION_FILE}: the first line is not "# TradeBot vX.Y.Z"`);
  return tag;
}

/** Runs one command line; returns the exit code, failures printed to stderr (README "Operator CLI"). */
export async function runCli(argv: readonly string[], io: CommandIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const [name, ...rest] = argv;
  try {
    if (name === undefined) throw new UsageError('no command given', cliUsage());
    if (name === 'help' || name === '--help' || name === '-h') {
      out.write(cliUsage());
      return 0;
    }
    if (name === '--version') {
      if (rest.length > 0) throw new UsageError(`--version takes no arguments (got "${rest[0]}")`);
      out.write(`${PROGRAM} ${cliVersion()}\n`);
      return 0;
    }
    const entry = CLI_COMMANDS.find((c) => c.name === name);
    if (entry === undefined) {
      throw new UsageError(name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`, cliUsage());
    }
    return await runCommandLine(await entry.load(), rest, io, PROGRAM);
  } catch (err) {
    return reportFailure(err, io.stderr ?? process.stderr);
  }
}

/** The command tree, loaded: what the help tests walk (tests/unit/cliArgs.test.ts). */
export async function loadCliCommands(): Promise<CliCommand[]> {
  return Promise.all(CLI_COMMANDS.map((c) => c.load()));
}

if (require.main === module) {
  // runCli reports its own failures; the rejection handler is for a failure while reporting one.
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => process.exit(reportFailure(err)),
  );
}
