import { LogicError } from '../errors/errorClasses';
import { regularSessionUtc } from '../market/exchangeCalendar';
import { addDays, utcMsToNyWallTime } from '../market/nyTime';
import type { DailyCloses } from '../market/dailyCloses';

/**
 * The inputs of the simulated option model that are not formulas: time to expiry in trading minutes,
 * volatility from the VIX scaled by the underlying's realized volatility, and the bid/ask spread.
 * Each choice is stated in docs/backtest.md, "Option pricing model".
 */

/** Minutes in a regular NYSE session; a year of time to expiry is 252 of them. */
export const MINUTES_PER_SESSION = 390;
export const TRADING_MINUTES_PER_YEAR = 252 * MINUTES_PER_SESSION;
/** Stated, not fetched: a flat rate near the short T-bill yield of the backtests' years. */
export const RISK_FREE_RATE = 0.04;
/** Volatility when no VIX level is known for the date (a VIX of 20 with a ratio of 1.5). */
export const DEFAULT_SIGMA = 0.3;
export const VOL_RATIO_FLOOR = 0.5;
export const VOL_RATIO_CAP = 4;
export const SIGMA_FLOOR = 0.05;
export const SIGMA_CAP = 3;

/**
 * Regular-session minutes from `atMs` to the close of the expiry date, over the exchange calendar (holidays
 * count zero, early closes their shorter session). 0 at or after the expiry's close.
 */
export function tradingMinutesToExpiry(atMs: number, expiry: string): number {
  if (!Number.isFinite(atMs)) throw new LogicError(`time to expiry: bad time ${atMs}`, { code: 'bad_option_input' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(expiry)) throw new LogicError(`time to expiry: bad expiry date "${expiry}"`, { code: 'bad_option_input' });
  let date = utcMsToNyWallTime(atMs).date;
  let minutes = 0;
  for (let guard = 0; date <= expiry && guard < 4000; guard++, date = addDays(date, 1)) {
    const session = regularSessionUtc(date);
    if (session === null) continue;
    minutes += Math.max(0, session.closeMs - Math.max(atMs, session.openMs)) / 60_000;
  }
  return minutes;
}

/** Annualized close-to-close volatility of a series of daily closes (sample stdev of log returns x sqrt(252)); null under 3 closes. */
export function realizedVolatility(closes: readonly number[]): number | null {
  const rets: number[] = [];
  for (let i = 1; i < closes.length; i++) {
    const a = closes[i - 1]!;
    const b = closes[i]!;
    if (a > 0 && b > 0) rets.push(Math.log(b / a));
  }
  if (rets.length < 2) return null;
  const mean = rets.reduce((x, y) => x + y, 0) / rets.length;
  const variance = rets.reduce((x, y) => x + (y - mean) ** 2, 0) / (rets.length - 1);
  return Math.sqrt(variance * 252);
}

export interface VolatilityInputs {
  /** The VIX level on the date (its previous close); null: unknown. */
  readonly vix: number | null;
  /** The underlying's realized volatility (e.g. 20 days); null: unknown. */
  readonly realizedUnderlying?: number | null;
  /** SPY's realized volatility over the same days; null: unknown. */
  readonly realizedMarket?: number | null;
}

/** Sessions of daily returns behind the realized-volatility ratio, and the market it is taken against. */
export const REALIZED_VOL_SESSIONS = 20;
export const MARKET_VOL_SYMBOL = 'SPY';

/**
 * The model's volatility inputs for a put on `underlying` on `date`: the VIX close before the date and the
 * realized volatility of the underlying and of SPY over the REALIZED_VOL_SESSIONS sessions before it (null,
 * so a ratio of 1, where the bars hold fewer than three closes of either).
 */
export function putVolatilityInputs(vix: number | null, underlying: string, date: string, closes: DailyCloses): VolatilityInputs {
  const realized = (symbol: string) => realizedVolatility(closes(symbol, date, REALIZED_VOL_SESSIONS + 1));
  return { vix, realizedUnderlying: realized(underlying), realizedMarket: realized(MARKET_VOL_SYMBOL) };
}

/**
 * sigma = VIX/100 x clamp(realizedUnderlying / realizedMarket, 0.5, 4), then clamped to [0.05, 3]. A missing
 * ratio input gives a ratio of 1 (the market's own volatility); a missing VIX gives DEFAULT_SIGMA.
 */
export function modelVolatility(v: VolatilityInputs): number {
  if (v.vix === null || !(v.vix > 0)) return DEFAULT_SIGMA;
  const u = v.realizedUnderlying ?? null;
  const m = v.realizedMarket ?? null;
  const ratio = u !== null && m !== null && u > 0 && m > 0 ? Math.min(VOL_RATIO_CAP, Math.max(VOL_RATIO_FLOOR, u / m)) : 1;
  return Math.min(SIGMA_CAP, Math.max(SIGMA_FLOOR, (v.vix / 100) * ratio));
}

/**
 * Quoted width around the model price: max($0.05, 3% of mid), times (1 + 5 x out-of-the-money fraction),
 * so cheap contracts quote at least a nickel wide (a large share of their price) and far out-of-the-money
 * ones wider still. Bid rounds down, ask up, to the cent; the bid never goes below zero.
 */
export function quoteSpread(mid: number, underlying: number, strike: number): { bid: number; ask: number } {
  const otm = Math.max(0, (underlying - strike) / underlying);
  const width = Math.max(0.05, 0.03 * mid) * (1 + 5 * otm);
  const bid = Math.max(0, Math.floor((mid - width / 2) * 100 + 1e-9) / 100);
  const ask = Math.ceil((mid + width / 2) * 100 - 1e-9) / 100;
  return { bid, ask };
}
