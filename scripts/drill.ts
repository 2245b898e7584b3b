/*
 * `npm run drill -- [--emulator] --seed N --kills K --restarts R --fault-rate P`: the reliability drill. Runs a
 * compressed TEST_MODE day on replayed real bars (or, with --emulator, a paper day through the real Alpaca
 * adapter against the market emulator) while SIGKILLing the worker, restarting the Temporal dev server and
 * making the broker fail, then checks that nothing was lost and nothing doubled.
 * The last line of output is one JSON object with the figures; the exit code is 1 on any violation,
 * 2 on bad arguments. See README "Reliability drill".
 */
import os from 'node:os';
import path from 'node:path';
import { DrillUsageError, parseDrillArgs } from './drill/plan';
import { runEmulatorDrill, type EmulatorDrillResult } from './drill/emulatorRun';
import { runDrill, type DrillResult } from './drill/run';

async function main(): Promise<number> {
  let options;
  try {
    options = parseDrillArgs(process.argv.slice(2), (seed) =>
      path.join(os.tmpdir(), `tradebot-drill-${seed}-${new Date().toISOString().replace(/[-:.]/g, '')}`),
    );
  } catch (err) {
    if (err instanceof DrillUsageError) {
      process.stderr.write(`${err.message}\n`);
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

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // One line, no stack trace: a drill that cannot run is a failed drill.
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    process.stderr.write(`drill failed: ${err instanceof Error ? err.message : String(err)}${cause}\n`);
    process.exit(1);
  },
);
