import fs from 'node:fs';
import path from 'node:path';

/** The project folder (tests/helpers/..). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** The folders of the program itself (not tests/, not outputs or dependencies). */
export const SOURCE_DIRS = ['domain', 'workflows', 'activities', 'workers', 'scripts', 'dashboard'] as const;

/** Every .ts and .js file below `dirs`, as paths relative to the project folder with forward slashes, sorted. */
export function sourceFiles(dirs: readonly string[] = SOURCE_DIRS): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const full = path.join(ROOT, rel);
    if (!fs.existsSync(full)) return;
    for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(child);
      } else if (/\.(ts|js|mjs|cjs)$/.test(entry.name)) out.push(child);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

export function readSource(rel: string): string {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8');
}
