import { parseArgs } from 'node:util';

/*
 * The one argument parser of every command line in the project (the CLI and its commands, the backtest
 * entry, the drill, the bench). A command declares its options and positionals once; that declaration is
 * what Node's `util.parseArgs` parses in strict mode and what the usage text is printed from, so the two
 * cannot drift. Unknown options, missing values, repeated options and stray arguments are UsageErrors
 * (exit code 2, README "Operator CLI").
 */

/** A bad command line: exit code 2, the message, then the command's usage when known. */
export class UsageError extends Error {
  /** The usage text of the command the arguments were for; null when not known where it was thrown. */
  readonly usage: string | null;

  constructor(message: string, usage: string | null = null) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }

  /** The same error, with the usage to print after it (an error thrown deep inside a command has none). */
  withUsage(usage: string): UsageError {
    return this.usage === null ? new UsageError(this.message, usage) : this;
  }
}

/** How a usage error is printed everywhere: one line naming the problem, then the usage when known. */
export function usageErrorText(err: UsageError, usage: string | null = err.usage): string {
  return `usage error: ${err.message}\n${usage === null ? '' : `\n${usage}`}`;
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** One-letter alias, without the dash. */
  readonly short?: string;
  /** What the value is, in the usage text (`YYYY-MM-DD`, `DIR`); string options only. */
  readonly value?: string;
  readonly description: string;
  /** May be given more than once (string options only); otherwise a repeat is a usage error. */
  readonly multiple?: boolean;
}

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly optional?: boolean;
  /** The only values allowed, when the argument is a word such as on|off. */
  readonly choices?: readonly string[];
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** The command's word on the command line (`kill`, `create`). */
  readonly name: string;
  /** One line, for command lists. */
  readonly summary: string;
  /** More lines printed under the usage line. */
  readonly description?: string;
  readonly options: O;
  readonly positionals?: readonly PositionalSpec[];
}

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' } ? boolean : S extends { multiple: true } ? readonly string[] : string;

export type OptionValues<O extends OptionSpecs> = { readonly [K in keyof O]?: ValueOf<O[K]> };

export interface ParsedArgs<O extends OptionSpecs = OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
}

/** Every command takes these; they are decided before anything else is parsed. */
const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'print this help and exit' };

/**
 * Whether the arguments ask for help: `--help` or `-h` anywhere before a `--`. Read from the raw words,
 * so no other argument (even a bad one, or an option missing its value) can turn a help request into work.
 */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * The command line of a standalone script (npm start, the drill, the bench, the fixture cut): the parsed
 * arguments, or the exit code once help (0) or a usage error followed by the usage (2) is printed.
 */
