/**
 * TEST_MODE only: a deterministic stand-in for a put's premium, so that the simulated broker can
 * fill LongPut trades without an options feed. Intrinsic value plus a flat 1% of the underlying as
 * time value; it moves one for one with the underlying below the strike, as a deep put would.
 */
export function simulatedPutPremium(underlying: number, strike: number): number {
  const premium = Math.max(strike - underlying, 0) + underlying * 0.01;
  return Math.round(premium * 100) / 100;
}
