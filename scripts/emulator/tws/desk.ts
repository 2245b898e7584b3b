import type { Field } from '../../../domain/emulator/tws/codec';
import * as R from '../../../domain/emulator/tws/replies';
import type { TwsRequest, WireContract } from '../../../domain/emulator/tws/requests';
import { closingAuction } from '../../../domain/emulator/auction';
import { listedContracts } from '../../../domain/emulator/options';
import { regularSessionUtc } from '../../../domain/market/exchangeCalendar';
import { parseOccSymbol } from '../../../domain/instruments/occSymbol';
import type { EmuOrder } from '../../../domain/emulator/orders';
import { advanced, quoteOf, type EmulatorContext } from '../context';
import { ContractBook, contractOut, ibTime } from './contracts';
import { historicalBars } from './historical';
import { ibStatus, isDoneStatus, orderInput, orderOut, type IbOrder } from './ibOrders';

/**
 * The TWS side's broker desk: answers one client's requests from the shared market core (engine, bars,
 * clock) and tells each client what happened to its orders. IB's message sequences (docs/ibkr.md "Order
 * life cycle"): openOrder + orderStatus on placement; execDetails + commissionReport per fill, then
 * orderStatus; error 201 then Inactive on a refusal; error 202 then Cancelled on a cancel.
 */

export interface TwsClient {
  readonly clientId: number;
  send(fields: Field[]): void;
  marketDataType: number;
}

interface Subscription {
  readonly client: TwsClient;
  readonly reqId: number;
  readonly symbol: string;
  readonly ticks: readonly string[];
  lastBarT: number | null;
  auctionSent: boolean;
}

const ACCOUNT_TAGS = ['NetLiquidation', 'TotalCashValue', 'BuyingPower', 'AvailableFunds', 'ExcessLiquidity', 'EquityWithLoanValue', 'GrossPositionValue', 'AccountType'] as const;
const FARM_NOTICES: [number, string][] = [
  [2104, 'Market data farm connection is OK:usfarm'],
  [2106, 'HMDS data farm connection is OK:ushmds'],
  [2158, 'Sec-def data farm connection is OK:secdefnj'],
];
// Real-time bid/ask/last (1/2/4, sizes 0/3/5) or their delayed twins (66/67/68, sizes 69/70/71).
const LIVE_TICKS = { bid: 1, ask: 2, last: 4, bidSize: 0, askSize: 3, lastSize: 5 };
const DELAYED_TICKS = { bid: 66, ask: 67, last: 68, bidSize: 69, askSize: 70, lastSize: 71 };

export class TwsDesk {
  private readonly book: ContractBook;
  private readonly orders: IbOrder[] = [];
  private readonly subscriptions = new Map<string, Subscription>();
  private nextId = 1;
  private permSeq = 1_000_000_001;
  private readonly clients = new Set<TwsClient>();
  /** Orders still to refuse as IB refuses them (error 201, status Inactive), each with its reason; see rejectNextOrder. */
  private readonly refusals: { readonly orderRefPart: string; readonly reason: string }[] = [];

  constructor(
    private readonly ctx: EmulatorContext,
    readonly accounts: readonly string[],
  ) {
    this.book = new ContractBook(ctx);
  }

  get account(): string {
    return this.accounts[0]!;
  }

  /** After START_API: the next order id, the accounts, the farm notices. */
  open(client: TwsClient): void {
    this.clients.add(client);
    client.send(R.nextValidId(this.nextOrderIdFor(client.clientId)));
    client.send(R.managedAccounts(this.accounts));
    for (const [code, text] of FARM_NOTICES) client.send(R.errorMessage(R.NO_VALID_ID, code, text));
  }

  close(client: TwsClient): void {
    this.clients.delete(client);
    for (const [key, s] of this.subscriptions) if (s.client === client) this.subscriptions.delete(key);
  }

  /** Every connected client hears a system message (1100/1101/1102). */
  broadcast(code: number, text: string): void {
    for (const c of this.clients) c.send(R.errorMessage(R.NO_VALID_ID, code, text));
  }

