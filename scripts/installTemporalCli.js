#!/usr/bin/env node
/*
 * Provides the pinned Temporal CLI (dev server + Web UI), which is on neither npm nor Debian.
 * Order: TEMPORAL_CLI_PATH, a `temporal` on PATH, the per-user cache, a Go build, the official archive.
 * Plain JavaScript so that it runs from `npm install` before anything is compiled.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const PINNED_VERSION = '1.5.1';
const MIN_VERSION = [1, 1, 0];
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@v${PINNED_VERSION}`;

function cacheRoot() {
  if (process.env.TRADEBOT_CACHE_DIR) return process.env.TRADEBOT_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'tradebot');
}

function cachedBinaryPath(version = PINNED_VERSION) {
  const exe = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
  return path.join(cacheRoot(), 'temporal-cli', version, exe);
}

const MIN_SERVER_VERSION = [1, 25, 0];

/**
 * Returns { cli, server } versions the binary reports, or null when it does not run.
 * A `go install` build reports CLI version 0.0.0-DEV; its embedded server version still tells its age.
 */
function binaryVersion(binary) {
  const res = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (res.status !== 0 || !res.stdout) return null;
  const parse = (re) => {
    const m = re.exec(res.stdout);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
  };
  return { cli: parse(/version (\d+)\.(\d+)\.(\d+)/), server: parse(/Server (\d+)\.(\d+)\.(\d+)/), text: res.stdout.trim() };
}

function atLeast(v, min) {
  if (!v) return false;
  for (let i = 0; i < 3; i++) {
    if (v[i] !== min[i]) return v[i] > min[i];
  }
  return true;
}

function acceptable(v) {
  if (!v) return false;
  const devBuild = v.cli && v.cli.every((x) => x === 0);
  return devBuild ? atLeast(v.server, MIN_SERVER_VERSION) : atLeast(v.cli, MIN_VERSION);
}

function onPath(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter);
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

function log(msg) {
  process.stderr.write(`[temporal-cli] ${msg}\n`);
}

function buildWithGo(target) {
  const go = onPath('go') || (fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
  if (!go) return false;
  log(`building ${GO_PACKAGE} with ${go} into ${path.dirname(target)}: Go downloads the modules, then compiles`);
  log('each package as it goes (listed below): a few minutes with an empty Go cache, seconds with a warm one');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const started = Date.now();
  // -v lists each package as it is compiled, so a long first build shows what it is doing.
  const res = spawnSync(go, ['install', '-v', GO_PACKAGE], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: path.dirname(target), CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
  });
  const ok = res.status === 0 && fs.existsSync(target);
  log(`${ok ? 'built' : 'build failed'} after ${Math.round((Date.now() - started) / 1000)} s`);
  return ok;
}

function downloadRelease(target) {
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform];
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  if (!platform || !arch) return false;
  const ext = platform === 'windows' ? 'zip' : 'tar.gz';
  const url = `https://github.com/temporalio/cli/releases/download/v${PINNED_VERSION}/temporal_cli_${PINNED_VERSION}_${platform}_${arch}.${ext}`;
  log(`no Go toolchain: downloading ${url}`);
  const dir = path.dirname(target);
  fs.mkdirSync(dir, { recursive: true });
  const archive = path.join(dir, `temporal.${ext}`);
  try {
    execFileSync('curl', ['-fsSL', '-o', archive, url], { stdio: 'inherit' });
    if (ext === 'zip') execFileSync('unzip', ['-o', archive, '-d', dir], { stdio: 'inherit' });
    else execFileSync('tar', ['-xzf', archive, '-C', dir], { stdio: 'inherit' });
    fs.rmSync(archive, { force: true });
    return fs.existsSync(target);
  } catch (err) {
    log(`download failed: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

/** Finds or installs the Temporal CLI and returns its absolute path. Throws with a clear message when impossible. */
function ensureTemporalCli(options = {}) {
  const quiet = Boolean(options.quiet);
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    const v = binaryVersion(fromEnv);
    if (acceptable(v)) return fromEnv;
    throw new Error(
      `TEMPORAL_CLI_PATH=${fromEnv} does not run or reports "${v ? v.text : 'nothing'}"; ` +
        `need ${MIN_VERSION.join('.')} or later (pinned: ${PINNED_VERSION})`,
    );
  }
  const cached = cachedBinaryPath();
  if (fs.existsSync(cached) && acceptable(binaryVersion(cached))) {
    if (!quiet) log(`using cached ${cached}`);
    return cached;
  }
  const system = onPath(process.platform === 'win32' ? 'temporal.exe' : 'temporal');
  if (system && acceptable(binaryVersion(system))) {
    if (!quiet) log(`using ${system} from PATH`);
    return system;
  }
  if (buildWithGo(cached) || downloadRelease(cached)) {
    const v = binaryVersion(cached);
    if (!acceptable(v)) throw new Error(`installed ${cached} but it does not run (version check failed)`);
    log(`installed ${v.text} at ${cached}`);
    return cached;
  }
  throw new Error(
    'could not install the Temporal CLI: no TEMPORAL_CLI_PATH, no acceptable `temporal` on PATH, ' +
      `the Go build of ${GO_PACKAGE} failed or Go is missing, and the release download failed`,
  );
}

module.exports = { ensureTemporalCli, cachedBinaryPath, PINNED_VERSION };

const USAGE = 'usage: node scripts/installTemporalCli.js [--quiet-if-cached]';

if (require.main === module) {
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: { 'quiet-if-cached': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    log(`usage error: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n  finds or installs the pinned Temporal CLI ${PINNED_VERSION} and prints its path (README.md, "Temporal CLI provisioning")\n`);
    process.exit(0);
  }
  try {
    const p = ensureTemporalCli({ quiet: values['quiet-if-cached'] === true });
    process.stdout.write(`${p}\n`);
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
