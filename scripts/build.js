#!/usr/bin/env node
/*
 * The build (docs/temporal.md, "Compiled start-up"): every TypeScript (and plain JS) source of the bot's
 * folders transpiled by esbuild, file by file, into node_modules/.cache/tradebot/build with source maps,
 * so the CLI and the worker start without compiling TypeScript at each run. Incremental: only sources whose
 * mtime or size changed since the last build are transpiled again; outputs of deleted sources are removed.
 * No type check here (as with tsx); `npm run typecheck` does that.
 *
 *   node scripts/build.js            build what changed (run by `npm install` and by scripts/run.js)
 *   node scripts/build.js --check    exit 1 when the build is stale, naming what changed
 *   node scripts/build.js --clean    remove the build, then build everything
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
/** Folders whose sources are built; tests/ stay on tsx (the test runner uses it). */
const SOURCE_DIRS = ['domain', 'workflows', 'activities', 'workers', 'scripts', 'dashboard'];
/** Browser files and assets: served from the source tree, never run by Node. */
const SKIPPED_DIRS = new Set(['static']);
const MANIFEST = '.manifest.json';
/** Bumped when the esbuild options below change, so an older build is rebuilt whole. */
const OPTIONS_VERSION = 1;

/** Where the build goes: git-ignored, inside node_modules (so `npm ci` starts clean and packages resolve). */
function defaultBuildDir(root = ROOT) {
  return process.env.TRADEBOT_BUILD_DIR ? path.resolve(process.env.TRADEBOT_BUILD_DIR) : path.join(root, 'node_modules', '.cache', 'tradebot', 'build');
}

/** Every buildable source under root, as root-relative paths with their [mtimeMs, size]. */
function listSources(root) {
  const sources = {};
  const walk = (rel) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch (err) {
      if (err.code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const child = path.join(rel, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) walk(child);
      } else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) {
        const st = fs.statSync(path.join(root, child));
        sources[child] = [st.mtimeMs, st.size];
      }
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return sources;
}

function readManifest(buildDir) {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(buildDir, MANIFEST), 'utf8'));
    return m && m.optionsVersion === OPTIONS_VERSION && m.sources ? m : null;
  } catch {
    return null;
  }
}

/** What a build would do: sources new or changed since the manifest, and outputs whose source is gone. */
function planBuild(root = ROOT, buildDir = defaultBuildDir(root)) {
  const sources = listSources(root);
  const built = (readManifest(buildDir) || { sources: {} }).sources;
  const changed = Object.keys(sources).filter((f) => !built[f] || built[f][0] !== sources[f][0] || built[f][1] !== sources[f][1]);
  const removed = Object.keys(built).filter((f) => !sources[f]);
  return { sources, changed, removed };
}

/** The compiled file of a source path (root-relative or absolute): scripts/cli.ts -> <build>/scripts/cli.js. */
function compiledPath(source, root = ROOT, buildDir = defaultBuildDir(root)) {
  const rel = path.relative(root, path.resolve(root, source));
  return path.join(buildDir, rel.replace(/\.ts$/, '.js'));
}

/** Writes through a temporary file and a rename, so a process starting meanwhile never reads half a file. */
function writeAtomic(file, contents) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}

function transpile(root, buildDir, files) {
  const esbuild = require('esbuild');
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: files,
    outdir: buildDir,
    outbase: root,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // `import('./x')` becomes require('./x'): CommonJS resolution, no file extension needed (as under tsx).
    supported: { 'dynamic-import': false },
    sourcemap: 'linked',
    // The maps point at the .ts files in the checkout; stack traces need no copy of the text.
    sourcesContent: false,
    logLevel: 'silent',
    write: false,
  });
  for (const out of result.outputFiles) writeAtomic(out.path, out.contents);
}

function removeOutputs(root, buildDir, files) {
  for (const f of files) {
    const js = compiledPath(f, root, buildDir);
    fs.rmSync(js, { force: true });
    fs.rmSync(`${js}.map`, { force: true });
  }
}

/**
 * Brings the build up to date with the sources; returns what it did. Safe to run from two processes at
 * once: each file and the manifest are replaced whole, and both write the same content.
 */
function build(options = {}) {
  const root = options.root || ROOT;
  const buildDir = options.buildDir || defaultBuildDir(root);
  if (options.clean) fs.rmSync(buildDir, { recursive: true, force: true });
  const plan = planBuild(root, buildDir);
  if (plan.changed.length === 0 && plan.removed.length === 0) return { buildDir, changed: [], removed: [] };
  if (plan.changed.length > 0) transpile(root, buildDir, plan.changed);
  removeOutputs(root, buildDir, plan.removed);
  writeAtomic(path.join(buildDir, MANIFEST), JSON.stringify({ optionsVersion: OPTIONS_VERSION, sources: plan.sources }));
  return { buildDir, changed: plan.changed, removed: plan.removed };
}

function main(argv) {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check' && a !== '--clean');
  if (unknown.length > 0) {
    process.stderr.write(`build: unknown argument ${unknown[0]} (usage: node scripts/build.js [--check] [--clean])\n`);
    return 2;
  }
  if (check) {
    const plan = planBuild();
    const stale = [...plan.changed, ...plan.removed];
    if (stale.length === 0) return 0;
    process.stderr.write(`build: stale, ${stale.length} source(s) changed since the last build (first: ${stale[0]}); run node scripts/build.js\n`);
    return 1;
  }
  const started = Date.now();
  const r = build({ clean: argv.includes('--clean') });
  process.stdout.write(`build: ${r.changed.length} file(s) compiled, ${r.removed.length} removed, in ${Date.now() - started} ms -> ${path.relative(ROOT, r.buildDir)}\n`);
  return 0;
}

module.exports = { build, planBuild, compiledPath, defaultBuildDir, SOURCE_DIRS };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
