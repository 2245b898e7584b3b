import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDevServer } from '../temporal/devServer';
import { freePort } from '../drill/processes';

/**
 * A Temporal dev server of the bench's own, as scripts/runTests.js starts one: free loopback ports, a
 * throwaway SQLite file, stopped (and its folder removed) at the end. Never the user's server, so a bench
 * run cannot disturb a running bot or pick up its tasks.
 */

export interface BenchTemporal {
  readonly address: string;
  stop(): Promise<void>;
}


export async function startBenchTemporal(log: (line: string) => void): Promise<BenchTemporal> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-bench-temporal-'));
  const address = `127.0.0.1:${await freePort()}`;
  const server = await ensureDevServer({ address, dbFile: path.join(dir, 'temporal.sqlite'), uiPort: await freePort(), log });
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  if (!server.started) {
    // Something took the free port in between: that is not a server of ours to use.
    removeDir();
    throw new Error(`a process other than the bench answered on ${address}; run the bench again`);
  }
  return {
    address,
    async stop() {
      // The database goes only after the server has exited, or it logs write errors while shutting down.
      await server.stop();
      removeDir();
    },
  };
}
