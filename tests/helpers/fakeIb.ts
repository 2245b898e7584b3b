import { EventEmitter } from 'node:events';
import type { Contract, ContractDetails, Execution, Order, OrderState } from '@stoqey/ib';
import type { IbApiFactory, IbApiLike } from '../../activities/broker/ibkr/ibkrBroker';

/**
 * A scripted stand-in for TWS / IB Gateway behind @stoqey/ib's IBApi surface, for the IBKR adapter tests
 * (no TWS can run here). `FakeTws` is the gateway (accounts, positions, orders, contracts, market data);
 * each `connection()` is one IBApi-like client socket to it, so a "restarted" adapter reconnects to the
 * same state.
 *
 * Message sequences follow IB's documented TWS API behaviour: on connect, `nextValidId` and
 * `managedAccounts` (plus the 2104/2106/2158 farm notices, which carry no request id and so reach listeners as `info`, as in @stoqey/ib); request/response pairs end
 * with their `...End` event; an order goes PreSubmitted/Submitted -> Filled through `orderStatus`, with
 * `openOrder`, `execDetails` and `commissionReport`; rejections come as error 201 then status Inactive;
 * cancels as error 202 then status Cancelled; a market order outside regular hours gets warning 399
 * ("will not be placed at the exchange until ..."); unknown contracts error 200; cancel of an unknown id
 * error 10147; connection refused 502; client id in use 326. Only what the adapter uses is modelled.
 */

export type IbFill =
  | { readonly kind: 'fill' }
  | { readonly kind: 'partial'; readonly filled: number }
  | { readonly kind: 'working' }
  | { readonly kind: 'reject'; readonly message: string }
  | { readonly kind: 'outside_hours' };

interface FakeOrder {
  orderId: number;
  permId: number;
  clientId: number;
  contract: Contract;
  order: Order;
  status: string;
  filled: number;
  avgPrice: number;
  commission: number;
  completedTime: string | null;
}

const FARM_NOTICES: [number, string][] = [
  [2104, 'Market data farm connection is OK:usfarm'],
  [2106, 'HMDS data farm connection is OK:ushmds'],
  [2158, 'Sec-def data farm connection is OK:secdefnj'],
];

export interface FakeTwsOptions {
  readonly accounts: readonly string[];
  readonly refuseConnection?: boolean;
  readonly clientIdsInUse?: readonly number[];
}

export class FakeTws {
  readonly connections: FakeIbConnection[] = [];
  readonly orders: FakeOrder[] = [];
  readonly prices = new Map<string, { bid: number; ask: number; last: number }>();
  readonly conIds = new Map<string, number>();
  readonly fills = new Map<string, IbFill>();
  readonly summary = new Map<string, Record<string, string>>();
  /** Open positions per account: symbol key -> contract, qty, average cost. */
  readonly positions = new Map<string, { account: string; contract: Contract; pos: number; avgCost: number }>();
  readonly optionChains = new Map<string, { expirations: string[]; strikes: number[] }>();
  readonly imbalances = new Map<string, { volume: number; price: number; imbalance: number; regulatory: number }>();
  readonly shortableTicks = new Map<string, number>();
  /** Requests to leave unanswered (by method name), to test timeouts. */
  readonly silent = new Set<string>();
  /** Real milliseconds before each answer (0: on the next turn of the event loop), a slow gateway. */
  answerDelayMs = 0;
  private nextValidId = 1;
  private permSeq = 900_000;
  private execSeq = 1;

  constructor(readonly opts: FakeTwsOptions) {
    for (const a of opts.accounts) this.summary.set(a, { NetLiquidation: '100000.00', TotalCashValue: '60000.00', BuyingPower: '240000.00' });
  }

  readonly factory: IbApiFactory = ({ host, port }) => {
    const c = new FakeIbConnection(this, host, port);
    this.connections.push(c);
    return c;
  };

