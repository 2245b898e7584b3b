// The operator CLI: `npm run cli -- <command> ...` (or `npx tsx scripts/cli.ts <command> ...`). README "Operator CLI".
import fs from 'node:fs';
import { projectPath } from '../activities/projectRoot';
import { extractVersionTag } from '../domain/config/versionTag';
import { UsageError, columns } from './commands/args';
import { runCommandLine, type CliCommand, type CommandIo } from './commands/command';
import { reportFailure } from './commands/shared';
import { COMMAND_SUMMARIES, type CommandName } from './commands/catalog';

export interface CommandEntry {
  /** Its summary is COMMAND_SUMMARIES[name], which the command list prints without loading the command. */
  readonly name: CommandName;
  /** A group of subcommands (listed as `name <command>`). */
  readonly group?: true;
  /** Loaded when named, so a command's dependencies load only for it. */
  readonly load: () => Promise<CliCommand>;
}

/** Every command of the CLI. Adding one is one line here; its module exports the command (scripts/commands/command.ts). */
export const CLI_COMMANDS: readonly CommandEntry[] = [
  { name: 'day', load: async () => (await import('./commands/day')).dayCommand },
  { name: 'status', load: async () => (await import('./commands/control')).statusCommand },
  { name: 'stop', load: async () => (await import('./commands/control')).stopCommand },
  { name: 'kill', load: async () => (await import('./commands/control')).killCommand },
  { name: 'defense', load: async () => (await import('./commands/control')).defenseCommand },
  { name: 'confirm', load: async () => (await import('./commands/control')).confirmCommand },
  { name: 'schedule', group: true, load: async () => (await import('./commands/schedule')).scheduleCommand },
  { name: 'worker', load: async () => (await import('./commands/worker')).workerCommand },
  { name: 'dashboard', group: true, load: async () => (await import('./commands/dashboard')).dashboardCommand },
  { name: 'emulator', load: async () => (await import('./commands/emulator')).emulatorCommand },
  { name: 'check', load: async () => (await import('./commands/check')).checkCommand },
  { name: 'dry-run', load: async () => (await import('./commands/dryRun')).dryRunCommand },
  { name: 'config', group: true, load: async () => (await import('./commands/config')).configCommand },
  { name: 'ledger', group: true, load: async () => (await import('./commands/ledger')).ledgerCommand },
  { name: 'backup', group: true, load: async () => (await import('./commands/backup')).backupCommand },
  { name: 'backtest', load: async () => (await import('./commands/backtest')).backtestCommand },
  { name: 'data', group: true, load: async () => (await import('./commands/data')).dataCommand },
  { name: 'replay-check', load: async () => (await import('./commands/replayCheck')).replayCheckCommand },
];

export const PROGRAM = 'tradebot';
const VERSION_FILE = projectPath('VERSION.md');

/** The top-level usage: every command with its one-line summary (each command's --help has the rest). */
export function cliUsage(): string {
  const rows = CLI_COMMANDS.map((entry): [string, string] => [entry.group ? `${entry.name} <command>` : entry.name, COMMAND_SUMMARIES[entry.name]]);
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