  handle(client: TwsClient, req: TwsRequest): void {
    const m = advanced(this.ctx);
    switch (req.type) {
      case 'reqIds':
        return client.send(R.nextValidId(this.nextOrderIdFor(client.clientId)));
      case 'reqCurrentTime':
        return client.send(R.currentTime(Math.floor(m / 1000)));
      case 'reqManagedAccts':
        return client.send(R.managedAccounts(this.accounts));
      case 'reqAccountSummary':
        return this.accountSummary(client, req.reqId, req.tags, m);
      case 'reqAccountUpdates':
        return req.subscribe ? this.accountUpdates(client, m) : undefined;
      case 'reqPositions':
        return this.positions(client);
      case 'reqContractDetails':
        return this.contractDetails(client, req.reqId, req.contract);
      case 'reqSecDefOptParams':
        return this.optionParams(client, req.reqId, req.symbol);
      case 'reqMarketDataType':
        client.marketDataType = req.marketDataType;
        return;
      case 'reqMktData':
        return this.marketData(client, req.reqId, req.contract, req.genericTicks, req.snapshot, m);
      case 'cancelMktData':
        this.subscriptions.delete(`${client.clientId}:${req.reqId}`);
        return;
      case 'reqHistoricalData':
        return this.historical(client, req, m);
      case 'placeOrder':
        return this.placeOrder(client, req.orderId, req.contract, req.order, m);
      case 'cancelOrder':
        return this.cancelOrder(client, req.orderId, m);
      case 'reqGlobalCancel':
        for (const o of this.orders) if (o.engineId !== null && !isDoneStatus(o.reportedStatus)) this.ctx.engine.cancel(o.engineId, m);
        return this.poll();
      case 'reqOpenOrders':
        return this.openOrders(client, req.scope === 'client' ? client.clientId : null);
      case 'reqCompletedOrders':
        return this.completedOrders(client);
      case 'reqExecutions':
        return this.executions(client, req.reqId, req.symbol);
      default:
        return;
    }
  }

  // ---- account ----------------------------------------------------------------------------------

  private accountValues(m: number): Record<(typeof ACCOUNT_TAGS)[number], string> {
    const v = this.ctx.engine.values(m);
    const money = (n: number) => n.toFixed(2);
    return {
      NetLiquidation: money(v.equity),
      TotalCashValue: money(v.cash),
      BuyingPower: money(v.buyingPower),
      AvailableFunds: money(v.buyingPower / 2),
      ExcessLiquidity: money(v.buyingPower / 2),
      EquityWithLoanValue: money(v.equity),
      GrossPositionValue: money(v.longMarketValue - v.shortMarketValue),
      AccountType: 'INDIVIDUAL',
    };
  }

  private accountSummary(client: TwsClient, reqId: number, tags: readonly string[], m: number): void {
    const values = this.accountValues(m);
    for (const tag of ACCOUNT_TAGS) {
      if (!tags.includes(tag)) continue;
      client.send(R.accountSummary(reqId, this.account, tag, values[tag], tag === 'AccountType' ? '' : 'USD'));
    }
    client.send(R.accountSummaryEnd(reqId));
  }

  private accountUpdates(client: TwsClient, m: number): void {
    const values = this.accountValues(m);
    for (const tag of ACCOUNT_TAGS) client.send(R.accountValue(tag, values[tag], tag === 'AccountType' ? '' : 'USD', this.account));
    for (const p of this.ctx.engine.positions()) {
      const price = this.ctx.engine.priceAt(p.symbol, m) ?? p.avgEntryPrice;
      const value = p.qty * price * p.multiplier;
      client.send(R.portfolioValue({ contract: contractOut(this.ctx, p.symbol), position: p.qty, marketPrice: price, marketValue: value, averageCost: p.avgEntryPrice * p.multiplier, unrealizedPnl: value - p.qty * p.avgEntryPrice * p.multiplier, account: this.account }));
    }
    client.send(R.accountUpdateTime(ibTime(m).slice(9, 14)));
    client.send(R.accountDownloadEnd(this.account));
  }

