import { regularSessionUtc } from '../market/exchangeCalendar';
import { round2 } from '../math/round';
import type { TradeRecord } from '../trades/tradeRecord';
import type { StrategyName } from '../vocabulary';

/**
 * Backtest metrics, per strategy and overall (definitions also in docs/backtest.md). Counted trades are
 * the closed ones: an exit price and no error code (as the daily summary counts them).
 * - win rate = trades with PnL > 0 / trades;
 * - average PnL per trade = total PnL / trades (PnL after fees);
 * - profit factor = sum of winning PnL / |sum of losing PnL| (null without a losing trade);
 * - average trade duration = mean of exit bar start - entry bar start, in minutes (a position is held from
 *   the entry bar's close to the exit bar's close);
 * - maximum drawdown = largest fall of realised equity from its running peak, in dollars and as a fraction
 *   of that peak, equity = starting cash + cumulative PnL in closing order (for one strategy: starting
 *   cash + that strategy's PnL);
 * - Sharpe ratio = mean / sample standard deviation of daily returns x sqrt(252), daily return = the day's
 *   PnL / the account value at the day's start, over every trading date run (days without trades count
 *   as 0); null with fewer than two dates or no variation;
 * - exposure = time with at least one position open / regular-session time of the dates run;
 * - CAGR = (ending equity / starting cash) ^ (252 / trading dates run) - 1;
 * - Sortino ratio = mean daily return / downside deviation x sqrt(252), downside deviation = root mean
 *   square of min(return, 0) over every date (target 0); null without two dates or a losing date;
 * - Calmar ratio = CAGR / maximum drawdown (fraction); null without a drawdown;
 * - expectancy = win rate x average win - loss rate x average loss (dollars per trade), and as a ratio of
 *   the average loss (the R-multiple expectancy); null without trades (the ratio also without a loss);
 * - longest losing streak = most consecutive trades with PnL < 0 in closing order.
 */

export const TRADING_DAYS_PER_YEAR = 252;

export interface MetricsDay {
  readonly date: string;
  /** Account value at the start of the date. */
  readonly startEquity: number;
}

export interface MetricsBlock {
  readonly trades: number;
  readonly wins: number;
  readonly losses: number;
  readonly winRate: number | null;
  readonly totalPnl: number;
  readonly avgPnl: number | null;
  readonly grossProfit: number;
  readonly grossLoss: number;
  readonly profitFactor: number | null;
  readonly avgDurationMinutes: number | null;
  readonly maxDrawdown: number;
  readonly maxDrawdownPct: number;
  readonly sharpe: number | null;
  readonly exposure: number;
  readonly cagr: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly expectancy: number | null;
  readonly expectancyRatio: number | null;
  readonly longestLosingStreak: number;
  readonly fees: number;
  readonly long: number;
  readonly short: number;
  /** Trades with an error code (an unpriced exit). */
  readonly failed: number;
  readonly exitReasons: Readonly<Record<string, number>>;
}

export interface EquityPoint {
  /** Epoch ms: the exit bar's close for a trade point, the first date's regular open for the start. */
  readonly t: number;
  readonly equity: number;
  /** Fall from the running peak as a fraction of the peak (0 at a new high). */
  readonly drawdownPct: number;
}

export interface BacktestMetrics {
  readonly startingCash: number;
  readonly endingEquity: number;
  readonly totalReturn: number;
  readonly tradingDays: number;
  readonly overall: MetricsBlock;
  readonly byStrategy: Readonly<Partial<Record<StrategyName, MetricsBlock>>>;
  /** Realised equity after each closed trade, from the starting point. */
  readonly equityCurve: readonly EquityPoint[];
}

const MINUTE_MS = 60_000;

export function isClosedTrade(t: TradeRecord): boolean {
  return t.exit_price !== null && t.error_code === null;
}

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: 0 };
  const v = xs.reduce((a, x) => a + (x - mean) * (x - mean), 0) / (n - 1);
  return { mean, std: Math.sqrt(v) };
}

/** Annualised Sharpe ratio of daily returns (risk-free rate 0); null without two dates or any variation. */
export function sharpeRatio(dailyReturns: readonly number[]): number | null {
  if (dailyReturns.length < 2) return null;
  const { mean, std } = meanStd(dailyReturns);
  // Below a ten-billionth the variation is rounding noise, not risk.
  if (!(std > 1e-10)) return null;
  return (mean / std) * Math.sqrt(TRADING_DAYS_PER_YEAR);
}

