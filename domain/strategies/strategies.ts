import type { BotConfig } from '../config/botConfigSchema';
import { closeMomentumFade } from './closeMomentumFade';
import { openRangeBreakout } from './openRangeBreakout';
import type { Strategy } from './strategy';
import { vwapMeanReversion } from './vwapMeanReversion';
import type { StrategyName } from '../vocabulary';

const REGISTRY: Readonly<Record<StrategyName, Strategy<BotConfig>>> = {
  open: openRangeBreakout,
  mid: vwapMeanReversion,
  close: closeMomentumFade,
};

/** The strategy object for a name; throws on an unknown name (config validation should have caught it). */
export function getStrategy(name: StrategyName): Strategy<BotConfig> {
  const s = REGISTRY[name];
  if (s === undefined) throw new Error(`unknown strategy: ${String(name)} (known: open, mid, close)`);
  return s;
}
