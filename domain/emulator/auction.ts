import type { Bar } from '../market/bar';

/**
 * The closing auction as the emulator publishes it on the TWS side (IB generic tick 225): minute bars
 * carry no auction data, so this is a stand-in derived from the last half hour of trading, shown only in
 * the last ten minutes before the close, when exchanges publish closing imbalances (docs/ibkr.md
 * "Closing auction"). Paired volume is five average minutes; the imbalance leans with the half hour's
 * move, at most half the paired volume, positive for a buy imbalance.
 */

export const AUCTION_WINDOW_MS = 10 * 60_000;
const LOOKBACK_BARS = 30;

export interface ClosingAuction {
  readonly auctionVolume: number;
  readonly auctionPrice: number;
  readonly imbalance: number;
  readonly regulatoryImbalance: number;
}

/** `visible`: the bars published by now, oldest first. Null outside the window or without bars. */
export function closingAuction(visible: readonly Bar[], m: number, closeMs: number): ClosingAuction | null {
  if (m < closeMs - AUCTION_WINDOW_MS || m >= closeMs) return null;
  const recent = visible.slice(-LOOKBACK_BARS);
  const first = recent[0];
  const last = recent.at(-1);
  if (first === undefined || last === undefined || !(first.o > 0)) return null;
  const meanVolume = recent.reduce((s, b) => s + b.v, 0) / recent.length;
  const auctionVolume = Math.round(meanVolume * 5);
  const lean = Math.max(-1, Math.min(1, ((last.c - first.o) / first.o) * 20));
  const imbalance = Math.round(auctionVolume * 0.5 * lean);
  return { auctionVolume, auctionPrice: last.c, imbalance, regulatoryImbalance: imbalance };
}