  allocateOrderIds(): number {
    return this.nextValidId;
  }

  noteOrderId(id: number): boolean {
    if (id < this.nextValidId) return false;
    this.nextValidId = id + 1;
    return true;
  }

  newPermId(): number {
    return this.permSeq++;
  }

  newExecId(): string {
    return `0000e0d5.6571b2a1.01.01.${this.execSeq++}`;
  }

  details(contract: Contract): ContractDetails | null {
    const key = contract.secType === 'OPT' ? `${contract.symbol} ${contract.lastTradeDateOrContractMonth} ${contract.right} ${contract.strike}` : String(contract.symbol);
    const conId = this.conIds.get(key);
    if (conId === undefined) return null;
    return { contract: { ...contract, conId, exchange: 'SMART', primaryExch: 'NASDAQ', currency: 'USD', localSymbol: String(contract.symbol) }, marketName: 'NMS', minTick: 0.01 } as ContractDetails;
  }

  priceOf(contract: Contract): { bid: number; ask: number; last: number } | undefined {
    return this.prices.get(String(contract.symbol));
  }

  applyFillToPosition(account: string, contract: Contract, side: string, qty: number, price: number): void {
    const key = `${account}|${contract.secType}|${contract.symbol}|${contract.lastTradeDateOrContractMonth ?? ''}|${contract.strike ?? ''}`;
    const mult = contract.secType === 'OPT' ? 100 : 1;
    const p = this.positions.get(key) ?? { account, contract, pos: 0, avgCost: 0 };
    const signed = side === 'BUY' ? qty : -qty;
    if (p.pos === 0 || Math.sign(p.pos) === Math.sign(signed)) p.avgCost = (p.avgCost * Math.abs(p.pos) + price * mult * qty) / (Math.abs(p.pos) + qty);
    p.pos += signed;
    if (p.pos === 0) this.positions.delete(key);
    else this.positions.set(key, p);
  }

  workingOrders(): FakeOrder[] {
    return this.orders.filter((o) => !['Filled', 'Cancelled', 'ApiCancelled', 'Inactive'].includes(o.status));
  }
}

export class FakeIbConnection extends EventEmitter implements IbApiLike {
  isConnected = false;
  clientId = -1;
  readonly sent: { method: string; args: unknown[] }[] = [];

  constructor(
    private readonly tws: FakeTws,
    readonly host: string,
    readonly port: number,
  ) {
    super();
    // The real IBApi emits 'error' for every TWS message code; an EventEmitter without a listener would throw.
    this.on('error', () => undefined);
  }

  private later(fn: () => void): void {
    const answer = () => {
      if (this.isConnected) fn();
    };
    if (this.tws.answerDelayMs > 0) setTimeout(answer, this.tws.answerDelayMs);
    else setImmediate(answer);
  }

  private record(method: string, args: unknown[]): boolean {
    this.sent.push({ method, args });
    return !this.tws.silent.has(method);
  }

  private emitError(message: string, code: number, id: number): void {
    this.emit('error', new Error(message), code, id);
  }

  /** A TWS message without a request id: @stoqey/ib's decoder emits it as 'info' (message, code), not 'error'. */
  private emitInfo(message: string, code: number): void {
    this.emit('info', message, code);
  }

  connect(clientId = 0): this {
    this.record('connect', [clientId]);
    setImmediate(() => {
      if (this.tws.opts.refuseConnection) {
        this.emitError(
          `connect ECONNREFUSED ${this.host}:${this.port}`,
          502,
          -1,
        );
        this.emit('disconnected');
        return;
      }
      if (this.tws.opts.clientIdsInUse?.includes(clientId)) {
        this.isConnected = true;
        this.emitInfo('Unable to connect as the client id is already in use. Retry with a unique client id.', 326);
        this.isConnected = false;
        this.emit('disconnected');
        return;
      }
      this.isConnected = true;
      this.clientId = clientId;
      this.emit('connected');
      this.emit('server', 176, '20250303 09:00:00 US/Eastern');
      this.emit('nextValidId', this.tws.allocateOrderIds());
      this.emit('managedAccounts', this.tws.opts.accounts.join(','));
      for (const [code, msg] of FARM_NOTICES) this.emitInfo(msg, code);
    });
    return this;
  }

