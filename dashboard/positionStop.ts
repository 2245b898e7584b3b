import { protectiveStopPlan } from '../domain/orders/protectiveStop';
import type { StrategyName } from '../domain/vocabulary';
import type { PositionView } from '../workflows/sessionApi';

/*
 * The stop protecting an open position, as the status page shows it. The status carries the stop's
 * order id, not its price, so the price is derived the way the session placed it
 * (domain/orders/protectiveStop.ts): MID and CLOSE hold a fixed stop from the fill price; OPEN holds a
 * trailing stop whose level follows the best price since entry, so only its floor is known here (the
 * better of entry and current price, less the trail). Options and positions without a held stop show why.
 */

export type StopShown =
  | { readonly kind: 'fixed'; readonly price: number; readonly why: string }
  /** A trailing stop: at least as tight as `floor` (a long's stop is at or above it, a short's at or below). */
  | { readonly kind: 'trailing'; readonly floor: number; readonly trailPercent: number; readonly long: boolean; readonly why: string }
  | { readonly kind: 'none' | 'unknown'; readonly why: string };

export function positionStop(p: PositionView, strategy: StrategyName): StopShown {
  const plan = p.exitPlan;
  if (plan === undefined) return { kind: 'unknown', why: 'not reported by the session' };
  if (plan.assetClass === 'us_option') return { kind: 'none', why: "options get no broker stop; the strategy's exits on the underlying protect them" };
  if (plan.stopClientOrderId === null) return { kind: 'none', why: 'no stop is held at the broker for this position' };
  const stop = protectiveStopPlan({ strategy, assetClass: plan.assetClass, openSide: plan.openSide, fillPrice: p.entryPrice });
  if (stop === null) return { kind: 'unknown', why: 'no fill price to place a stop from' };
  if (stop.kind === 'stop' && stop.stopPrice !== undefined) return { kind: 'fixed', price: stop.stopPrice, why: 'stop order held at the broker' };
  const pct = stop.trailPercent ?? 0;
  const long = plan.openSide === 'buy';
  const best = long ? Math.max(p.entryPrice, p.currentPrice) : Math.min(p.entryPrice, p.currentPrice);
  return {
    kind: 'trailing',
    floor: long ? best * (1 - pct / 100) : best * (1 + pct / 100),
    trailPercent: pct,
    long,
    why: `trailing stop held at the broker, ${pct}% from the best price since entry: at least as tight as shown`,
  };
}
