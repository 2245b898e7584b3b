import { effectiveLimits, type RiskConfig } from './limits';
import { weightsFor } from './weights';
import type { Instrument, Side } from '../vocabulary';

/**
 * Position sizing (docs/risk.md, "Formulas"). Pure and deterministic. All amounts in account currency.
 *
 * session allocation  = fraction x broker float      (TOTAL_ALLOCATION, or the defense cap)
 * per-trade cap       = MAX_RISK_PER_TRADE x account value
 * trade dollars       = min(weight x session allocation, per-trade cap, what is left of the session allocation),
 *                       rounded down to whole cents
 * quantity            = shares: floor(dollars / price) in steps of 0.0001 (fractional) or 1 (whole);
 *                       puts: floor(dollars / (premium x 100)) whole contracts
 */

/** Fractional orders are sized in steps of 1/10,000 share (brokers accept at least this precision). */
export const FRACTIONAL_SHARE_STEPS_PER_SHARE = 10_000;
/** One US equity option contract covers 100 shares; its cost is premium x 100. */
export const OPTION_CONTRACT_MULTIPLIER = 100;

/** Rounds down to whole cents, never above the input despite floating-point error. */
export function floorToCents(dollars: number): number {
  if (!(dollars > 0)) return 0;
  let c = Math.floor(dollars * 100 + 1e-7);
  while (c > 0 && c / 100 > dollars) c -= 1;
  return c / 100;
}

export function sessionAllocationDollars(brokerFloat: number, allocationFraction: number): number {
  return floorToCents(Math.max(0, brokerFloat) * allocationFraction);
}

export function perTradeCapDollars(accountValue: number, maxRiskPerTrade: number): number {
  return floorToCents(Math.max(0, accountValue) * maxRiskPerTrade);
}

export interface TradeDollarsInput {
  readonly sessionAllocation: number;
  readonly weight: number;
  readonly perTradeCap: number;
  /** Session allocation not yet granted to earlier trades of the same session and broker. */
  readonly remainingSessionAllocation: number;
}

export function tradeDollars(input: TradeDollarsInput): number {
  const share = input.sessionAllocation * Math.max(0, input.weight);
  return floorToCents(Math.min(share, input.perTradeCap, input.remainingSessionAllocation));
}

export interface SizingInput {
  readonly dollars: number;
  /** Share price, or the option premium per share for a put. */
  readonly price: number;
  readonly instrument: Instrument;
  /** FRACTIONAL from the config. */
  readonly fractionalEnabled: boolean;
  /** The broker marks this asset fractionable. */
  readonly assetFractionable: boolean;
}

export interface PositionSize {
  /** Shares (possibly fractional) or option contracts. */
  readonly quantity: number;
  readonly unit: 'shares' | 'contracts';
  readonly fractional: boolean;
  /** quantity x price (x 100 for contracts); never above the dollars given. */
  readonly costDollars: number;
}

/** Fractional only for long stock or inverse ETFs; short sales and options are always whole units. */
export function usesFractionalShares(instrument: Instrument, fractionalEnabled: boolean, assetFractionable: boolean): boolean {
  return fractionalEnabled && assetFractionable && (instrument === 'stock' || instrument === 'inverse_etf');
}

/** Largest whole number of `unitCost` units whose total stays within `dollars`. */
function wholeUnitsWithin(dollars: number, unitCost: number): number {
  let units = Math.floor(dollars / unitCost);
  while (units > 0 && units * unitCost > dollars) units -= 1;
  return Math.max(0, units);
}

export function sizePosition(input: SizingInput): PositionSize {
  const { dollars, price, instrument } = input;
  if (!(dollars > 0) || !(price > 0) || !Number.isFinite(price)) {
    const unit = instrument === 'put' ? 'contracts' : 'shares';
    return { quantity: 0, unit, fractional: false, costDollars: 0 };
  }
  if (instrument === 'put') {
    const contractCost = price * OPTION_CONTRACT_MULTIPLIER;
    const contracts = wholeUnitsWithin(dollars, contractCost);
    return { quantity: contracts, unit: 'contracts', fractional: false, costDollars: contracts * contractCost };
  }
  if (usesFractionalShares(instrument, input.fractionalEnabled, input.assetFractionable)) {
    const step = FRACTIONAL_SHARE_STEPS_PER_SHARE;
    let steps = Math.floor((dollars * step) / price);
    // The cost check uses the very expression the caller will see, so cost <= dollars holds exactly.
    while (steps > 0 && (steps / step) * price > dollars) steps -= 1;
    const quantity = steps / step;
    return { quantity, unit: 'shares', fractional: true, costDollars: quantity * price };
  }
  const shares = wholeUnitsWithin(dollars, price);
  return { quantity: shares, unit: 'shares', fractional: false, costDollars: shares * price };
}

