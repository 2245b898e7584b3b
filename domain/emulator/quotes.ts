import { MINUTE_MS, type Bar } from '../market/bar';

/**
 * Quotes from bars: the latest visible bar's close is the mid, `spreadBps` wide. Minute bars carry no
 * quotes, so this is a stand-in; tests and users can make one symbol's quote wide or one-sided.
 * A missing side is 0, as Alpaca writes a side without an order.
 */

export interface QuoteOverride {
  /** Spread in basis points of the mid, instead of the default. */
  readonly spreadBps?: number;
  /** Fixed bid / ask; 0 means no bid / no ask (one-sided). */
  readonly bid?: number;
  readonly ask?: number;
}

export interface EmuQuote {
  readonly bid: number;
  readonly ask: number;
  readonly bidSize: number;
  readonly askSize: number;
  /** Epoch ms of the quote: the last moment of the bar it comes from. */
  readonly t: number;
}

/** Price ticks: a cent at or above $1, a hundredth of a cent below. */
function tick(p: number): number {
  return p >= 1 ? 100 : 10_000;
}

// Bid rounds down and ask up, so a narrow spread never collapses to a locked quote.
const floorTick = (p: number) => Math.floor(p * tick(p) + 1e-9) / tick(p);
const ceilTick = (p: number) => Math.ceil(p * tick(p) - 1e-9) / tick(p);

export function quoteFromPrice(mid: number, t: number, spreadBps: number, override?: QuoteOverride): EmuQuote {
  const half = (mid * (override?.spreadBps ?? spreadBps)) / 20_000;
  const bid = override?.bid ?? Math.max(0, floorTick(mid - half));
  const ask = override?.ask ?? ceilTick(mid + half);
  return { bid, ask, bidSize: bid > 0 ? 1 : 0, askSize: ask > 0 ? 1 : 0, t };
}

export function quoteFromBar(bar: Bar, spreadBps: number, override?: QuoteOverride): EmuQuote {
  return quoteFromPrice(bar.c, bar.t + MINUTE_MS - 1, spreadBps, override);
}
