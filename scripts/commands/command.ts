import { columns, formatUsage, parseCommandArgs, synopsis, UsageError, wantsHelp, type CommandSpec, type OptionSpecs, type ParsedArgs } from './args';

/*
 * The CLI's commands as a tree: a leaf is one declaration (args.ts) and the function that runs it; a
 * group (`schedule`, `backup`, `config`) picks a subcommand by its first word. Help is answered here,
 * before a command's function runs, so `--help` can never load configuration, connect or signal.
 */

export interface Writable {
  write(chunk: string): unknown;
}

/** What every command may be handed; each command adds its own optional seams (cwd, env, ...). */
export interface CommandIo {
  readonly stdout?: Writable;
  readonly stderr?: Writable;
}

export interface LeafCommand<Io extends CommandIo = CommandIo> {
  readonly kind: 'leaf';
  readonly name: string;
  readonly spec: CommandSpec;
  run(args: ParsedArgs, io: Io): Promise<number>;
}

export interface GroupCommand<Io extends CommandIo = CommandIo> {
  readonly kind: 'group';
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  readonly subcommands: readonly CliCommand<Io>[];
  /** The subcommand run when none is named (the first word is an option or absent). */
  readonly defaultSubcommand?: string;
}

export type CliCommand<Io extends CommandIo = CommandIo> = LeafCommand<Io> | GroupCommand<Io>;

/** A command from its declaration and its function; `run` sees the values typed by the declaration. */
export function leafCommand<const O extends OptionSpecs, Io extends CommandIo = CommandIo>(
  spec: CommandSpec<O>,
  run: (args: ParsedArgs<O>, io: Io) => Promise<number>,
): LeafCommand<Io> {
  return { kind: 'leaf', name: spec.name, spec, run: run as (args: ParsedArgs, io: Io) => Promise<number> };
}

export function groupCommand<Io extends CommandIo = CommandIo>(g: Omit<GroupCommand<Io>, 'kind'>): GroupCommand<Io> {
  return { kind: 'group', ...g };
}

/** The usage text of a command: a leaf's options, or a group's subcommands each with its synopsis. */
export function usageOf(cmd: CliCommand<never>, parent: string): string {
  if (cmd.kind === 'leaf') return formatUsage(cmd.spec, parent);
  const program = [parent, cmd.name].filter((w) => w !== '').join(' ');
  const rows = cmd.subcommands.map((s): [string, string] => [
    s.kind === 'leaf' ? synopsis(s.spec) : `${s.name} <command>`,
    `${s.kind === 'leaf' ? s.spec.summary : s.summary}${s.name === cmd.defaultSubcommand ? ' (the default)' : ''}`,
  ]);
  const lines = [`usage: ${program} <command> [options]`, '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description);
  lines.push('', 'commands:', columns(rows), '', `"${program} <command> --help" shows one command's options`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs the command the words name. Usage errors leave with the usage of `cmd` (the command the user
 * named first) attached, for the caller to print; every other failure leaves as thrown.
 */
export async function runCommandLine<Io extends CommandIo>(cmd: CliCommand<Io>, argv: readonly string[], io: Io, parent: string): Promise<number> {
  try {
    return await dispatch(cmd, argv, io, parent);
  } catch (e) {
    if (e instanceof UsageError) throw e.withUsage(usageOf(cmd, parent));
    throw e;
  }
}

async function dispatch<Io extends CommandIo>(cmd: CliCommand<Io>, argv: readonly string[], io: Io, parent: string): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const program = [parent, cmd.name].filter((w) => w !== '').join(' ');
  if (cmd.kind === 'leaf') {
    if (wantsHelp(argv)) {
      out.write(usageOf(cmd, parent));
      return 0;
    }
    return cmd.run(parseCommandArgs(cmd.spec, argv), io);
  }
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    out.write(usageOf(cmd, parent));
    return 0;
  }
  const sub = cmd.subcommands.find((s) => s.name === first);
  if (sub) return dispatch(sub, rest, io, program);
  const fallback = cmd.subcommands.find((s) => s.name === cmd.defaultSubcommand);
  if (fallback && (first === undefined || first.startsWith('-'))) return dispatch(fallback, argv, io, program);
  if (first === undefined) throw new UsageError(`${program} needs a command`);
  if (first.startsWith('-')) throw new UsageError(`unknown option ${first} (${program} needs a command first)`);
  throw new UsageError(`unknown ${program} command "${first}"`);
}

/** Every command path under `cmd` (`['schedule', 'create']`, ...), groups included: what a help test walks. */
export function commandPaths(cmd: CliCommand<never>, prefix: readonly string[] = []): string[][] {
  const here = [...prefix, cmd.name];
  return cmd.kind === 'leaf' ? [here] : [here, ...cmd.subcommands.flatMap((s) => commandPaths(s, here))];
}