  /** avgCost is per contract as IB writes it: per share for stock, times the multiplier for options. */
  private positions(client: TwsClient): void {
    for (const p of this.ctx.engine.positions()) client.send(R.position(this.account, contractOut(this.ctx, p.symbol), p.qty, p.avgEntryPrice * p.multiplier));
    client.send(R.positionEnd());
  }

  // ---- contracts --------------------------------------------------------------------------------

  private contractDetails(client: TwsClient, reqId: number, c: WireContract): void {
    const symbol = this.book.resolve(c);
    if (symbol === null) return client.send(R.errorMessage(reqId, 200, 'No security definition has been found for the request'));
    const out = contractOut(this.ctx, symbol);
    const occ = parseOccSymbol(symbol);
    const facts = this.ctx.facts.get(occ ? occ.underlying : symbol);
    const hours = this.tradingHours();
    client.send(R.contractData(reqId, { contract: out, marketName: occ ? occ.underlying : 'NMS', minTick: 0.01, longName: facts?.name ?? symbol, underConId: occ ? contractOut(this.ctx, occ.underlying).conId : 0, tradingHours: hours, liquidHours: hours, stockType: occ ? '' : facts?.fund ? 'ETF' : 'COMMON' }));
    client.send(R.contractDataEnd(reqId));
  }

  /** `20250409:0930-20250409:1600` in the contract's zone (US/Eastern), the session the emulator runs. */
  private tradingHours(): string {
    const s = regularSessionUtc(this.ctx.date);
    if (s === null) return `${this.ctx.date.replace(/-/g, '')}:CLOSED`;
    const at = (ms: number) => {
      const t = ibTime(ms);
      return `${t.slice(0, 8)}:${t.slice(9, 11)}${t.slice(12, 14)}`;
    };
    return `${at(s.openMs)}-${at(s.closeMs)}`;
  }

  private optionParams(client: TwsClient, reqId: number, underlying: string): void {
    const symbol = underlying.toUpperCase();
    const listed = listedContracts(symbol, this.ctx.timeline.all(symbol), this.ctx.date);
    if (listed.length > 0) {
      const expirations = [...new Set(listed.map((q) => q.expiry.replace(/-/g, '')))].sort();
      const strikes = [...new Set(listed.map((q) => q.strike))].sort((a, b) => a - b);
      // IB answers once per exchange; SMART is the one the adapter reads.
      for (const exchange of ['SMART', 'CBOE']) client.send(R.secDefOptParameter(reqId, exchange, contractOut(this.ctx, symbol).conId, symbol, expirations, strikes));
    }
    client.send(R.secDefOptParameterEnd(reqId));
  }

  // ---- market data ------------------------------------------------------------------------------

  private marketData(client: TwsClient, reqId: number, c: WireContract, ticks: readonly string[], snapshot: boolean, m: number): void {
    const symbol = this.book.resolve(c);
    if (symbol === null) return client.send(R.errorMessage(reqId, 200, 'No security definition has been found for the request'));
    if (snapshot && ticks.length > 0) return client.send(R.errorMessage(reqId, 321, "Error validating request.-'bW' : cause - Snapshot market data subscription is not applicable to generic ticks"));
    client.send(R.marketDataType(reqId, client.marketDataType === 1 ? 1 : 3));
    const sub: Subscription = { client, reqId, symbol, ticks, lastBarT: null, auctionSent: false };
    this.sendQuote(sub, m);
    if (snapshot) return client.send(R.tickSnapshotEnd(reqId));
    this.sendGeneric(sub, m);
    this.subscriptions.set(`${client.clientId}:${reqId}`, sub);
  }

  private sendQuote(sub: Subscription, m: number): void {
    const q = quoteOf(this.ctx, sub.symbol, m);
    const last = this.ctx.engine.priceAt(sub.symbol, m);
    const bar = this.ctx.timeline.latestVisible(parseOccSymbol(sub.symbol)?.underlying ?? sub.symbol, m);
    sub.lastBarT = bar?.t ?? null;
    const t = sub.client.marketDataType === 1 ? LIVE_TICKS : DELAYED_TICKS;
    const send = sub.client.send.bind(sub.client);
    if (q !== null && q.bid > 0) send(R.tickPrice(sub.reqId, t.bid, q.bid, q.bidSize * 100, 1));
    if (q !== null && q.ask > 0) send(R.tickPrice(sub.reqId, t.ask, q.ask, q.askSize * 100, 1));
    if (last !== null) send(R.tickPrice(sub.reqId, t.last, last, bar ? Math.round(bar.v / 100) : 0, 0));
  }

