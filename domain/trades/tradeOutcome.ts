import { round2 } from '../math/round';

/*
 * What a closed position earned, computed once for the session workflow, the backtester, the adopted
 * positions and the live position view (docs/trading.md, "Trade outcome").
 */

export type OrderSide = 'buy' | 'sell';
export type AssetClass = 'us_equity' | 'us_option';

/** Shares per unit: an option contract is for 100 shares. */
export const contractMultiplier = (assetClass: AssetClass): number => (assetClass === 'us_option' ? 100 : 1);

/** The order side that closes a position opened by `openSide`. */
export const closingSide = (openSide: OrderSide): OrderSide => (openSide === 'buy' ? 'sell' : 'buy');

/** +1 for a position that gains when the price rises (bought), -1 for one sold short. */
export const positionDirection = (openSide: OrderSide): 1 | -1 => (openSide === 'buy' ? 1 : -1);

export interface PositionPrices {
  readonly openSide: OrderSide;
  readonly assetClass: AssetClass;
  readonly entryPrice: number;
  readonly qty: number;
}

/** The move from entry to `price` on the whole position, before fees, rounded to cents. */
export function markToMarketPnl(p: PositionPrices, price: number): number {
  return round2(priceMove(p, price));
}

/** Realised PnL after fees, rounded to cents; no exit price (the exit did not fill) is zero. */
export function tradePnl(p: PositionPrices, exitPrice: number | null, fees: number): number {
  return exitPrice === null ? 0 : round2(priceMove(p, exitPrice) - fees);
}

function priceMove(p: PositionPrices, price: number): number {
  return (price - p.entryPrice) * p.qty * contractMultiplier(p.assetClass) * positionDirection(p.openSide);
}
