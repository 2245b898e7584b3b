#!/usr/bin/env node
/*
 * Runs one entry of the bot from its compiled JavaScript (docs/temporal.md, "Compiled start-up"):
 *
 *   node scripts/run.js scripts/cli.ts --help
 *   node scripts/run.js workers/main.ts
 *
 * Before it runs, sources changed since the last build are compiled again (scripts/build.js), so a stale
 * build never runs old code; source maps are on, so stack traces name the .ts files and lines.
 */
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { build, compiledPath } = require('./build');

function main(argv) {
  const [entry, ...args] = argv;
  if (entry === undefined || entry.startsWith('-')) {
    process.stderr.write('usage: node scripts/run.js <source.ts> [arguments...] (e.g. scripts/cli.ts --help)\n');
    process.exit(2);
  }
  const source = path.resolve(path.join(__dirname, '..'), entry);
  if (!fs.existsSync(source)) {
    process.stderr.write(`run: no source ${entry} in ${path.join(__dirname, '..')}\n`);
    process.exit(2);
  }
  const r = build();
  if (r.changed.length + r.removed.length > 0 && process.env.TRADEBOT_BUILD_QUIET !== '1') {
    process.stderr.write(`build: ${r.changed.length} changed source(s) compiled\n`);
  }
  process.setSourceMapsEnabled(true);
  // The compiled entry runs as the main module (its `require.main === module` holds) with the caller's arguments.
  process.argv = [process.argv[0], compiledPath(source), ...args];
  Module.runMain();
}

main(process.argv.slice(2));
