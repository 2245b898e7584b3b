import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

// The compiled start-up (docs/temporal.md, "Compiled start-up"): scripts/build.js and scripts/run.js on a
// throwaway project, so the checkout's own build is not touched.
const REPO = path.resolve(__dirname, '..', '..');

function tempProject(): { root: string; buildDir: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-build-'));
  fs.mkdirSync(path.join(root, 'scripts'));
  for (const f of ['build.js', 'run.js']) fs.copyFileSync(path.join(REPO, 'scripts', f), path.join(root, 'scripts', f));
  fs.writeFileSync(path.join(root, 'package.json'), '{"type":"commonjs"}');
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  fs.writeFileSync(path.join(root, 'scripts', 'hello.ts'), "const who: string = 'one';\nconsole.log(`hello ${who}`);\n");
  fs.writeFileSync(path.join(root, 'scripts', 'fails.ts'), "\n\nfunction fail(): never {\n  throw new Error('boom');\n}\nfail();\n");
  return { root, buildDir: path.join(root, 'build-out') };
}

function run(p: { root: string; buildDir: string }, ...args: string[]) {
  return spawnSync(process.execPath, [path.join(p.root, 'scripts', 'run.js'), ...args], { cwd: p.root, encoding: 'utf8', env: { ...process.env, TRADEBOT_BUILD_DIR: p.buildDir } });
}

test('the build writes JavaScript with a source map naming the TypeScript file', () => {
  const p = tempProject();
  assert.equal(run(p, 'scripts/hello.ts').stdout, 'hello one\n');
  const map = JSON.parse(fs.readFileSync(path.join(p.buildDir, 'scripts', 'hello.js.map'), 'utf8')) as { sources: string[] };
  assert.equal(path.resolve(path.join(p.buildDir, 'scripts'), map.sources[0] ?? ''), path.join(p.root, 'scripts', 'hello.ts'));
});

test('an error thrown in compiled code shows the .ts path and line in its stack', () => {
  const p = tempProject();
  const r = run(p, 'scripts/fails.ts');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`${path.join(p.root, 'scripts', 'fails.ts').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4`));
});

test('a source changed after the build is compiled again before it runs (no stale code)', () => {
  const p = tempProject();
  assert.equal(run(p, 'scripts/hello.ts').stdout, 'hello one\n');
  const file = path.join(p.root, 'scripts', 'hello.ts');
  fs.writeFileSync(file, "console.log('hello two, longer');\n");
  const r = run(p, 'scripts/hello.ts');
  assert.equal(r.stdout, 'hello two, longer\n');
  assert.match(r.stderr, /1 changed source\(s\) compiled/);
  const check = spawnSync(process.execPath, [path.join(p.root, 'scripts', 'build.js'), '--check'], { encoding: 'utf8', env: { ...process.env, TRADEBOT_BUILD_DIR: p.buildDir } });
  assert.equal(check.status, 0, check.stderr);
});

test('build --check names a stale source and exits 1; a deleted source loses its output', () => {
  const p = tempProject();
  run(p, 'scripts/hello.ts');
  fs.rmSync(path.join(p.root, 'scripts', 'fails.ts'));
  const env = { ...process.env, TRADEBOT_BUILD_DIR: p.buildDir };
  const check = spawnSync(process.execPath, [path.join(p.root, 'scripts', 'build.js'), '--check'], { encoding: 'utf8', env });
  assert.equal(check.status, 1);
  assert.match(check.stderr, /scripts\/fails\.ts/);
  run(p, 'scripts/hello.ts');
  assert.equal(fs.existsSync(path.join(p.buildDir, 'scripts', 'fails.js')), false);
});

test('npm run cli -- --help runs the compiled CLI', () => {
  const r = spawnSync('npm', ['run', '-s', 'cli', '--', '--help'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: tradebot <command>/);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.cli, 'node scripts/run.js scripts/cli.ts');
});
