import { rejectedOrder } from './rejectedOrder';
import {
  IBApi,
  OptionType,
  OrderAction,
  OrderStatus as IbOrderStatus,
  OrderType,
  SecType,
  TimeInForce,
  type Contract,
  type ContractDetails,
  type Execution,
  type Order,
  type OrderState,
} from '@stoqey/ib';
import type {
  AssetClass,
  Broker,
  BrokerAccount,
  BrokerCapabilities,
  BrokerOrder,
  BrokerPosition,
  OrderRequest,
  OrderStatus,
} from './brokerTypes';
import type {
  AssetInfo,
  BrokerExtensions,
  ImbalanceInfo,
  OptionContractInfo,
  ProtectiveStopRequest,
  ProtectiveStopResult,
  QuoteInfo,
} from './brokerFactory';
import { BrokerError, ConfigError, LogicError, NetworkError } from '../../domain/errors/errorClasses';
import { formatOccSymbol, parseOccSymbol } from '../../domain/instruments/occSymbol';
import { hhmmToMinutes, nyWallTimeToUtcMs, utcMsToNyWallTime } from '../../domain/market/nyTime';
import { realSleep } from '../marketData/rateLimiter';
import { round2 } from '../../domain/math/round';

/**
 * Interactive Brokers through @stoqey/ib (the classic event API, IBApi) talking to TWS or IB Gateway by
 * host, port and client id. Requests are answered by events keyed by request id and closed by an `...End`
 * event; errors arrive on the `error` event with IB's numeric code and the request or order id.
 *
 * Idempotency: every order carries the bot's client order id in IB's `orderRef` field. Before placing, the
 * adapter looks the ref up among this session's orders, all open orders (reqAllOpenOrders) and today's
 * completed orders (reqCompletedOrders), so a retried activity finds the first order instead of placing
 * a second one.
 *
 * Paper or live is decided by which TWS/Gateway you connect to; the adapter checks that the configured
 * account is among the accounts that TWS manages, and in paper mode (always the case with TEST_MODE=true)
 * refuses any account that is not an IB paper account (paper account ids start with "D", e.g. DU1234567).
 */

/** Event arguments differ per event name, as in IBApi's own EventEmitter typing. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type IbListener = (...args: any[]) => void;

/** The part of IBApi this adapter uses; the real IBApi and the scripted test fake both satisfy it. */
export interface IbApiLike {
  readonly isConnected: boolean;
  connect(clientId?: number): unknown;
  disconnect(): unknown;
  on(event: string, listener: IbListener): unknown;
  off(event: string, listener: IbListener): unknown;
  placeOrder(id: number, contract: Contract, order: Order): unknown;
  cancelOrder(orderId: number): unknown;
  reqAllOpenOrders(): unknown;
  reqCompletedOrders(apiOnly: boolean): unknown;
  reqExecutions(reqId: number, filter: { acctCode?: string }): unknown;
  reqPositions(): unknown;
  cancelPositions(): unknown;
  reqAccountSummary(reqId: number, group: string, tags: string): unknown;
  cancelAccountSummary(reqId: number): unknown;
  reqContractDetails(reqId: number, contract: Contract): unknown;
  reqSecDefOptParams(reqId: number, underlyingSymbol: string, futFopExchange: string, underlyingSecType: string, underlyingConId: number): unknown;
  reqMktData(reqId: number, contract: Contract, genericTickList: string | null, snapshot: boolean, regulatorySnapshot: boolean): unknown;
  cancelMktData(reqId: number): unknown;
  reqMarketDataType(marketDataType: number): unknown;
}

export type IbApiFactory = (opts: { host: string; port: number }) => IbApiLike;

export const defaultIbApiFactory: IbApiFactory = ({ host, port }) => new IBApi({ host, port }) as unknown as IbApiLike;

export interface IbkrBrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  readonly account: string;
  readonly endpointMode: 'paper' | 'live';
  /** Per-request timeout (API_TIMEOUT). */
  readonly timeoutMs: number;
  readonly fillTimeoutMs?: number;
  /** Market data type: 1 real-time (needs a subscription), 3 delayed. */
  readonly marketDataType?: 1 | 2 | 3 | 4;
  readonly apiFactory?: IbApiFactory;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** The gateway's daily restart, New York wall time (docs/ibkr.md "Daily restart"); default 23:45 for 15 minutes. */
  readonly restartWindow?: RestartWindow;
}

export interface RestartWindow {
  /** HH:MM, New York. */
  readonly startNy: string;
  readonly minutes: number;
}

/** IB Gateway's default auto-restart time (Configure > Settings > Lock and Exit), New York. */
export const DEFAULT_RESTART_WINDOW: RestartWindow = { startNy: '23:45', minutes: 15 };

/** Whether a UTC instant falls inside the daily restart window (which may run past midnight). */
export function inRestartWindow(ms: number, w: RestartWindow): boolean {
  const start = hhmmToMinutes(w.startNy);
  const minute = hhmmToMinutes(utcMsToNyWallTime(ms).hhmm);
  const since = (minute - start + 24 * 60) % (24 * 60);
  return since < w.minutes;
}

/** IB codes (TWS API "Message Codes"), the ones this adapter acts on. */
export const IB_CODES = {
  NO_SECURITY_DEFINITION: 200,
  ORDER_REJECTED: 201,
  ORDER_CANCELLED: 202,
  DUPLICATE_ORDER_ID: 103,
  CLIENT_ID_IN_USE: 326,
  ORDER_WARNING: 399,
  CONNECT_FAIL: 502,
  NOT_CONNECTED: 504,
  CONNECTIVITY_LOST: 1100,
  CONNECTIVITY_RESTORED_DATA_LOST: 1101,
  CONNECTIVITY_RESTORED: 1102,
  CANCEL_NOT_FOUND: 10147,
  CANCEL_ALREADY_FILLED: 10148,
  SNAPSHOT_NOT_SUBSCRIBED: 10090,
  NO_MARKET_DATA: 354,
} as const;