  /** Generic ticks 236 (shortable: 3 = at least 1000 shares to borrow) and 225 (the closing auction). */
  private sendGeneric(sub: Subscription, m: number): void {
    if (sub.ticks.includes('236')) {
      const a = this.ctx.assetOf(sub.symbol);
      sub.client.send(R.tickGeneric(sub.reqId, 46, a?.shortable ? (a.easyToBorrow ? 3 : 2) : 1));
    }
    if (sub.ticks.includes('225') && !sub.auctionSent) this.sendAuction(sub, m);
  }

  private sendAuction(sub: Subscription, m: number): void {
    const s = regularSessionUtc(this.ctx.date);
    if (s === null) return;
    const a = closingAuction(this.ctx.timeline.visible(sub.symbol, m), m, s.closeMs);
    if (a === null) return;
    sub.auctionSent = true;
    sub.client.send(R.tickSize(sub.reqId, 34, a.auctionVolume));
    sub.client.send(R.tickPrice(sub.reqId, 35, a.auctionPrice, null, 0));
    sub.client.send(R.tickSize(sub.reqId, 36, a.imbalance));
    sub.client.send(R.tickSize(sub.reqId, 61, a.regulatoryImbalance));
  }

  private historical(client: TwsClient, req: Extract<TwsRequest, { type: 'reqHistoricalData' }>, m: number): void {
    const symbol = this.book.resolve(req.contract);
    if (symbol === null) return client.send(R.errorMessage(req.reqId, 200, 'No security definition has been found for the request'));
    const r = historicalBars(this.ctx.timeline, symbol, req, m);
    if ('error' in r) return client.send(R.errorMessage(req.reqId, 162, `Historical Market Data Service error message:${r.error}`));
    client.send(R.historicalData(req.reqId, r.start, r.end, r.bars));
  }

  // ---- orders -----------------------------------------------------------------------------------

  private nextOrderIdFor(clientId: number): number {
    const used = this.orders.filter((o) => o.clientId === clientId).reduce((mx, o) => Math.max(mx, o.orderId + 1), 1);
    return Math.max(used, this.nextId);
  }

  /**
   * The next order whose orderRef contains `orderRefPart` is refused the way IB refuses an order it will not
   * accept (a margin check, a restricted contract): error 201 "Order rejected - reason:..." and status
   * Inactive; it never reaches the market.
   */
  rejectNextOrder(orderRefPart: string, reason: string): void {
    this.refusals.push({ orderRefPart, reason });
  }

  private takeRefusal(orderRef: string): string | null {
    const i = this.refusals.findIndex((r) => orderRef.includes(r.orderRefPart));
    if (i < 0) return null;
    const [r] = this.refusals.splice(i, 1);
    return r!.reason;
  }

