import { createBroker } from '../../activities/broker/brokerFactory';
import type { AlpacaBroker } from '../../activities/broker/alpaca/alpacaBroker';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import type { Bar } from '../../domain/market/bar';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../scripts/emulator';

/** Shared setup of the emulator contract tests: the fixture day, a clock at a chosen market instant, real clients. */

export const FIXTURE_DIR = 'tests/fixtures/minute';
export const DATE = '2025-04-09';
export const at = (hhmm: string, sec = 0): number => Date.parse(`${DATE}T${hhmm}:00Z`) + sec * 1000;

const fixture = loadMinuteBars(FIXTURE_DIR);
export function fixtureBar(symbol: string, hhmm: string): Bar {
  const b = fixture.bars.get(symbol)?.get(DATE)?.find((x) => x.t === at(hhmm));
  if (!b) throw new Error(`no fixture bar ${symbol} ${hhmm}`);
  return b;
}
export function fixtureBars(symbol: string, date = DATE): Bar[] {
  return fixture.bars.get(symbol)?.get(date) ?? [];
}

/** An emulator whose market instant is `marketMs` now, running at `speed` (1: time barely moves in a test). */
export async function emulatorAt(marketMs: number, over: Partial<EmulatorOptions> = {}, speed = 1): Promise<Emulator> {
  return startEmulator({ replayDir: FIXTURE_DIR, date: DATE, clock: { anchorRealMs: Date.now(), anchorMarketMs: marketMs, speed }, vixCsvPath: 'tests/emulator/fixtures/vix.csv', ...over });
}

/** Moves the market instant forward to `marketMs`. */
export function jump(emu: Emulator, marketMs: number): void {
  emu.setClock({ anchorRealMs: Date.now(), anchorMarketMs: marketMs, speed: emu.clock.speed });
}

const fastSleep = () => new Promise<void>((r) => setImmediate(r));

/** The Alpaca adapter built the way brokerFactory.createBroker builds it for a paper account. */
export function brokerFor(emu: Emulator, keys: { keyId: string; secret: string } = emu): AlpacaBroker {
  const bot = { ...defaultBotConfig(), TEST_MODE: false, ALPACA_ENABLED: true, ALPACA_MODE: 'paper' as const, API_TIMEOUT: 2 };
  const env = { ...defaultEnvConfig(), ALPACA_PAPER_URL: emu.tradingUrl, ALPACA_PAPER_API_KEY: keys.keyId, ALPACA_PAPER_SECRET_KEY: keys.secret };
  return createBroker('alpaca', { bot, env, alpacaDataUrl: emu.dataUrl, fillTimeoutMs: 1500, pollIntervalMs: 20, sleep: fastSleep }) as AlpacaBroker;
}
