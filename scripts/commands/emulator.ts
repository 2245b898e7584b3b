import fs from 'node:fs';
import { isConfigError } from '../../domain/config/configError';
import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { nyIso } from '../../domain/emulator/clock';
import { nyWallTimeToUtcMs } from '../../domain/market/nyTime';
import { startEmulator, type Emulator } from '../emulator';
import { numberOption, UsageError, type CommandSpec, type OptionValues } from './args';
import { leafCommand, runCommandLine, type CommandIo } from './command';
import { dateOption } from './shared';
import { COMMAND_SUMMARIES } from './catalog';

/** `emulator`: serves the market emulator until SIGINT or SIGTERM and prints what to put in .env. */

const EMULATOR_OPTIONS = {
  replay: { type: 'string', value: 'DIR', description: 'a folder of minute-bar CSVs, e.g. ../shared/data/minute (required)' },
  date: { type: 'string', value: 'YYYY-MM-DD', description: 'the NYSE trading day to replay (required)' },
  speed: { type: 'string', value: 'N', description: 'market seconds per real second, above 0 and at most 100000 (default 1)' },
  port: { type: 'string', value: 'P', description: 'the port to listen on (default: any free port)' },
  seed: { type: 'string', value: 'S', description: 'seed of the injected faults and latencies' },
  facts: { type: 'string', value: 'FILE', description: 'a facts file (quotes, profiles, VIX) to serve' },
  journal: { type: 'string', value: 'FILE', description: 'write every request and order to this file' },
  'fault-rate': { type: 'string', value: 'R', description: 'probability of a broker fault per request, 0 to 1 (shared by error, rate limit, timeout, drop)' },
  'tws-port': { type: 'string', value: 'P', description: 'also speak the TWS API (IB Gateway) on this port, 0 for any free port (docs/ibkr.md)' },
  'tws-account': { type: 'string', value: 'ID', description: 'the paper account the TWS side manages (default DU1234567)' },
  'gateway-restart': { type: 'string', value: 'HH:MM+MIN', description: 'drop TWS connections at HH:MM New York market time and refuse them for MIN market minutes' },
} as const;

const EMULATOR_SPEC: CommandSpec<typeof EMULATOR_OPTIONS> = { name: 'emulator', summary: COMMAND_SUMMARIES.emulator, options: EMULATOR_OPTIONS };

export interface EmulatorCommandDeps extends CommandIo {
  readonly out?: NodeJS.WritableStream;
  /** Resolves when the emulator should stop (default: SIGINT or SIGTERM). */
  readonly stopped?: (emulator: Emulator) => Promise<void>;
}

function fileOption(name: string, v: string | undefined): string | undefined {
  if (v !== undefined && !fs.existsSync(v)) throw new UsageError(`--${name}=${v}: no such file`);
  return v;
}

function readArgs(values: OptionValues<typeof EMULATOR_OPTIONS>) {
  const replayDir = values.replay;
  if (replayDir === undefined) throw new UsageError('--replay DIR is required (a folder of minute-bar CSVs, e.g. ../shared/data/minute)');
  if (!fs.existsSync(replayDir)) throw new UsageError(`--replay=${replayDir}: no such folder`);
  if (values.date === undefined) throw new UsageError('--date YYYY-MM-DD is required');
  const date = dateOption(values.date);
  if (regularSessionUtc(date) === null) throw new UsageError(`--date=${date} is not an NYSE trading day (weekend or exchange holiday)`);
  const speed = numberOption('speed', values.speed, (n) => n > 0 && n <= 100_000, 'a number above 0 and at most 100000, market seconds per real second') ?? 1;
  const port = numberOption('port', values.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65_535, 'an integer port from 0 to 65535');
  const seed = numberOption('seed', values.seed, Number.isInteger, 'an integer');
  const faultRate = numberOption('fault-rate', values['fault-rate'], (n) => n >= 0 && n <= 1, 'a probability from 0 to 1');
  const twsPort = numberOption('tws-port', values['tws-port'], (n) => Number.isInteger(n) && n >= 0 && n <= 65_535, 'an integer port from 0 to 65535');
  const twsAccount = values['tws-account'];
  if (twsAccount !== undefined && !/^D[A-Z]*\d+$/.test(twsAccount)) throw new UsageError(`--tws-account=${twsAccount} is not an IB paper account id (D, letters, digits, e.g. DU1234567)`);
  if ((twsAccount !== undefined || values['gateway-restart'] !== undefined) && twsPort === undefined) throw new UsageError('--tws-account and --gateway-restart need --tws-port');
  const gatewayRestart = values['gateway-restart'] === undefined ? undefined : restartOption(values['gateway-restart'], date);
  return { replayDir, date, speed, port, seed, faultRate, factsFile: fileOption('facts', values.facts), journalPath: values.journal, twsPort, twsAccount, gatewayRestart };
}

