import fs from 'node:fs';
import path from 'node:path';

/**
 * The checkout's folder: the nearest folder above this file holding package.json. The same from the
 * TypeScript sources and from the compiled build under node_modules/.cache/tradebot/build
 * (docs/temporal.md, "Compiled start-up"), where `__dirname/..` is not the checkout.
 */
function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);

/** A file of the checkout (VERSION.md, workflow sources, dashboard assets), from either tree. */
export function projectPath(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}
