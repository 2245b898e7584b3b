import { uuidV5 } from '../../domain/ledger/uuid';
import type { EmuAsset } from '../../domain/emulator/engine';
import type { EmuPosition, AccountValues } from '../../domain/emulator/accounts';
import type { EmuOrder } from '../../domain/emulator/orders';
import type { EmuQuote } from '../../domain/emulator/quotes';
import type { Bar } from '../../domain/market/bar';

/**
 * Alpaca's JSON, field by field as the Trading API v2 and Market Data API document them and as the v4 SDK's
 * generated models read them (`OrderFromJSONTyped`, `AccountFromJSONTyped`, `PositionFromJSONTyped`,
 * `AssetsFromJSONTyped`, `StockBarFromJSONTyped`, `StockQuoteFromJSONTyped`, ...): snake_case, decimal
 * amounts as strings, times as RFC-3339.
 */

const ASSET_NS = 'c7d0a4f2-5b3e-4a61-8e9d-1f2a3b4c5d6e';
export const ACCOUNT_ID = uuidV5('emulator-account', ASSET_NS);

export const assetId = (symbol: string): string => uuidV5(`asset:${symbol}`, ASSET_NS);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const dec = (x: number): string => String(Math.round(x * 1e9) / 1e9);
const money = (x: number): string => (Math.round(x * 100) / 100).toFixed(2);

export function orderJson(o: EmuOrder): Record<string, unknown> {
  return {
    id: o.id,
    client_order_id: o.clientOrderId,
    created_at: iso(o.createdMs),
    updated_at: iso(o.updatedMs),
    submitted_at: iso(o.createdMs),
    filled_at: o.status === 'filled' ? iso(o.filledMs) : null,
    expired_at: iso(o.expiredMs),
    expires_at: null,
    canceled_at: iso(o.canceledMs),
    failed_at: null,
    replaced_at: null,
    replaced_by: null,
    replaces: null,
    asset_id: assetId(o.symbol),
    symbol: o.symbol,
    asset_class: o.assetClass,
    notional: null,
    qty: dec(o.qty),
    filled_qty: dec(o.filledQty),
    filled_avg_price: o.filledAvgPrice === null ? null : dec(o.filledAvgPrice),
    order_class: '',
    order_type: o.type,
    type: o.type,
    side: o.side,
    position_intent: null,
    time_in_force: o.timeInForce,
    limit_price: null,
    stop_price: o.stopPrice === null ? null : dec(o.stopPrice),
    status: o.status,
    extended_hours: false,
    legs: null,
    trail_percent: o.trailPercent === null ? null : dec(o.trailPercent),
    trail_price: null,
    hwm: o.hwm === null ? null : dec(o.hwm),
  };
}

export function accountJson(v: AccountValues, lastEquity: number): Record<string, unknown> {
  return {
    id: ACCOUNT_ID,
    account_number: 'PAEMULATOR1',
    status: 'ACTIVE',
    crypto_status: 'INACTIVE',
    currency: 'USD',
    cash: money(v.cash),
    portfolio_value: money(v.equity),
    equity: money(v.equity),
    last_equity: money(lastEquity),
    long_market_value: money(v.longMarketValue),
    short_market_value: money(v.shortMarketValue),
    buying_power: money(v.buyingPower),
    regt_buying_power: money(v.buyingPower),
    daytrading_buying_power: money(v.buyingPower),
    non_marginable_buying_power: money(Math.max(0, v.cash)),
    options_buying_power: money(v.optionsBuyingPower),
    initial_margin: money((v.longMarketValue - v.shortMarketValue) / 2),
    maintenance_margin: money((v.longMarketValue - v.shortMarketValue) * 0.3),
    last_maintenance_margin: '0.00',
    sma: '0.00',
    multiplier: '2',
    daytrade_count: 0,
    pattern_day_trader: false,
    trading_blocked: false,
    transfers_blocked: false,
    account_blocked: false,
    trade_suspended_by_user: false,
    shorting_enabled: true,
    options_approved_level: 2,
    options_trading_level: 2,
    accrued_fees: '0',
    pending_transfer_in: '0',
    pending_transfer_out: '0',
    created_at: '2024-01-02T14:30:00Z',
  };
}

export function positionJson(p: EmuPosition, price: number | null, lastdayPrice: number | null, qtyAvailable: number): Record<string, unknown> {
  const current = price ?? p.avgEntryPrice;
  const cost = p.qty * p.avgEntryPrice * p.multiplier;
  const value = p.qty * current * p.multiplier;
  const pl = value - cost;
  const last = lastdayPrice ?? current;
  return {
    asset_id: assetId(p.symbol),
    symbol: p.symbol,
    exchange: p.assetClass === 'us_option' ? '' : 'NASDAQ',
    asset_class: p.assetClass,
    asset_marginable: p.assetClass === 'us_equity',
    qty: dec(p.qty),
    qty_available: dec(Math.sign(p.qty) * qtyAvailable),
    avg_entry_price: dec(p.avgEntryPrice),
    side: p.qty > 0 ? 'long' : 'short',
    market_value: money(value),
    cost_basis: money(cost),
    unrealized_pl: money(pl),
    unrealized_plpc: dec(cost !== 0 ? pl / Math.abs(cost) : 0),
    unrealized_intraday_pl: money(pl),
    unrealized_intraday_plpc: dec(cost !== 0 ? pl / Math.abs(cost) : 0),
    current_price: dec(current),
    lastday_price: dec(last),
    change_today: dec(last > 0 ? (current - last) / last : 0),
  };
}

export function assetJson(a: EmuAsset, fund: boolean, name: string | undefined, exchange: string | undefined): Record<string, unknown> {
  return {
    id: assetId(a.symbol),
    class: 'us_equity',
    exchange: exchange ?? (fund ? 'ARCA' : 'NASDAQ'),
    symbol: a.symbol,
    name: name ?? a.symbol,
    status: 'active',
    tradable: a.tradable,
    marginable: true,
    maintenance_margin_requirement: 30,
    margin_requirement_long: '30',
    margin_requirement_short: '100',
    shortable: a.shortable,
    easy_to_borrow: a.easyToBorrow,
    fractionable: a.fractionable,
    attributes: [],
  };
}

export function barJson(b: Bar): Record<string, unknown> {
  // Minute files carry no trade count or VWAP: n is 0 and vw the bar's typical price.
  return { t: new Date(b.t).toISOString(), o: b.o, h: b.h, l: b.l, c: b.c, v: b.v, n: 0, vw: Math.round(((b.h + b.l + b.c) / 3) * 10_000) / 10_000 };
}

export function stockQuoteJson(q: EmuQuote): Record<string, unknown> {
  return { t: new Date(q.t).toISOString(), ap: q.ask, as: q.askSize, ax: 'V', bp: q.bid, bs: q.bidSize, bx: 'V', c: ['R'], z: 'C' };
}

export function optionQuoteJson(q: EmuQuote): Record<string, unknown> {
  return { t: new Date(q.t).toISOString(), ap: q.ask, as: q.askSize, ax: 'N', bp: q.bid, bs: q.bidSize, bx: 'N', c: 'A' };
}

export function stockTradeJson(b: Bar, seq: number): Record<string, unknown> {
  return { t: new Date(b.t + 59_999).toISOString(), p: b.c, s: 100, x: 'V', c: ['@'], i: seq, z: 'C' };
}