/** IB "unset" double (Double.MAX_VALUE) as it arrives in orderState.commission before a fill. */
const UNSET_DOUBLE = 1e300;

interface OrderTrack {
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly contract: Contract;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: number;
  status: string;
  filled: number;
  avgFillPrice: number;
  commission: number;
  submittedAt: string;
  filledAt: string | null;
  errors: { code: number; message: string }[];
}

interface Pending {
  readonly reqId: number;
  reject(err: Error): void;
}

/** How IB says no to an order, mapped to the stable codes the trade log records. */
export function ibRejectionCode(code: number, message: string): string {
  const m = message.toLowerCase();
  if (/buying power|equity with loan|initial margin|insufficient fund|margin requirement/.test(m)) return 'insufficient_buying_power';
  if (/pattern day trad|\bpdt\b/.test(m)) return 'pdt_protection';
  if (/short|locate|not available for short|borrow/.test(m)) return 'not_shortable';
  if (/will not be placed at the exchange until|market is closed|exchange is closed|outside of regular trading hours/.test(m)) return 'market_closed';
  if (code === IB_CODES.NO_SECURITY_DEFINITION) return 'no_security_definition';
  if (code === IB_CODES.ORDER_CANCELLED) return 'canceled_by_ib';
  return 'rejected';
}

export class IbkrBroker implements Broker, BrokerExtensions {
  readonly name = 'ibkr' as const;
  readonly capabilities: BrokerCapabilities = { options: true, shortSelling: true, fractional: false };
  private api: IbApiLike | null = null;
  private connecting: Promise<void> | null = null;
  private managedAccounts: string[] = [];
  private nextOrderId = -1;
  private reqSeq = 1_000_000;
  private readonly pending = new Map<number, Pending>();
  private readonly tracks = new Map<number, OrderTrack>();
  private readonly byRef = new Map<string, number>();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private connectivityLost = false;
  private readonly listeners: [string, IbListener][] = [];
  /** When the socket went down (null while up or before the first connection). */
  private downSinceMs: number | null = null;
  private everConnected = false;
  private escalated = false;
  private readonly restartWindow: RestartWindow;

  constructor(private readonly opts: IbkrBrokerOptions) {
    this.sleep = opts.sleep ?? realSleep;
    this.now = opts.now ?? Date.now;
    this.restartWindow = opts.restartWindow ?? DEFAULT_RESTART_WINDOW;
  }

  private get where(): string {
    return `TWS/IB Gateway at ${this.opts.host}:${this.opts.port} (client id ${this.opts.clientId})`;
  }

  // -------------------------------------------------------------------------------------------
  // Connection

  private listen(api: IbApiLike, event: string, fn: IbListener): void {
    api.on(event, fn);
    this.listeners.push([event, fn]);
  }

  private async ensureConnected(): Promise<IbApiLike> {
    if (this.api && this.api.isConnected && this.nextOrderId >= 0) return this.api;
    this.connecting ??= this.reconnect().finally(() => {
      this.connecting = null;
    });
    await this.connecting;
    if (!this.api) throw new NetworkError(`ibkr: not connected to ${this.where}`, { provider: 'ibkr', code: String(IB_CODES.NOT_CONNECTED) });
    return this.api;
  }

  /**
   * Connects, or reconnects after a drop (the gateway's daily restart): then re-reads the working orders
   * this session tracks, since fills and cancels went on at IB while the socket was down. A connection
   * still failing after the socket has been down longer than the restart window escalates once, as a
   * BrokerError (not retried: the session alerts and halts the broker), instead of failing for days.
   */
  private async reconnect(): Promise<void> {
    const wasConnected = this.everConnected;
    try {
      await this.connect();
    } catch (err) {
      throw this.escalation(err) ?? err;
    }
    this.everConnected = true;
    this.downSinceMs = null;
    this.escalated = false;
    if (wasConnected) await this.resync();
  }

  private escalation(err: unknown): Error | null {
    if (this.downSinceMs === null || this.escalated || !(err instanceof NetworkError)) return null;
    const now = this.now();
    const downMs = now - this.downSinceMs;
    if (inRestartWindow(now, this.restartWindow) || downMs <= this.restartWindow.minutes * 60_000) return null;
    this.escalated = true;
    return new BrokerError(
      `ibkr: ${this.where} has been unreachable for ${Math.round(downMs / 60_000)} min, longer than its daily restart window (${this.restartWindow.startNy} New York, ${this.restartWindow.minutes} min); check TWS / IB Gateway: ${err.message}`,
      { provider: 'ibkr', code: 'gateway_down', cause: err },
    );
  }

  /** After a reconnect: working orders' status, fills and prices from IB's open and completed orders. */
  private async resync(): Promise<void> {
    const working = [...this.tracks.values()].filter((t) => !isDone(t.status));
    if (working.length === 0) return;
    const seen = new Map([...(await this.scanCompletedOrders()), ...(await this.scanOpenOrders())]);
    for (const t of working) {
      const now = seen.get(t.clientOrderId);
      if (!now) continue;
      t.status = now.status;
      t.filled = now.filled;
      if (now.avgFillPrice > 0) t.avgFillPrice = now.avgFillPrice;
      if (now.filledAt) t.filledAt = now.filledAt;
    }
    const unpriced = working.filter((t) => t.filled > 0 && !(t.avgFillPrice > 0));
    if (unpriced.length > 0) await this.fillPricesFromExecutions(unpriced);
  }

  /** Order placement is held while the daily restart window is on: nothing is sent into a restarting gateway. */
  private holdDuringRestart(what: string): void {
    if (!inRestartWindow(this.now(), this.restartWindow)) return;
    throw new NetworkError(
      `ibkr: ${what} not submitted: the gateway's daily restart window is on (${this.restartWindow.startNy} New York, ${this.restartWindow.minutes} min); it is retried after the window`,
      { provider: 'ibkr', code: 'gateway_restart' },
    );
  }

