/**
 * Cuts the replay-day fixture (tests/fixtures/days) from the shared development set, so the day-workflow
 * tests run on a bare clone with the same real bars they would read from ../shared/data.
 *
 *   npx tsx scripts/cutFixtures.ts            write the fixture from ../shared/data
 *   npx tsx scripts/cutFixtures.ts --check    exit 1 if the committed fixture differs from a fresh cut
 *   --shared DIR                              the shared folder (default ../shared beside the repository)
 *
 * Rows are copied as written (no parsing, no rounding); each file is gzipped (the loader reads .csv.gz)
 * with a zero header time, so a cut is byte for byte the same on every run. tests/fixtures/days/README.md
 * says what is in it and why.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { scriptArgs } from './commands/args';

const REPO_ROOT = path.resolve(__dirname, '..');
/** Laid out as ../shared/data: minute/ holds the bar files, vix_daily.csv the VIX cut. */
const OUT_DIR = path.join(REPO_ROOT, 'tests', 'fixtures', 'days');
const HEADER = 'timestamp,open,high,low,close,volume';

/**
 * One date's rows of a symbol: the whole date, or (`fromUtc`) only the rows from that time on. A day
 * before a tested date needs only its last regular-session bar, the previous close the screener reads;
 * the last half hour keeps that bar and the 16:00 ET bar of source B as they are.
 */
interface DayCut {
  readonly date: string;
  readonly fromUtc?: string;
}

interface FileCut {
  readonly symbols: readonly string[];
  readonly days: readonly DayCut[];
}

