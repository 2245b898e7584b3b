import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

/*
 * The two plain JavaScript scripts (npm install's Temporal CLI provisioning and npm test's runner) parse
 * their arguments as strictly as the TypeScript commands: --help prints the usage and exits 0 before
 * doing anything, an unknown flag exits 2 naming it.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const run = (script: string, ...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

for (const script of ['installTemporalCli.js', 'runTests.js']) {
  test(`${script}: --help exits 0 with the usage; an unknown flag exits 2 naming it`, () => {
    const help = run(script, '--help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: /);
    const bad = run(script, '--frobnicate');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /usage error: Unknown option '--frobnicate'/);
    assert.match(bad.stderr, /usage: /);
  });
}