  disconnect(): this {
    this.record('disconnect', []);
    if (this.isConnected) {
      this.isConnected = false;
      setImmediate(() => this.emit('disconnected'));
    }
    return this;
  }

  /** TWS lost its connection to IB's servers (code 1100), as after a nightly reset. */
  loseServerConnectivity(): void {
    this.emitInfo('Connectivity between IB and Trader Workstation has been lost.', 1100);
  }

  reqMarketDataType(type: number): this {
    this.record('reqMarketDataType', [type]);
    return this;
  }

  reqAccountSummary(reqId: number, group: string, tags: string): this {
    if (!this.record('reqAccountSummary', [reqId, group, tags])) return this;
    this.later(() => {
      for (const [account, values] of this.tws.summary) {
        for (const tag of tags.split(',')) {
          if (values[tag] !== undefined) this.emit('accountSummary', reqId, account, tag, values[tag], 'USD');
        }
      }
      this.emit('accountSummaryEnd', reqId);
    });
    return this;
  }

  cancelAccountSummary(reqId: number): this {
    this.record('cancelAccountSummary', [reqId]);
    return this;
  }

  reqPositions(): this {
    if (!this.record('reqPositions', [])) return this;
    this.later(() => {
      for (const p of this.tws.positions.values()) this.emit('position', p.account, p.contract, p.pos, p.avgCost);
      this.emit('positionEnd');
    });
    return this;
  }

  cancelPositions(): this {
    this.record('cancelPositions', []);
    return this;
  }

  reqContractDetails(reqId: number, contract: Contract): this {
    if (!this.record('reqContractDetails', [reqId, contract])) return this;
    this.later(() => {
      const d = this.tws.details(contract);
      if (!d) {
        this.emitError('No security definition has been found for the request', 200, reqId);
        return;
      }
      this.emit('contractDetails', reqId, d);
      this.emit('contractDetailsEnd', reqId);
    });
    return this;
  }

  reqSecDefOptParams(reqId: number, underlyingSymbol: string, futFopExchange: string, underlyingSecType: string, underlyingConId: number): this {
    if (!this.record('reqSecDefOptParams', [reqId, underlyingSymbol, futFopExchange, underlyingSecType, underlyingConId])) return this;
    this.later(() => {
      const chain = this.tws.optionChains.get(underlyingSymbol);
      if (chain) {
        // TWS answers once per exchange; SMART carries the union.
        this.emit('securityDefinitionOptionParameter', reqId, 'CBOE', underlyingConId, underlyingSymbol, '100', chain.expirations.slice(0, 1), chain.strikes.slice(0, 1));
        this.emit('securityDefinitionOptionParameter', reqId, 'SMART', underlyingConId, underlyingSymbol, '100', chain.expirations, chain.strikes);
      }
      this.emit('securityDefinitionOptionParameterEnd', reqId);
    });
    return this;
  }