/** Source B (Polygon via yeogirlyun/online_trader): the OPEN and CLOSE days 2025-04-09 and the two-broker day 2025-04-08. */
const SOURCE_B_SYMBOLS = ['ERX', 'ERY', 'FAS', 'FAZ', 'SDS', 'SPY', 'SQQQ', 'SSO', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
/** Source C (yfinance via zhangjing02/StockDataSave): the MID day 2026-03-13 of tests/workflows/midCloseDay.test.ts. */
const SOURCE_C_SYMBOLS = ['AAPL', 'ARM', 'ASML', 'BILI', 'INTC', 'KWEB', 'MU', 'NVDA', 'PDD', 'QQQ', 'RIVN', 'RKLB', 'SOXS', 'SPY', 'UVXY'];

export const DAY_FIXTURE_CUTS: readonly FileCut[] = [
  { symbols: SOURCE_B_SYMBOLS, days: [{ date: '2025-04-07', fromUtc: '19:30' }, { date: '2025-04-08' }, { date: '2025-04-09' }] },
  { symbols: SOURCE_C_SYMBOLS, days: [{ date: '2026-03-12', fromUtc: '19:30' }, { date: '2026-03-13' }] },
];

/** VIX rows kept: the days before every tested date (the CLOSE gate reads the previous close). */
const VIX_RANGES: readonly [string, string][] = [
  ['2025-03-31', '2025-04-10'],
  ['2026-03-09', '2026-03-13'],
];

const compact = (date: string) => date.replaceAll('-', '');

/** Every row of `symbol` on the cut's dates, from every shared file of that symbol, in time order. */
function cutRows(minuteDir: string, symbol: string, days: readonly DayCut[]): string[] {
  const files = fs.readdirSync(minuteDir).filter((f) => f.startsWith(`${symbol}_`) && f.endsWith('.csv'));
  const rows = new Map<string, string>();
  for (const f of files) {
    const lines = fs.readFileSync(path.join(minuteDir, f), 'utf8').split('\n');
    if (lines[0]?.trim() !== HEADER) throw new Error(`${f}: unexpected header ${lines[0]}`);
    for (const line of lines.slice(1)) {
      const ts = line.slice(0, 20);
      const day = days.find((d) => ts.startsWith(d.date));
      if (!day) continue;
      if (day.fromUtc !== undefined && ts.slice(11, 16) < day.fromUtc) continue;
      const known = rows.get(ts);
      if (known !== undefined && known !== line) throw new Error(`${symbol} ${ts}: two shared files disagree`);
      rows.set(ts, line);
    }
  }
  return [...rows.keys()].sort().map((ts) => rows.get(ts)!);
}

/** Path under tests/fixtures/days -> content of the whole fixture. */
export function cutDayFixture(sharedDir: string): Map<string, Buffer> {
  const minuteDir = path.join(sharedDir, 'data', 'minute');
  if (!fs.existsSync(minuteDir)) throw new Error(`no shared minute bars at ${minuteDir}`);
  const out = new Map<string, Buffer>();
  for (const cut of DAY_FIXTURE_CUTS) {
    for (const symbol of cut.symbols) {
      const rows = cutRows(minuteDir, symbol, cut.days);
      if (rows.length === 0) throw new Error(`${symbol}: no shared rows on ${cut.days.map((d) => d.date).join(', ')}`);
      const name = `${symbol}_${compact(rows[0]!.slice(0, 10))}_${compact(rows.at(-1)!.slice(0, 10))}.csv.gz`;
      out.set(path.join('minute', name), zlib.gzipSync(`${HEADER}\n${rows.join('\n')}\n`, { level: 9 }));
    }
  }
  const vixLines = fs.readFileSync(path.join(sharedDir, 'data', 'vix_daily.csv'), 'utf8').split('\n');
  if (vixLines[0]?.trim() !== 'date,close') throw new Error(`vix_daily.csv: unexpected header ${vixLines[0]}`);
  const vix = vixLines.slice(1).filter((l) => VIX_RANGES.some(([from, to]) => l.slice(0, 10) >= from && l.slice(0, 10) <= to));
  out.set('vix_daily.csv', Buffer.from(`date,close\n${vix.join('\n')}\n`));
  return out;
}

const CUT_SPEC = {
  name: '',
  summary: 'cut tests/fixtures/days from ../shared/data (tests/fixtures/days/README.md)',
  options: {
    check: { type: 'boolean', description: 'compare the committed files with a fresh cut instead of writing them' },
    shared: { type: 'string', value: 'DIR', description: 'the shared folder (default: ../shared beside the clone)' },
  },
} as const;

function main(): number {
  const args = scriptArgs(CUT_SPEC, process.argv.slice(2), 'npx tsx scripts/cutFixtures.ts');
  if (typeof args === 'number') return args;
  const { values } = args;
  const shared = path.resolve(values.shared ?? path.join(REPO_ROOT, '..', 'shared'));
  const files = cutDayFixture(shared);
  if (values.check) {
    const present = fs.existsSync(OUT_DIR) ? (fs.readdirSync(OUT_DIR, { recursive: true }) as string[]).filter((f) => f !== 'README.md' && f !== 'minute') : [];
    const wrong = [...files].filter(([name, buf]) => !fs.existsSync(path.join(OUT_DIR, name)) || !fs.readFileSync(path.join(OUT_DIR, name)).equals(buf)).map(([n]) => n);
    const extra = present.filter((f) => !files.has(f));
    if (wrong.length + extra.length > 0) {
      console.error(`tests/fixtures/days differs from a fresh cut: ${[...wrong, ...extra.map((f) => `${f} (not in the cut)`)].join(', ')}`);
      return 1;
    }
    console.log(`tests/fixtures/days: ${files.size} files equal a fresh cut of ${shared}`);
    return 0;
  }
  fs.mkdirSync(path.join(OUT_DIR, 'minute'), { recursive: true });
  for (const [name, buf] of files) fs.writeFileSync(path.join(OUT_DIR, name), buf);
  const bytes = [...files.values()].reduce((a, b) => a + b.length, 0);
  console.log(`wrote ${files.size} files (${bytes} bytes) to ${path.relative(REPO_ROOT, OUT_DIR)}`);
  return 0;
}

if (require.main === module) process.exitCode = main();
