import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { LoadedConfig } from '../../activities/config/loadConfig';
import { dashboardLogin, startDashboard, type Dashboard } from '../../dashboard/server';
import { hashPassword, passwordProblem } from '../../dashboard/password';
import { Client, Connection } from '@temporalio/client';
import { temporalConnectionOptions } from '../temporal/connection';
import { PROJECT_DIR, UsageError, dayIdFor, loadProjectConfig, parseArgs, reportFailure, stringFlag } from './shared';

export const DASHBOARD_USAGE = `usage:
  dashboard [--host IP] [--port N] [--read-only | --controls]
                          serve the monitoring dashboard on LOCAL_IP:LOCAL_PORT until Ctrl-C
                          (controls follow DASHBOARD_CONTROLS unless a flag says otherwise)
  dashboard hash-password reads a password from standard input, prints the PASSWORD_HASH= line for .env
`;

interface Io {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

const defaultIo: Io = { stdin: process.stdin, out: process.stdout, err: process.stderr };

/** `dashboard` and `dashboard hash-password`. */
export async function runDashboardCommand(argv: string[], io: Io = defaultIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv);
  const sub = positionals[0];
  if (sub === 'hash-password') return hashPasswordCommand(io);
  if (sub === 'help' || flags.has('help')) {
    io.out.write(DASHBOARD_USAGE);
    return 0;
  }
  if (sub !== undefined && sub !== 'start') throw new UsageError(`unknown dashboard command "${sub}"`);
  if (flags.has('read-only') && flags.has('controls')) throw new UsageError('--read-only and --controls contradict each other');

  const config = await loadProjectConfig();
  for (const w of config.warnings) io.err.write(`warning: ${w}\n`);
  const portText = stringFlag(flags, 'port');
  const port = portText === undefined ? config.env.LOCAL_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port=${portText} is not a port number`);
  const controls = flags.has('controls') ? true : flags.has('read-only') ? false : config.env.DASHBOARD_CONTROLS;
  const dash = await startConfiguredDashboard(config, PROJECT_DIR, { host: stringFlag(flags, 'host'), port, controlsEnabled: controls });
  io.out.write(`dashboard: ${dash.url}  (${controls ? 'controls on' : 'read-only'}; logs in output/logs/web; Ctrl-C stops it)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dash.close();
  return 0;
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
  const client = new Client({ connection, namespace: config.env.TEMPORAL_NAMESPACE });
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
async function hashPasswordCommand(io: Io): Promise<number> {
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

function promptHidden(io: Io, question: string): Promise<string> {
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
