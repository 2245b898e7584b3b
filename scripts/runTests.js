#!/usr/bin/env node
/*
 * `npm test`: runs every tests/**\/*.test.ts file with Node's test runner against a real
 * Temporal dev server that this script starts (on free loopback ports, a throwaway SQLite file) and stops.
 * Usage: npm test [-- [--junit <file>] [name filters...]]
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { ensureTemporalCli } = require('./installTemporalCli');

const root = path.resolve(__dirname, '..');
// The bot's search attributes as workflows/searchAttributes.ts defines them (plain JS cannot import it;
// tests/unit/searchAttributeSpecs.test.ts keeps the two lists equal).
// scripts/temporal/devServer.ts SERVER_LATENCY_ARGS (the same test keeps them equal): timers on time,
// activities handed straight back to the worker.
const SERVER_LATENCY_ARGS = ['--dynamic-config-value', 'history.timerProcessorMaxTimeShift="50ms"', '--dynamic-config-value', 'system.enableActivityEagerExecution=true'];
const BOT_SEARCH_ATTRIBUTE_SPECS = ['TradingDate=Keyword', 'TradingMode=Keyword', 'Broker=KeywordList', 'Strategy=KeywordList', 'DayState=Keyword', 'Halted=Bool'];

function listTests(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTests(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`Temporal dev server did not listen on ${port}`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}

/**
 * The browser tests drive Debian's Chromium (Playwright cannot download browsers here). Installed on
 * first use where apt-get is available and we are root; otherwise the browser tests say what is missing.
 */
function ensureChromium() {
  if (fs.existsSync('/usr/bin/chromium')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    console.error('warning: /usr/bin/chromium is missing; install Debian\'s chromium package for the browser tests');
    return;
  }
  console.error('installing Debian chromium for the browser tests (first run only)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env }) : update;
  if (install.status !== 0) console.error('warning: could not install chromium; the browser tests will fail');
}

/**
 * The ledger journal tests run the real accounting tools on the exported books (docs/ledger.md,
 * "Plain-text journals"): bean-check and bean-query from Debian's beancount, and hledger. Installed on
 * first use like Chromium; otherwise those tests fail saying which package is missing.
 */
const ACCOUNTING_TOOLS = [
  { binary: 'bean-check', pkg: 'beancount' },
  { binary: 'hledger', pkg: 'hledger' },
];

function onPath(binary) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && fs.existsSync(path.join(dir, binary)));
}

function ensureAccountingTools() {
  const missing = ACCOUNTING_TOOLS.filter((t) => !onPath(t.binary)).map((t) => t.pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    console.error(`warning: ${missing.join(' and ')} missing; install Debian's ${missing.join(' ')} package(s) for the ledger journal tests`);
    return;
  }
  console.error(`installing Debian ${missing.join(' and ')} for the ledger journal tests (first run only)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', ...missing], { stdio: 'inherit', env }) : update;
  if (install.status !== 0) console.error(`warning: could not install ${missing.join(' and ')}; the ledger journal tests will fail`);
}

const USAGE = 'usage: npm test [-- [--junit <file>] [name filters...]]';

/** The same strict rules as the project's other commands (scripts/commands/args.ts): unknown flags exit 2. */
function parseTestArgs(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { junit: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`usage error: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.log(`${USAGE}\n  --junit <file>  also write JUnit XML (or set TEST_JUNIT_FILE)\n  filters         run the test files whose path contains one of them`);
    return null;
  }
  return { junit: parsed.values.junit ?? null, filters: parsed.positionals };
}

async function main() {
  const parsed = parseTestArgs(process.argv.slice(2));
  if (parsed === null) return;
  const junit = parsed.junit ?? (process.env.TEST_JUNIT_FILE || null);
  const filters = parsed.filters;
  let files = listTests(path.join(root, 'tests'));
  if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
  if (files.length === 0) {
    console.error('no test files matched');
    process.exit(1);
  }

  ensureChromium();
  ensureAccountingTools();
  const cli = ensureTemporalCli({ quiet: true });
  const port = await freePort();
  const uiPort = await freePort();
  const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-test-temporal-'));
  const server = spawn(
    cli,
    // A second namespace for tests that start days under the production ids (tradebot-day-<mode>-<date>)
    // through the CLI, so they cannot collide with another test's day of the same date.
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--headless',
      '--db-filename', path.join(dbDir, 'temporal.sqlite'), '--log-level', 'error', '--namespace', 'tradebot-isolated',
      ...BOT_SEARCH_ATTRIBUTE_SPECS.flatMap((spec) => ['--search-attribute', spec]), ...SERVER_LATENCY_ARGS],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const stopServer = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  process.on('exit', stopServer);
  await waitForPort(port, 60_000);

  const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout'];
  if (junit) {
    fs.mkdirSync(path.dirname(path.resolve(junit)), { recursive: true });
    reporters.push('--test-reporter=junit', `--test-reporter-destination=${path.resolve(junit)}`);
  }
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', ...reporters, ...files],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, TEMPORAL_TEST_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_CLI_PATH_RESOLVED: cli },
    },
  );
  child.on('exit', (code, signal) => {
    const finish = () => {
      try {
        fs.rmSync(dbDir, { recursive: true, force: true });
      } catch {
        // Leftovers in the OS temp folder are harmless.
      }
      process.exit(code ?? (signal ? 1 : 0));
    };
    // Remove the database only after the server has exited, or it logs write errors while shutting down.
    if (server.exitCode !== null) return finish();
    server.once('exit', finish);
    stopServer();
    setTimeout(() => server.kill('SIGKILL'), 10_000).unref();
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