/** Annualised Sortino ratio of daily returns (target 0); null without two dates or any losing date. */
export function sortinoRatio(dailyReturns: readonly number[]): number | null {
  const n = dailyReturns.length;
  if (n < 2) return null;
  const mean = dailyReturns.reduce((a, b) => a + b, 0) / n;
  const downside = Math.sqrt(dailyReturns.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / n);
  if (!(downside > 1e-10)) return null;
  return (mean / downside) * Math.sqrt(TRADING_DAYS_PER_YEAR);
}

/** Compound annual growth rate over `tradingDays` trading dates; null when it cannot be defined. */
export function cagr(startValue: number, endValue: number, tradingDays: number): number | null {
  if (!(startValue > 0) || !(endValue > 0) || tradingDays < 1) return null;
  return (endValue / startValue) ** (TRADING_DAYS_PER_YEAR / tradingDays) - 1;
}

/** CAGR over the maximum drawdown fraction; null without a drawdown or a CAGR. */
export function calmarRatio(growth: number | null, maxDrawdownPct: number): number | null {
  if (growth === null || !(maxDrawdownPct > 0)) return null;
  return growth / maxDrawdownPct;
}

/** Expectancy per trade in dollars and as a multiple of the average loss. */
export function expectancy(pnls: readonly number[]): { dollars: number | null; ratio: number | null } {
  const n = pnls.length;
  if (n === 0) return { dollars: null, ratio: null };
  const wins = pnls.filter((p) => p > 0);
  const losses = pnls.filter((p) => p < 0);
  const avgWin = wins.length > 0 ? wins.reduce((a, b) => a + b, 0) / wins.length : 0;
  const avgLoss = losses.length > 0 ? -losses.reduce((a, b) => a + b, 0) / losses.length : 0;
  const dollars = (wins.length / n) * avgWin - (losses.length / n) * avgLoss;
  return { dollars, ratio: avgLoss > 0 ? dollars / avgLoss : null };
}

