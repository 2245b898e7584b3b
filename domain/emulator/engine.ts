import { MINUTE_MS, type Bar } from '../market/bar';
import { regularSessionUtc, type RegularSession } from '../market/exchangeCalendar';
import { evaluateStopBar, marketFillPrice, splitQty, firstBarAtOrAfter, type StopSpec } from '../market/fillModel';
import { parseOccSymbol } from '../instruments/occSymbol';
import type { VolatilityInputs } from '../instruments/optionModelInputs';
import { uuidV5 } from '../ledger/uuid';
import { accountValues, applyFill, newAccount, roundQty, type AccountValues, type EmuAccount, type EmuPosition } from './accounts';
import { sessionPhase } from './clock';
import { alpacaOptionSymbol, listedContract, optionFillPrice, optionPremium } from './options';
import { ALPACA_CODES, checkOrderShape, isOpen, recordFill, refuse, type EmuOrder, type OrderInput, type Refusal } from './orders';
import type { BarTimeline } from './timeline';

/**
 * The emulated broker's market: accepts orders, fills them by domain/market/fillModel.ts, keeps the
 * account, and moves with market time. It is pure (no I/O, no clock of its own): every call takes the
 * market instant, and `advanceTo` replays what happened since the last call minute by minute (queued
 * orders at the open, second parts of partial fills, stops on completed bars, the close), so the outcome
 * depends only on the bars and the sequence of calls.
 */

export interface EmuAsset {
  readonly symbol: string;
  readonly tradable: boolean;
  readonly shortable: boolean;
  readonly easyToBorrow: boolean;
  readonly fractionable: boolean;
}

export interface EngineConfig {
  /** Session date (New York) the emulator runs. */
  readonly date: string;
  readonly startingCash: number;
  readonly slippageBps: number;
  readonly partialFills: boolean;
  readonly marginMultiplier: number;
  /** Names the order ids (uuid v5 of seed and sequence), so a run is repeatable. */
  readonly seed: number;
  /** Equity facts; null: the symbol is not an asset. */
  readonly assetOf: (symbol: string) => EmuAsset | null;
  /** Market instant the engine starts at. */
  readonly startMs: number;
  /** The put model's volatility inputs for an underlying on the date (VIX close before it, realized volatilities), as the backtester's. */
  readonly putVolatility: (underlying: string) => VolatilityInputs;
}

export type OrderEventKind = 'received' | 'accepted' | 'new' | 'filled' | 'partially_filled' | 'triggered' | 'canceled' | 'expired' | 'rejected';

export interface OrderEvent {
  readonly event: OrderEventKind;
  readonly marketMs: number;
  readonly orderId: string | null;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly qty: number;
  readonly price?: number;
  readonly detail?: string;
}

export interface FillRecord {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: EmuOrder['type'];
  readonly qty: number;
  readonly price: number;
  readonly marketMs: number;
  readonly gap: boolean;
}

export interface ReceivedOrder {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly qty: number;
  readonly marketMs: number;
}

export interface CloseSnapshot {
  readonly atMs: number;
  readonly positions: readonly EmuPosition[];
  readonly workingOrders: readonly EmuOrder[];
}

const ORDER_NAMESPACE = '3b1f0c8e-7a52-4d0e-9f6b-2c4d8e1a7b90';

export type SubmitResult = { readonly ok: true; readonly order: EmuOrder } | Refusal;

export class MarketEngine {
  private account: EmuAccount;
  private readonly byId = new Map<string, EmuOrder>();
  private readonly byClientId = new Map<string, EmuOrder>();
  private readonly list: EmuOrder[] = [];
  private seq = 0;
  private lastMs: number;
  private readonly session: RegularSession | null;
  private readonly received: ReceivedOrder[] = [];
  readonly events: OrderEvent[] = [];
  readonly fills: FillRecord[] = [];
  closeSnapshot: CloseSnapshot | null = null;

  constructor(
    private readonly timeline: BarTimeline,
    private readonly cfg: EngineConfig,
  ) {
    this.account = newAccount(cfg.startingCash);
    this.lastMs = cfg.startMs;
    this.session = regularSessionUtc(cfg.date);
  }

  get nowMs(): number {
    return this.lastMs;
  }

  // ---- reading -------------------------------------------------------------------------------

  /** Orders received (accepted or refused). */
  get receivedCount(): number {
    return this.received.length;
  }

  /** Orders received at or after `ms` (accepted or refused), in arrival order. */
  receivedAfter(ms: number): readonly ReceivedOrder[] {
    return this.received.filter((r) => r.marketMs >= ms);
  }

  orders(): readonly EmuOrder[] {
    return this.list;
  }

  order(id: string): EmuOrder | null {
    return this.byId.get(id) ?? null;
  }

  orderByClientId(clientOrderId: string): EmuOrder | null {
    return this.byClientId.get(clientOrderId) ?? null;
  }

