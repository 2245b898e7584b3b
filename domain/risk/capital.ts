import type { BrokerName } from '../vocabulary';
import { round2 } from '../math/round';

/**
 * Capital and rebalancing (docs/risk.md, "Formulas"). Pure and deterministic. Reports only: money is never
 * moved automatically; the daily summary shows what a person should move.
 *
 * broker float      = the enabled broker's account value
 * total capital     = sum of floats + reserve (a configured figure)
 * targets           = 50% of total capital in brokers, split equally; 50% in reserve
 * rebalancing need  = a broker more than 10% (relative) away from its target; exactly 10% is not a need
 */

export const BROKER_SHARE_OF_CAPITAL = 0.5;
export const REBALANCING_THRESHOLD = 0.1;

export interface BrokerFloat {
  readonly broker: BrokerName;
  /** Account value reported by the broker. */
  readonly accountValue: number;
}

export interface BrokerCapitalLine {
  readonly broker: BrokerName;
  readonly float: number;
  readonly target: number;
  /** (float - target) / target; 0 when the target is 0. */
  readonly deviation: number;
  readonly needsRebalancing: boolean;
  /** Dollars to add (positive) or withdraw (negative) to reach the target. */
  readonly adjustment: number;
}

export interface RebalancingNeed {
  readonly broker: BrokerName;
  readonly float: number;
  readonly target: number;
  readonly deviation: number;
  readonly action: 'add' | 'withdraw';
  readonly amount: number;
}

export interface CapitalReport {
  readonly totalCapital: number;
  readonly brokerFloatsTotal: number;
  readonly reserve: number;
  readonly reserveTarget: number;
  readonly brokerTarget: number;
  readonly brokers: readonly BrokerCapitalLine[];
  readonly rebalancingNeeds: readonly RebalancingNeed[];
}

export function totalCapital(floats: readonly BrokerFloat[], reserve: number): number {
  return round2(floats.reduce((sum, f) => sum + f.accountValue, 0) + reserve);
}

/** Each broker's target: half of total capital, split equally over the enabled brokers. */
export function brokerTarget(floats: readonly BrokerFloat[], reserve: number): number {
  if (floats.length === 0) return 0;
  return round2((totalCapital(floats, reserve) * BROKER_SHARE_OF_CAPITAL) / floats.length);
}

export function relativeDeviation(float: number, target: number): number {
  if (!(target > 0)) return 0;
  return (float - target) / target;
}

/**
 * Strictly more than the threshold (relative to the target). Compared in whole cents, so that a broker
 * exactly 10% off is never a need despite floating-point error, and one cent more is.
 */
export function isRebalancingNeeded(float: number, target: number, threshold = REBALANCING_THRESHOLD): boolean {
  if (!(target > 0)) return false;
  const diffCents = Math.abs(Math.round(float * 100) - Math.round(target * 100));
  return diffCents > threshold * Math.round(target * 100) + 1e-6;
}

export function capitalReport(floats: readonly BrokerFloat[], reserve: number, threshold = REBALANCING_THRESHOLD): CapitalReport {
  const total = totalCapital(floats, reserve);
  const target = brokerTarget(floats, reserve);
  const brokers = floats.map((f): BrokerCapitalLine => {
    const needs = isRebalancingNeeded(f.accountValue, target, threshold);
    return {
      broker: f.broker,
      float: f.accountValue,
      target,
      deviation: relativeDeviation(f.accountValue, target),
      needsRebalancing: needs,
      adjustment: round2(target - f.accountValue),
    };
  });
  const rebalancingNeeds = brokers
    .filter((b) => b.needsRebalancing)
    .map((b): RebalancingNeed => ({
      broker: b.broker,
      float: b.float,
      target: b.target,
      deviation: b.deviation,
      action: b.adjustment > 0 ? 'add' : 'withdraw',
      amount: Math.abs(b.adjustment),
    }));
  return {
    totalCapital: total,
    brokerFloatsTotal: round2(total - reserve),
    reserve,
    reserveTarget: round2(total * (1 - BROKER_SHARE_OF_CAPITAL)),
    brokerTarget: target,
    brokers,
    rebalancingNeeds,
  };
}
