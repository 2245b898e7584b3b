import type { Bar } from '../market/bar';
import { regularSessionUtc } from '../market/exchangeCalendar';
import { firstBarAtOrAfter } from '../market/fillModel';
import { parseOccSymbol, type OptionContract } from '../instruments/occSymbol';
import { syntheticOptionChain, type OptionQuote } from '../instruments/putSelection';
import { simulatedPutFill, simulatedPutQuote, type ModelPutQuote } from '../instruments/simulatedOptionPrice';
import type { VolatilityInputs } from '../instruments/optionModelInputs';
import { round2 } from '../math/round';

/**
 * Options in the emulator: the listed contracts are the simulated broker's synthetic chain
 * (putSelection.ts syntheticOptionChain: weekly Friday expiries, whole-dollar puts around the price), and an
 * option's quote is simulatedOptionPrice.ts's modelled bid and ask (docs/backtest.md, "Option pricing model"),
 * the model the backtester and the simulated broker use: market buys fill at its ask, sells at its bid, and
 * the last trade is its mid. The chain is fixed for the day from the underlying's reference
 * price (the last close before the session's open, else the day's first open), as listings do not move
 * intraday.
 */

/**
 * Listed strikes reach this far either side of the reference price: an exchange lists a wide ladder, so a
 * day's large move (SQQQ fell by a quarter on 2025-04-09) still finds an at-the-money put, as the
 * backtester's chain around the signal price does.
 */
export const LISTED_STRIKE_BAND = 0.5;

/** The price a day's chain is listed around. */
export function chainReferencePrice(bars: readonly Bar[], date: string): number | null {
  const session = regularSessionUtc(date);
  if (session === null || bars.length === 0) return null;
  const i = firstBarAtOrAfter(bars, session.openMs);
  if (i > 0 && bars[i - 1]!.t > session.openMs - 4 * 86_400_000) return bars[i - 1]!.c;
  return bars[i]?.o ?? null;
}

/** The listed contracts of an underlying on a date (puts only), sorted by expiry then strike. */
export function listedContracts(underlying: string, bars: readonly Bar[], date: string): OptionQuote[] {
  const ref = chainReferencePrice(bars, date);
  if (ref === null) return [];
  return [...syntheticOptionChain(underlying, ref, date, { strikeBand: LISTED_STRIKE_BAND }).contracts].sort((a, b) => a.expiry.localeCompare(b.expiry) || a.strike - b.strike);
}

/** An OCC symbol's contract when it is one the emulator lists on that date. */
export function listedContract(symbol: string, bars: readonly Bar[], date: string): OptionContract | null {
  const c = parseOccSymbol(symbol);
  if (c === null || c.right !== 'P') return null;
  const found = listedContracts(c.underlying, bars, date).some((q) => q.expiry === c.expiry && q.strike === c.strike);
  return found ? c : null;
}

/** The option's modelled quote at an underlying price and a time (epoch ms), with the model's volatility inputs for its underlying on the day. */
export function optionQuote(contract: OptionContract, underlyingPrice: number, atMs: number, vol: VolatilityInputs): ModelPutQuote {
  return simulatedPutQuote({ underlying: underlyingPrice, contract, atMs, ...vol });
}

/** The option's model mid, to the cent: its last trade price and its position's mark. */
export function optionPremium(contract: OptionContract, underlyingPrice: number, atMs: number, vol: VolatilityInputs): number {
  return round2(optionQuote(contract, underlyingPrice, atMs, vol).mid);
}

/** What a market order for the option fills at before slippage: the modelled ask to buy, the bid to sell. */
export function optionFillPrice(contract: OptionContract, side: 'buy' | 'sell', underlyingPrice: number, atMs: number, vol: VolatilityInputs): number {
  return simulatedPutFill(side, { underlying: underlyingPrice, contract, atMs, ...vol });
}

/** Alpaca writes option symbols without the OCC padding. */
export function alpacaOptionSymbol(occ: string): string {
  return occ.replace(/\s+/g, '');
}