  private connect(): Promise<void> {
    this.dropOldConnection();
    const api = (this.opts.apiFactory ?? defaultIbApiFactory)({ host: this.opts.host, port: this.opts.port });
    this.api = api;
    this.nextOrderId = -1;
    this.managedAccounts = [];
    this.installListeners(api);
    return new Promise<void>((resolve, reject) => {
      let gotId = false;
      let gotAccounts = false;
      const timer = setTimeout(() => {
        cleanup();
        reject(new NetworkError(`ibkr: no answer from ${this.where} within ${this.opts.timeoutMs} ms; is it running with the API enabled?`, { provider: 'ibkr', code: 'timeout' }));
      }, this.opts.timeoutMs);
      const done = () => {
        if (gotId && gotAccounts) {
          cleanup();
          resolve();
        }
      };
      const onId = () => {
        gotId = true;
        done();
      };
      const onAccounts = () => {
        gotAccounts = true;
        done();
      };
      const onError = (err: Error | string, code: number) => {
        if (code === IB_CODES.CONNECT_FAIL || code === IB_CODES.NOT_CONNECTED) {
          cleanup();
          reject(new NetworkError(`ibkr: cannot connect to ${this.where}: ${messageOf(err) || 'connection failed'}; is TWS or IB Gateway running with "Enable ActiveX and Socket Clients" on?`, { provider: 'ibkr', code: String(code), cause: err }));
        } else if (code === IB_CODES.CLIENT_ID_IN_USE) {
          cleanup();
          reject(new ConfigError(`ibkr: ${this.where} refused the connection: client id ${this.opts.clientId} is already in use; set another IBKR_CLIENT_ID in .env`));
        }
      };
      // A socket closed before the handshake finished (TWS closes it after 326, a restarting gateway at once).
      const onDisconnected = () => {
        setImmediate(() => {
          cleanup();
          reject(new NetworkError(`ibkr: ${this.where} closed the connection during the handshake; is it restarting, or is the client id in use?`, { provider: 'ibkr', code: String(IB_CODES.NOT_CONNECTED) }));
        });
      };
      const cleanup = () => {
        clearTimeout(timer);
        api.off('nextValidId', onId);
        api.off('managedAccounts', onAccounts);
        api.off('error', onError);
        api.off('info', onInfo);
        api.off('disconnected', onDisconnected);
      };
      // @stoqey/ib emits TWS messages without a request id (326 among them) as 'info', not 'error'.
      const onInfo = (message: string, code: number) => onError(message, code);
      api.on('nextValidId', onId);
      api.on('managedAccounts', onAccounts);
      api.on('error', onError);
      api.on('info', onInfo);
      api.on('disconnected', onDisconnected);
      api.connect(this.opts.clientId);
    }).then(() => {
      if (this.opts.marketDataType) api.reqMarketDataType(this.opts.marketDataType);
    });
  }