  reqMktData(reqId: number, contract: Contract, genericTickList: string | null, snapshot: boolean, regulatorySnapshot: boolean): this {
    if (!this.record('reqMktData', [reqId, contract, genericTickList, snapshot, regulatorySnapshot])) return this;
    this.later(() => {
      const sym = String(contract.symbol);
      if (snapshot && genericTickList) {
        this.emitError('Snapshot market data subscription is not applicable to generic ticks', 321, reqId);
        return;
      }
      if (snapshot) {
        const p = this.tws.priceOf(contract);
        if (p) {
          this.emit('tickPrice', reqId, 1, p.bid, { canAutoExecute: true });
          this.emit('tickSize', reqId, 0, 100);
          this.emit('tickPrice', reqId, 2, p.ask, { canAutoExecute: true });
          this.emit('tickSize', reqId, 3, 200);
          this.emit('tickPrice', reqId, 4, p.last, {});
        } else {
          this.emitError('Requested market data is not subscribed. Displaying delayed market data.', 10167, reqId);
        }
        this.emit('tickSnapshotEnd', reqId);
        return;
      }
      if (genericTickList?.split(',').includes('225')) {
        const im = this.tws.imbalances.get(sym);
        if (im) {
          this.emit('tickSize', reqId, 34, im.volume);
          this.emit('tickPrice', reqId, 35, im.price, {});
          this.emit('tickSize', reqId, 36, im.imbalance);
          this.emit('tickSize', reqId, 61, im.regulatory);
        }
      }
      if (genericTickList?.split(',').includes('236')) {
        const s = this.tws.shortableTicks.get(sym);
        if (s !== undefined) this.emit('tickGeneric', reqId, 46, s);
      }
    });
    return this;
  }

  cancelMktData(reqId: number): this {
    this.record('cancelMktData', [reqId]);
    return this;
  }

  placeOrder(id: number, contract: Contract, order: Order): this {
    if (!this.record('placeOrder', [id, contract, order])) return this;
    this.later(() => {
      if (!this.tws.noteOrderId(id)) {
        this.emitError('Duplicate order id', 103, id);
        return;
      }
      const fo: FakeOrder = {
        orderId: id,
        permId: this.tws.newPermId(),
        clientId: this.clientId,
        contract: { ...contract },
        order: { ...order, orderId: id, clientId: this.clientId },
        status: 'PreSubmitted',
        filled: 0,
        avgPrice: 0,
        commission: Number.MAX_VALUE,
        completedTime: null,
      };
      this.tws.orders.push(fo);
      const qty = Number(order.totalQuantity);
      const isStop = order.orderType === 'STP' || order.orderType === 'TRAIL';
      const behaviour: IbFill = isStop ? { kind: 'working' } : (this.tws.fills.get(String(contract.symbol)) ?? { kind: 'fill' });
      if (behaviour.kind === 'reject') {
        this.emitError(`Order rejected - reason:${behaviour.message}`, 201, id);
        this.setStatus(fo, 'Inactive');
        return;
      }
      this.emitOpenOrder(fo);
      this.setStatus(fo, 'PreSubmitted');
      if (behaviour.kind === 'outside_hours') {
        this.emitError(
          `Order Message:\n${order.action} ${qty} ${contract.symbol} NASDAQ.NMS\nWarning: your order will not be placed at the exchange until 2025-03-04 09:30:00 US/Eastern`,
          399,
          id,
        );
        return;
      }
      this.setStatus(fo, 'Submitted');
      if (behaviour.kind === 'working') return;
      const price = this.tws.priceOf(contract)?.last ?? 100;
      const fillQty = behaviour.kind === 'partial' ? behaviour.filled : qty;
      this.execute(fo, fillQty, price);
      if (fillQty >= qty) {
        fo.completedTime = '20250303 10:00:01 America/New_York';
        this.setStatus(fo, 'Filled');
        fo.commission = 1.0;
        this.emitOpenOrder(fo);
      }
    });
    return this;
  }

  private execute(fo: FakeOrder, qty: number, price: number): void {
    const execution: Execution = {
      orderId: fo.orderId,
      clientId: fo.clientId,
      execId: this.tws.newExecId(),
      time: '20250303 10:00:01',
      acctNumber: fo.order.account,
      exchange: 'ISLAND',
      side: fo.order.action === 'BUY' ? 'BOT' : 'SLD',
      shares: qty,
      price,
      permId: fo.permId,
      cumQty: fo.filled + qty,
      avgPrice: price,
      orderRef: fo.order.orderRef,
    };
    fo.avgPrice = price;
    fo.filled += qty;
    this.tws.applyFillToPosition(String(fo.order.account), fo.contract, String(fo.order.action), qty, price);
    this.emit('execDetails', -1, fo.contract, execution);
    this.emit('commissionReport', { execId: execution.execId, commission: 1.0, currency: 'USD' });
    this.setStatus(fo, fo.status === 'Filled' ? 'Filled' : 'Submitted');
  }

