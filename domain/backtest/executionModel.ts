import type { InstrumentChoice } from '../instruments/bearishInstrument';
import { parseOccSymbol } from '../instruments/occSymbol';
import type { VolatilityInputs } from '../instruments/optionModelInputs';
import { simulatedPutQuote, type ModelPutQuote } from '../instruments/simulatedOptionPrice';
import { MINUTE_MS, type Bar } from '../market/bar';
import { marketFillPrice, withSlippage } from '../market/fillModel';
import { closeAtOrBefore } from './market';

/*
 * How the backtester fills an order (docs/backtest.md, "Portfolio mode"): at the next bar's open or the
 * decision bar's close, with slippage and a fee per order; a put at the model's ask to buy and bid to sell.
 */

export type FillModel = 'next_open' | 'signal_close';

export interface ExecutionModel {
  readonly fill: FillModel;
  /** Basis points added to buys and taken from sells. */
  readonly slippageBps: number;
  /** Dollars per order (entry and exit each pay it). */
  readonly feePerOrder: number;
}

export interface ModelFill {
  readonly price: number;
  readonly fillBarStart: number;
  /** A put's modelled quote at the fill; null for other instruments. */
  readonly optionQuote: ModelPutQuote | null;
}

/** Buy or sell price of an instrument at a decision bar, under the execution model; null when unpriceable. */
export function modelFillPrice(a: {
  readonly execution: ExecutionModel;
  readonly side: 'buy' | 'sell';
  readonly choice: InstrumentChoice;
  /** Bars of the date of the instrument's price symbol (the underlying for a put). */
  readonly bars: readonly Bar[];
  readonly decisionBarStart: number;
  /** The VIX close before the date, the put model's volatility input; null: the model's default. */
  readonly vol: VolatilityInputs;
}): ModelFill | null {
  let priceOf: ((underlying: number, barStart: number) => number) | undefined;
  // The put model's quote of the last price asked for: the fill's, kept for the trade record.
  let optionQuote: ModelPutQuote | null = null;
  if (a.choice.assetClass === 'us_option') {
    const contract = parseOccSymbol(a.choice.symbol);
    if (contract === null) return null;
    priceOf = (underlying, barStart) => {
      optionQuote = simulatedPutQuote({ underlying, contract, atMs: barStart, ...a.vol });
      return a.side === 'buy' ? optionQuote.ask : optionQuote.bid;
    };
  }
  if (a.execution.fill === 'next_open') {
    // The market emulator's fill model (domain/market/fillModel.ts) for an order sent as the decision bar
    // closes: the open of the next bar there is.
    const f = marketFillPrice({ bars: a.bars, m: a.decisionBarStart + MINUTE_MS, side: a.side, slippageBps: a.execution.slippageBps, priceOf });
    if (f !== null && f.price > 0) return { price: f.price, fillBarStart: f.barStart, optionQuote };
  }
  const close = closeAtOrBefore(a.bars, a.decisionBarStart);
  if (close === null || !(close > 0)) return null;
  return { price: withSlippage(priceOf ? priceOf(close, a.decisionBarStart) : close, a.side, a.execution.slippageBps), fillBarStart: a.decisionBarStart, optionQuote };
}

/** The symbol whose bars price an instrument: the underlying for a put, else the instrument itself. */
export function priceSymbolOf(choice: InstrumentChoice, underlying: string): string {
  return choice.assetClass === 'us_option' ? underlying : choice.symbol;
}