/** Most consecutive losing trades (PnL < 0); a winning or flat trade ends a streak. */
export function longestLosingStreak(pnls: readonly number[]): number {
  let longest = 0;
  let current = 0;
  for (const p of pnls) {
    current = p < 0 ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}

/** Largest fall from the running peak of a series starting at `start` and moving by `steps`. */
export function maxDrawdown(start: number, steps: readonly number[]): { dollars: number; pct: number } {
  let equity = start;
  let peak = start;
  let dollars = 0;
  let pct = 0;
  for (const s of steps) {
    equity += s;
    if (equity > peak) peak = equity;
    const dd = peak - equity;
    if (dd > dollars) dollars = dd;
    if (peak > 0 && dd / peak > pct) pct = dd / peak;
  }
  return { dollars: round2(dollars), pct };
}

/** Length of the union of half-open intervals [from, to). */
function unionLength(intervals: [number, number][]): number {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let curFrom = Number.NaN;
  let curTo = Number.NaN;
  for (const [a, b] of sorted) {
    if (!(a <= curTo)) {
      if (curTo > curFrom) total += curTo - curFrom;
      curFrom = a;
      curTo = b;
    } else if (b > curTo) curTo = b;
  }
  if (curTo > curFrom) total += curTo - curFrom;
  return total;
}

/** Regular-session milliseconds of the dates (closed dates count 0). */
export function sessionTimeMs(dates: readonly string[]): number {
  let total = 0;
  for (const d of dates) {
    const s = regularSessionUtc(d);
    if (s !== null) total += s.closeMs - s.openMs;
  }
  return total;
}

function block(trades: readonly TradeRecord[], days: readonly MetricsDay[], startingCash: number, sessionMs: number): MetricsBlock {
  const closed = trades.filter(isClosedTrade);
  const n = closed.length;
  const pnls = closed.map((t) => t.pnl);
  const wins = pnls.filter((p) => p > 0).length;
  const losses = pnls.filter((p) => p < 0).length;
  const grossProfit = round2(pnls.filter((p) => p > 0).reduce((a, b) => a + b, 0));
  const grossLoss = round2(pnls.filter((p) => p < 0).reduce((a, b) => a + b, 0));
  const totalPnl = round2(pnls.reduce((a, b) => a + b, 0));
  const durations = closed.map((t) => (Date.parse(t.exit_time ?? t.entry_time) - Date.parse(t.entry_time)) / MINUTE_MS);
  const pnlByDate = new Map<string, number>();
  for (const t of closed) pnlByDate.set(t.date, (pnlByDate.get(t.date) ?? 0) + t.pnl);
  const returns = days.map((d) => (d.startEquity > 0 ? (pnlByDate.get(d.date) ?? 0) / d.startEquity : 0));
  const dd = maxDrawdown(startingCash, pnls);
  const held = unionLength(
    closed.map((t): [number, number] => [Date.parse(t.entry_time) + MINUTE_MS, Date.parse(t.exit_time ?? t.entry_time) + MINUTE_MS]),
  );
  const growth = cagr(startingCash, startingCash + totalPnl, days.length);
  const expect = expectancy(pnls);
  const exitReasons: Record<string, number> = {};
  for (const t of closed) exitReasons[t.exit_reason ?? 'none'] = (exitReasons[t.exit_reason ?? 'none'] ?? 0) + 1;
  return {
    trades: n,
    wins,
    losses,
    winRate: n > 0 ? wins / n : null,
    totalPnl,
    avgPnl: n > 0 ? pnls.reduce((a, b) => a + b, 0) / n : null,
    grossProfit,
    grossLoss,
    profitFactor: grossLoss < 0 ? grossProfit / -grossLoss : null,
    avgDurationMinutes: n > 0 ? durations.reduce((a, b) => a + b, 0) / n : null,
    maxDrawdown: dd.dollars,
    maxDrawdownPct: dd.pct,
    sharpe: sharpeRatio(returns),
    exposure: sessionMs > 0 ? held / sessionMs : 0,
    cagr: growth,
    sortino: sortinoRatio(returns),
    calmar: calmarRatio(growth, dd.pct),
    expectancy: expect.dollars,
    expectancyRatio: expect.ratio,
    longestLosingStreak: longestLosingStreak(pnls),
    fees: round2(closed.reduce((a, t) => a + t.fees, 0)),
    long: closed.filter((t) => t.side === 'long').length,
    short: closed.filter((t) => t.side === 'short').length,
    failed: trades.length - n,
    exitReasons,
  };
}

/**
 * Metrics of a run: `trades` in closing order, `days` every trading date run with its starting account
 * value, `strategies` the strategies that get a block of their own.
 */
export function computeMetrics(a: {
  readonly trades: readonly TradeRecord[];
  readonly days: readonly MetricsDay[];
  readonly startingCash: number;
  readonly strategies: readonly StrategyName[];
}): BacktestMetrics {
  const sessionMs = sessionTimeMs(a.days.map((d) => d.date));
  const overall = block(a.trades, a.days, a.startingCash, sessionMs);
  const byStrategy: Partial<Record<StrategyName, MetricsBlock>> = {};
  for (const s of a.strategies) {
    byStrategy[s] = block(
      a.trades.filter((t) => t.strategy_name === s),
      a.days,
      a.startingCash,
      sessionMs,
    );
  }
  const curve: EquityPoint[] = [];
  const firstOpen = a.days.length > 0 ? (regularSessionUtc(a.days[0]!.date)?.openMs ?? Date.parse(`${a.days[0]!.date}T00:00:00Z`)) : 0;
  let equity = a.startingCash;
  let peak = equity;
  curve.push({ t: firstOpen, equity, drawdownPct: 0 });
  for (const t of a.trades.filter(isClosedTrade)) {
    equity += t.pnl;
    if (equity > peak) peak = equity;
    curve.push({ t: Date.parse(t.exit_time ?? t.entry_time) + MINUTE_MS, equity: round2(equity), drawdownPct: peak > 0 ? (peak - equity) / peak : 0 });
  }
  const endingEquity = round2(a.startingCash + overall.totalPnl);
  return {
    startingCash: a.startingCash,
    endingEquity,
    totalReturn: a.startingCash > 0 ? (endingEquity - a.startingCash) / a.startingCash : 0,
    tradingDays: a.days.length,
    overall,
    byStrategy,
    equityCurve: curve,
  };
}
