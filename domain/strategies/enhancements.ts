import type { BollingerBands } from '../indicators/bollinger';
import type { Side } from './strategy';

/**
 * Enhancements: small allow/block rules layered on a strategy's core signal (spec section 6).
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