/** `HH:MM+MIN`: New York wall time on the emulated date, and minutes down. */
function restartOption(v: string, date: string): { atMs: number; downMs: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)\+(\d{1,3})$/.exec(v);
  if (!m || Number(m[3]) < 1) throw new UsageError(`--gateway-restart=${v} is invalid (allowed: HH:MM+MIN, New York time and 1 to 999 minutes, e.g. 11:00+5)`);
  return { atMs: nyWallTimeToUtcMs(date, `${m[1]}:${m[2]}`), downMs: Number(m[3]) * 60_000 };
}

function describe(e: Emulator, date: string, speed: number): string {
  return [
    `market emulator for ${date} at ${speed}x on ${e.baseUrl}`,
    `  clock: market ${nyIso(e.marketNow())} now (anchor ${new Date(e.clock.anchorMarketMs).toISOString()}, speed ${e.clock.speed})`,
    `  trading ${e.tradingUrl}   data ${e.dataUrl}   finnhub ${e.finnhubUrl}   vix ${e.vixUrl}`,
    `  control ${e.baseUrl}/emulator/stats, /emulator/journal, POST /emulator/faults`,
    ...(e.twsPort === null ? [] : [`  TWS API (IB Gateway) 127.0.0.1:${e.twsPort}, account ${e.twsAccounts.join(',')}: set IBKR_HOST=127.0.0.1, IBKR_PORT=${e.twsPort}, IBKR_PAPER_ACCOUNT_NUMBER=${e.twsAccounts[0]}, IBKR_ENABLED=true`]),
    '',
    'set in .env (TEST_MODE=false and ALPACA_MODE=paper in .env_bot; these keys exist only in this emulator):',
    `  ALPACA_PAPER_URL=${e.tradingUrl}`,
    `  ALPACA_DATA_URL=${e.dataUrl}`,
    `  ALPACA_PAPER_API_KEY=${e.keyId}`,
    `  ALPACA_PAPER_SECRET_KEY=${e.secret}`,
    `  FINNHUB_URL=${e.finnhubUrl}`,
    `  FINNHUB_API_KEY=${e.finnhubToken}`,
    `  VIX_SOURCE=${e.vixUrl}`,
    '',
    'serving until Ctrl-C',
    '',
  ].join('\n');
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

export const emulatorCommand = leafCommand(EMULATOR_SPEC, serve);

/** `emulator ...` on its own (tests): usage errors are thrown, with the usage attached. */
export async function runEmulatorCommand(argv: readonly string[], deps: EmulatorCommandDeps = {}): Promise<number> {
  return runCommandLine(emulatorCommand, argv, deps, '');
}

async function serve({ values }: { values: OptionValues<typeof EMULATOR_OPTIONS> }, deps: EmulatorCommandDeps): Promise<number> {
  const a = readArgs(values);
  const out = deps.out ?? deps.stdout ?? process.stdout;
  const r = a.faultRate ?? 0;
  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      replayDir: a.replayDir,
      date: a.date,
      speed: a.speed,
      port: a.port,
      seed: a.seed,
      factsFile: a.factsFile,
      journalPath: a.journalPath,
      twsPort: a.twsPort,
      twsAccounts: a.twsAccount === undefined ? undefined : [a.twsAccount],
      gatewayRestart: a.gatewayRestart,
      // One rate, shared evenly by the four kinds of fault.
      faults: r > 0 ? { errorRate: r / 4, rateLimitRate: r / 4, timeoutRate: r / 4, dropRate: r / 4 } : undefined,
    });
  } catch (err) {
    if (isConfigError(err)) throw new UsageError(err.message);
    throw err;
  }
  out.write(describe(emulator, a.date, a.speed));
  await (deps.stopped ?? untilSignal)(emulator);
  const stats = emulator.stats();
  await emulator.close();
  out.write(`emulator stopped at market ${stats.marketTime}: ${stats.barsPublished.total} bars published, ${stats.ordersReceived} orders received\n`);
  return 0;
}
