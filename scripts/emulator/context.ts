import type { ReplayClock } from '../../domain/time/replayClock';
import type { BarTimeline } from '../../domain/emulator/timeline';
import type { EmuAsset, MarketEngine } from '../../domain/emulator/engine';
import type { SymbolFacts } from '../../domain/emulator/screeningFacts';
import { quoteFromBar, quoteFromPrice, type EmuQuote, type QuoteOverride } from '../../domain/emulator/quotes';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { optionPremium } from '../../domain/emulator/options';

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
  readonly startingCash: number;
}

/** The engine moved to now: every route that reads broker state calls this first. */
export function advanced(ctx: EmulatorContext): number {
  const m = ctx.marketNow();
  ctx.engine.advanceTo(m);
  return m;
}

/** A stock's quote from its latest visible bar; an option's from its underlying's, priced by the option model. */
export function quoteOf(ctx: EmulatorContext, symbol: string, m: number): EmuQuote | null {
  const override = ctx.quoteOverrides.get(symbol);
  const occ = parseOccSymbol(symbol);
  if (occ === null) {
    const bar = ctx.timeline.latestVisible(symbol, m);
    return bar === null ? null : quoteFromBar(bar, ctx.quoteSpreadBps, override);
  }
  const bar = ctx.timeline.latestVisible(occ.underlying, m);
  return bar === null ? null : quoteFromPrice(optionPremium(occ, bar.c), bar.t + 59_999, ctx.optionSpreadBps, override);
}
