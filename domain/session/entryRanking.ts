/*
 * Entries of one bar go strongest first, so the account's weights table ranks them in that order; equal
 * strengths go in symbol order, the order the session merges bars in (docs/trading.md, "Allocation: n is
 * the signals the session has accepted").
 */

export interface RankedEntry {
  readonly symbol: string;
  readonly signal: { readonly strength: number };
}

/** Comparator for Array.prototype.sort: strongest signal first, then symbol (localeCompare). */
export function strongestFirst(a: RankedEntry, b: RankedEntry): number {
  return b.signal.strength - a.signal.strength || a.symbol.localeCompare(b.symbol);
}

/** The n of the weights table for this bar's entries: grants the session already took plus this bar's signals. */
export const acceptedSignalCount = (grantsTaken: number, entriesThisBar: number): number => grantsTaken + entriesThisBar;
