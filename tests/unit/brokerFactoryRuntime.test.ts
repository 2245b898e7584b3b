import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWorkerRuntime, readSymbolList } from '../../workers/workerRuntime';
import { defaultBotConfig, type BotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig, type EnvConfig } from '../../domain/config/envSchema';
import { ConfigError } from '../../domain/errors/errorClasses';
import type { LoadedConfig } from '../../activities/config/loadConfig';
import { FakeAlpacaServer } from '../helpers/fakeAlpacaServer';

// The worker's live path refuses to start before anything could trade: no dry run, no symbol list,
// rejected credentials. (The path that does start needs a Temporal connection; the dry-run and
// broker tests cover its parts.)

let live: FakeAlpacaServer;
let paper: FakeAlpacaServer;
const LIVE = { keyId: 'AKRUNTIME', secret: 'live-secret' };
const PAPER = { keyId: 'PKRUNTIME', secret: 'paper-secret' };

before(async () => {
  live = await FakeAlpacaServer.start(LIVE);
  paper = await FakeAlpacaServer.start(PAPER);
});
after(async () => {
  await live.close();
  await paper.close();
});

function config(bot: Partial<BotConfig>, env: Partial<EnvConfig> = {}): LoadedConfig {
  return {
    bot: { ...defaultBotConfig(), ...bot },
    env: {
      ...defaultEnvConfig(),
      ALPACA_LIVE_API_KEY: LIVE.keyId,
      ALPACA_LIVE_SECRET_KEY: LIVE.secret,
      ALPACA_PAPER_API_KEY: PAPER.keyId,
      ALPACA_PAPER_SECRET_KEY: PAPER.secret,
      ALPACA_LIVE_URL: live.url,
      ALPACA_PAPER_URL: paper.url,
      ...env,
    },
  } as unknown as LoadedConfig;
}

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-'));
const noTemporal = { connection: {} as never, client: {} as never };

void test('live without a passing dry run: refused with the command to run, and the live broker is never called', async () => {
  const cwd = dir();
  fs.writeFileSync(path.join(cwd, 'symbols.txt'), 'AAPL\n');
  await assert.rejects(
    createWorkerRuntime({ config: config({ TEST_MODE: false, ALPACA_MODE: 'live', SYMBOL_LIST_PATH: 'symbols.txt' }), cwd, ...noTemporal }),
    (err: unknown) => err instanceof ConfigError && /needs a passing dry run/.test(err.message) && /npm run cli -- dry-run/.test(err.message),
  );
  assert.equal(live.requests.length, 0);
});

void test('paper without a symbol list, or with rejected credentials: hard stops before the worker exists', async () => {
  const cwd = dir();
  await assert.rejects(createWorkerRuntime({ config: config({ TEST_MODE: false, ALPACA_MODE: 'paper' }), cwd, ...noTemporal }), /SYMBOL_LIST_PATH must name a symbol list/);
  fs.writeFileSync(path.join(cwd, 'symbols.txt'), 'AAPL MSFT\n');
  await assert.rejects(
    createWorkerRuntime({ config: config({ TEST_MODE: false, ALPACA_MODE: 'paper', SYMBOL_LIST_PATH: 'symbols.txt' }, { ALPACA_PAPER_SECRET_KEY: 'revoked' }), cwd, ...noTemporal }),
    (err: unknown) => err instanceof ConfigError && /credentials were rejected/.test(err.message) && !/revoked/.test(err.message),
  );
  assert.equal(live.requests.length, 0);
});

void test('symbol list: commas, spaces, lines and comments; duplicates removed', () => {
  const cwd = dir();
  fs.writeFileSync(path.join(cwd, 'u.txt'), '# universe\nAAPL, msft\nTSLA  AAPL # again\n\n');
  assert.deepEqual(readSymbolList(cwd, 'u.txt'), ['AAPL', 'MSFT', 'TSLA']);
  fs.writeFileSync(path.join(cwd, 'empty.txt'), '# nothing\n');
  assert.throws(() => readSymbolList(cwd, 'empty.txt'), /lists no symbols/);
  assert.throws(() => readSymbolList(cwd, 'missing.txt'), /cannot read/);
});
