import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { searchAttributeSpecs } from '../../workflows/searchAttributes';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JS installer shared with npm install
const { ensureTemporalCli } = require('../installTemporalCli.js') as { ensureTemporalCli(o?: { quiet?: boolean }): string };

/**
 * Server settings that are order latency (docs/temporal.md, "Timer precision" and "Eager activities"):
 * the server fires a timer up to `history.timerProcessorMaxTimeShift` late (1 s by default) and a session
 * sleeps to each minute's bar; at 50 ms timers fire within a few milliseconds. With eager activity
 * execution the server hands an activity the workflow schedules straight back to the worker that
 * completed the workflow task, instead of through the task queue. Every dev server the project starts
 * passes these.
 */
export const SERVER_LATENCY_ARGS = [
  '--dynamic-config-value',
  'history.timerProcessorMaxTimeShift="50ms"',
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
] as const;

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string;
  /** True when this process started the server (and so stops it). */
  readonly started: boolean;
  readonly dbFile: string | null;
  stop(): Promise<void>;
}

export function defaultDevServerDb(): string {
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'tradebot', 'temporal-dev.sqlite');
}

export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

async function waitForPort(host: string, port: number, timeoutMs: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`temporal server start-dev exited with code ${proc.exitCode}`);
    if (await portOpen(host, port)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Temporal dev server did not listen on ${host}:${port} within ${timeoutMs / 1000}s`);
}

/**
 * The embedded default: when TEMPORAL_ADDRESS is on this machine and nothing answers there, start
 * `temporal server start-dev` with a SQLite file (so workflows survive restarts) and the Web UI.
 * A remote address (a real cluster, Temporal Cloud) is used as is.
 */
export async function ensureDevServer(opts: { address: string; dbFile?: string; uiPort?: number; log?: (s: string) => void }): Promise<DevServer> {
  const [host, portText] = splitAddress(opts.address);
  const port = Number(portText);
  const uiPort = opts.uiPort ?? port + 1000;
  const uiUrl = `http://${host}:${uiPort}`;
  const local = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  if (!local || (await portOpen(host, port))) {
    return { address: opts.address, uiUrl: local ? uiUrl : '(the cluster\'s own Web UI)', started: false, dbFile: null, stop: async () => undefined };
  }
  const cli = ensureTemporalCli({ quiet: true });
  const dbFile = opts.dbFile ?? defaultDevServerDb();
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  opts.log?.(`starting Temporal dev server on ${host}:${port} (database ${dbFile})`);
  const proc = spawn(
    cli,
    [
      'server', 'start-dev', '--ip', host, '--port', String(port), '--ui-port', String(uiPort), '--db-filename', dbFile, '--log-level', 'warn',
      // The bot's search attributes (workflows/searchAttributes.ts), so the Web UI can filter days and sessions.
      ...searchAttributeSpecs().flatMap((spec) => ['--search-attribute', spec]),
      ...SERVER_LATENCY_ARGS,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // Never leave an orphaned server behind, however this process ends.
  const killOnExit = () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  await waitForPort(host, port, 60_000, proc);
  return {
    address: opts.address,
    uiUrl,
    started: true,
    dbFile,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), address.slice(i + 1)];
}
