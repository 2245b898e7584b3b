// The operator CLI: `npm run cli -- <command> ...` (or `npx tsx scripts/cli.ts <command> ...`).
import { runBackupCommand } from './commands/backup';
import { runBacktestCommand } from './commands/backtest';
import { runCheckCommand } from './commands/check';
import { runConfigCommand } from './commands/config';
import { runControlCommand } from './commands/control';
import { runDashboardCommand } from './commands/dashboard';
import { runDayCommand } from './commands/day';
import { runDryRunCommand } from './commands/dryRun';
import { runLedgerCommand } from './commands/ledger';
import { runScheduleCommand } from './commands/schedule';
import { UsageError, reportFailure } from './commands/shared';

export const CLI_USAGE = `usage: tradebot <command> [options]

trading day
  day --date YYYY-MM-DD [--replay DIR] [--speed N] [--symbols A,B] [--brokers sim-alpaca,sim-ibkr] [--no-worker] [--detach]
                          run one TEST_MODE day now (replayed minute bars, simulated broker)
  day --date YYYY-MM-DD --emulator [--replay DIR] [--speed N] [--symbols A,B] [--seed S] [--json]
                          paper rehearsal: TEST_MODE=false through the real Alpaca adapter against the local emulator
  status [--date D] [--json]      the day's status query
  stop [--date D] [--reason R]    exit positions and end the day cleanly
  kill [--date D] [--reason R]    halt new entries at once and exit positions
  defense on|off [--date D]       switch defense mode
  confirm SYMBOL [--reject] [--date D]
                          answer a pending trade (TRADE_CONFIRMATION_REQUIRED=true)
schedule
  schedule create|update|pause|unpause|trigger|list|delete
operations
  worker                  run the worker (as npm run worker)
  dashboard [--controls|--read-only] [--port N] | dashboard hash-password
                          the monitoring web app on LOCAL_IP:LOCAL_PORT; the login hash for .env
  emulator --replay DIR --date YYYY-MM-DD --speed N [--port P] [--seed S] [--facts FILE] [--journal FILE] [--fault-rate R]  (local market emulator)
  check                   startup self-checks and the pre-deployment checklist
  dry-run [--alpaca-paper-check]
                          the live gate: a compressed TEST_MODE session, recorded with version and settings hash
  config validate|show|encrypt|decrypt|genkey
  ledger export [--mode paper|live] [--api] | ledger check
                          Manager.io files (and API with --api); balance check
  backup now | backup list | backup restore <archive> --to <dir>
  backtest --strategy=open|mid|close|all --start=D --end=D --data_source=PATH [--signals-only] ...
`;

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'day':
      return runDayCommand(rest);
    case 'status':
    case 'stop':
    case 'kill':
    case 'defense':
    case 'confirm':
      return runControlCommand(command, rest);
    case 'schedule':
      return runScheduleCommand(rest);
    case 'emulator': return (await import('./commands/emulator')).runEmulatorCommand(rest);
    case 'check':
      return runCheckCommand(rest);
    case 'config':
      return runConfigCommand(rest);
    case 'backtest':
      return runBacktestCommand(rest);
    case 'dry-run':
      return runDryRunCommand(rest);
    case 'dashboard':
      return runDashboardCommand(rest);
    case 'ledger':
      return runLedgerCommand(rest);
    case 'backup':
      return runBackupCommand(rest);
    case 'worker': {
      await import('../workers/main');
      return new Promise<number>(() => undefined);
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(CLI_USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"; run with --help for the list`);
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
}
