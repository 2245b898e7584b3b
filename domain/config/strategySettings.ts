import type { BotConfig } from './botConfigSchema';
import type { StrategyName } from '../vocabulary';

/**
 * The one accessor for per-strategy settings of `.env_bot`: keys written `<KEY>_OPEN`, `<KEY>_MID`,
 * `<KEY>_CLOSE` (START_TIME, SHORT_TYPE, MAX_GAP_PCT, ...) and the `STRAT_<STRATEGY>_ENABLED` switches.
 */

type StrategySuffix = 'OPEN' | 'MID' | 'CLOSE';
const SUFFIX: Record<StrategyName, StrategySuffix> = { open: 'OPEN', mid: 'MID', close: 'CLOSE' };

type PrefixOf<T> = T extends `${infer P}_OPEN` ? (`${P}_MID` extends keyof BotConfig ? (`${P}_CLOSE` extends keyof BotConfig ? P : never) : never) : never;
/** Keys that exist once per strategy, without the suffix. */
export type PerStrategyKey = PrefixOf<keyof BotConfig>;
/** The value type of a per-strategy key (the same for the three strategies). */
export type SettingOf<K extends PerStrategyKey> = BotConfig[`${K}_OPEN` & keyof BotConfig];

/** `<key>_<STRATEGY>` of the config, e.g. strategySetting(cfg, 'mid', 'START_TIME') is START_TIME_MID. */
export function strategySetting<K extends PerStrategyKey>(cfg: { readonly [P in `${K}_${StrategySuffix}`]: SettingOf<K> }, strategy: StrategyName, key: K): SettingOf<K> {
  // The parameter type guarantees the three keys; TypeScript cannot narrow a template index to one of them.
  return (cfg as Readonly<Record<string, unknown>>)[`${key}_${SUFFIX[strategy]}`] as SettingOf<K>;
}

export type StrategyEnabledConfig = Pick<BotConfig, 'STRAT_OPEN_ENABLED' | 'STRAT_MID_ENABLED' | 'STRAT_CLOSE_ENABLED'>;

/** STRAT_<STRATEGY>_ENABLED. */
export function strategyEnabled(cfg: StrategyEnabledConfig, strategy: StrategyName): boolean {
  return cfg[`STRAT_${SUFFIX[strategy]}_ENABLED`];
}

/** The name of a per-strategy key, for messages: strategyKeyName('START_TIME', 'open') is START_TIME_OPEN. */
export function strategyKeyName(key: PerStrategyKey, strategy: StrategyName): string {
  return `${key}_${SUFFIX[strategy]}`;
}
