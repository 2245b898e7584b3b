import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { SERVER_LATENCY_ARGS, portOpen } from '../temporal/devServer';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JS installer shared with npm install
const { ensureTemporalCli } = require('../installTemporalCli.js') as { ensureTemporalCli(o?: { quiet?: boolean }): string };

/** A worker in its own process (so it can be SIGKILLed), resolved once it prints `worker-ready`. */
export interface WorkerChild {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/**
 * Starts `entry` (a TypeScript file run with tsx) with `env` added to this process's environment.
 * Its stderr goes to `logFile` when given (the drill keeps its own output readable), else to ours.
 */
export function startWorkerProcess(
  entry: string,
  env: Record<string, string>,
  opts: { cwd: string; logFile?: string; readyTimeoutMs?: number } = { cwd: process.cwd() },
): Promise<WorkerChild> {
  const log = opts.logFile ? fs.openSync(opts.logFile, 'a') : null;
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: opts.cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', log ?? 'inherit'],
  });
  if (log !== null) fs.closeSync(log);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker process ${entry} was not ready within ${(opts.readyTimeoutMs ?? 120_000) / 1000}s`));
    }, opts.readyTimeoutMs ?? 120_000);
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('worker-ready')) {
        clearTimeout(timer);
        resolve({ child, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code} before it was ready${opts.logFile ? ` (see ${opts.logFile})` : ''}`));
    });
  });
}

/** SIGKILL, then wait until the process is gone. */
export async function killHard(w: WorkerChild): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await w.exited;
}

/** SIGTERM (the worker drains), SIGKILL after `graceMs`. */
export async function stopGently(w: WorkerChild, graceMs = 15_000): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill('SIGTERM');
  const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs);
  await w.exited;
  clearTimeout(timer);
}

/** A drill starts from nothing: `outDir` must be empty or absent; the named subfolders are made in it. */
export function freshDrillDirs<K extends string>(outDir: string, names: Record<K, string>): Record<K, string> {
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) {
    throw new Error(`${outDir} is not empty: a drill starts from nothing (give another --out)`);
  }
  const dirs = Object.fromEntries(Object.entries(names).map(([k, sub]) => [k, path.join(outDir, sub as string)])) as Record<K, string>;
  for (const d of Object.values<string>(dirs)) fs.mkdirSync(d, { recursive: true });
  return dirs;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A local webhook that records every alert the workers send, as the alert channel of a drill. */
export interface WebhookSink {
  readonly url: string;
  readonly received: () => readonly string[];
  close(): Promise<void>;
}

export async function startWebhookSink(recordFile: string): Promise<WebhookSink> {
  const received: string[] = [];
  fs.mkdirSync(path.dirname(recordFile), { recursive: true });
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push(body);
      fs.appendFileSync(recordFile, `${body.replace(/\n/g, ' ')}\n`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A Temporal dev server the drill owns: on its own port and SQLite file, its log in a file, restartable. */
export interface DrillDevServer {
  readonly address: string;
  stop(): Promise<void>;
}

export async function startDrillDevServer(opts: { port: number; uiPort: number; dbFile: string; logFile: string }): Promise<DrillDevServer> {
  const host = '127.0.0.1';
  if (await portOpen(host, opts.port)) throw new Error(`something already answers at ${host}:${opts.port}; the drill needs its own dev server`);
  const log = fs.openSync(opts.logFile, 'a');
  const proc = spawn(
    ensureTemporalCli({ quiet: true }),
    ['server', 'start-dev', '--ip', host, '--port', String(opts.port), '--ui-port', String(opts.uiPort), '--headless',
      '--db-filename', opts.dbFile, '--log-level', 'warn', ...SERVER_LATENCY_ARGS],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const killOnExit = () => proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(host, opts.port))) {
    if (proc.exitCode !== null) throw new Error(`temporal server start-dev exited with code ${proc.exitCode} (see ${opts.logFile})`);
    if (Date.now() > deadline) throw new Error(`the dev server did not listen on ${host}:${opts.port} within 60 s (see ${opts.logFile})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address: `${host}:${opts.port}`,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
