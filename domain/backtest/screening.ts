import type { BotConfig } from '../config/botConfigSchema';
import type { StrategyName } from '../strategies/strategy';

/**
 * Screening filters (spec section 6) as the backtester can apply them from minute bars alone:
 * - price: MIN_PRICE <= price <= MAX_PRICE, price = the last close before the session's analysis start
 *   on the date, else the previous date's last regular-session close;
 * - gap: |open / previous close - 1| <= MAX_GAP_PCT_<S>, open = the open of the date's first regular-session
 *   bar starting at or before the analysis start, previous close = the last regular-session close of the
 *   symbol's previous date with data. Unknown (first date, or no such bar yet): not applied, counted;
 * - average daily volume >= MIN_VOLUME_THRESHOLD over up to VOLUME_LOOKBACK_DAYS previous dates, skipped in
 *   TEST_MODE (spec section 4). Unknown (no history): not applied, counted;
 * - market capitalisation and spread need data minute bars do not carry: not applied (the run says so).
 */

export const VOLUME_LOOKBACK_DAYS = 20;

export type ScreenRule = 'price' | 'gap' | 'volume';

export interface ScreenInput {
  readonly strategy: StrategyName;
  /** Price the screen sees; null when the symbol has no price yet. */
  readonly price: number | null;
  readonly sessionOpen: number | null;
  readonly previousClose: number | null;
  /** Mean regular-session volume of previous dates; null when there is no history. */
  readonly averageDailyVolume: number | null;
}

export type ScreenConfig = Pick<
  BotConfig,
  'MIN_PRICE' | 'MAX_PRICE' | 'MIN_VOLUME_THRESHOLD' | 'TEST_MODE' | 'MAX_GAP_PCT_OPEN' | 'MAX_GAP_PCT_MID' | 'MAX_GAP_PCT_CLOSE'
>;

export interface ScreenResult {
  readonly pass: boolean;
  /** Why the symbol was screened out; null when it passed. */
  readonly failed: ScreenRule | null;
  readonly reason: string | null;
  /** Rules that could not be evaluated for lack of data (the symbol was not excluded by them). */
  readonly unknown: readonly ScreenRule[];
}

export function maxGapFor(cfg: ScreenConfig, strategy: StrategyName): number {
  return strategy === 'open' ? cfg.MAX_GAP_PCT_OPEN : strategy === 'mid' ? cfg.MAX_GAP_PCT_MID : cfg.MAX_GAP_PCT_CLOSE;
}

export function screenSymbol(input: ScreenInput, cfg: ScreenConfig): ScreenResult {
  const unknown: ScreenRule[] = [];
  const fail = (failed: ScreenRule, reason: string): ScreenResult => ({ pass: false, failed, reason, unknown });
  const price = input.price;
  if (price === null || !(price > 0)) return fail('price', 'no price before the session');
  if (price < cfg.MIN_PRICE || price > cfg.MAX_PRICE) {
    return fail('price', `price ${price} outside MIN_PRICE..MAX_PRICE (${cfg.MIN_PRICE}..${cfg.MAX_PRICE})`);
  }
  if (input.sessionOpen !== null && input.previousClose !== null && input.previousClose > 0) {
    const gap = Math.abs(input.sessionOpen / input.previousClose - 1);
    const max = maxGapFor(cfg, input.strategy);
    if (gap > max) return fail('gap', `gap ${(gap * 100).toFixed(2)}% above MAX_GAP_PCT_${input.strategy.toUpperCase()}=${max}`);
  } else unknown.push('gap');
  if (!cfg.TEST_MODE) {
    if (input.averageDailyVolume === null) unknown.push('volume');
    else if (input.averageDailyVolume < cfg.MIN_VOLUME_THRESHOLD) {
      return fail('volume', `average daily volume ${Math.round(input.averageDailyVolume)} below MIN_VOLUME_THRESHOLD=${cfg.MIN_VOLUME_THRESHOLD}`);
    }
  }
  return { pass: true, failed: null, reason: null, unknown };
}
