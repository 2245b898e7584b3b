import { binomialPut } from './optionPricing';
import { modelVolatility, quoteSpread, RISK_FREE_RATE, tradingMinutesToExpiry, TRADING_MINUTES_PER_YEAR } from './optionModelInputs';
import type { OptionContract } from './occSymbol';

/**
 * The one entry point for a simulated put's quote (backtester, TEST_MODE's simulated broker, the market
 * emulator, the session's live estimate): a CRR American put on the contract's strike and expiry, time to
 * expiry in trading minutes, volatility from the VIX (DEFAULT_SIGMA when none is given), and a modelled
 * spread; entries fill at the ask, exits at the bid. docs/backtest.md, "Option pricing model".
 */

export interface PutQuoteContext {
  readonly underlying: number;
  readonly contract: Pick<OptionContract, 'strike' | 'expiry'>;
  /** When the quote is taken (epoch ms). */
  readonly atMs: number;
  /** The VIX level on the date; absent or null: DEFAULT_SIGMA. */
  readonly vix?: number | null;
  readonly realizedUnderlying?: number | null;
  readonly realizedMarket?: number | null;
}

/** A modelled quote with the inputs that produced it, for the trade record. */
export interface ModelPutQuote {
  readonly bid: number;
  readonly ask: number;
  readonly mid: number;
  readonly sigma: number;
  readonly minutesToExpiry: number;
  readonly underlying: number;
  readonly strike: number;
}

const TREE_STEPS = 100;

export function simulatedPutQuote(ctx: PutQuoteContext): ModelPutQuote {
  const sigma = modelVolatility({ vix: ctx.vix ?? null, realizedUnderlying: ctx.realizedUnderlying, realizedMarket: ctx.realizedMarket });
  const minutesToExpiry = tradingMinutesToExpiry(ctx.atMs, ctx.contract.expiry);
  const t = minutesToExpiry / TRADING_MINUTES_PER_YEAR;
  const mid = binomialPut({ s: ctx.underlying, strike: ctx.contract.strike, r: RISK_FREE_RATE, sigma, t }, TREE_STEPS, true);
  const { bid, ask } = quoteSpread(mid, ctx.underlying, ctx.contract.strike);
  return { bid, ask, mid: Math.round(mid * 10_000) / 10_000, sigma, minutesToExpiry, underlying: ctx.underlying, strike: ctx.contract.strike };
}

/** The fill price of a simulated put order: the ask to buy, the bid to sell. */
export function simulatedPutFill(side: 'buy' | 'sell', ctx: PutQuoteContext): number {
  const q = simulatedPutQuote(ctx);
  return side === 'buy' ? q.ask : q.bid;
}

/** The model's inputs and output for one fill, as a trade record keeps them (plain data). */
export interface PutFillModel {
  readonly underlying: number;
  readonly strike: number;
  readonly minutes_to_expiry: number;
  readonly sigma: number;
  readonly bid: number;
  readonly ask: number;
  readonly mid: number;
}

/** What a simulated put trade was priced with: the model, its fixed rate, and each leg's inputs. */
export interface PutModelRecord {
  readonly model: 'crr_american';
  readonly tree_steps: number;
  readonly risk_free_rate: number;
  readonly entry: PutFillModel;
  /** Null when the exit did not fill. */
  readonly exit: PutFillModel | null;
}

export function putFillModel(q: ModelPutQuote): PutFillModel {
  return { underlying: q.underlying, strike: q.strike, minutes_to_expiry: q.minutesToExpiry, sigma: q.sigma, bid: q.bid, ask: q.ask, mid: q.mid };
}

export function putModelRecord(entry: ModelPutQuote, exit: ModelPutQuote | null): PutModelRecord {
  return { model: 'crr_american', tree_steps: TREE_STEPS, risk_free_rate: RISK_FREE_RATE, entry: putFillModel(entry), exit: exit === null ? null : putFillModel(exit) };
}
