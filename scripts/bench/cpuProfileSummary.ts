/**
 * Where the time of a `node --cpu-prof` profile goes: self time per function (name, file:line), the top
 * entries, and per project folder. `npx tsx scripts/bench/cpuProfileSummary.ts FILE.cpuprofile [N]`;
 * docs/backtest.md quotes its output.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

type Profile = z.infer<typeof profileSchema>;

export interface ProfileLine {
  readonly label: string;
  readonly ms: number;
  readonly share: number;
}

const ROOT = path.resolve(__dirname, '..', '..');

function frameLabel(frame: Profile['nodes'][number]['callFrame']): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const file = frame.url.startsWith('file://') ? path.relative(ROOT, new URL(frame.url).pathname) : frame.url;
  return `${name} ${file}:${frame.lineNumber + 1}`;
}

/** The project folder of a label (activities, domain, scripts, ...), node internals, or the runtime. */
function areaOf(label: string): string {
  const file = label.split(' ')[1] ?? '';
  if (file === '') return label.startsWith('(') ? label : '(native)';
  if (file.startsWith('node:')) return 'node internals';
  if (file.includes('node_modules')) return 'node_modules';
  return file.split('/')[0] ?? file;
}

/** Self milliseconds per function and per area, largest first. */
export function summarizeProfile(raw: unknown): { total: number; functions: ProfileLine[]; areas: ProfileLine[] } {
  const profile = profileSchema.parse(raw);
  const labelOf = new Map(profile.nodes.map((n) => [n.id, frameLabel(n.callFrame)]));
  const byLabel = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    total += ms;
    const label = labelOf.get(id) ?? '(unknown)';
    byLabel.set(label, (byLabel.get(label) ?? 0) + ms);
  });
  const byArea = new Map<string, number>();
  for (const [label, ms] of byLabel) byArea.set(areaOf(label), (byArea.get(areaOf(label)) ?? 0) + ms);
  const lines = (m: Map<string, number>) =>
    [...m].map(([label, ms]) => ({ label, ms, share: total > 0 ? ms / total : 0 })).sort((a, b) => b.ms - a.ms);
  return { total, functions: lines(byLabel), areas: lines(byArea) };
}

function printSummary(file: string, top: number): void {
  const { total, functions, areas } = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')));
  const row = (l: ProfileLine) => `${l.ms.toFixed(1).padStart(9)} ms ${(l.share * 100).toFixed(1).padStart(5)}%  ${l.label}`;
  console.log(`${path.basename(file)}: ${total.toFixed(1)} ms sampled`);
  console.log('by area (self time):');
  for (const a of areas.slice(0, 10)) console.log(row(a));
  console.log(`top ${top} functions (self time):`);
  for (const f of functions.slice(0, top)) console.log(row(f));
}

if (require.main === module) {
  const [file, topText] = process.argv.slice(2);
  const top = topText === undefined ? 20 : Number(topText);
  if (file === undefined || !Number.isInteger(top) || top < 1) {
    console.error('usage: npx tsx scripts/bench/cpuProfileSummary.ts FILE.cpuprofile [TOP, a whole number >= 1]');
    process.exit(2);
  }
  printSummary(file, top);
}
