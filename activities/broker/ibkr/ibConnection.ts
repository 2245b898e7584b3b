import { BrokerError, NetworkError } from '../../../domain/errors/errorClasses';
import { realSleep } from '../../marketData/rateLimiter';
import { IB_CODES, defaultIbApiFactory, type IbApiLike, type IbListener } from './ibApi';
import { handshake } from './ibHandshake';
import type { IbkrBrokerOptions } from './ibOptions';
import { collect, type Pending, type RequestSpec } from './ibRequest';
import { DEFAULT_RESTART_WINDOW, inRestartWindow, type RestartWindow } from './restartWindow';

/** What the order side adds to a connection; the connection itself knows nothing of orders. */
export interface ConnectionHooks {
  /** Installs the order event listeners on each new IBApi, after the connection's id and account listeners. */
  listen(on: (event: string, fn: IbListener) => void): void;
  /** An error event for a request or order id, seen before it fails a pending request. */
  noteError(id: number, code: number, message: string): void;
  /** After a reconnect (not the first connection): fills and cancels went on at IB while the socket was down. */
  resync(): Promise<void>;
}

/**
 * One TWS/IB Gateway session: connects on demand, reconnects after a drop (the gateway's daily restart),
 * escalates a gateway that stays down, and runs requests keyed by request id on the live socket.
 */
export class IbConnection {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** Waits on IB's answers to orders (IbkrBrokerOptions.answerClock). */
  readonly answerClock: { readonly now: () => number; readonly sleep: (ms: number) => Promise<void> };
  readonly restartWindow: RestartWindow;
  private current: IbApiLike | null = null;
  private connecting: Promise<void> | null = null;
  private accounts: string[] = [];
  private nextOrderId = -1;
  private reqSeq = 1_000_000;
  private readonly pending = new Map<number, Pending>();
  private connectivityLost = false;
  private readonly listeners: [string, IbListener][] = [];
  /** When the socket went down (null while up or before the first connection). */
  private downSinceMs: number | null = null;
  private everConnected = false;
  private escalated = false;
  private hooks: ConnectionHooks | null = null;

  constructor(readonly opts: IbkrBrokerOptions) {
    this.sleep = opts.sleep ?? realSleep;
    this.now = opts.now ?? Date.now;
    this.answerClock = opts.answerClock ?? { now: Date.now, sleep: realSleep };
    this.restartWindow = opts.restartWindow ?? DEFAULT_RESTART_WINDOW;
  }

  /** Set once, before the first connection (the order side needs the connection to be built first). */
  attach(hooks: ConnectionHooks): void {
    this.hooks = hooks;
  }

  get where(): string {
    return `TWS/IB Gateway at ${this.opts.host}:${this.opts.port} (client id ${this.opts.clientId})`;
  }

  /** The current IBApi, null before connecting and after a close. */
  get api(): IbApiLike | null {
    return this.current;
  }

  get managedAccounts(): readonly string[] {
    return this.accounts;
  }

  /** Connectivity as the watchdog sees it: socket up and TWS connected to IB's servers. */
  get healthy(): boolean {
    return !!this.current?.isConnected && !this.connectivityLost;
  }

  newReqId(): number {
    return this.reqSeq++;
  }

  request<T>(spec: RequestSpec<T>): Promise<T> {
    return this.ensureConnected().then((api) => collect(api, spec, this.pending, this.opts.timeoutMs));
  }

  async ensureConnected(): Promise<IbApiLike> {
    if (this.current && this.current.isConnected && this.nextOrderId >= 0) return this.current;
    this.connecting ??= this.reconnect().finally(() => {
      this.connecting = null;
    });
    await this.connecting;
    if (!this.current) throw this.notConnected();
    return this.current;
  }

  /** The socket and the next order id for a placement; no connecting here, the caller has done that. */
  nextOrder(): { api: IbApiLike; orderId: number } {
    if (!this.current || this.nextOrderId < 0) throw this.notConnected();
    return { api: this.current, orderId: this.nextOrderId++ };
  }

