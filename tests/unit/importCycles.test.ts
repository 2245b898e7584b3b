import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, sourceFiles } from '../helpers/sourceFiles';

/*
 * No import cycles in the program (docs/architecture.md): every relative import, type imports and dynamic
 * import() included, over the program's folders. A cycle means two modules are one concept split in two, or
 * a lower layer reaching up.
 */

// `import ... from './x'`, `export ... from './x'` and `import('./x')`, but not a type query `typeof import('./x')`.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'|(?<!typeof\s)import\('(\.[^']+)'\)/g;

function resolveImport(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  return null;
}

function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) => resolveImport(file, m[1] ?? m[2]!)).filter((t): t is string => t !== null && t !== file);
    graph.set(file, targets);
  }
  return graph;
}

function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

test('the program has no import cycles', () => {
  const files = sourceFiles().filter((f) => f.endsWith('.ts')).map((f) => path.join(ROOT, f));
  assert.ok(files.length > 100, `found ${files.length} source files`);
  const cycles = findCycles(importGraph(files)).map((c) => c.map((f) => path.relative(ROOT, f)).join(' -> '));
  assert.deepEqual(cycles, []);
});

test('the cycle finder finds a cycle through a type import and a dynamic import', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cycles-'));
  fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = B;\n");
  fs.writeFileSync(path.join(dir, 'b.ts'), "export type B = number;\nexport const load = () => import('./c');\n");
  fs.writeFileSync(path.join(dir, 'c.ts'), "export { type A } from './a';\nexport type Self = typeof import('./c');\n");
  const cycles = findCycles(importGraph(['a.ts', 'b.ts', 'c.ts'].map((f) => path.join(dir, f))));
  assert.deepEqual(cycles.map((c) => c.map((f) => path.basename(f))), [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  fs.rmSync(dir, { recursive: true, force: true });
});
