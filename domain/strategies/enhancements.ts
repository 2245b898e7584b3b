import type { BollingerBands } from '../indicators/bollinger';
import { compareVersionTags } from '../config/versionTag';
import type { Side } from '../vocabulary';

/**
 * Enhancements: small allow/block rules layered on a strategy's core signal (README.md, "Strategies").
 * One that cannot decide for missing data warns and allows, so the core logic decides; an indicator that
 * is merely not warmed up yet blocks, because the spec says entries that depend on it wait for it.
 */
export interface EnhancementResult {
  readonly allow: boolean;
  /** Set when the enhancement could not decide and let the core logic through. */
  readonly warning: string | null;
}

const ALLOW: EnhancementResult = { allow: true, warning: null };
const BLOCK: EnhancementResult = { allow: false, warning: null };

export const MID_ADX_MAX = 25;

/** MID trend filter: ADX(14) at or below the maximum (no strong trend). Not warmed up (null): block. */
export function adxFilter(adx: number | null, max: number = MID_ADX_MAX): EnhancementResult {
  if (adx === null || !Number.isFinite(adx)) return BLOCK;
  return adx <= max ? ALLOW : BLOCK;
}

/**
 * Bollinger confluence: the close at or beyond the band on the side of the deviation (at or below the
 * lower band for a long, at or above the upper band for a short). Not warmed up (null): block.
 */
export function bollingerConfluence(side: Side, close: number, bands: BollingerBands | null): EnhancementResult {
  if (bands === null) return BLOCK;
  const touches = side === 'long' ? close <= bands.lower : close >= bands.upper;
  return touches ? ALLOW : BLOCK;
}

/**
 * CLOSE VIX gate: the previous VIX close must be strictly above the threshold.
 * No VIX value available: warn and allow (the core logic decides).
 */
export function vixGate(vixPrevClose: number | null | undefined, threshold: number): EnhancementResult {
  if (vixPrevClose === null || vixPrevClose === undefined || !Number.isFinite(vixPrevClose)) {
    return { allow: true, warning: 'VIX unavailable: the CLOSE VIX gate does not block (core logic decides)' };
  }
  return vixPrevClose > threshold ? ALLOW : BLOCK;
}

/** What the closing-auction scanner knows about one symbol (IBKR generic tick 225). */
export interface ClosingImbalance {
  /** Shares; positive = buy imbalance, negative = sell imbalance. */
  readonly imbalance: number | null;
  /** Paired shares expected in the auction. */
  readonly auctionVolume: number | null;
}

/**
 * CLOSE imbalance scanner (live, IBKR active): an entry against a strong opposing closing imbalance is
 * blocked. Strong = the imbalance is at least `strongRatio` of the paired auction volume, because an
 * imbalance of a few thousand shares means nothing in SPY and everything in a thin stock. No data (IB
 * sends imbalances only in the auction window, and not for every symbol): warn and allow.
 */
export function imbalanceGate(side: Side, data: ClosingImbalance | null, strongRatio: number): EnhancementResult {
  const imb = data?.imbalance;
  const paired = data?.auctionVolume;
  if (imb === null || imb === undefined || !Number.isFinite(imb) || paired === null || paired === undefined || !(paired > 0)) {
    return { allow: true, warning: 'no closing imbalance data: the imbalance scanner does not block (core logic decides)' };
  }
  const opposing = side === 'long' ? imb < 0 : imb > 0;
  return opposing && Math.abs(imb) >= strongRatio * paired ? BLOCK : ALLOW;
}

/**
 * Build check: the worker that runs a session must be the release the configuration was written for
 * (VERSION_TAG), and a debug build never trades live money. With Temporal, any worker polling the task
 * queue may pick a session up, so during a rolling upgrade an old worker could otherwise trade with a
 * new release's settings. An unknown running version (VERSION.md unreadable) warns and allows.
 */
export function buildCheck(a: {
  configuredTag: string;
  runningTag: string | null;
  buildMode: 'release' | 'debug';
  liveMoney: boolean;
}): EnhancementResult & { readonly reason: string | null; readonly runningNewer: boolean } {
  if (a.liveMoney && a.buildMode === 'debug') {
    return { allow: false, warning: null, reason: 'build check: BUILD_MODE=debug never trades live money', runningNewer: false };
  }
  if (a.runningTag === null) {
    return { allow: true, warning: 'build check: the worker could not read its VERSION.md tag', reason: null, runningNewer: false };
  }
  if (a.runningTag !== a.configuredTag) {
    const runningNewer = compareVersionTags(a.runningTag, a.configuredTag) > 0;
    return { allow: false, warning: null, reason: `build check: this worker runs ${a.runningTag} but the day was configured for VERSION_TAG=${a.configuredTag}`, runningNewer };
  }
  return { allow: true, warning: null, reason: null, runningNewer: false };
}