  private installListeners(api: IbApiLike): void {
    this.listen(api, 'nextValidId', ((id: number) => {
      this.nextOrderId = Math.max(this.nextOrderId, id);
    }));
    this.listen(api, 'managedAccounts', ((list: string) => {
      this.managedAccounts = String(list ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    }));
    this.listen(api, 'orderStatus', ((orderId: number, status: string, filled: number, _remaining: number, avgFillPrice: number) => {
      const t = this.tracks.get(orderId);
      if (!t) return;
      t.status = status;
      t.filled = Number(filled) || 0;
      if (Number(avgFillPrice) > 0) t.avgFillPrice = Number(avgFillPrice);
      if (status === IbOrderStatus.Filled && t.filledAt === null) t.filledAt = new Date(this.now()).toISOString();
    }));
    this.listen(api, 'openOrder', ((orderId: number, _contract: Contract, _order: Order, state: OrderState) => {
      const t = this.tracks.get(orderId);
      if (!t) return;
      if (state?.status) t.status = state.status;
      if (typeof state?.commission === 'number' && state.commission < UNSET_DOUBLE) t.commission = state.commission;
    }));
    // Connectivity notices (1100/1101/1102) carry no request id, so @stoqey/ib emits them as 'info'.
    this.listen(api, 'info', ((_message: string, code: number) => this.noteConnectivity(code)));
    this.listen(api, 'error', ((err: Error, code: number, reqId: number) => {
      const message = err?.message ?? String(err);
      this.noteConnectivity(code);
      const t = this.tracks.get(reqId);
      if (t) t.errors.push({ code, message });
      const p = this.pending.get(reqId);
      // Informational codes (2100-2999) and order warnings never fail a request.
      if (p && !(code >= 2100 && code < 3000) && code !== IB_CODES.ORDER_WARNING && code !== IB_CODES.SNAPSHOT_NOT_SUBSCRIBED) {
        p.reject(this.requestError(code, message));
      }
    }));
    this.listen(api, 'disconnected', (() => {
      this.downSinceMs ??= this.now();
      for (const p of this.pending.values()) p.reject(new NetworkError(`ibkr: ${this.where} disconnected`, { provider: 'ibkr', code: String(IB_CODES.NOT_CONNECTED) }));
      this.nextOrderId = -1;
    }));
  }

  private noteConnectivity(code: number): void {
    if (code === IB_CODES.CONNECTIVITY_LOST) this.connectivityLost = true;
    if (code === IB_CODES.CONNECTIVITY_RESTORED || code === IB_CODES.CONNECTIVITY_RESTORED_DATA_LOST) this.connectivityLost = false;
  }

  /** A new IBApi replaces a dropped one: the old one's listeners go, so no event is handled twice. */
  private dropOldConnection(): void {
    const old = this.api;
    if (!old) return;
    for (const [event, fn] of this.listeners.splice(0)) old.off(event, fn);
    if (old.isConnected) old.disconnect();
    this.api = null;
  }

  private requestError(code: number, message: string): Error {
    if (code === IB_CODES.NOT_CONNECTED || code === IB_CODES.CONNECT_FAIL || code === IB_CODES.CONNECTIVITY_LOST) {
      return new NetworkError(`ibkr: ${message} (code ${code})`, { provider: 'ibkr', code: String(code) });
    }
    return new BrokerError(`ibkr: ${message} (code ${code})`, { provider: 'ibkr', code: String(code) });
  }

  async authenticate(): Promise<void> {
    const account = this.opts.account;
    const key = this.opts.endpointMode === 'paper' ? 'IBKR_PAPER_ACCOUNT_NUMBER' : 'IBKR_LIVE_ACCOUNT_NUMBER';
    // Checked before connecting: a paper session must not even open a socket for a live account.
    if (this.opts.endpointMode === 'paper' && !/^D/i.test(account)) {
      throw new ConfigError(
        `ibkr paper: ${key} is not an IB paper account (paper account ids start with "D", e.g. DU1234567); paper and TEST_MODE sessions never trade a live account`,
      );
    }
    await this.ensureConnected();
    if (!this.managedAccounts.includes(account)) {
      const seen = this.managedAccounts.length;
      await this.close();
      throw new ConfigError(
        `ibkr ${this.opts.endpointMode}: ${this.where} is logged into ${seen} account(s), none of them the one in ${key}; log TWS/IB Gateway into the ${this.opts.endpointMode} account or fix ${key}`,
      );
    }
    await this.account();
  }

  async close(): Promise<void> {
    const api = this.api;
    if (!api) return;
    for (const [event, fn] of this.listeners.splice(0)) api.off(event, fn);
    if (api.isConnected) api.disconnect();
    this.api = null;
    this.nextOrderId = -1;
  }

  /** Connectivity as the watchdog sees it: socket up and TWS connected to IB's servers. */
  get healthy(): boolean {
    return !!this.api?.isConnected && !this.connectivityLost;
  }

  // -------------------------------------------------------------------------------------------
  // Request plumbing

  private newReqId(): number {
    return this.reqSeq++;
  }

  /**
   * Sends a request and collects its answers until `endEvent` (matched by reqId unless `endHasNoId`).
   * `onEvent` handlers receive the raw event arguments; the first argument is the reqId for keyed events.
   */
  private request<T>(spec: {
    what: string;
    reqId: number;
    send: (api: IbApiLike) => void;
    events: Record<string, IbListener>;
    endEvent: string;
    endHasNoId?: boolean;
    result: () => T;
    cancel?: (api: IbApiLike) => void;
    /** Resolve with what arrived when the time is up instead of failing (snapshots, imbalance windows). */
    resolveOnTimeout?: boolean;
    timeoutMs?: number;
  }): Promise<T> {
    return this.ensureConnected().then(
      (api) =>
        new Promise<T>((resolve, reject) => {
          const wrapped: [string, IbListener][] = Object.entries(spec.events).map(([e, fn]) => [e, fn]);
          const onEnd = ((id?: number) => {
            if (!spec.endHasNoId && id !== spec.reqId) return;
            finish();
            resolve(spec.result());
          });
          const timer = setTimeout(() => {
            finish();
            spec.cancel?.(api);
            if (spec.resolveOnTimeout) resolve(spec.result());
            else reject(new NetworkError(`ibkr: ${spec.what} got no answer within ${spec.timeoutMs ?? this.opts.timeoutMs} ms`, { provider: 'ibkr', code: 'timeout' }));
          }, spec.timeoutMs ?? this.opts.timeoutMs);
          const finish = () => {
            clearTimeout(timer);
            this.pending.delete(spec.reqId);
            for (const [e, fn] of wrapped) api.off(e, fn);
            api.off(spec.endEvent, onEnd);
          };
          this.pending.set(spec.reqId, {
            reqId: spec.reqId,
            reject: (err) => {
              finish();
              spec.cancel?.(api);
              reject(err);
            },
          });
          for (const [e, fn] of wrapped) api.on(e, fn);
          api.on(spec.endEvent, onEnd);
          spec.send(api);
        }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Account and positions

  async account(): Promise<BrokerAccount> {
    const reqId = this.newReqId();
    const values = new Map<string, number>();
    await this.request({
      what: 'account summary',
      reqId,
      send: (api) => api.reqAccountSummary(reqId, 'All', 'NetLiquidation,TotalCashValue,BuyingPower'),
      events: {
        accountSummary: ((id: number, account: string, tag: string, value: string) => {
          if (id === reqId && account === this.opts.account) values.set(tag, Number(value));
        }),
      },
      endEvent: 'accountSummaryEnd',
      result: () => undefined,
    });
    this.api?.cancelAccountSummary(reqId);
    if (!values.has('NetLiquidation')) {
      throw new BrokerError(`ibkr: the account summary has no NetLiquidation for the configured account`, { provider: 'ibkr', code: 'no_account_summary' });
    }
    return {
      accountValue: values.get('NetLiquidation') ?? 0,
      cash: values.get('TotalCashValue') ?? 0,
      buyingPower: values.get('BuyingPower') ?? 0,
    };
  }

  async positions(): Promise<BrokerPosition[]> {
    const out: BrokerPosition[] = [];
    await this.request({
      what: 'positions',
      reqId: this.newReqId(),
      send: (api) => api.reqPositions(),
      events: {
        position: ((account: string, contract: Contract, pos: number, avgCost?: number) => {
          if (account !== this.opts.account || !pos) return;
          const mult = contract.secType === SecType.OPT ? Number(contract.multiplier) || 100 : 1;
          out.push({ symbol: symbolOf(contract), qty: Number(pos), avgEntryPrice: (Number(avgCost) || 0) / mult });
        }),
      },
      endEvent: 'positionEnd',
      endHasNoId: true,
      result: () => undefined,
    });
    this.api?.cancelPositions();
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  // -------------------------------------------------------------------------------------------
  // Contracts

  private async contractDetails(contract: Contract): Promise<ContractDetails[]> {
    const reqId = this.newReqId();
    const out: ContractDetails[] = [];
    try {
      return await this.request({
        what: `contract lookup ${contract.symbol}`,
        reqId,
        send: (api) => api.reqContractDetails(reqId, contract),
        events: {
          contractDetails: ((id: number, d: ContractDetails) => {
            if (id === reqId) out.push(d);
          }),
        },
        endEvent: 'contractDetailsEnd',
        result: () => out,
      });
    } catch (err) {
      if (err instanceof BrokerError && err.code === String(IB_CODES.NO_SECURITY_DEFINITION)) return [];
      throw err;
    }
  }

  /** Resolves the bot's symbol to one IB contract (conId), or null when IB knows none. */
  async qualify(symbol: string, assetClass: AssetClass): Promise<Contract | null> {
    const details = await this.contractDetails(contractFor(symbol, assetClass));
    const first = details[0]?.contract;
    return first ? { ...first, exchange: 'SMART' } : null;
  }

  async putContracts(
    underlying: string,
    range: { expiryFrom: string; expiryTo: string; strikeFrom?: number; strikeTo?: number },
  ): Promise<OptionContractInfo[]> {
    const stock = await this.qualify(underlying, 'us_equity');
    if (!stock?.conId) return [];
    const reqId = this.newReqId();
    const expirations = new Set<string>();
    const strikes = new Set<number>();
    await this.request({
      what: `option chain ${underlying}`,
      reqId,
      send: (api) => api.reqSecDefOptParams(reqId, underlying, '', SecType.STK, stock.conId as number),
      events: {
        securityDefinitionOptionParameter: ((id: number, exchange: string, _conId: number, _tc: string, _mult: string, exps: string[], strks: number[]) => {
          if (id !== reqId || exchange !== 'SMART') return;
          for (const e of exps ?? []) expirations.add(e);
          for (const s of strks ?? []) strikes.add(Number(s));
        }),
      },
      endEvent: 'securityDefinitionOptionParameterEnd',
      result: () => undefined,
    });
    const out: OptionContractInfo[] = [];
    for (const e of expirations) {
      const expiry = `${e.slice(0, 4)}-${e.slice(4, 6)}-${e.slice(6, 8)}`;
      if (expiry < range.expiryFrom || expiry > range.expiryTo) continue;
      for (const strike of strikes) {
        if (range.strikeFrom !== undefined && strike < range.strikeFrom) continue;
        if (range.strikeTo !== undefined && strike > range.strikeTo) continue;
        out.push({ symbol: formatOccSymbol({ underlying, expiry, right: 'P', strike }), underlying, expiry, strike, right: 'P' });
      }
    }
    return out.sort((a, b) => a.expiry.localeCompare(b.expiry) || a.strike - b.strike);
  }

  async assetInfo(symbol: string): Promise<AssetInfo | null> {
    const c = await this.qualify(symbol, 'us_equity');
    if (!c) return null;
    // Generic tick 236 (shortable): tick 46 > 2.5 = at least 1000 shares available to borrow.
    const ticks = await this.streamTicks(c, '236', 2_000, [46]);
    const shortable = (ticks.generic.get(46) ?? 0) > 2.5;
    return { symbol: symbol.toUpperCase(), tradable: true, shortable, easyToBorrow: shortable, fractionable: false };
  }

  // -------------------------------------------------------------------------------------------
  // Market data

  private async snapshot(contract: Contract): Promise<Map<number, number>> {
    const reqId = this.newReqId();
    const prices = new Map<number, number>();
    return this.request({
      what: `quote ${contract.symbol}`,
      reqId,
      send: (api) => api.reqMktData(reqId, contract, '', true, false),
      events: {
        tickPrice: ((id: number, field: number, value: number) => {
          if (id === reqId && Number(value) > 0) prices.set(Number(field), Number(value));
        }),
      },
      endEvent: 'tickSnapshotEnd',
      result: () => prices,
      cancel: (api) => api.cancelMktData(reqId),
      resolveOnTimeout: true,
    });
  }

  /** Streams ticks for a short window (generic ticks are not allowed in snapshots), then cancels. */
  private async streamTicks(
    contract: Contract,
    genericTicks: string,
    windowMs: number,
    wanted: number[],
  ): Promise<{ prices: Map<number, number>; sizes: Map<number, number>; generic: Map<number, number> }> {
    const reqId = this.newReqId();
    const prices = new Map<number, number>();
    const sizes = new Map<number, number>();
    const generic = new Map<number, number>();
    const api = await this.ensureConnected();
    const seenAll = () => wanted.every((w) => prices.has(w) || sizes.has(w) || generic.has(w));
    const onPrice = ((id: number, field: number, value: number) => {
      if (id === reqId) prices.set(Number(field), Number(value));
    });
    const onSize = ((id: number, field: number, value: number) => {
      if (id === reqId) sizes.set(Number(field), Number(value));
    });
    const onGeneric = ((id: number, field: number, value: number) => {
      if (id === reqId) generic.set(Number(field), Number(value));
    });
    api.on('tickPrice', onPrice);
    api.on('tickSize', onSize);
    api.on('tickGeneric', onGeneric);
    try {
      api.reqMktData(reqId, contract, genericTicks, false, false);
      const deadline = this.now() + windowMs;
      while (!seenAll() && this.now() < deadline) await this.sleep(50);
    } finally {
      api.cancelMktData(reqId);
      api.off('tickPrice', onPrice);
      api.off('tickSize', onSize);
      api.off('tickGeneric', onGeneric);
    }
    return { prices, sizes, generic };
  }

  async latestQuote(symbol: string, assetClass: AssetClass): Promise<QuoteInfo | null> {
    const c = await this.qualify(symbol, assetClass);
    if (!c) return null;
    const p = await this.snapshot(c);
    // Real-time ticks 1/2 (bid/ask), delayed ticks 66/67 when only delayed data is subscribed.
    const bid = p.get(1) ?? p.get(66) ?? 0;
    const ask = p.get(2) ?? p.get(67) ?? 0;
    if (!(bid > 0) && !(ask > 0)) return null;
    return { bid, ask, time: new Date(this.now()).toISOString() };
  }

  async quote(symbol: string, assetClass: AssetClass, _barStart: number): Promise<number | null> {
    const q = await this.latestQuote(symbol, assetClass);
    if (!q) return null;
    if (q.bid > 0 && q.ask > 0) return (q.bid + q.ask) / 2;
    return q.ask > 0 ? q.ask : q.bid;
  }

  /**
   * Closing-auction imbalance for the CLOSE strategy (generic tick 225: auction volume 34, price 35,
   * imbalance 36; regulatory imbalance 61). IB sends them only around the auctions; a symbol with
   * nothing in the window comes back with nulls.
   */
  async imbalance(symbols: readonly string[], windowMs = 3_000): Promise<ImbalanceInfo[]> {
    const out: ImbalanceInfo[] = [];
    for (const symbol of symbols) {
      const c = await this.qualify(symbol, 'us_equity');
      if (!c) {
        out.push({ symbol, imbalance: null, auctionPrice: null, auctionVolume: null, regulatoryImbalance: null });
        continue;
      }
      const t = await this.streamTicks(c, '225', windowMs, [34, 35, 36]);
      out.push({
        symbol,
        imbalance: t.sizes.get(36) ?? null,
        auctionPrice: t.prices.get(35) ?? null,
        auctionVolume: t.sizes.get(34) ?? null,
        regulatoryImbalance: t.sizes.get(61) ?? null,
      });
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Orders

  private toOrder(t: OrderTrack): BrokerOrder {
    const status = mapIbStatus(t);
    const rejection = t.errors.find((e) => e.code === IB_CODES.ORDER_REJECTED || e.code === IB_CODES.NO_SECURITY_DEFINITION || e.code === IB_CODES.ORDER_CANCELLED);
    let rejectReason: string | null = null;
    if (status === 'rejected' || status === 'canceled') rejectReason = rejection ? `${ibRejectionCode(rejection.code, rejection.message)}:${rejection.code}` : t.status.toLowerCase();
    else if (status === 'partially_filled' && isDone(t.status)) rejectReason = `partial_fill:${t.status.toLowerCase()}`;
    return {
      id: String(t.orderId),
      clientOrderId: t.clientOrderId,
      symbol: t.symbol,
      side: t.side,
      qty: t.qty,
      filledQty: t.filled,
      filledAvgPrice: t.filled > 0 && t.avgFillPrice > 0 ? t.avgFillPrice : null,
      status,
      submittedAt: t.submittedAt,
      filledAt: t.filledAt,
      fees: t.commission,
      rejectReason,
    };
  }

  async getOrderByClientId(clientOrderId: string): Promise<BrokerOrder | null> {
    const t = await this.findTrack(clientOrderId);
    return t ? this.toOrder(t) : null;
  }

  /** This session's orders first, then TWS's open orders, then today's completed orders. */
  private async findTrack(ref: string): Promise<OrderTrack | null> {
    const local = this.byRef.get(ref);
    if (local !== undefined) return this.tracks.get(local) ?? null;
    const found = (await this.scanOpenOrders()).get(ref) ?? (await this.scanCompletedOrders()).get(ref) ?? null;
    if (found) {
      this.tracks.set(found.orderId, found);
      this.byRef.set(ref, found.orderId);
      if (found.filled > 0 && !(found.avgFillPrice > 0)) await this.fillPricesFromExecutions([found]);
    }
    return found;
  }

  private async scanOpenOrders(): Promise<Map<string, OrderTrack>> {
    const out = new Map<string, OrderTrack>();
    const statuses = new Map<number, { status: string; filled: number; avg: number }>();
    await this.request({
      what: 'open orders',
      reqId: this.newReqId(),
      send: (api) => api.reqAllOpenOrders(),
      events: {
        openOrder: ((orderId: number, contract: Contract, order: Order, state: OrderState) => {
          if (!order?.orderRef || (order.account && order.account !== this.opts.account)) return;
          out.set(order.orderRef, this.trackFrom(orderId, contract, order, state?.status ?? 'Submitted'));
        }),
        orderStatus: ((orderId: number, status: string, filled: number, _rem: number, avg: number) => {
          statuses.set(orderId, { status, filled: Number(filled) || 0, avg: Number(avg) || 0 });
        }),
      },
      endEvent: 'openOrderEnd',
      endHasNoId: true,
      result: () => undefined,
    });
    for (const t of out.values()) {
      const s = statuses.get(t.orderId);
      if (s) Object.assign(t, { status: s.status, filled: s.filled, avgFillPrice: s.avg });
    }
    return out;
  }

  private async scanCompletedOrders(): Promise<Map<string, OrderTrack>> {
    const out = new Map<string, OrderTrack>();
    await this.request({
      what: 'completed orders',
      reqId: this.newReqId(),
      send: (api) => api.reqCompletedOrders(false),
      events: {
        completedOrder: ((contract: Contract, order: Order, state: OrderState) => {
          if (!order?.orderRef || (order.account && order.account !== this.opts.account)) return;
          const t = this.trackFrom(order.orderId ?? -1, contract, order, state?.status ?? 'Filled');
          t.filled = Number(order.filledQuantity) || 0;
          // IB writes `20250303 10:00:01 America/New_York`; the bot's times are ISO 8601 UTC.
          if (state?.completedTime) t.filledAt = t.filled > 0 ? ibTimeToIso(state.completedTime) : null;
          out.set(order.orderRef, t);
        }),
      },
      endEvent: 'completedOrdersEnd',
      endHasNoId: true,
      result: () => undefined,
    });
    return out;
  }

  private async fillPricesFromExecutions(tracks: OrderTrack[]): Promise<void> {
    const reqId = this.newReqId();
    const byRef = new Map<string, Execution>();
    await this.request({
      what: 'executions',
      reqId,
      send: (api) => api.reqExecutions(reqId, { acctCode: this.opts.account }),
      events: {
        execDetails: ((id: number, _c: Contract, e: Execution) => {
          if (id !== reqId || !e?.orderRef) return;
          const prev = byRef.get(e.orderRef);
          if (!prev || (e.cumQty ?? 0) >= (prev.cumQty ?? 0)) byRef.set(e.orderRef, e);
        }),
      },
      endEvent: 'execDetailsEnd',
      result: () => undefined,
    });
    for (const t of tracks) {
      const e = byRef.get(t.clientOrderId);
      if (e?.avgPrice) t.avgFillPrice = e.avgPrice;
    }
  }

  private trackFrom(orderId: number, contract: Contract, order: Order, status: string): OrderTrack {
    return {
      orderId,
      clientOrderId: order.orderRef ?? '',
      contract,
      symbol: symbolOf(contract),
      side: order.action === OrderAction.SELL || order.action === OrderAction.SSHORT ? 'sell' : 'buy',
      qty: Number(order.totalQuantity) || 0,
      status,
      filled: 0,
      avgFillPrice: 0,
      commission: 0,
      submittedAt: new Date(this.now()).toISOString(),
      filledAt: null,
      errors: [],
    };
  }

  async submitOrder(req: OrderRequest): Promise<BrokerOrder> {
    if (req.type !== 'market') throw new LogicError(`ibkr: only market orders are submitted through submitOrder, got ${String(req.type)}`);
    this.holdDuringRestart(`order ${req.clientOrderId}`);
    const existing = await this.findTrack(req.clientOrderId);
    if (existing) return this.settle(existing);
    if (!(req.qty > 0)) return rejectedOrder(req, 'invalid_qty', this.now());
    // IB API orders are whole shares and whole contracts; rounding down stays inside the granted size.
    const qty = Math.floor(req.qty);
    if (qty < 1) return rejectedOrder(req, 'not_fractionable', this.now());
    const contract = await this.qualify(req.symbol, req.assetClass);
    if (!contract) return rejectedOrder(req, `no_security_definition:${IB_CODES.NO_SECURITY_DEFINITION}`, this.now());
    const order: Order = {
      action: req.side === 'buy' ? OrderAction.BUY : OrderAction.SELL,
      totalQuantity: qty,
      orderType: OrderType.MKT,
      tif: TimeInForce.DAY,
      orderRef: req.clientOrderId,
      account: this.opts.account,
      outsideRth: false,
      transmit: true,
    };
    const t = this.place(contract, order, req.symbol);
    return this.settle(t);
  }

  private place(contract: Contract, order: Order, symbol: string): OrderTrack {
    if (!this.api || this.nextOrderId < 0) throw new NetworkError(`ibkr: not connected to ${this.where}`, { provider: 'ibkr', code: String(IB_CODES.NOT_CONNECTED) });
    const orderId = this.nextOrderId++;
    const t: OrderTrack = { ...this.trackFrom(orderId, contract, order, IbOrderStatus.PendingSubmit), symbol };
    this.tracks.set(orderId, t);
    this.byRef.set(t.clientOrderId, orderId);
    this.api.placeOrder(orderId, contract, order);
    return t;
  }

  /** Waits for a final state; a market order still working after the fill timeout has its rest cancelled. */
  private async settle(t: OrderTrack): Promise<BrokerOrder> {
    const deadline = this.now() + (this.opts.fillTimeoutMs ?? 10_000);
    while (!isDone(t.status) && this.now() < deadline) {
      if (!this.api) throw new NetworkError(`ibkr: disconnected from ${this.where} while order ${t.clientOrderId} was working`, { provider: 'ibkr', code: String(IB_CODES.NOT_CONNECTED) });
      // A 399 "will not be placed at the exchange until ..." means the market is closed: do not leave it queued.
      if (t.errors.some((e) => e.code === IB_CODES.ORDER_WARNING && ibRejectionCode(e.code, e.message) === 'market_closed')) break;
      await this.sleep(50);
    }
    if (!isDone(t.status)) {
      await this.cancelOrder(String(t.orderId));
      const cancelDeadline = this.now() + 5_000;
      while (!isDone(t.status) && this.now() < cancelDeadline) await this.sleep(50);
      const out = this.toOrder(t);
      const warning = t.errors.find((e) => e.code === IB_CODES.ORDER_WARNING);
      if (out.status === 'canceled' || out.status === 'accepted') {
        return { ...out, rejectReason: warning ? `${ibRejectionCode(warning.code, warning.message)}:${warning.code}` : 'not_filled_in_time' };
      }
      return out;
    }
    return this.toOrder(t);
  }

  async cancelOrder(orderId: string): Promise<void> {
    const api = await this.ensureConnected();
    const id = Number(orderId);
    if (!Number.isInteger(id)) throw new LogicError(`ibkr: order id ${orderId} is not an IB order id`);
    api.cancelOrder(id);
  }

  async openOrders(): Promise<BrokerOrder[]> {
    const open = await this.scanOpenOrders();
    return [...open.values()].filter((t) => !isDone(t.status)).map((t) => this.toOrder(t));
  }

  /**
   * The bot's orders IB still knows: today's completed orders (reqCompletedOrders covers the current day
   * only), every open order and this connection's own. Orders filled before `since` are left out; IB
   * does not give a submission time, so nothing else is filtered.
   */
  async ordersSince(since: string): Promise<BrokerOrder[]> {
    const byRef = new Map([...(await this.scanCompletedOrders()), ...(await this.scanOpenOrders())]);
    for (const [ref, id] of this.byRef) {
      const t = this.tracks.get(id);
      if (t) byRef.set(ref, t);
    }
    const unpriced = [...byRef.values()].filter((t) => t.filled > 0 && !(t.avgFillPrice > 0));
    if (unpriced.length > 0) await this.fillPricesFromExecutions(unpriced);
    const sinceMs = Date.parse(since);
    return [...byRef.values()]
      .map((t) => this.toOrder(t))
      .filter((o) => !(o.filledAt !== null && Date.parse(o.filledAt) < sinceMs))
      .sort((a, b) => (a.filledAt ?? a.submittedAt).localeCompare(b.filledAt ?? b.submittedAt));
  }

  async placeProtectiveStop(req: ProtectiveStopRequest): Promise<ProtectiveStopResult> {
    this.holdDuringRestart(`protective stop ${req.clientOrderId}`);
    const existing = await this.findTrack(req.clientOrderId);
    if (existing) return { placed: true, order: this.toOrder(existing), kind: req.kind, note: 'already placed' };
    const qty = Math.floor(req.qty);
    if (qty < 1) return { placed: false, reason: 'ibkr takes whole shares only; the position is under one share' };
    const contract = await this.qualify(req.symbol, req.assetClass);
    if (!contract) return { placed: false, reason: `no_security_definition: ${req.symbol}` };
    const base: Order = {
      action: req.side === 'buy' ? OrderAction.BUY : OrderAction.SELL,
      totalQuantity: qty,
      tif: TimeInForce.DAY,
      orderRef: req.clientOrderId,
      account: this.opts.account,
      transmit: true,
      orderType: OrderType.STP,
    };
    let order: Order;
    if (req.kind === 'trailing') {
      if (!(req.trailPercent && req.trailPercent > 0)) return { placed: false, reason: 'a trailing stop needs a positive trail percent' };
      order = { ...base, orderType: OrderType.TRAIL, trailingPercent: req.trailPercent };
    } else {
      const stop = req.stopPrice ?? (req.trailPercent ? req.referencePrice * (req.side === 'sell' ? 1 - req.trailPercent / 100 : 1 + req.trailPercent / 100) : undefined);
      if (!(stop && stop > 0)) return { placed: false, reason: 'a stop order needs a stop price' };
      order = { ...base, auxPrice: round2(stop) };
    }
    const t = this.place(contract, order, req.symbol);
    // Wait briefly for TWS to accept or reject it; a working stop is the success case.
    const deadline = this.now() + Math.min(5_000, this.opts.timeoutMs);
    while (this.now() < deadline && !['Submitted', 'PreSubmitted'].includes(t.status) && !isDone(t.status)) await this.sleep(50);
    const out = this.toOrder(t);
    if (out.status === 'rejected' || out.status === 'canceled') return { placed: false, reason: out.rejectReason ?? 'rejected' };
    return { placed: true, order: out, kind: req.kind, note: null };
  }
}

const NEW_YORK_ZONES = new Set(['America/New_York', 'US/Eastern', 'EST', 'EDT', 'EST5EDT']);
const UTC_ZONES = new Set(['UTC', 'GMT', 'Etc/UTC', 'Etc/GMT']);

/**
 * An IB time (`20250303 10:00:01 America/New_York`, or `20250303-15:00:01` in UTC) as ISO 8601 UTC;
 * null for a zone the bot cannot convert without a time zone database.
 */
export function ibTimeToIso(text: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})([ -])(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(text.trim());
  if (!m) return null;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  const seconds = Number(m[7]) * 1000;
  const zone = m[8] ?? (m[4] === '-' ? 'UTC' : null);
  let ms: number;
  if (zone !== null && UTC_ZONES.has(zone)) ms = Date.parse(`${date}T${m[5]}:${m[6]}:00Z`) + seconds;
  else if (zone !== null && NEW_YORK_ZONES.has(zone)) ms = nyWallTimeToUtcMs(date, `${m[5]}:${m[6]}`) + seconds;
  else return null;
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function messageOf(err: Error | string | undefined): string {
  return typeof err === 'string' ? err : (err?.message ?? '');
}

function isDone(status: string): boolean {
  return status === IbOrderStatus.Filled || status === IbOrderStatus.Cancelled || status === IbOrderStatus.ApiCancelled || status === IbOrderStatus.Inactive;
}

function mapIbStatus(t: OrderTrack): OrderStatus {
  if (t.status === IbOrderStatus.Filled) return t.filled >= t.qty || t.qty === 0 ? 'filled' : 'partially_filled';
  if (t.status === IbOrderStatus.Cancelled || t.status === IbOrderStatus.ApiCancelled) return t.filled > 0 ? 'partially_filled' : 'canceled';
  if (t.status === IbOrderStatus.Inactive) return t.filled > 0 ? 'partially_filled' : 'rejected';
  return t.filled > 0 ? 'partially_filled' : 'accepted';
}

function contractFor(symbol: string, assetClass: AssetClass): Contract {
  const occ = parseOccSymbol(symbol);
  if (assetClass === 'us_option' && occ) {
    return {
      symbol: occ.underlying,
      secType: SecType.OPT,
      lastTradeDateOrContractMonth: occ.expiry.replace(/-/g, ''),
      strike: occ.strike,
      right: occ.right === 'P' ? OptionType.Put : OptionType.Call,
      multiplier: 100,
      exchange: 'SMART',
      currency: 'USD',
    };
  }
  return { symbol: symbol.toUpperCase(), secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
}

/** The bot's symbol for an IB contract: the ticker, or the padded OCC symbol for an option. */
export function symbolOf(c: Contract): string {
  if (c.secType === SecType.OPT && c.lastTradeDateOrContractMonth && c.strike !== undefined && c.right) {
    const d = c.lastTradeDateOrContractMonth;
    return formatOccSymbol({
      underlying: String(c.symbol),
      expiry: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`,
      right: c.right === OptionType.Put || String(c.right).toUpperCase().startsWith('P') ? 'P' : 'C',
      strike: Number(c.strike),
    });
  }
  return String(c.symbol ?? '');
}