  positions(): EmuPosition[] {
    return [...this.account.positions.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  position(symbol: string): EmuPosition | null {
    return this.account.positions.get(symbol) ?? null;
  }

  /** Price of a symbol (stock or option) at `m`, as the broker sees the tape. */
  priceAt(symbol: string, m: number): number | null {
    const occ = parseOccSymbol(symbol);
    if (occ === null) return this.timeline.tradePriceAt(symbol, m);
    const u = this.timeline.tradePriceAt(occ.underlying, m);
    return u === null ? null : optionPremium(occ, u, m, this.cfg.putVolatility(occ.underlying));
  }

  values(m: number): AccountValues {
    return accountValues(this.account, (p) => this.priceAt(p.symbol, m), this.reserved(m), this.cfg.marginMultiplier);
  }

  /** Quantity of a position not held for open closing orders (Alpaca's qty_available). */
  qtyAvailable(symbol: string): number {
    const p = this.account.positions.get(symbol);
    if (!p) return 0;
    const closingSide = p.qty > 0 ? 'sell' : 'buy';
    const held = this.list.filter((o) => o.symbol === symbol && isOpen(o) && o.side === closingSide).reduce((s, o) => s + (o.qty - o.filledQty), 0);
    return Math.max(0, roundQty(Math.abs(p.qty) - held));
  }

  private reserved(m: number): number {
    let r = 0;
    for (const o of this.list) {
      if (!isOpen(o) || o.type !== 'market' || this.isClosing(o)) continue;
      r += (o.qty - o.filledQty) * (this.priceAt(o.symbol, m) ?? 0) * this.multiplierOf(o.symbol);
    }
    return r;
  }

  private isClosing(o: Pick<EmuOrder, 'symbol' | 'side'>): boolean {
    const p = this.account.positions.get(o.symbol);
    return p !== undefined && (p.qty > 0 ? o.side === 'sell' : o.side === 'buy');
  }

  private multiplierOf(symbol: string): number {
    return parseOccSymbol(symbol) ? 100 : 1;
  }

  // ---- orders --------------------------------------------------------------------------------

  submit(req: OrderInput, m: number): SubmitResult {
    this.advanceTo(m);
    const symbol = parseOccSymbol(req.symbol) ? alpacaOptionSymbol(req.symbol) : req.symbol.toUpperCase();
    const clientOrderId = req.clientOrderId ?? uuidV5(`client:${this.cfg.seed}:${this.seq + 1}`, ORDER_NAMESPACE);
    this.received.push({ clientOrderId, symbol, side: req.side, qty: req.qty, marketMs: m });
    this.emit({ event: 'received', marketMs: m, orderId: null, clientOrderId, symbol, side: req.side, qty: req.qty });
    const refusal = this.validate({ ...req, symbol }, clientOrderId, m);
    if (refusal) {
      this.emit({ event: 'rejected', marketMs: m, orderId: null, clientOrderId, symbol, side: req.side, qty: req.qty, detail: `${refusal.status} ${refusal.code} ${refusal.message}` });
      return refusal;
    }
    const order = this.create({ ...req, symbol }, clientOrderId, m);
    this.start(order, m);
    return { ok: true, order };
  }

  private validate(req: OrderInput, clientOrderId: string, m: number): Refusal | null {
    if (this.byClientId.has(clientOrderId)) return refuse(422, ALPACA_CODES.invalid, 'client_order_id must be unique');
    const occ = parseOccSymbol(req.symbol);
    if (occ !== null && listedContract(req.symbol, this.timeline.all(occ.underlying), this.cfg.date) === null) {
      return refuse(422, ALPACA_CODES.invalid, `asset ${req.symbol} not found`);
    }
    const asset = occ === null ? this.cfg.assetOf(req.symbol) : null;
    if (occ === null && (asset === null || !asset.tradable)) return refuse(422, ALPACA_CODES.invalid, `asset ${req.symbol} not found`);
    const shape = checkOrderShape(req, asset?.fractionable ?? false, occ !== null);
    if (shape) return shape;
    return this.checkPosition(req, asset, m);
  }

  /** Alpaca never lets one order cross from long to short; closing orders need free quantity; opening ones need buying power. */
  private checkPosition(req: OrderInput, asset: EmuAsset | null, m: number): Refusal | null {
    const p = this.account.positions.get(req.symbol);
    if (p !== undefined && this.isClosing({ symbol: req.symbol, side: req.side })) {
      const available = this.qtyAvailable(req.symbol);
      if (req.qty > available) return refuse(403, ALPACA_CODES.forbidden, `insufficient qty available for order (requested: ${req.qty}, available: ${available})`);
      return null;
    }
    const shortSale = req.side === 'sell';
    if (shortSale && (parseOccSymbol(req.symbol) !== null || !asset?.shortable)) {
      return refuse(422, ALPACA_CODES.unprocessable, `asset ${req.symbol} cannot be sold short`);
    }
    if (req.type !== 'market') return null;
    const price = this.priceAt(req.symbol, m);
    if (price === null) return null;
    // Alpaca values an opening short at 3% above the price; options are paid in cash.
    const cost = req.qty * price * this.multiplierOf(req.symbol) * (shortSale ? 1.03 : 1);
    const v = this.values(m);
    const power = parseOccSymbol(req.symbol) ? v.optionsBuyingPower : v.buyingPower;
    return cost > power ? refuse(403, ALPACA_CODES.forbidden, 'insufficient buying power') : null;
  }

  private create(req: OrderInput, clientOrderId: string, m: number): EmuOrder {
    this.seq += 1;
    const order: EmuOrder = {
      id: uuidV5(`order:${this.cfg.seed}:${this.seq}`, ORDER_NAMESPACE),
      clientOrderId,
      symbol: req.symbol,
      assetClass: parseOccSymbol(req.symbol) ? 'us_option' : 'us_equity',
      side: req.side,
      qty: req.qty,
      type: req.type,
      timeInForce: req.timeInForce,
      stopPrice: req.type === 'stop' ? (req.stopPrice ?? null) : null,
      trailPercent: req.type === 'trailing_stop' ? (req.trailPercent ?? null) : null,
      hwm: null,
      status: 'accepted',
      createdMs: m,
      updatedMs: m,
      filledMs: null,
      canceledMs: null,
      expiredMs: null,
      filledQty: 0,
      filledAvgPrice: null,
      fills: [],
      queuedAfterClose: this.session !== null && m >= this.session.closeMs,
      pendingRestAtMs: null,
    };
    this.byId.set(order.id, order);
    this.byClientId.set(clientOrderId, order);
    this.list.push(order);
    return order;
  }

  /** A new order: `accepted` outside regular hours (queued), else working now. */
  private start(o: EmuOrder, m: number): void {
    this.emitOrder(o, 'accepted', m);
    if (sessionPhase(m) !== 'open' || this.session === null || m >= this.session.closeMs) return;
    this.goLive(o, m);
  }

  /** The order reaches the market at `m` (receipt in hours, or the open for a queued one). */
  private goLive(o: EmuOrder, m: number): void {
    o.status = 'new';
    o.updatedMs = m;
    if (o.type === 'trailing_stop') o.hwm = this.priceAt(o.symbol, m);
    if (o.type === 'market') this.fillMarket(o, m);
  }

  private fillMarket(o: EmuOrder, m: number): void {
    const occ = parseOccSymbol(o.symbol);
    const bars = this.timeline.all(occ ? occ.underlying : o.symbol);
    const fill = marketFillPrice({
      bars,
      m,
      side: o.side,
      slippageBps: this.cfg.slippageBps,
      notAfterMs: this.session?.closeMs,
      priceOf: occ ? (u, barStart) => optionFillPrice(occ, o.side, u, barStart, this.cfg.putVolatility(occ.underlying)) : undefined,
    });
    if (fill === null) return;
    const [first, rest] = this.cfg.partialFills ? splitQty(o.qty) : [o.qty, 0];
    this.book(o, first, fill.price, m, false);
    if (rest > 0) o.pendingRestAtMs = nextBarStart(bars, fill.barStart, this.session?.closeMs ?? Number.POSITIVE_INFINITY);
  }

  private book(o: EmuOrder, qty: number, price: number, m: number, gap: boolean): void {
    recordFill(o, qty, price, m);
    this.account = applyFill(this.account, { symbol: o.symbol, assetClass: o.assetClass, side: o.side, qty, price, multiplier: this.multiplierOf(o.symbol) });
    this.fills.push({ orderId: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.type, qty, price, marketMs: m, gap });
    this.emitOrder(o, o.status === 'filled' ? 'filled' : 'partially_filled', m, price, qty);
  }

  cancel(id: string, m: number): { ok: true; order: EmuOrder } | Refusal {
    this.advanceTo(m);
    const o = this.byId.get(id);
    if (!o) return refuse(404, ALPACA_CODES.notFound, 'order not found');
    if (!isOpen(o)) return refuse(422, ALPACA_CODES.unprocessable, `order is already in "${o.status}" state`);
    o.status = 'canceled';
    o.canceledMs = m;
    o.updatedMs = m;
    o.pendingRestAtMs = null;
    this.emitOrder(o, 'canceled', m);
    return { ok: true, order: o };
  }

  cancelAll(m: number): EmuOrder[] {
    const open = this.list.filter(isOpen);
    for (const o of open) this.cancel(o.id, m);
    return open;
  }

  /** DELETE /v2/positions/{symbol}: a market order for all, `qty` or `percentage` of the position. */
  closePosition(symbol: string, m: number, opts: { qty?: number; percentage?: number } = {}): SubmitResult {
    this.advanceTo(m);
    const key = parseOccSymbol(symbol) ? alpacaOptionSymbol(symbol) : symbol.toUpperCase();
    const p = this.account.positions.get(key);
    if (!p) return refuse(404, ALPACA_CODES.notFound, 'position does not exist');
    let qty = Math.abs(p.qty);
    if (opts.qty !== undefined) qty = opts.qty;
    else if (opts.percentage !== undefined) {
      const part = (qty * opts.percentage) / 100;
      qty = this.cfg.assetOf(key)?.fractionable && p.assetClass === 'us_equity' ? roundQty(part) : Math.floor(part);
    }
    return this.submit({ symbol: key, qty, side: p.qty > 0 ? 'sell' : 'buy', type: 'market', timeInForce: 'day' }, m);
  }

  // ---- time ----------------------------------------------------------------------------------

  /** Replays every minute boundary in (last, m]: queued orders at the open, partial rests, stops, the close. */
  advanceTo(m: number): void {
    if (m <= this.lastMs) return;
    let t = Math.floor(this.lastMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    for (; t <= m; t += MINUTE_MS) this.step(t);
    this.lastMs = m;
  }

  private step(t: number): void {
    const s = this.session;
    if (s === null) return;
    if (t === s.openMs) for (const o of this.list.filter((x) => isOpen(x) && !x.queuedAfterClose && x.createdMs < s.openMs)) this.goLive(o, t);
    if (t > s.openMs && t <= s.closeMs) this.evaluateStops(t - MINUTE_MS, t);
    if (t > s.openMs && t < s.closeMs) this.fillRests(t);
    if (t === s.closeMs) this.close(t);
  }

  private fillRests(t: number): void {
    for (const o of this.list) {
      if (!isOpen(o) || o.pendingRestAtMs !== t) continue;
      const occ = parseOccSymbol(o.symbol);
      const bar = this.timeline.barAt(occ ? occ.underlying : o.symbol, t);
      o.pendingRestAtMs = null;
      if (!bar) continue;
      const base = occ ? optionFillPrice(occ, o.side, bar.o, t, this.cfg.putVolatility(occ.underlying)) : bar.o;
      const slip = this.cfg.slippageBps / 10_000;
      this.book(o, roundQty(o.qty - o.filledQty), o.side === 'buy' ? base * (1 + slip) : base * (1 - slip), t, false);
    }
  }

  /** Working stops against the bar starting at `barStart`, completed at `t`. */
  private evaluateStops(barStart: number, t: number): void {
    for (const o of this.list) {
      // Only bars whose minute starts after the stop was placed: the bar it was placed in may have traded beyond it before.
      if (o.status !== 'new' || o.type === 'market' || o.createdMs >= barStart) continue;
      const bar = this.timeline.barAt(o.symbol, barStart);
      if (!bar) continue;
      this.evaluateStop(o, bar, t);
    }
  }

  private evaluateStop(o: EmuOrder, bar: Bar, t: number): void {
    const spec: StopSpec = { side: o.side, kind: o.type === 'trailing_stop' ? 'trailing_stop' : 'stop', stopPrice: o.stopPrice ?? undefined, trailPercent: o.trailPercent ?? undefined, hwm: o.hwm ?? undefined };
    const r = evaluateStopBar(spec, bar);
    if (!r.triggered) {
      o.hwm = r.next.hwm ?? o.hwm;
      return;
    }
    this.emitOrder(o, 'triggered', t, r.stopPrice);
    this.book(o, roundQty(o.qty - o.filledQty), r.price, t, r.gap);
  }

  /** The close: what is held and working is recorded, then day orders expire. */
  private close(t: number): void {
    this.closeSnapshot = { atMs: t, positions: this.positions(), workingOrders: this.list.filter(isOpen).map((o) => ({ ...o, fills: [...o.fills] })) };
    for (const o of this.list) {
      if (!isOpen(o) || o.timeInForce !== 'day' || o.queuedAfterClose) continue;
      o.status = 'expired';
      o.expiredMs = t;
      o.updatedMs = t;
      o.pendingRestAtMs = null;
      this.emitOrder(o, 'expired', t);
    }
  }

  private emitOrder(o: EmuOrder, event: OrderEvent['event'], m: number, price?: number, qty?: number): void {
    this.emit({ event, marketMs: m, orderId: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, qty: qty ?? o.qty, ...(price !== undefined ? { price } : {}) });
  }

  private emit(e: OrderEvent): void {
    this.events.push(e);
  }
}

function nextBarStart(bars: readonly Bar[], after: number, before: number): number | null {
  const b = bars[firstBarAtOrAfter(bars, after + 1)];
  return b !== undefined && b.t < before ? b.t : null;
}
