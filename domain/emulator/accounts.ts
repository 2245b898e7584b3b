/**
 * The emulated account: cash, positions and what they are worth. Fees are zero (Alpaca charges no
 * commission on stocks and ETFs; regulatory fees are not modelled). Buying power follows Reg T: twice the
 * equity less the gross position value (`marginMultiplier` 2, as an Alpaca margin account overnight; 1 is a cash account),
 * less what open opening orders reserve. Options are paid in cash.
 */

export type EmuAssetClass = 'us_equity' | 'us_option';

export interface EmuPosition {
  /** Symbol as Alpaca writes it (options without OCC padding). */
  readonly symbol: string;
  readonly assetClass: EmuAssetClass;
  /** Signed: negative for a short. */
  readonly qty: number;
  readonly avgEntryPrice: number;
  /** Shares per unit: 1 for stock, 100 for an option contract. */
  readonly multiplier: number;
}

export interface EmuAccount {
  readonly cash: number;
  readonly positions: ReadonlyMap<string, EmuPosition>;
}

export interface AccountFill {
  readonly symbol: string;
  readonly assetClass: EmuAssetClass;
  readonly side: 'buy' | 'sell';
  readonly qty: number;
  readonly price: number;
  readonly multiplier: number;
}

export function newAccount(startingCash: number): EmuAccount {
  return { cash: startingCash, positions: new Map() };
}

/** Rounds away float dust from share arithmetic (nine decimals is Alpaca's quantity precision). */
export function roundQty(q: number): number {
  return Math.round(q * 1e9) / 1e9;
}

function nextPosition(prev: EmuPosition | undefined, f: AccountFill): EmuPosition | null {
  const delta = f.side === 'buy' ? f.qty : -f.qty;
  const oldQty = prev?.qty ?? 0;
  const qty = roundQty(oldQty + delta);
  if (qty === 0) return null;
  const sameDirection = oldQty === 0 || Math.sign(oldQty) === Math.sign(delta);
  let avg: number;
  if (sameDirection) avg = (Math.abs(oldQty) * (prev?.avgEntryPrice ?? 0) + f.qty * f.price) / Math.abs(qty);
  else if (Math.sign(qty) === Math.sign(oldQty)) avg = prev!.avgEntryPrice;
  else avg = f.price;
  return { symbol: f.symbol, assetClass: f.assetClass, qty, avgEntryPrice: avg, multiplier: f.multiplier };
}

export function applyFill(acct: EmuAccount, f: AccountFill): EmuAccount {
  const value = f.qty * f.price * f.multiplier;
  const positions = new Map(acct.positions);
  const pos = nextPosition(positions.get(f.symbol), f);
  if (pos === null) positions.delete(f.symbol);
  else positions.set(f.symbol, pos);
  return { cash: acct.cash + (f.side === 'buy' ? -value : value), positions };
}

export interface AccountValues {
  readonly cash: number;
  readonly equity: number;
  readonly longMarketValue: number;
  readonly shortMarketValue: number;
  readonly buyingPower: number;
  readonly optionsBuyingPower: number;
}

/** Values at the prices `priceOf` gives (a position without a price is valued at its entry). */
export function accountValues(acct: EmuAccount, priceOf: (p: EmuPosition) => number | null, reserved: number, marginMultiplier: number): AccountValues {
  let long = 0;
  let short = 0;
  for (const p of acct.positions.values()) {
    const v = p.qty * (priceOf(p) ?? p.avgEntryPrice) * p.multiplier;
    if (v >= 0) long += v;
    else short += v;
  }
  const equity = acct.cash + long + short;
  const buyingPower = Math.max(0, marginMultiplier * equity - (long - short) - reserved);
  return {
    cash: acct.cash,
    equity,
    longMarketValue: long,
    shortMarketValue: short,
    buyingPower,
    optionsBuyingPower: Math.max(0, Math.min(acct.cash - reserved, buyingPower)),
  };
}