  private placeOrder(client: TwsClient, orderId: number, c: WireContract, w: Extract<TwsRequest, { type: 'placeOrder' }>['order'], m: number): void {
    if (this.orders.some((o) => o.clientId === client.clientId && o.orderId === orderId)) {
      return client.send(R.errorMessage(orderId, 103, 'Duplicate order id'));
    }
    const symbol = this.book.resolve(c);
    if (symbol === null) return client.send(R.errorMessage(orderId, 200, 'No security definition has been found for the request'));
    if (w.account !== '' && !this.accounts.includes(w.account)) return client.send(R.errorMessage(orderId, 201, `Order rejected - reason:The account code ${w.account} is not managed by this login`));
    this.nextId = Math.max(this.nextId, orderId + 1);
    const clientOrderId = w.orderRef || `ib-${client.clientId}-${orderId}`;
    const refusal = this.takeRefusal(clientOrderId);
    const shape = refusal === null ? orderInput(symbol, w, clientOrderId) : { ok: false as const, code: 201, message: `Order rejected - reason:${refusal}` };
    const submitted = shape.ok ? this.ctx.engine.submit(shape.input, m) : null;
    const engineOrder = submitted?.ok ? submitted.order : null;
    const order: IbOrder = { orderId, clientId: client.clientId, permId: this.permSeq++, account: w.account || this.account, contract: contractOut(this.ctx, symbol), wire: w, engineId: engineOrder?.id ?? null, refusedMs: engineOrder ? null : m, reportedStatus: 'PendingSubmit', reportedFilled: 0, reportedFills: 0, placedMs: m };
    this.orders.push(order);
    if (engineOrder === null) {
      const why = !shape.ok ? shape : submitted && !submitted.ok ? { code: 201, message: `Order rejected - reason:${submitted.message}` } : { code: 201, message: 'Order rejected' };
      client.send(R.errorMessage(orderId, why.code, why.message));
      return this.report(order, 'Inactive', null);
    }
    if (engineOrder.status === 'accepted' && engineOrder.type === 'market') {
      client.send(R.errorMessage(orderId, 399, `Order Message:\n${w.action} ${w.totalQuantity} ${order.contract.symbol} ${order.contract.primaryExch}\nWarning: your order will not be placed at the exchange until ${this.nextOpenText()}`));
    }
    this.report(order, ibStatus(engineOrder), engineOrder);
  }

  private nextOpenText(): string {
    const s = regularSessionUtc(this.ctx.date);
    return s === null ? 'the next session' : ibTime(s.openMs);
  }

  private cancelOrder(client: TwsClient, orderId: number, m: number): void {
    const order = this.orders.find((o) => o.clientId === client.clientId && o.orderId === orderId);
    if (!order || order.engineId === null) return client.send(R.errorMessage(orderId, 10147, `OrderId ${orderId} that needs to be cancelled is not found.`));
    const r = this.ctx.engine.cancel(order.engineId, m);
    if (!r.ok) return client.send(R.errorMessage(orderId, 10148, `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${order.reportedStatus}.`));
    client.send(R.errorMessage(orderId, 202, 'Order Canceled - reason:'));
    this.poll();
  }

  private engineOrder(o: IbOrder): EmuOrder | null {
    return o.engineId === null ? null : this.ctx.engine.order(o.engineId);
  }

  private statusOf(o: IbOrder): string {
    const e = this.engineOrder(o);
    return e === null ? 'Inactive' : ibStatus(e);
  }

  /** What changed since the owner was last told: fills first (execDetails), then the status. */
  poll(): void {
    const m = advanced(this.ctx);
    for (const o of this.orders) {
      const e = this.engineOrder(o);
      if (e === null) continue;
      const status = ibStatus(e);
      if (status === o.reportedStatus && e.fills.length === o.reportedFills) continue;
      this.report(o, status, e);
    }
    for (const sub of this.subscriptions.values()) this.refresh(sub, m);
  }

  private refresh(sub: Subscription, m: number): void {
    const bar = this.ctx.timeline.latestVisible(parseOccSymbol(sub.symbol)?.underlying ?? sub.symbol, m);
    if (bar !== null && bar.t !== sub.lastBarT) this.sendQuote(sub, m);
    if (sub.ticks.includes('225') && !sub.auctionSent) this.sendAuction(sub, m);
  }

  private owner(o: IbOrder): TwsClient | null {
    for (const c of this.clients) if (c.clientId === o.clientId) return c;
    return null;
  }

