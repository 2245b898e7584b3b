import fs from 'node:fs';
import { isConfigError } from '../../domain/config/configError';
import { regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { nyIso } from '../../domain/emulator/clock';
import { startEmulator, type Emulator } from '../emulator';
import { UsageError, dateFlag, parseArgs, stringFlag } from './shared';

/**
 * `emulator --replay DIR --date YYYY-MM-DD --speed N [--port P] [--seed S] [--facts FILE] [--journal FILE]
 * [--fault-rate R]`: serves the market emulator until SIGINT or SIGTERM and prints what to put in .env.
 */

export const EMULATOR_USAGE = 'emulator --replay DIR --date YYYY-MM-DD --speed N [--port P] [--seed S] [--facts FILE] [--journal FILE] [--fault-rate R]';

export interface EmulatorCommandDeps {
  readonly out?: NodeJS.WritableStream;
  /** Resolves when the emulator should stop (default: SIGINT or SIGTERM). */
  readonly stopped?: (emulator: Emulator) => Promise<void>;
}

function numberFlag(flags: Map<string, string | true>, name: string, ok: (n: number) => boolean, allowed: string): number | undefined {
  const v = stringFlag(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`--${name}=${v} is invalid (allowed: ${allowed})`);
  return n;
}

function fileFlag(flags: Map<string, string | true>, name: string): string | undefined {
  const v = stringFlag(flags, name);
  if (v !== undefined && !fs.existsSync(v)) throw new UsageError(`--${name}=${v}: no such file`);
  return v;
}

function readArgs(argv: readonly string[]) {
  const { flags, positionals } = parseArgs(argv);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; usage: ${EMULATOR_USAGE}`);
  const replayDir = stringFlag(flags, 'replay');
  if (replayDir === undefined) throw new UsageError(`--replay DIR is required (a folder of minute-bar CSVs, e.g. ../shared/data/minute); usage: ${EMULATOR_USAGE}`);
  if (!fs.existsSync(replayDir)) throw new UsageError(`--replay=${replayDir}: no such folder`);
  if (!flags.has('date')) throw new UsageError(`--date YYYY-MM-DD is required; usage: ${EMULATOR_USAGE}`);
  const date = dateFlag(flags);
  if (regularSessionUtc(date) === null) throw new UsageError(`--date=${date} is not an NYSE trading day (weekend or exchange holiday)`);
  const speed = numberFlag(flags, 'speed', (n) => n > 0 && n <= 100_000, 'a number above 0 and at most 100000, market seconds per real second') ?? 1;
  const port = numberFlag(flags, 'port', (n) => Number.isInteger(n) && n >= 0 && n <= 65_535, 'an integer port from 0 to 65535');
  const seed = numberFlag(flags, 'seed', Number.isInteger, 'an integer');
  const faultRate = numberFlag(flags, 'fault-rate', (n) => n >= 0 && n <= 1, 'a probability from 0 to 1');
  return { replayDir, date, speed, port, seed, faultRate, factsFile: fileFlag(flags, 'facts'), journalPath: stringFlag(flags, 'journal') };
}

function describe(e: Emulator, date: string, speed: number): string {
  return [
    `market emulator for ${date} at ${speed}x on ${e.baseUrl}`,
    `  clock: market ${nyIso(e.marketNow())} now (anchor ${new Date(e.clock.anchorMarketMs).toISOString()}, speed ${e.clock.speed})`,
    `  trading ${e.tradingUrl}   data ${e.dataUrl}   finnhub ${e.finnhubUrl}   vix ${e.vixUrl}`,
    `  control ${e.baseUrl}/emulator/stats, /emulator/journal, POST /emulator/faults`,
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

export async function runEmulatorCommand(argv: readonly string[], deps: EmulatorCommandDeps = {}): Promise<number> {
  const a = readArgs(argv);
  const out = deps.out ?? process.stdout;
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
