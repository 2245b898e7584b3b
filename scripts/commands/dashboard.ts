import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { LoadedConfig } from '../../activities/config/loadConfig';
import { dashboardLogin, startDashboard, type Dashboard } from '../../dashboard/server';
import { hashPassword, passwordProblem } from '../../dashboard/password';
import { Client, Connection } from '@temporalio/client';
import { temporalConnectionOptions } from '../../workers/temporal/connection';
import { payloadDataConverter } from '../../workers/temporal/payloadCodec';
import { numberOption, UsageError } from './args';
import { groupCommand, leafCommand, runCommandLine, type CommandIo, type Writable } from './command';
import { PROJECT_DIR, dayIdFor, loadProjectConfig, reportFailure } from './shared';
import { COMMAND_SUMMARIES } from './catalog';

interface Io extends CommandIo {
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** A stream, not any writable: the hidden password prompt is a readline interface on it. */
  readonly stderr?: NodeJS.WritableStream;
}

interface FullIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly out: Writable;
  readonly err: NodeJS.WritableStream;
}

function fullIo(io: Io): FullIo {
  return { stdin: io.stdin ?? process.stdin, out: io.stdout ?? process.stdout, err: io.stderr ?? process.stderr };
}

const serveLeaf = leafCommand(
  {
    name: 'start',
    summary: 'serve the monitoring dashboard on LOCAL_IP:LOCAL_PORT until Ctrl-C',
    description: 'controls follow DASHBOARD_CONTROLS unless --controls or --read-only says otherwise',
    options: {
      host: { type: 'string', value: 'IP', description: 'the address to listen on (default: LOCAL_IP)' },
      port: { type: 'string', value: 'N', description: 'the port (default: LOCAL_PORT)' },
      'read-only': { type: 'boolean', description: 'no stop, kill or defense buttons' },
      controls: { type: 'boolean', description: 'with the stop, kill and defense buttons' },
    },
  },
  async ({ values }, io: Io) => {
    const { out, err } = fullIo(io);
    if (values['read-only'] && values.controls) throw new UsageError('--read-only and --controls contradict each other');
    const config = await loadProjectConfig();
    for (const w of config.warnings) err.write(`warning: ${w}\n`);
    const port = numberOption('port', values.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port number from 0 to 65535') ?? config.env.LOCAL_PORT;
    const controls = values.controls ? true : values['read-only'] ? false : config.env.DASHBOARD_CONTROLS;
    const dash = await startConfiguredDashboard(config, PROJECT_DIR, { host: values.host, port, controlsEnabled: controls });
    out.write(`dashboard: ${dash.url}  (${controls ? 'controls on' : 'read-only'}; logs in output/logs/web; Ctrl-C stops it)\n`);
    const publicUrl = publicDashboardUrl(config.env, dash.url);
    if (publicUrl) out.write(`dashboard behind ${config.env.REMOTE_IP}: ${publicUrl}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dash.close();
    return 0;
  },
);

/** REMOTE_IP and REMOTE_PORT: where users reach the dashboard through the reverse proxy (same scheme). */
export function publicDashboardUrl(env: Pick<LoadedConfig['env'], 'REMOTE_IP' | 'REMOTE_PORT'>, localUrl: string): string | null {
  if (!env.REMOTE_IP) return null;
  const scheme = localUrl.startsWith('https:') ? 'https' : 'http';
  const host = env.REMOTE_IP.includes(':') ? `[${env.REMOTE_IP}]` : env.REMOTE_IP;
  return `${scheme}://${host}${env.REMOTE_PORT ? `:${env.REMOTE_PORT}` : ''}/`;
}

const hashPasswordLeaf = leafCommand(
  { name: 'hash-password', summary: 'read a password from standard input, print the PASSWORD_HASH= line for .env', options: {} },
  async (_a, io: Io) => hashPasswordCommand(fullIo(io)),
);

export const dashboardCommand = groupCommand<Io>({
  name: 'dashboard',
  summary: COMMAND_SUMMARIES.dashboard,
  defaultSubcommand: 'start',
  subcommands: [serveLeaf, hashPasswordLeaf],
});

/** `dashboard` and `dashboard hash-password`, on their own (tests, `npx tsx scripts/commands/dashboard.ts`). */
export async function runDashboardCommand(argv: string[], io: { stdin?: Io['stdin']; out?: Writable; err?: NodeJS.WritableStream } = {}): Promise<number> {
  return runCommandLine(dashboardCommand, argv, { stdin: io.stdin, stdout: io.out, stderr: io.err }, '');
}

/**
 * The dashboard as configured in .env, with its own Temporal connection: what the `dashboard` command
 * runs, and what `npm start` can run beside the worker when DASHBOARD_ENABLED=true.
 */
export async function startConfiguredDashboard(
  config: LoadedConfig,
  projectDir: string,
  over: { host?: string; port?: number; controlsEnabled?: boolean } = {},
): Promise<Dashboard> {
  // Refuse before connecting anything: no login configured means no dashboard (checklist item 9).
  dashboardLogin(config);
  const tls = readTls(config, projectDir);
  // Lazy: the dashboard starts (and says "Temporal unreachable") while the server is down or restarting.
  const opts = temporalConnectionOptions(config.env);
  const connection = Connection.lazy({ address: opts.address, tls: opts.tls, apiKey: opts.apiKey, connectTimeout: '10 seconds' });
  const client = new Client({ connection, namespace: config.env.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(config.env) });
  const outputDir = path.resolve(projectDir, 'output');
  try {
    const dash = await startDashboard({
      config,
      client,
      dayWorkflowIdFor: (date) => dayIdFor(config, date),
      outputDir,
      logDir: path.join(outputDir, 'logs', 'web'),
      host: over.host ?? config.env.LOCAL_IP,
      port: over.port ?? config.env.LOCAL_PORT,
      controlsEnabled: over.controlsEnabled ?? config.env.DASHBOARD_CONTROLS,
      tls,
      projectDir,
    });
    return {
      url: dash.url,
      async close() {
        await dash.close();
        await client.connection.close();
      },
    };
  } catch (err) {
    await client.connection.close();
    throw err;
  }
}

function readTls(config: LoadedConfig, projectDir: string): { cert: Buffer; key: Buffer } | undefined {
  const cert = config.env.DASHBOARD_TLS_CERT_PATH;
  const key = config.env.DASHBOARD_TLS_KEY_PATH;
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new Error('set both DASHBOARD_TLS_CERT_PATH and DASHBOARD_TLS_KEY_PATH in .env, or neither');
  const read = (p: string, name: string) => {
    try {
      return fs.readFileSync(path.resolve(projectDir, p));
    } catch (err) {
      throw new Error(`${name}: cannot read ${p} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
    }
  };
  return { cert: read(cert, 'DASHBOARD_TLS_CERT_PATH'), key: read(key, 'DASHBOARD_TLS_KEY_PATH') };
}

/** Reads the password (twice, without echo, at a terminal; the first line of a pipe otherwise). */
async function hashPasswordCommand(io: FullIo): Promise<number> {
  let password: string;
  if (io.stdin.isTTY) {
    password = await promptHidden(io, 'Dashboard password: ');
    const again = await promptHidden(io, 'Again: ');
    if (again !== password) throw new Error('the two passwords differ; nothing printed');
  } else {
    password = firstLine(await readAll(io.stdin));
  }
  const problem = passwordProblem(password);
  if (problem !== null) throw new UsageError(problem);
  const hash = await hashPassword(password);
  io.out.write(`PASSWORD_HASH=${hash}\n`);
  io.err.write('put this line (and USERNAME=...) in .env; the password itself is stored nowhere\n');
  return 0;
}

function firstLine(text: string): string {
  const nl = text.search(/\r?\n/);
  return nl < 0 ? text : text.slice(0, nl);
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

function promptHidden(io: FullIo, question: string): Promise<string> {
  return new Promise((resolve) => {
    io.err.write(question);
    const rl = readline.createInterface({ input: io.stdin, output: io.err, terminal: true });
    // Swallow the echo of typed characters; only the prompt was written.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      io.err.write('\n');
      resolve(answer);
    });
  });
}

// Also runnable on its own: `npx tsx scripts/commands/dashboard.ts [hash-password]`.
if (require.main === module) {
  runDashboardCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
}
