import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { extractVersionTag } from '../../domain/config/versionTag';
import { formatUsage, parseCommandArgs, UsageError, wantsHelp, type CommandSpec } from '../../scripts/commands/args';
import { commandPaths, type CliCommand } from '../../scripts/commands/command';
import { COMMAND_SUMMARIES } from '../../scripts/commands/catalog';

/*
 * The one argument parser (scripts/commands/args.ts) and the CLI built on it: every command and
 * subcommand answers --help and -h with its usage without doing anything, and rejects an unknown option
 * with exit code 2. The command table comes from the CLI itself, so a new command is covered by adding it.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'scripts', 'cli.ts');

const SPEC = {
  name: 'demo',
  summary: 'a demo command',
  options: {
    date: { type: 'string', value: 'YYYY-MM-DD', description: 'the day' },
    yes: { type: 'boolean', short: 'y', description: 'no questions' },
    set: { type: 'string', value: 'K=V', multiple: true, description: 'one override' },
    out: { type: 'string', value: 'FILE|-', description: 'where to' },
  },
  positionals: [{ name: 'STATE', choices: ['on', 'off'], description: 'on or off', optional: true }],
} as const satisfies CommandSpec;

const usageError = (argv: string[], re: RegExp) =>
  assert.throws(() => parseCommandArgs(SPEC, argv), (e: unknown) => e instanceof UsageError && e.name === 'UsageError' && re.test(e.message), argv.join(' '));

describe('the argument parser', () => {
  test('types, short aliases, --x=y and --x y, repeatable options, positionals', () => {
    const a = parseCommandArgs(SPEC, ['--date=2025-04-09', '-y', '--set', 'A=1', '--set=B=2', 'on']);
    assert.deepEqual(a.values, { date: '2025-04-09', yes: true, set: ['A=1', 'B=2'] });
    assert.deepEqual(a.positionals, ['on']);
    assert.deepEqual(parseCommandArgs(SPEC, ['--yes', '--date', '2025-01-02']).values, { yes: true, date: '2025-01-02' });
    assert.deepEqual(parseCommandArgs(SPEC, []).values, {});
    // A lone dash is a value (stdout), and `--` ends the options.
    assert.equal(parseCommandArgs(SPEC, ['--out', '-']).values.out, '-');
    assert.deepEqual(parseCommandArgs(SPEC, ['--', 'off']).positionals, ['off']);
  });

  test('unknown options, missing values, repeats and stray arguments are usage errors naming the problem', () => {
    usageError(['--no-such-flag'], /unknown option --no-such-flag/);
    usageError(['--dat', '2025-04-09'], /unknown option --dat \(did you mean --date\?\)/);
    usageError(['-x'], /unknown option -x/);
    usageError(['--date'], /--date needs a value \(YYYY-MM-DD\)/);
    usageError(['--date='], /--date needs a value/);
    usageError(['--date', '--yes'], /--date needs a value .*option-like "--yes"/);
    usageError(['--yes=no'], /--yes takes no value/);
    usageError(['--date', '2025-01-01', '--date', '2025-01-02'], /--date given more than once/);
    usageError(['-y', '--yes'], /--yes given more than once/);
    usageError(['maybe'], /STATE must be on or off, not "maybe"/);
    usageError(['on', 'off'], /unexpected argument "off"/);
    assert.throws(() => parseCommandArgs({ name: 'x', summary: 's', options: {} }, ['extra']), /unexpected argument "extra"/);
    assert.throws(() => parseCommandArgs({ name: 'x', summary: 's', options: {}, positionals: [{ name: 'SYMBOL', description: 'd' }] }, []), /x needs SYMBOL/);
  });

  test('help is read from the raw words, before anything else, so a bad argument cannot turn it into work', () => {
    assert.equal(wantsHelp(['--help']), true);
    assert.equal(wantsHelp(['--date', '-h']), true);
    assert.equal(wantsHelp(['--no-such-flag', '--help']), true);
    assert.equal(wantsHelp(['--', '--help']), false);
    assert.equal(wantsHelp(['--date', '2025-04-09']), false);
  });

  test('the usage is printed from the declaration: every option, its alias and its value name', () => {
    const u = formatUsage(SPEC, 'tradebot');
    assert.match(u, /^usage: tradebot demo \[on\|off\] \[--date YYYY-MM-DD\] \[--yes\] \[--set K=V\]\.\.\. \[--out FILE\|-\]\n/);
    for (const line of [/--date YYYY-MM-DD +the day/, /-y, --yes +no questions/, /--set K=V +one override \(may be repeated\)/, /-h, --help +print this help/]) assert.match(u, line);
  });
});

interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs the real CLI in an empty folder (also its TRADEBOT_HOME), its Temporal address a port that counts connections. */
function runChild(args: readonly string[], cwd: string, temporal: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    // The loader by path: the working directory is an empty folder, where `--import tsx` would not resolve.
    const child = spawn(process.execPath, ['--import', require.resolve('tsx'), CLI, ...args], {
      cwd,
      env: { ...process.env, TRADEBOT_HOME: cwd, TEMPORAL_ADDRESS: temporal },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** Runs `jobs` with at most `limit` at a time (the machine is shared), results in order. */
async function limited<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

describe('the CLI: help never acts, unknown options exit 2', () => {
  let home: string;
  let temporal: net.Server;
  let temporalAddress = '';
  let connections = 0;
  let commands: CliCommand[] = [];
  let paths: string[][] = [];
  let cli: typeof import('../../scripts/cli');

  before(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-cli-args-'));
    temporal = net.createServer((s) => {
      connections += 1;
      s.destroy();
    });
    await new Promise<void>((resolve) => temporal.listen(0, '127.0.0.1', resolve));
    temporalAddress = `127.0.0.1:${(temporal.address() as net.AddressInfo).port}`;
    // Before the CLI's modules load: they read the project folder once.
    process.env.TRADEBOT_HOME = home;
    process.env.TEMPORAL_ADDRESS = temporalAddress;
    cli = await import('../../scripts/cli');
    commands = await cli.loadCliCommands();
    paths = commands.flatMap((c) => commandPaths(c));
  });

  after(async () => {
    await new Promise<void>((resolve) => temporal.close(() => resolve()));
    fs.rmSync(home, { recursive: true, force: true });
  });

  const capture = () => {
    let text = '';
    return { stream: { write: (s: string) => (text += s) }, text: () => text };
  };

  test('the command table is the CLI\'s: every registered command loads under its own name, with a summary and described options', () => {
    assert.deepEqual(commands.map((c) => c.name), cli.CLI_COMMANDS.map((e) => e.name));
    // The command list prints the catalog's summaries without loading the commands: they must be the modules' own.
    const listed = (c: CliCommand) => ({ name: c.name, group: c.kind === 'group', summary: c.kind === 'group' ? c.summary : c.spec.summary });
    assert.deepEqual(cli.CLI_COMMANDS.map((e) => ({ name: e.name, group: e.group === true, summary: COMMAND_SUMMARIES[e.name] })), commands.map(listed));
    assert.ok(paths.length > commands.length, 'groups contribute their subcommands');
    const walk = (c: CliCommand): void => {
      if (c.kind === 'group') {
        assert.ok(c.summary.length > 0, `${c.name} has a summary`);
        c.subcommands.forEach(walk);
        return;
      }
      assert.ok(c.spec.summary.length > 0, `${c.name} has a summary`);
      for (const [name, o] of Object.entries(c.spec.options)) assert.ok(o.description.length > 0, `${c.name} --${name} is described`);
    };
    commands.forEach(walk);
  });

  test('every command and subcommand: --help and -h print its usage and exit 0 (in process)', async () => {
    for (const p of paths) {
      for (const flag of ['--help', '-h']) {
        const out = capture();
        const err = capture();
        const code = await cli.runCli([...p, flag], { stdout: out.stream, stderr: err.stream });
        assert.equal(code, 0, `${p.join(' ')} ${flag}: ${err.text()}`);
        assert.equal(err.text(), '', `${p.join(' ')} ${flag} prints nothing on stderr`);
        assert.match(out.text(), new RegExp(`^usage: tradebot ${p.join(' ')}( |\\n)`), `${p.join(' ')} ${flag}`);
        assert.match(out.text(), /-h, --help|<command> --help/, `${p.join(' ')} ${flag} mentions help`);
      }
    }
    assert.equal(connections, 0, 'nothing connected to Temporal');
    assert.deepEqual(fs.readdirSync(home), [], 'no file created');
  });

  test('every command and subcommand: an unknown option exits 2, names it and shows the usage (in process)', async () => {
    for (const p of paths) {
      const out = capture();
      const err = capture();
      const code = await cli.runCli([...p, '--no-such-flag'], { stdout: out.stream, stderr: err.stream });
      assert.equal(code, 2, `${p.join(' ')} --no-such-flag`);
      assert.match(err.text(), /^usage error: .*--no-such-flag/, p.join(' '));
      assert.match(err.text(), /\nusage: tradebot /, `${p.join(' ')}: the usage follows`);
      assert.equal(out.text(), '', `${p.join(' ')}: nothing on stdout`);
    }
    assert.equal(connections, 0, 'nothing connected to Temporal');
    assert.deepEqual(fs.readdirSync(home), [], 'no file created');
  });

  // The whole process, for each command the user names first (subcommands are covered in process above).
  test('as child processes: every command --help exits 0 and creates no file; kill --dat, --version', async () => {
    const helps = [['--help'], ...commands.map((c) => [c.name, '--help']), ['kill', '-h'], ['stop', '-h'], ['schedule', 'delete', '-h'], ['backup', 'now', '--help']];
    const cases: { args: string[]; check: (r: Run) => void }[] = [
      ...helps.map((args) => ({
        args,
        check: (r: Run) => {
          assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
          assert.match(r.out, /^usage: tradebot /, args.join(' '));
          assert.equal(r.err, '', args.join(' '));
        },
      })),
      {
        args: ['kill', '--dat', '2025-04-09'],
        check: (r) => {
          assert.equal(r.code, 2);
          assert.match(r.err, /^usage error: unknown option --dat/);
          assert.match(r.err, /usage: tradebot kill /);
        },
      },
      {
        args: ['stop', '--no-such-flag'],
        check: (r) => {
          assert.equal(r.code, 2);
          assert.match(r.err, /--no-such-flag/);
        },
      },
      {
        args: ['frobnicate'],
        check: (r) => {
          assert.equal(r.code, 2);
          assert.match(r.err, /unknown command "frobnicate"/);
        },
      },
      {
        args: ['--version'],
        check: (r) => {
          assert.equal(r.code, 0, r.err);
          assert.equal(r.out, `tradebot ${extractVersionTag(fs.readFileSync(path.join(REPO_ROOT, 'VERSION.md'), 'utf8'))}\n`);
        },
      },
    ];
    const runs = await limited(
      cases.map((c) => () => runChild(c.args, home, temporalAddress)),
      4,
    );
    runs.forEach((r, i) => cases[i]!.check(r));
    assert.equal(connections, 0, 'nothing connected to Temporal');
    assert.deepEqual(fs.readdirSync(home), [], 'no file created');
  });
});
