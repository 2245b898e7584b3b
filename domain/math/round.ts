/**
 * Rounding money, the one home for it: dollars to cents for display and records (round2), and to
 * integer cents for sums that must add up exactly (toCents).
 */

/** Dollars rounded to cents, as a number (half away from zero except on binary boundaries, as Math.round). */
export const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Money to integer cents, deterministic for values such as 1.005 that sit on a binary boundary. */
export function toCents(x: number): number {
  return Math.round(x * 100 + (x >= 0 ? 1e-7 : -1e-7));
}