  private report(o: IbOrder, status: string, e: EmuOrder | null): void {
    const client = this.owner(o);
    const fills = e?.fills ?? [];
    if (client !== null) {
      let cum = o.reportedFilled;
      let notional = fills.slice(0, o.reportedFills).reduce((s, f) => s + f.qty * f.price, 0);
      for (const [i, f] of fills.entries()) {
        if (i < o.reportedFills) continue;
        cum += f.qty;
        notional += f.qty * f.price;
        const execId = `0000e9b5.${o.permId.toString(16)}.01.${String(i + 1).padStart(2, '0')}`;
        client.send(R.executionData(o.contract, { reqId: -1, orderId: o.orderId, execId, time: ibTime(f.marketMs), account: o.account, side: e?.side === 'buy' ? 'BOT' : 'SLD', shares: f.qty, price: f.price, permId: o.permId, clientId: o.clientId, cumQty: cum, avgPrice: notional / cum, orderRef: o.wire.orderRef }));
        client.send(R.commissionReport(execId, 0));
      }
      if (status !== o.reportedStatus) client.send(R.openOrder(o.contract, orderOut(o), { status, commission: isDoneStatus(status) && fills.length > 0 ? 0 : null, warningText: '' }));
      const filled = e?.filledQty ?? 0;
      const last = fills.at(-1)?.price ?? 0;
      client.send(R.orderStatus({ orderId: o.orderId, status, filled, remaining: isDoneStatus(status) ? 0 : o.wire.totalQuantity - filled, avgFillPrice: e?.filledAvgPrice ?? 0, permId: o.permId, lastFillPrice: last, clientId: o.clientId }));
    }
    // An owner away (disconnected) hears nothing now; it reads the state back with reqAllOpenOrders / reqCompletedOrders / reqExecutions.
    if (client !== null) {
      o.reportedStatus = status;
      o.reportedFills = fills.length;
      o.reportedFilled = e?.filledQty ?? 0;
    }
  }

  private openOrders(client: TwsClient, onlyClientId: number | null): void {
    for (const o of this.orders) {
      if (onlyClientId !== null && o.clientId !== onlyClientId) continue;
      const status = this.statusOf(o);
      if (isDoneStatus(status)) continue;
      const e = this.engineOrder(o);
      client.send(R.openOrder(o.contract, orderOut(o), { status, commission: null, warningText: '' }));
      client.send(R.orderStatus({ orderId: o.orderId, status, filled: e?.filledQty ?? 0, remaining: o.wire.totalQuantity - (e?.filledQty ?? 0), avgFillPrice: e?.filledAvgPrice ?? 0, permId: o.permId, lastFillPrice: e?.fills.at(-1)?.price ?? 0, clientId: o.clientId }));
    }
    client.send(R.openOrderEnd());
  }

  private completedOrders(client: TwsClient): void {
    for (const o of this.orders) {
      const status = this.statusOf(o);
      if (!isDoneStatus(status)) continue;
      const e = this.engineOrder(o);
      const doneMs = e?.filledMs ?? e?.canceledMs ?? e?.expiredMs ?? o.refusedMs ?? o.placedMs;
      const completedStatus = status === 'Filled' ? 'Filled Size: ' + String(e?.filledQty ?? 0) : status === 'Inactive' ? 'Rejected' : 'Cancelled by Trader';
      client.send(R.completedOrder(o.contract, orderOut(o), status, { filledQuantity: e?.filledQty ?? 0, completedTime: ibTime(doneMs), completedStatus }));
    }
    client.send(R.completedOrdersEnd());
  }

  private executions(client: TwsClient, reqId: number, symbol: string): void {
    for (const o of this.orders) {
      const e = this.engineOrder(o);
      if (e === null || (symbol && o.contract.symbol !== symbol.toUpperCase())) continue;
      let cum = 0;
      let notional = 0;
      for (const [i, f] of e.fills.entries()) {
        cum += f.qty;
        notional += f.qty * f.price;
        const execId = `0000e9b5.${o.permId.toString(16)}.01.${String(i + 1).padStart(2, '0')}`;
        client.send(R.executionData(o.contract, { reqId, orderId: o.orderId, execId, time: ibTime(f.marketMs), account: o.account, side: e.side === 'buy' ? 'BOT' : 'SLD', shares: f.qty, price: f.price, permId: o.permId, clientId: o.clientId, cumQty: cum, avgPrice: notional / cum, orderRef: o.wire.orderRef }));
      }
    }
    client.send(R.executionDataEnd(reqId));
  }
}
