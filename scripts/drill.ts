/*
 * `npm run drill -- [--emulator] --seed N --kills K --restarts R --fault-rate P`: the reliability drill. Runs a
 * compressed TEST_MODE day on replayed real bars (or, with --emulator, a paper day through the real Alpaca
 * adapter against the market emulator) while SIGKILLing the worker, restarting the Temporal dev server and
 * making the broker fail, then checks that nothing was lost and nothing doubled.
 * The last line of output is one JSON object with the figures; the exit code is 1 on any violation,
 * 2 on bad arguments. See README "Reliability drill".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatUsage, numberOption, scriptArgs, usageErrorText, UsageError, type CommandSpec, type OptionValues } from './commands/args';
import { DRILL_DATE, DRILL_UNIVERSE, FIXTURE_MINUTE_DIR, SHARED_MINUTE_DIR, SHARED_VIX_CSV, type DrillOptions } from './drill/plan';
import { runEmulatorDrill, type EmulatorDrillResult } from './drill/emulatorRun';
import { runDrill, type DrillResult } from './drill/run';

const DRILL_OPTIONS = {
  emulator: { type: 'boolean', description: 'a paper day through the real Alpaca adapter against the market emulator' },
  seed: { type: 'string', value: 'N', description: 'the seed of the kill, restart and fault schedule (default 1)' },
  kills: { type: 'string', value: 'K', description: 'worker SIGKILLs, 0 to 50 (default 2)' },
  restarts: { type: 'string', value: 'R', description: 'Temporal server restarts, 0 to 20 (default 1)' },
  'fault-rate': { type: 'string', value: 'P', description: 'probability of a broker fault per call, 0 to 0.5 (default 0.1)' },
  speed: { type: 'string', value: 'S', description: 'market minutes per real minute, 1 to 100000 (default 120)' },
  sessions: { type: 'string', value: 'open|mid|close|all', description: 'the sessions to run (default all)' },
  date: { type: 'string', value: 'YYYY-MM-DD', description: `the replayed day (default ${DRILL_DATE})` },
  symbols: { type: 'string', value: 'A,B', description: `the universe (default ${DRILL_UNIVERSE.join(',')})` },
  replay: { type: 'string', value: 'DIR', description: 'minute-bar folder (default ../shared/data/minute, else tests/fixtures/minute)' },
  out: { type: 'string', value: 'DIR', description: 'outputs, journals and the dev server file (default: a new folder under the temp dir)' },
} as const;

const DRILL_SPEC: CommandSpec<typeof DRILL_OPTIONS> = {
  name: '',
  summary: 'the reliability drill: a compressed day while the worker is killed, the server restarted and the broker fails',
  description: 'the last line is one JSON object with the figures; exit 1 on any violation, 2 on bad arguments (README "Reliability drill")',
  options: DRILL_OPTIONS,
};

const DRILL_PROGRAM = 'npm run drill --';

function drillOptionsFrom(values: OptionValues<typeof DRILL_OPTIONS>, defaultOutDir: (seed: number) => string): DrillOptions {
  const int = (k: 'seed' | 'kills' | 'restarts', dflt: number, max: number) =>
    numberOption(k, values[k], (n) => Number.isInteger(n) && n >= 0 && n <= max, `an integer from 0 to ${max}`) ?? dflt;
  const seed = int('seed', 1, 2 ** 31 - 1);
  const faultRate = numberOption('fault-rate', values['fault-rate'], (n) => n >= 0 && n <= 0.5, 'a number from 0 to 0.5') ?? 0.1;
  const speed = numberOption('speed', values.speed, (n) => n >= 1 && n <= 100000, 'a number from 1 to 100000') ?? 120;
  const sessions = values.sessions ?? 'all';
  if (sessions !== 'open' && sessions !== 'mid' && sessions !== 'close' && sessions !== 'all') throw new UsageError(`--sessions=${sessions} must be open, mid, close or all`);
  const date = values.date ?? DRILL_DATE;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError(`--date=${date} must be YYYY-MM-DD`);
  const replayDir = path.resolve(values.replay ?? (fs.existsSync(SHARED_MINUTE_DIR) ? SHARED_MINUTE_DIR : FIXTURE_MINUTE_DIR));
  if (!fs.existsSync(replayDir)) throw new UsageError(`--replay=${replayDir} does not exist`);
  const symbols = (values.symbols ?? DRILL_UNIVERSE.join(','))
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  if (symbols.length === 0) throw new UsageError('--symbols lists no symbol');
  return {
    seed,
    kills: int('kills', 2, 50),
    restarts: int('restarts', 1, 20),
    faultRate,
    speed,
    sessions,
    date,
    symbols,
    replayDir,
    vixCsv: fs.existsSync(SHARED_VIX_CSV) ? SHARED_VIX_CSV : null,
    outDir: path.resolve(values.out ?? defaultOutDir(seed)),
    emulator: values.emulator === true,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const args = scriptArgs(DRILL_SPEC, argv, DRILL_PROGRAM);
  if (typeof args === 'number') return args;
  let options: DrillOptions;
  try {
    // The values are checked here (ranges, combinations): a bad one is a usage error too.
    options = drillOptionsFrom(args.values, (seed) =>
      path.join(os.tmpdir(), `tradebot-drill-${seed}-${new Date().toISOString().replace(/[-:.]/g, '')}`),
    );
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageErrorText(err, formatUsage(DRILL_SPEC, DRILL_PROGRAM)));
      return 2;
    }
    throw err;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const { result, checks } = options.emulator ? await runEmulatorDrill(options, log) : await runDrill(options, log);
  process.stdout.write('checks:\n');
  for (const c of checks) process.stdout.write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
  const kinds = Object.entries(result.faults_by_kind).map(([k, n]) => `${k} ${n}`).join(', ');
  process.stdout.write(
    `figures: kills survived ${result.kills}, restarts survived ${result.restarts}, faults injected ${result.faults}` +
      `${kinds ? ` (${kinds})` : ''}, orders ${result.orders}, trades ${result.trades}, duplicates ${result.duplicate_orders}, ` +
      `lost records ${result.lost_records}, ${result.elapsed_s} s\n`,
  );
  if (isEmulatorResult(result)) {
    process.stdout.write(
      `paper day: bars published ${result.bars_published}, bars seen ${result.bars_seen ?? '-'}, bars missed ${result.bars_missed.length}, stale entries sent ${result.stale_entries_sent ?? '-'}, ` +
        `orders after the close ${result.orders_after_close.length}, positions ${result.positions_at_close.length} and working orders ` +
        `${result.working_orders_at_close.length} at the ${result.close_reached ? 'close' : "day's end"}, unexplained exits ${result.unexplained_exit_records.length}, ` +
        `repeated submissions ${result.repeated_submissions}, escalations ${result.escalations}, alerts ${result.alerts ?? '-'}\n`,
    );
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result.violations === 0 ? 0 : 1;
}

function isEmulatorResult(r: DrillResult | EmulatorDrillResult): r is EmulatorDrillResult {
  return 'emulator' in r;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // One line, no stack trace: a drill that cannot run is a failed drill.
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    process.stderr.write(`drill failed: ${err instanceof Error ? err.message : String(err)}${cause}\n`);
    process.exit(1);
  },
);
