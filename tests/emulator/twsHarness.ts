import { createBroker } from '../../activities/broker/brokerFactory';
import type { IbkrBroker } from '../../activities/broker/ibkr/ibkrBroker';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig, envConfigShape } from '../../domain/config/envSchema';
import type { Emulator, EmulatorOptions } from '../../scripts/emulator';
import { emulatorAt } from './emulatorHarness';

/** Shared setup of the TWS-side tests: an emulator with a TWS port, and the real IbkrBroker over @stoqey/ib. */

export const PAPER_ACCOUNT = 'DU1234567';

export async function twsEmulatorAt(marketMs: number, over: Partial<EmulatorOptions> = {}, speed = 1): Promise<Emulator> {
  return emulatorAt(marketMs, { twsPort: 0, ...over }, speed);
}

/** The IBKR adapter built the way brokerFactory.createBroker builds it for a paper account, on the emulator's TWS port. */
export function ibkrFor(
  emu: Emulator,
  over: { clientId?: number; account?: string; timeoutS?: number; restartWindow?: string; marketClock?: boolean } = {},
): IbkrBroker {
  if (emu.twsPort === null) throw new Error('the emulator has no TWS port');
  const bot = { ...defaultBotConfig(), TEST_MODE: false, IBKR_ENABLED: true, IBKR_MODE: 'paper' as const, API_TIMEOUT: over.timeoutS ?? 2 };
  // The window goes through the schema, as IBKR_RESTART_WINDOW in .env would (docs/ibkr.md "Daily restart").
  const restart = over.restartWindow === undefined ? {} : { IBKR_RESTART_WINDOW: envConfigShape.IBKR_RESTART_WINDOW.parse(over.restartWindow) };
  const env = { ...defaultEnvConfig(), ...restart, IBKR_HOST: '127.0.0.1', IBKR_PORT: emu.twsPort, IBKR_CLIENT_ID: over.clientId ?? 7, IBKR_PAPER_ACCOUNT_NUMBER: over.account ?? PAPER_ACCOUNT };
  // marketClock: the adapter reads the emulator's market time, as a worker on that clock would.
  const time = over.marketClock ? { now: () => emu.marketNow(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) } : undefined;
  return createBroker('ibkr', { bot, env, fillTimeoutMs: 1500, time }) as IbkrBroker;
}
