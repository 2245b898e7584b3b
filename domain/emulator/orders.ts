import type { EmuAssetClass } from './accounts';

/** Orders as the emulator keeps them (Alpaca's order model, camel-cased; scripts/emulator writes the JSON). */

export type EmuOrderType = 'market' | 'stop' | 'trailing_stop';
export type EmuOrderStatus = 'new' | 'accepted' | 'partially_filled' | 'filled' | 'canceled' | 'expired';
export type EmuSide = 'buy' | 'sell';

export interface EmuFill {
  readonly qty: number;
  readonly price: number;
  readonly marketMs: number;
}

export interface EmuOrder {
  readonly id: string;
  readonly clientOrderId: string;
  /** Alpaca's form: options without OCC padding. */
  readonly symbol: string;
  readonly assetClass: EmuAssetClass;
  readonly side: EmuSide;
  readonly qty: number;
  readonly type: EmuOrderType;
  readonly timeInForce: 'day' | 'gtc';
  readonly stopPrice: number | null;
  readonly trailPercent: number | null;
  /** Trailing stops: high-water mark (lowest price for a buy). */
  hwm: number | null;
  status: EmuOrderStatus;
  readonly createdMs: number;
  updatedMs: number;
  filledMs: number | null;
  canceledMs: number | null;
  expiredMs: number | null;
  filledQty: number;
  filledAvgPrice: number | null;
  readonly fills: EmuFill[];
  /** Received at or after the close: queued for the next session, which the emulator does not run. */
  readonly queuedAfterClose: boolean;
  /** Partial fills: the rest fills at the open of this bar start. */
  pendingRestAtMs: number | null;
}

/** What a client asks for (already validated for shape at the HTTP edge). */
export interface OrderInput {
  readonly symbol: string;
  readonly qty: number;
  readonly side: EmuSide;
  readonly type: EmuOrderType;
  readonly timeInForce: 'day' | 'gtc';
  readonly clientOrderId?: string;
  readonly stopPrice?: number;
  readonly trailPercent?: number;
}

/** A refusal in Alpaca's terms: HTTP status, Alpaca's error code, message. */
export interface Refusal {
  readonly ok: false;
  readonly status: 403 | 404 | 422;
  readonly code: number;
  readonly message: string;
}

/** Alpaca's error codes (the HTTP status followed by a detail number). */
export const ALPACA_CODES = {
  invalid: 40010001,
  unauthorized: 40110000,
  forbidden: 40310000,
  notFound: 40410000,
  unprocessable: 42210000,
  rateLimited: 42910000,
  internal: 50010000,
} as const;

export function refuse(status: Refusal['status'], code: number, message: string): Refusal {
  return { ok: false, status, code, message };
}

export const OPEN_STATUSES: ReadonlySet<EmuOrderStatus> = new Set(['new', 'accepted', 'partially_filled']);

export function isOpen(o: EmuOrder): boolean {
  return OPEN_STATUSES.has(o.status);
}

export function recordFill(o: EmuOrder, qty: number, price: number, marketMs: number): void {
  const total = o.filledQty + qty;
  o.filledAvgPrice = ((o.filledAvgPrice ?? 0) * o.filledQty + price * qty) / total;
  o.filledQty = Math.round(total * 1e9) / 1e9;
  o.fills.push({ qty, price, marketMs });
  o.filledMs = marketMs;
  o.updatedMs = marketMs;
  o.status = o.filledQty >= o.qty ? 'filled' : 'partially_filled';
}

/** Shape checks Alpaca makes before looking at the account. */
export function checkOrderShape(req: OrderInput, fractionable: boolean, isOption: boolean): Refusal | null {
  if (!(req.qty > 0) || !Number.isFinite(req.qty)) return refuse(422, ALPACA_CODES.invalid, 'qty must be > 0');
  const whole = Number.isInteger(req.qty);
  if (isOption) {
    if (!whole) return refuse(422, ALPACA_CODES.invalid, 'qty must be integer for options');
    if (req.type !== 'market') return refuse(422, ALPACA_CODES.invalid, 'options orders accept only market and limit types');
  }
  if (!whole) {
    if (!fractionable) return refuse(422, ALPACA_CODES.invalid, `asset ${req.symbol} is not fractionable`);
    if (req.type === 'trailing_stop') return refuse(422, ALPACA_CODES.invalid, 'fractional orders must be market, limit, stop or stop_limit orders');
    if (req.timeInForce !== 'day') return refuse(422, ALPACA_CODES.invalid, 'fractional orders must be DAY orders');
  }
  if (req.type === 'stop' && !(req.stopPrice !== undefined && req.stopPrice > 0)) return refuse(422, ALPACA_CODES.invalid, 'stop_price is required for stop orders');
  if (req.type === 'trailing_stop' && !(req.trailPercent !== undefined && req.trailPercent > 0)) {
    return refuse(422, ALPACA_CODES.invalid, 'trail_percent must be > 0 for trailing_stop orders (trail_price is not emulated)');
  }
  return null;
}
