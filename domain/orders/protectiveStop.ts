import type { StrategyName } from '../vocabulary';
import { round2 } from '../math/round';
import { closingSide } from '../trades/tradeOutcome';

/**
 * The stop a real broker holds for a freshly filled entry (README.md, "Paper and live"; issue 5): a 2%
 * trailing stop for OPEN, a fixed stop for MID (1.5%) and CLOSE (2%), on the instrument actually held. It is
 * the catastrophe net for a worker that is down; the bot's own exits on bar closes still decide normally, and
 * cancel the stop first (activities/broker/reconcile.ts protectedExit), so both can never fill.
 * Options get no broker stop: a put's premium moves several times the underlying's percentage, so a 2%
 * stop on the premium would fire on noise; the bot's exits on the underlying protect them.
 */
export const STOP_PCT: Readonly<Record<StrategyName, number>> = { open: 2, mid: 1.5, close: 2 };

export interface ProtectiveStopPlan {
  readonly kind: 'trailing' | 'stop';
  /** Closing side: `sell` protects a long holding, `buy` a short one. */
  readonly side: 'buy' | 'sell';
  readonly trailPercent?: number;
  readonly stopPrice?: number;
}

export function protectiveStopPlan(a: {
  strategy: StrategyName;
  assetClass: 'us_equity' | 'us_option';
  /** Side of the entry order. */
  openSide: 'buy' | 'sell';
  fillPrice: number;
}): ProtectiveStopPlan | null {
  if (a.assetClass !== 'us_equity' || !(a.fillPrice > 0)) return null;
  const pct = STOP_PCT[a.strategy];
  const side = closingSide(a.openSide);
  if (a.strategy === 'open') return { kind: 'trailing', side, trailPercent: pct };
  const factor = a.openSide === 'buy' ? 1 - pct / 100 : 1 + pct / 100;
  return { kind: 'stop', side, stopPrice: round2(a.fillPrice * factor) };
}