/** The instrument a direction trades with a given short type (README.md, "Strategies"). */
export function instrumentFor(side: Side, shortType: 'LongPut' | 'InverseETF' | 'ShortSell' | 'disabled'): Instrument | null {
  if (side === 'long') return 'stock';
  switch (shortType) {
    case 'LongPut':
      return 'put';
    case 'InverseETF':
      return 'inverse_etf';
    case 'ShortSell':
      return 'short_stock';
    case 'disabled':
      return null;
  }
}

/** A defense-mode signal is marginal when weaker than this fraction of the strongest signal it competes with. */
export const DEFAULT_MARGINAL_STRENGTH_FRACTION = 0.5;

/** True when `strength` is marginal against `strongest`; only meaningful for positive strengths. */
export function isMarginalSignal(strength: number, strongest: number, fraction = DEFAULT_MARGINAL_STRENGTH_FRACTION): boolean {
  if (!(strongest > 0)) return false;
  return strength < strongest * fraction;
}

export interface CandidateSignal {
  readonly symbol: string;
  readonly strength: number;
  readonly price: number;
  readonly instrument: Instrument;
  readonly assetFractionable: boolean;
}

export interface PlannedTrade<S extends CandidateSignal = CandidateSignal> {
  readonly signal: S;
  /** 0 = strongest accepted signal. */
  readonly rank: number;
  readonly weight: number;
  readonly dollars: number;
  readonly size: PositionSize;
}

export type PlanDropReason = 'beyond_max_trades' | 'marginal_signal' | 'trades_disabled';

export interface SessionPlan<S extends CandidateSignal = CandidateSignal> {
  readonly sessionAllocation: number;
  readonly perTradeCap: number;
  /** n of the weights table: the accepted signals, strongest first. */
  readonly accepted: readonly PlannedTrade<S>[];
  /** Signals not traded, with the reason. */
  readonly dropped: readonly { readonly signal: S; readonly reason: PlanDropReason }[];
}

export interface SessionPlanInput<S extends CandidateSignal> {
  readonly signals: readonly S[];
  readonly brokerFloat: number;
  readonly config: RiskConfig;
  readonly defenseActive: boolean;
  /** Free slots the caller knows of (concurrency limits); defaults to no further restriction. */
  readonly freeSlots?: number;
  readonly marginalStrengthFraction?: number;
}

/**
 * Plans one session's trades at one broker from a batch of signals, without any shared state:
 * strongest first, marginal signals dropped in defense mode, n capped by MAX_TRADES (reduced in
 * defense mode) and the free slots, then the weights for that n. The backtester uses it directly; the
 * live path gets the same numbers from the account workflow, which also enforces the shared limits.
 * Ties in strength keep the input order (Array.prototype.sort is stable).
 */
export function planSessionTrades<S extends CandidateSignal>(input: SessionPlanInput<S>): SessionPlan<S> {
  const limits = effectiveLimits(input.config, input.defenseActive);
  const sessionAllocation = sessionAllocationDollars(input.brokerFloat, limits.sessionAllocationFraction);
  const perTradeCap = perTradeCapDollars(input.brokerFloat, limits.maxRiskPerTrade);
  const ranked = [...input.signals].sort((a, b) => b.strength - a.strength);
  if (limits.tradesDisabled) {
    return { sessionAllocation, perTradeCap, accepted: [], dropped: ranked.map((signal) => ({ signal, reason: 'trades_disabled' as const })) };
  }
  const dropped: { signal: S; reason: PlanDropReason }[] = [];
  let candidates = ranked;
  if (input.defenseActive && ranked.length > 0) {
    const strongest = ranked[0].strength;
    const fraction = input.marginalStrengthFraction ?? DEFAULT_MARGINAL_STRENGTH_FRACTION;
    candidates = ranked.filter((s) => {
      const marginal = isMarginalSignal(s.strength, strongest, fraction);
      if (marginal) dropped.push({ signal: s, reason: 'marginal_signal' });
      return !marginal;
    });
  }
  const n = Math.max(0, Math.min(candidates.length, limits.maxTradesPerSession, input.freeSlots ?? Infinity));
  for (const s of candidates.slice(n)) dropped.push({ signal: s, reason: 'beyond_max_trades' });
  const weights = weightsFor(n, input.config.WEIGHTS);
  // Whole cents as integers, so "what is left" never drifts above the allocation.
  let remainingCents = Math.round(sessionAllocation * 100);
  const accepted = candidates.slice(0, n).map((signal, rank) => {
    const dollars = tradeDollars({ sessionAllocation, weight: weights[rank], perTradeCap, remainingSessionAllocation: remainingCents / 100 });
    remainingCents -= Math.round(dollars * 100);
    const size = sizePosition({
      dollars,
      price: signal.price,
      instrument: signal.instrument,
      fractionalEnabled: input.config.FRACTIONAL,
      assetFractionable: signal.assetFractionable,
    });
    return { signal, rank, weight: weights[rank], dollars, size };
  });
  return { sessionAllocation, perTradeCap, accepted, dropped };
}