export function scriptArgs<O extends OptionSpecs>(spec: CommandSpec<O>, argv: readonly string[], program: string): ParsedArgs<O> | 0 | 2 {
  const usage = formatUsage(spec, program);
  if (wantsHelp(argv)) {
    process.stdout.write(usage);
    return 0;
  }
  try {
    return parseCommandArgs(spec, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(usageErrorText(err, usage));
    return 2;
  }
}

/** Parses `argv` against the command's declaration; throws a UsageError naming the first problem. */
export function parseCommandArgs<O extends OptionSpecs>(spec: CommandSpec<O>, argv: readonly string[]): ParsedArgs<O> {
  const options = { ...spec.options, help: HELP_OPTION };
  const nodeOptions = Object.fromEntries(
    Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
  // A lenient pass for its tokens first, so each problem gets a message that names the option as typed.
  const { tokens } = parseArgs({ args: [...argv], options: nodeOptions, strict: false, allowPositionals: true, tokens: true });
  const seen = new Set<string>();
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const o = options[t.name];
    if (o === undefined) throw new UsageError(`unknown option ${t.rawName}${suggestion(t.name, Object.keys(options))}`);
    if (o.type === 'boolean' && t.value !== undefined) throw new UsageError(`--${t.name} takes no value (got "${t.value}")`);
    if (o.type === 'string') {
      if (t.value === undefined || t.value === '') throw new UsageError(`--${t.name} needs a value (${o.value ?? 'VALUE'})`);
      // A value taken from the next word that looks like an option is almost always a forgotten value.
      if (!t.inlineValue && t.value.startsWith('-') && t.value !== '-') {
        throw new UsageError(`--${t.name} needs a value (${o.value ?? 'VALUE'}), got the option-like "${t.value}" (write --${t.name}=${t.value} if that is the value)`);
      }
    }
    if (seen.has(t.name) && !o.multiple) throw new UsageError(`--${t.name} given more than once`);
    seen.add(t.name);
  }
  checkPositionals(spec, positionals);
  // The strict parse gives the values; after the checks above it cannot fail on the user's input.
  const parsed = parseArgs({ args: [...argv], options: nodeOptions, strict: true, allowPositionals: (spec.positionals ?? []).length > 0 });
  const { help: _help, ...values } = parsed.values;
  return { values: values as OptionValues<O>, positionals: parsed.positionals };
}

/** `(did you mean --date?)` for a prefix of one declared option, such as --dat. */
function suggestion(given: string, names: readonly string[]): string {
  const near = given.length >= 2 ? names.filter((n) => n.startsWith(given) || given.startsWith(n)) : [];
  return near.length === 1 ? ` (did you mean --${near[0]}?)` : '';
}

function checkPositionals(spec: CommandSpec, given: readonly string[]): void {
  const declared = spec.positionals ?? [];
  if (given.length > declared.length) {
    const stray = given[declared.length];
    throw new UsageError(declared.length === 0 ? `unexpected argument "${stray}" (this command takes options only)` : `unexpected argument "${stray}"`);
  }
  declared.forEach((p, i) => {
    const v = given[i];
    if (v === undefined) {
      if (!p.optional) throw new UsageError(`${spec.name} needs ${p.name}`);
      return;
    }
    if (p.choices && !p.choices.includes(v)) throw new UsageError(`${p.name} must be ${p.choices.join(' or ')}, not "${v}"`);
  });
}

function optionLabel(name: string, o: OptionSpec): string {
  return o.type === 'string' ? `--${name} ${o.value ?? 'VALUE'}` : `--${name}`;
}

function positionalLabel(p: PositionalSpec): string {
  const word = p.choices ? p.choices.join('|') : p.name;
  return p.optional ? `[${word}]` : word;
}

/** `kill [--date YYYY-MM-DD] [--reason TEXT] [-y]`: the one-line synopsis of a command. */
export function synopsis(spec: CommandSpec): string {
  const opts = Object.entries(spec.options).map(([name, o]) => `[${optionLabel(name, o)}]${o.multiple ? '...' : ''}`);
  return [spec.name, ...(spec.positionals ?? []).map(positionalLabel), ...opts].filter((w) => w !== '').join(' ');
}

/** Two columns: the left padded to the widest entry (capped), long left entries on a line of their own. */
export function columns(rows: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.min(28, Math.max(0, ...rows.map(([l]) => l.length)));
  return rows
    .map(([l, r]) => {
      const lines = r.split('\n');
      const pad = `${indent}${' '.repeat(width)}  `;
      const first = l.length > width ? `${indent}${l}\n${pad}${lines[0]}` : `${indent}${l.padEnd(width)}  ${lines[0]}`;
      return [first, ...lines.slice(1).map((x) => `${pad}${x}`)].join('\n');
    })
    .join('\n');
}

/**
 * The usage text: synopsis, description, positionals and every option (help included). `parent` is what
 * is typed before the command's word: `tradebot`, `tradebot schedule`, `npm run drill --`.
 */
export function formatUsage(spec: CommandSpec, parent: string): string {
  const lines = [`usage: ${[parent, synopsis(spec)].filter((w) => w !== '').join(' ')}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  const positionals = spec.positionals ?? [];
  if (positionals.length > 0) lines.push('', 'arguments:', columns(positionals.map((p) => [positionalLabel(p), p.description])));
  const options = { ...spec.options, help: HELP_OPTION };
  lines.push(
    '',
    'options:',
    columns(Object.entries(options).map(([name, o]) => [`${o.short ? `-${o.short}, ` : ''}${optionLabel(name, o)}`, `${o.description}${o.multiple ? ' (may be repeated)' : ''}`])),
  );
  return `${lines.join('\n')}\n`;
}

/** A string option's value as a number checked by `ok`, or undefined when absent. */
export function numberOption(name: string, text: string | undefined, ok: (n: number) => boolean, allowed: string): number | undefined {
  if (text === undefined) return undefined;
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`--${name}=${text} is invalid (allowed: ${allowed})`);
  return n;
}