  private emitOpenOrder(fo: FakeOrder): void {
    const state: OrderState = { status: fo.status as OrderState['status'], commission: fo.commission };
    this.emit('openOrder', fo.orderId, fo.contract, fo.order, state);
  }

  private setStatus(fo: FakeOrder, status: string): void {
    fo.status = status;
    const qty = Number(fo.order.totalQuantity);
    this.emit('orderStatus', fo.orderId, status, fo.filled, qty - fo.filled, fo.avgPrice, fo.permId, 0, fo.avgPrice, fo.clientId, '', 0);
  }

  /** The market reaches a working stop: it fills. */
  triggerStop(orderRef: string, price: number): void {
    const fo = this.tws.orders.find((o) => o.order.orderRef === orderRef);
    if (!fo) throw new Error(`no order ${orderRef}`);
    this.execute(fo, Number(fo.order.totalQuantity) - fo.filled, price);
    this.setStatus(fo, 'Filled');
  }

  cancelOrder(orderId: number): this {
    if (!this.record('cancelOrder', [orderId])) return this;
    this.later(() => {
      const fo = this.tws.orders.find((o) => o.orderId === orderId);
      if (!fo) {
        this.emitError(`OrderId ${orderId} that needs to be cancelled is not found.`, 10147, orderId);
        return;
      }
      if (['Filled', 'Cancelled', 'Inactive', 'ApiCancelled'].includes(fo.status)) {
        this.emitError(`OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${fo.status}.`, 10148, orderId);
        return;
      }
      this.emitError('Order Canceled - reason:', 202, orderId);
      this.setStatus(fo, 'Cancelled');
    });
    return this;
  }

  reqAllOpenOrders(): this {
    if (!this.record('reqAllOpenOrders', [])) return this;
    this.later(() => {
      for (const fo of this.tws.workingOrders()) {
        this.emitOpenOrder(fo);
        this.setStatus(fo, fo.status);
      }
      this.emit('openOrderEnd');
    });
    return this;
  }

  reqCompletedOrders(apiOnly: boolean): this {
    if (!this.record('reqCompletedOrders', [apiOnly])) return this;
    this.later(() => {
      for (const fo of this.tws.orders.filter((o) => !this.tws.workingOrders().includes(o))) {
        const order: Order = { ...fo.order, filledQuantity: fo.filled };
        const state: OrderState = { status: fo.status as OrderState['status'], completedTime: fo.completedTime ?? undefined, completedStatus: fo.status };
        this.emit('completedOrder', fo.contract, order, state);
      }
      this.emit('completedOrdersEnd');
    });
    return this;
  }

  reqExecutions(reqId: number, filter: { acctCode?: string }): this {
    if (!this.record('reqExecutions', [reqId, filter])) return this;
    this.later(() => {
      for (const fo of this.tws.orders) {
        if (fo.filled <= 0 || (filter.acctCode && fo.order.account !== filter.acctCode)) continue;
        this.emit('execDetails', reqId, fo.contract, {
          orderId: fo.orderId,
          execId: this.tws.newExecId(),
          shares: fo.filled,
          cumQty: fo.filled,
          price: fo.avgPrice,
          avgPrice: fo.avgPrice,
          orderRef: fo.order.orderRef,
          acctNumber: fo.order.account,
        } satisfies Execution);
      }
      this.emit('execDetailsEnd', reqId);
    });
    return this;
  }
}
