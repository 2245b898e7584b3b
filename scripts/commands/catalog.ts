/**
 * Each command's one-line summary, in one place: its module's spec uses it, and the command list
 * (`--help`) prints it without loading every command and its dependencies (docs/temporal.md, "Compiled start-up").
 */
export const COMMAND_SUMMARIES = {
  day: 'run one TEST_MODE day now (replayed minute bars, simulated broker)',
  status: "the day's status query (a finished day: its final status)",
  stop: 'exit positions and end the day cleanly',
  kill: 'halt new entries at once and exit positions',
  defense: 'switch defense mode on or off for the day',
  confirm: 'approve (or --reject) a pending trade (TRADE_CONFIRMATION_REQUIRED=true)',
  schedule: 'the trading-day Schedule in Temporal',
  worker: 'run the worker (as npm run worker): every workflow and activity, until stopped',
  dashboard: 'the monitoring web app on LOCAL_IP:LOCAL_PORT; the login hash for .env',
  emulator: 'serve the local market emulator (Alpaca trading and data, Finnhub, VIX) until Ctrl-C',
  check: 'startup self-checks and the pre-deployment checklist, item by item',
  'dry-run': 'the live gate: a compressed TEST_MODE session, recorded with version and settings hash',
  config: 'check, show and encrypt the configuration (.env, .env_bot, VERSION.md); secrets are masked in everything printed',
  ledger: 'the double-entry ledger: Manager.io export and balance check',
  backup: 'archives of the outputs: make, list, restore',
  backtest: 'replay history through the strategies: signal audit, portfolio metrics, parameter sweeps',
  data: 'market data for backtests: download minute bars',
  'replay-check': 'replay open and recent workflows from the server against this code (exit 1: do not deploy)',
} as const;

export type CommandName = keyof typeof COMMAND_SUMMARIES;
