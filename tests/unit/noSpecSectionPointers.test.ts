import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

/*
 * Code style: comments and docs point inside the repository (a docs/*.md file and its heading, or a README
 * section), never at the spec's section numbers, which a reader of the repository cannot follow. This scan
 * keeps that true for every text file of the project's own source and docs.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Paths from the root (with `/`) not scanned: dependencies, generated or local data, test data. */
const SKIPPED = new Set(['node_modules', 'output', 'backups', '.git', '.temporal', 'dist', 'tests/fixtures', 'package-lock.json']);
const MAX_BYTES = 2_000_000;

/*
 * Each pattern is a way of pointing at a numbered part of the spec. Text is matched with line breaks and
 * comment markers folded into a space, so a pointer wrapped over two comment lines is found too.
 */
const POINTERS: readonly RegExp[] = [
  // the spec, then a word for a numbered part (section, sections, sec., item, chapter...), then its number
  /\bspec(?:'s|ification)?[,:]?\s+(?:sections?|sec\.?|items?|chapters?|parts?|paragraphs?)\s*\d/i,
  // the spec, then a number, with or without the section sign or a colon
  /\bspec(?:ification)?[,:]?\s*§?\s*\d/i,
  // the section sign before a number (the repository has no other use for it)
  /§\s*\d/,
  // a numbered section (or several) of the spec, number first
  /\bsections?\s+\d+(?:\s*(?:,|and|or|to|-)\s*\d+)*\s+(?:of|in)\s+the\s+spec(?:ification)?\b/i,
  // the spec file itself
  /\bSPEC\.md\b/i,
];

interface SpecPointer {
  readonly line: number;
  readonly text: string;
}

/** The spec-section pointers in one file's text, with the (1-based) line each starts on. */
function findSpecPointers(text: string): SpecPointer[] {
  const lines = text.split(/\r?\n/);
  const starts: number[] = [];
  let folded = '';
  for (let i = 0; i < lines.length; i++) {
    const line = i === 0 ? lines[i]! : ` ${lines[i]!.replace(/^\s*(?:\*|\/\/|#+|>)?\s*/, '')}`;
    starts.push(folded.length);
    folded += line;
  }
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const found = new Map<number, SpecPointer>();
  for (const re of POINTERS) {
    for (const m of folded.matchAll(new RegExp(re.source, `${re.flags}g`))) {
      const i = lineAt(m.index);
      if (!found.has(i)) found.set(i, { line: i + 1, text: lines[i]!.trim() });
    }
  }
  return [...found.values()].sort((a, b) => a.line - b.line);
}

function textFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (SKIPPED.has(r) || e.name === 'node_modules' || e.name === '.git') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...textFiles(p, r));
    else if (e.isFile() && fs.statSync(p).size <= MAX_BYTES) out.push(r);
  }
  return out;
}

void test('the detector finds spec-section pointers in their usual spellings, and only those', () => {
  // Built from parts, so this file itself holds no pointer.
  const spec = 'spec';
  const hits = [
    `// ${spec} section 4`,
    ` * Escalations (${spec} sections 8 and 9).`,
    `/** Alerts (${spec} 12). */`,
    `the gate (${spec} \u00a76)`,
    `see \u00a7 7.2`,
    `as section 6 of the ${spec} says`,
    `the rules (see ${spec.toUpperCase()}.md)`,
    `pre-deployment checklist (${spec} item 8)`,
  ];
  for (const h of hits) assert.equal(findSpecPointers(h).length, 1, h);
  const wrapped = findSpecPointers(`  // split over two lines (${spec} section\n  // 7: n=4 uses WEIGHTS)`);
  assert.deepEqual(wrapped.map((p) => p.line), [1]);
  const clean = [
    `Missing keys take the ${spec}'s defaults.`,
    `(docs/risk.md, "Daily loss limit")`,
    `const job = { ${spec}: cellSpec(base, cell), bars };`,
    `weights table: the ${spec} rows for n = 1..4`,
    `README.md, "Modes and where outputs go"`,
    `checklist item 9 (\`check\`; docs/dashboard.md, "Security")`,
  ];
  for (const c of clean) assert.deepEqual(findSpecPointers(c), [], c);
});

void test('no source or doc file points at a spec section number', () => {
  const files = textFiles(REPO_ROOT);
  assert.ok(files.length > 100, `scanned ${files.length} files under ${REPO_ROOT}`);
  const violations: string[] = [];
  for (const f of files) {
    const buf = fs.readFileSync(path.join(REPO_ROOT, f));
    if (buf.includes(0)) continue; // binary
    for (const p of findSpecPointers(buf.toString('utf8'))) violations.push(`${f}:${p.line}: ${p.text}`);
  }
  assert.deepEqual(
    violations,
    [],
    `point inside the repository (a docs/*.md file and its heading, or a README section) instead of at a spec section:\n${violations.join('\n')}`,
  );
});
