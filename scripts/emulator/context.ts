import type { ReplayClock } from '../../domain/time/replayClock';
import { MINUTE_MS } from '../../domain/market/bar';
import type { BarTimeline } from '../../domain/emulator/timeline';
import type { EmuAsset, MarketEngine } from '../../domain/emulator/engine';
import type { SymbolFacts } from '../../domain/emulator/screeningFacts';
import { quoteFromBar, quoteFromPrice, type EmuQuote, type QuoteOverride } from '../../domain/emulator/quotes';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { optionQuote } from '../../domain/emulator/options';
import type { VolatilityInputs } from '../../domain/instruments/optionModelInputs';

/** What every route reads: the clock, the bars, the engine and the settings of one emulator. */
export interface EmulatorContext {
  readonly date: string;
  readonly clock: ReplayClock;
  marketNow(): number;
  readonly timeline: BarTimeline;
  readonly engine: MarketEngine;
  readonly facts: ReadonlyMap<string, SymbolFacts>;
  assetOf(symbol: string): EmuAsset | null;
  readonly quoteSpreadBps: number;
  readonly optionSpreadBps: number;
  readonly quoteOverrides: Map<string, QuoteOverride>;
  readonly vixCsv: string | null;
  /** The put model's volatility inputs for an underlying on the date (the engine's, the backtester's). */
  readonly putVolatility: (underlying: string) => VolatilityInputs;
  readonly startingCash: number;
}

/** The engine moved to now: every route that reads broker state calls this first. */
export function advanced(ctx: EmulatorContext): number {
  const m = ctx.marketNow();
  ctx.engine.advanceTo(m);
  return m;
}

/**
 * A stock's quote from its latest visible bar; an option's from its underlying's, the option model's bid and
 * ask (what its market orders fill at), or a set optionSpreadBps around the model mid.
 */
export function quoteOf(ctx: EmulatorContext, symbol: string, m: number): EmuQuote | null {
  const override = ctx.quoteOverrides.get(symbol);
  const occ = parseOccSymbol(symbol);
  if (occ === null) {
    const bar = ctx.timeline.latestVisible(symbol, m);
    return bar === null ? null : quoteFromBar(bar, ctx.quoteSpreadBps, override);
  }
  const bar = ctx.timeline.latestVisible(occ.underlying, m);
  if (bar === null) return null;
  const t = bar.t + MINUTE_MS - 1;
  const model = optionQuote(occ, bar.c, t, ctx.putVolatility(occ.underlying));
  if (override !== undefined || ctx.optionSpreadBps > 0) return quoteFromPrice(model.mid, t, ctx.optionSpreadBps, override);
  return { bid: model.bid, ask: model.ask, bidSize: model.bid > 0 ? 1 : 0, askSize: model.ask > 0 ? 1 : 0, t };
}
