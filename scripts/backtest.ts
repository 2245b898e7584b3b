/** Runs the backtest command: `tsx scripts/backtest.ts --strategy=open ... --signals-only`. */
import { runBacktestCommand } from './commands/backtest';

runBacktestCommand(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`backtest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
);
