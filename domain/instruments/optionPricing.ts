import { LogicError } from '../errors/errorClasses';

/**
 * Option pricing formulas, pure: Black-Scholes European put and call, a Cox-Ross-Rubinstein binomial
 * American put, and the put's Greeks. Inputs and their sources are in docs/backtest.md, "Option pricing model".
 * No dividends: the underlyings traded are ETFs and large caps whose yield moves a week's put by cents.
 */

export interface OptionInputs {
  /** Underlying price. */
  readonly s: number;
  readonly strike: number;
  /** Continuously compounded risk-free rate per year (0.04 = 4%). */
  readonly r: number;
  /** Volatility per year (0.2 = 20%). */
  readonly sigma: number;
  /** Time to expiry in years (0 = at expiry: intrinsic value). */
  readonly t: number;
}

function check(x: OptionInputs): void {
  const bad = (name: string, v: number) => {
    throw new LogicError(`option pricing: ${name} must be ${name === 't' ? 'finite and >= 0' : 'finite and > 0'}, got ${v}`, { code: 'bad_option_input' });
  };
  if (!Number.isFinite(x.s) || x.s <= 0) bad('s', x.s);
  if (!Number.isFinite(x.strike) || x.strike <= 0) bad('strike', x.strike);
  if (!Number.isFinite(x.sigma) || x.sigma <= 0) bad('sigma', x.sigma);
  if (!Number.isFinite(x.t) || x.t < 0) bad('t', x.t);
  if (!Number.isFinite(x.r)) throw new LogicError(`option pricing: r must be finite, got ${x.r}`, { code: 'bad_option_input' });
}

/** Standard normal CDF via erf (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7). */
export function normCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const k = 1 / (1 + 0.3275911 * z);
  const poly = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export function normPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

function d1d2(x: OptionInputs): { d1: number; d2: number } {
  const v = x.sigma * Math.sqrt(x.t);
  const d1 = (Math.log(x.s / x.strike) + (x.r + 0.5 * x.sigma * x.sigma) * x.t) / v;
  return { d1, d2: d1 - v };
}

export function blackScholesPut(x: OptionInputs): number {
  check(x);
  if (x.t === 0) return Math.max(x.strike - x.s, 0);
  const { d1, d2 } = d1d2(x);
  return x.strike * Math.exp(-x.r * x.t) * normCdf(-d2) - x.s * normCdf(-d1);
}

export function blackScholesCall(x: OptionInputs): number {
  check(x);
  if (x.t === 0) return Math.max(x.s - x.strike, 0);
  const { d1, d2 } = d1d2(x);
  return x.s * normCdf(d1) - x.strike * Math.exp(-x.r * x.t) * normCdf(d2);
}

/** Cox-Ross-Rubinstein tree; `american` false gives the European value the tree converges to. */
export function binomialPut(x: OptionInputs, steps = 200, american = true): number {
  check(x);
  if (!Number.isInteger(steps) || steps < 1) throw new LogicError(`option pricing: steps must be a positive integer, got ${steps}`, { code: 'bad_option_input' });
  if (x.t === 0) return Math.max(x.strike - x.s, 0);
  const dt = x.t / steps;
  const u = Math.exp(x.sigma * Math.sqrt(dt));
  const d = 1 / u;
  const disc = Math.exp(-x.r * dt);
  const p = (Math.exp(x.r * dt) - d) / (u - d);
  // u ** e for e in -steps..steps, computed once: the tree reads each many times (same values as inline).
  const powers = new Float64Array(2 * steps + 1);
  for (let e = -steps; e <= steps; e++) powers[e + steps] = u ** e;
  const values = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) values[i] = Math.max(x.strike - x.s * powers[2 * steps - 2 * i]!, 0);
  const q = 1 - p;
  const { strike, s } = x;
  for (let n = steps - 1; n >= 0; n--) {
    for (let i = 0; i <= n; i++) {
      const held = disc * (p * values[i]! + q * values[i + 1]!);
      values[i] = american ? Math.max(held, strike - s * powers[n - 2 * i + steps]!) : held;
    }
  }
  return values[0]!;
}

export interface Greeks {
  /** dV/dS */
  readonly delta: number;
  /** d2V/dS2 */
  readonly gamma: number;
  /** dV/dsigma per 1.00 of volatility (divide by 100 for a volatility point). */
  readonly vega: number;
  /** dV/dt per year of calendar passing (negative: the put loses value as time passes). */
  readonly theta: number;
}

/** Black-Scholes Greeks of a European put (closed form); zeros at expiry except delta. */
export function putGreeks(x: OptionInputs): Greeks {
  check(x);
  if (x.t === 0) return { delta: x.s < x.strike ? -1 : 0, gamma: 0, vega: 0, theta: 0 };
  const { d1, d2 } = d1d2(x);
  const sqrtT = Math.sqrt(x.t);
  return {
    delta: normCdf(d1) - 1,
    gamma: normPdf(d1) / (x.s * x.sigma * sqrtT),
    vega: x.s * normPdf(d1) * sqrtT,
    theta: (-x.s * normPdf(d1) * x.sigma) / (2 * sqrtT) + x.r * x.strike * Math.exp(-x.r * x.t) * normCdf(-d2),
  };
}