  /** Order placement is held while the daily restart window is on: nothing is sent into a restarting gateway. */
  holdDuringRestart(what: string): void {
    if (!inRestartWindow(this.now(), this.restartWindow)) return;
    throw new NetworkError(
      `ibkr: ${what} not submitted: the gateway's daily restart window is on (${this.restartWindow.startNy} New York, ${this.restartWindow.minutes} min); it is retried after the window`,
      { provider: 'ibkr', code: 'gateway_restart' },
    );
  }

  async close(): Promise<void> {
    if (!this.current) return;
    this.dropOldConnection();
    this.nextOrderId = -1;
  }

  private notConnected(): NetworkError {
    return new NetworkError(`ibkr: not connected to ${this.where}`, { provider: 'ibkr', code: String(IB_CODES.NOT_CONNECTED) });
  }

  /**
   * Connects, or reconnects after a drop: then the order side re-reads the working orders it tracks.
   * A connection still failing after the socket has been down longer than the restart window escalates
   * once, as a BrokerError (not retried: the session alerts and halts the broker), instead of failing for days.
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
    if (wasConnected) await this.hooks?.resync();
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

  private async connect(): Promise<void> {
    this.dropOldConnection();
    const api = (this.opts.apiFactory ?? defaultIbApiFactory)({ host: this.opts.host, port: this.opts.port });
    this.current = api;
    this.nextOrderId = -1;
    this.accounts = [];
    this.installListeners(api);
    await handshake(api, { where: this.where, clientId: this.opts.clientId, timeoutMs: this.opts.timeoutMs });
    if (this.opts.marketDataType) api.reqMarketDataType(this.opts.marketDataType);
  }

  private installListeners(api: IbApiLike): void {
    const listen = (event: string, fn: IbListener) => {
      api.on(event, fn);
      this.listeners.push([event, fn]);
    };
    listen('nextValidId', (id: number) => {
      this.nextOrderId = Math.max(this.nextOrderId, id);
    });
    listen('managedAccounts', (list: string) => {
      this.accounts = String(list ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    });
    this.hooks?.listen(listen);
    // Connectivity notices (1100/1101/1102) carry no request id, so @stoqey/ib emits them as 'info'.
    listen('info', (_message: string, code: number) => this.noteConnectivity(code));
    listen('error', (err: Error, code: number, reqId: number) => this.onError(err, code, reqId));
    listen('disconnected', () => this.onDisconnected());
  }

  private onError(err: Error, code: number, reqId: number): void {
    const message = err?.message ?? String(err);
    this.noteConnectivity(code);
    this.hooks?.noteError(reqId, code, message);
    const p = this.pending.get(reqId);
    // Informational codes (2100-2999) and order warnings never fail a request.
    if (p && !(code >= 2100 && code < 3000) && code !== IB_CODES.ORDER_WARNING && code !== IB_CODES.SNAPSHOT_NOT_SUBSCRIBED) {
      p.reject(requestError(code, message));
    }
  }

  private onDisconnected(): void {
    this.downSinceMs ??= this.now();
    for (const p of this.pending.values()) p.reject(new NetworkError(`ibkr: ${this.where} disconnected`, { provider: 'ibkr', code: String(IB_CODES.NOT_CONNECTED) }));
    this.nextOrderId = -1;
  }

  private noteConnectivity(code: number): void {
    if (code === IB_CODES.CONNECTIVITY_LOST) this.connectivityLost = true;
    if (code === IB_CODES.CONNECTIVITY_RESTORED || code === IB_CODES.CONNECTIVITY_RESTORED_DATA_LOST) this.connectivityLost = false;
  }

  /** A new IBApi replaces a dropped one: the old one's listeners go, so no event is handled twice. */
  private dropOldConnection(): void {
    const old = this.current;
    if (!old) return;
    for (const [event, fn] of this.listeners.splice(0)) old.off(event, fn);
    if (old.isConnected) old.disconnect();
    this.current = null;
  }
}

function requestError(code: number, message: string): Error {
  if (code === IB_CODES.NOT_CONNECTED || code === IB_CODES.CONNECT_FAIL || code === IB_CODES.CONNECTIVITY_LOST) {
    return new NetworkError(`ibkr: ${message} (code ${code})`, { provider: 'ibkr', code: String(code) });
  }
  return new BrokerError(`ibkr: ${message} (code ${code})`, { provider: 'ibkr', code: String(code) });
}
