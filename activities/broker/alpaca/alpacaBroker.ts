import { ApiError, marketData, trading } from '@alpacahq/alpaca-trade-api';
import { rejectedOrder } from '../rejectedOrder';
import type { AssetClass, AssetInfo, Broker, BrokerAccount, BrokerCapabilities, BrokerExtensions, BrokerOrder, BrokerPosition, CalendarDay, MarketClock, OptionContractInfo, OrderRequest, ProtectiveStopRequest, ProtectiveStopResult, QuoteInfo } from '../brokerTypes';
import { BrokerError, ConfigError, LogicError, NetworkError } from '../../../domain/errors/errorClasses';
import { realSleep } from '../../marketData/rateLimiter';
import { formatOccSymbol } from '../../../domain/instruments/occSymbol';
import { alpacaRateLimitSignal, classifyAlpacaError, MalformedResponseError, rejectionCode } from './alpacaErrors';
import { createAlpacaLimiters, type AlpacaLimiters } from './alpacaLimiters';
import { checkedOrder, roundPrice, TERMINAL_STATUSES, toBrokerOrder } from './alpacaOrders';
import { array, describeValue, num, record, text, toIso } from './alpacaResponse';
import { fromAlpacaSymbol, toAlpacaSymbol } from './alpacaSymbols';

/**
 * Alpaca (stocks, ETFs, options; paper and live) through @alpacahq/alpaca-trade-api v4, using its generated
 * REST classes with an explicit base URL so that the endpoint is the one brokerFactory.ts chose from
 * ALPACA_MODE, TEST_MODE and ALPACA_PAPER_URL / ALPACA_LIVE_URL (the SDK's own `paper` flag would ignore
 * the configured URLs). The SDK's retry and rate limiter are off: Temporal retries activities, and our
 * own token bucket and 429 backoff (rateLimiter.ts) pace the calls.
 *
 * Orders never duplicate: every order carries the bot's deterministic client order id; submitOrder looks
 * the id up before posting and after any ambiguous failure, and a 422 "client_order_id must be unique"
 * resolves to the existing order.
 */
export interface AlpacaBrokerOptions {
  readonly keyId: string;
  readonly secret: string;
  /** Trading API base URL, e.g. https://paper-api.alpaca.markets (chosen by brokerFactory.ts). */
  readonly tradingUrl: string;
  /** Market data API base URL, normally https://data.alpaca.markets. */
  readonly dataUrl: string;
  /** Which family tradingUrl belongs to; only used in messages (the factory guarantees the match). */
  readonly endpointMode: 'paper' | 'live';
  /** Per-request timeout (API_TIMEOUT). */
  readonly timeoutMs: number;
  /** FRACTIONAL: allow fractional share quantities where the asset is fractionable. */
  readonly fractional: boolean;
  /** How long submitOrder waits for a market order to reach a final state before cancelling the rest. */
  readonly fillTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  /** Stock quote feed: `iex` (free) or `sip` (paid subscription). */
  readonly stockFeed?: 'iex' | 'sip';
  readonly optionFeed?: 'indicative' | 'opra';
  /** Shared limiters (trading host, data host); one pair per account. */
  readonly limiters?: AlpacaLimiters;
  /** Orders per GET /v2/orders page in ordersSince (Alpaca's maximum, 500, unless a test pages sooner). */
  readonly ordersPageLimit?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Alpaca's most orders per GET /v2/orders page, and a bound on pages (a day of the bot is a few dozen orders). */
const ORDER_PAGE_LIMIT = 500;
const ORDER_PAGES_MAX = 20;

export class AlpacaBroker implements Broker, BrokerExtensions {
  readonly name = 'alpaca' as const;
  private readonly config: trading.Configuration;
  private readonly orders: trading.OrdersApi;
  private readonly accounts: trading.AccountsApi;
  private readonly positionsApi: trading.PositionsApi;
  private readonly assets: trading.AssetsApi;
  private readonly clockApi: trading.ClockApi;
  private readonly calendarApi: trading.CalendarApi;
  private readonly stocks: marketData.StockApi;
  private readonly optionsData: marketData.OptionApi;
  private readonly limiters: AlpacaLimiters;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly credentialKeys: string;
  private optionsLevel: number | null = null;
  private shortingEnabled: boolean | null = null;
  private clockCache: { clock: MarketClock; offsetMs: number } | null = null;
  private readonly assetCache = new Map<string, AssetInfo | null>();

  constructor(private readonly opts: AlpacaBrokerOptions) {
    const M = opts.endpointMode.toUpperCase();
    this.credentialKeys = `ALPACA_${M}_API_KEY and ALPACA_${M}_SECRET_KEY in .env`;
    if (!opts.keyId || !opts.secret) {
      throw new ConfigError(`alpaca ${opts.endpointMode}: ${this.credentialKeys} must both be set`);
    }
    const common = { keyId: opts.keyId, secret: opts.secret, timeoutMs: opts.timeoutMs, userAgent: 'tradebot' };
    this.config = new trading.Configuration({ ...common, basePath: stripSlash(opts.tradingUrl) });
    const dataConfig = new marketData.Configuration({ ...common, basePath: stripSlash(opts.dataUrl) });
    this.orders = new trading.OrdersApi(this.config);
    this.accounts = new trading.AccountsApi(this.config);
    this.positionsApi = new trading.PositionsApi(this.config);
    this.assets = new trading.AssetsApi(this.config);
    this.clockApi = new trading.ClockApi(this.config);
    this.calendarApi = new trading.CalendarApi(this.config);
    this.stocks = new marketData.StockApi(dataConfig);
    this.optionsData = new marketData.OptionApi(dataConfig);
    this.sleep = opts.sleep ?? realSleep;
    this.now = opts.now ?? Date.now;
    this.limiters = opts.limiters ?? createAlpacaLimiters(opts.sleep);
  }

  /** The trading URL this instance calls (tests prove TEST_MODE never gets a live one). */
  get tradingUrl(): string {
    return this.config.basePath;
  }

  get capabilities(): BrokerCapabilities {
    return {
      // Buying puts needs options level 2 or more; unknown before authenticate() (then assumed absent).
      options: (this.optionsLevel ?? 0) >= 2,
      shortSelling: this.shortingEnabled ?? false,
      fractional: this.opts.fractional,
    };
  }

  /**
   * One trading-API call; `read` turns the SDK's answer into ours inside the same error handling, so a
   * response of the wrong shape is a BrokerError naming the request and the field, never a TypeError.
   */
  private async trade<T, R = T>(what: string, call: () => Promise<T>, read?: (resp: T) => R): Promise<R> {
    return this.limiters.trading
      .run(call, alpacaRateLimitSignal)
      .then((resp) => (read ? read(resp) : (resp as unknown as R)))
      .catch((err: unknown) => {
        throw classifyAlpacaError(err, what, this.credentialKeys);
      });
  }

  private async data<T, R = T>(what: string, call: () => Promise<T>, read?: (resp: T) => R): Promise<R> {
    return this.limiters.data
      .run(call, alpacaRateLimitSignal)
      .then((resp) => (read ? read(resp) : (resp as unknown as R)))
      .catch((err: unknown) => {
        throw classifyAlpacaError(err, what, this.credentialKeys);
      });
  }

  async authenticate(): Promise<void> {
    let acct: trading.Account;
    try {
      acct = await this.trade('authentication (GET /v2/account)', () => this.accounts.getAccount(), (a) => record(a, 'the account') as trading.Account);
    } catch (err) {
      // 403 on the account itself also means these keys may not trade here (wrong environment, revoked).
      if (err instanceof BrokerError && err.status === 403) {
        throw new ConfigError(`alpaca ${this.opts.endpointMode}: ${err.message}; check ${this.credentialKeys}`);
      }
      throw err;
    }
    const problems: string[] = [];
    if (acct.status !== 'ACTIVE') problems.push(`account status is ${String(acct.status)}, not ACTIVE`);
    if (acct.accountBlocked) problems.push('the account is blocked');
    if (acct.tradingBlocked) problems.push('trading is blocked on the account');
    if (acct.tradeSuspendedByUser) problems.push('trading is suspended by the user');
    if (problems.length > 0) throw new ConfigError(`alpaca ${this.opts.endpointMode}: ${problems.join('; ')}`);
    this.noteAccount(acct);
  }

  private noteAccount(acct: trading.Account): void {
    const level = acct.optionsTradingLevel ?? acct.optionsApprovedLevel;
    this.optionsLevel = typeof level === 'number' ? level : 0;
    this.shortingEnabled = acct.shortingEnabled ?? false;
  }

  async account(): Promise<BrokerAccount> {
    return this.trade('account (GET /v2/account)', () => this.accounts.getAccount(), (resp) => {
      const acct = record(resp, 'the account') as trading.Account;
      this.noteAccount(acct);
      return {
        accountValue: num(acct.equity ?? acct.portfolioValue, 'equity'),
        cash: num(acct.cash, 'cash'),
        buyingPower: num(acct.buyingPower, 'buying_power'),
      };
    });
  }

  async positions(): Promise<BrokerPosition[]> {
    const list = await this.trade('positions (GET /v2/positions)', () => this.positionsApi.getAllOpenPositions(), (resp) =>
      array(resp, 'the position list').map((raw, i) => {
        const p = record(raw, `position ${i}`);
        const symbol = text(p.symbol, `symbol of position ${i}`);
        const qty = num(p.qty, `qty of ${symbol}`);
        // Alpaca reports a short position's qty negative; some responses give side=short with a positive qty.
        const signed = p.side === 'short' && qty > 0 ? -qty : qty;
        return { symbol: fromAlpacaSymbol(symbol), qty: signed, avgEntryPrice: num(p.avgEntryPrice, `avg_entry_price of ${symbol}`) };
      }),
    );
    return list.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  async getOrderByClientId(clientOrderId: string): Promise<BrokerOrder | null> {
    const raw = await this.findRawByClientId(clientOrderId);
    return raw ? toBrokerOrder(raw) : null;
  }

  /** The order with this client id, already checked to read as a BrokerOrder (see toBrokerOrder). */
  private async findRawByClientId(clientOrderId: string): Promise<trading.Order | null> {
    try {
      return await this.trade(`order lookup by client id ${clientOrderId}`, () => this.orders.getOrderByClientOrderId({ clientOrderId }), checkedOrder);
    } catch (err) {
      if (err instanceof BrokerError && err.status === 404) return null;
      throw err;
    }
  }

  async cancelOrder(orderId: string): Promise<void> {
    try {
      await this.trade(`cancel order ${orderId}`, () => this.orders.deleteOrderByOrderID({ orderId }));
    } catch (err) {
      // 422: the order is no longer cancelable (already filled, canceled or expired): nothing left to cancel.
      if (err instanceof BrokerError && err.status === 422) return;
      throw err;
    }
  }

  async openOrders(): Promise<BrokerOrder[]> {
    return this.trade('open orders (GET /v2/orders)', () => this.orders.getAllOrders({ status: 'open', limit: 500 }), (resp) =>
      array(resp, 'the order list').map((o) => toBrokerOrder(o as trading.Order)),
    );
  }

  /**
   * GET /v2/orders?status=all&after=...&direction=asc&limit=500, paged: `after` is exclusive and compares
   * submission times, so each next page starts a millisecond before the last order seen and repeats are
   * dropped by id (orders submitted in the same instant are not lost at a page edge).
   */
  async ordersSince(since: string): Promise<BrokerOrder[]> {
    const sinceMs = Date.parse(since);
    if (Number.isNaN(sinceMs)) throw new LogicError(`alpaca: ordersSince needs an ISO time, got ${JSON.stringify(since)}`);
    const byId = new Map<string, BrokerOrder>();
    let after = new Date(sinceMs - 1).toISOString();
    const limit = this.opts.ordersPageLimit ?? ORDER_PAGE_LIMIT;
    for (let page = 0; page < ORDER_PAGES_MAX; page++) {
      const list = await this.trade(`orders since ${since} (GET /v2/orders)`, () => this.orders.getAllOrders({ status: 'all', after, direction: 'asc', limit, nested: false }), (resp) =>
        array(resp, 'the order list').map((o) => toBrokerOrder(o as trading.Order)),
      );
      const before = byId.size;
      for (const o of list) byId.set(o.id, o);
      const last = list.at(-1);
      const lastMs = last ? Date.parse(last.submittedAt) : NaN;
      if (list.length < limit || byId.size === before || Number.isNaN(lastMs)) break;
      after = new Date(lastMs - 1).toISOString();
    }
    return [...byId.values()].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  }

  async submitOrder(req: OrderRequest): Promise<BrokerOrder> {
    if (req.type !== 'market') throw new LogicError(`alpaca: only market orders are submitted through submitOrder, got ${String(req.type)}`);
    // Ask first: after a crash between submit and acknowledgement the order may already exist.
    const existing = await this.findRawByClientId(req.clientOrderId);
    if (existing) return this.settle(existing);

    const prepared = await this.prepareQty(req);
    if ('rejected' in prepared) return prepared.rejected;
    if (!(await this.marketOpen())) {
      // A market order sent while the market is closed would wait for the next open: never send one.
      return rejectedOrder(req, 'market_closed', this.now()); // the market is closed (GET /v2/clock); no order was sent
    }
    const body: trading.PostOrderRequest = {
      symbol: toAlpacaSymbol(req.symbol),
      qty: String(prepared.qty),
      side: req.side,
      type: 'market',
      timeInForce: 'day',
      clientOrderId: req.clientOrderId,
    };
    return this.post(req, body);
  }

  /**
   * Posts an order once. Any ambiguous outcome (timeout, 5xx, connection reset, 429 after backoff) is
   * resolved by looking the client id up: found means it was placed, so it is settled, never re-sent.
   */
  private async post(req: Pick<OrderRequest, 'clientOrderId' | 'symbol' | 'side' | 'qty'>, body: trading.PostOrderRequest): Promise<BrokerOrder> {
    let created: trading.Order;
    try {
      created = await this.trade(`submit order ${req.clientOrderId}`, () => this.orders.postOrder({ postOrderRequest: body }), checkedOrder);
    } catch (err) {
      if (err instanceof BrokerError && err.status !== null && err.status < 500) {
        const cause = err.cause instanceof ApiError ? err.cause : null;
        const message = cause?.message ?? err.message;
        if (/client_order_id must be unique/i.test(message)) {
          const dup = await this.findRawByClientId(req.clientOrderId);
          if (dup) return this.settle(dup);
          throw new NetworkError(`alpaca: client order id ${req.clientOrderId} is in use but not visible yet`, {
            provider: 'alpaca',
            code: 'duplicate_not_visible',
          });
        }
        if (err.status === 404) throw err;
        const code = rejectionCode(err.status, err.code, message);
        return rejectedOrder(req, `${code}${err.code ? `:${err.code}` : ''}`, this.now());
      }
      if (err instanceof NetworkError) {
        const found = await this.findRawByClientId(req.clientOrderId).catch(() => null);
        if (found) return this.settle(found);
      }
      throw err;
    }
    return this.settle(created);
  }

  /** Whole shares unless fractional trading is on and the asset allows it; options are whole contracts. */
  private async prepareQty(req: OrderRequest): Promise<{ qty: number } | { rejected: BrokerOrder }> {
    if (!(req.qty > 0) || !Number.isFinite(req.qty)) return { rejected: rejectedOrder(req, 'invalid_qty', this.now()) };
    if (Number.isInteger(req.qty)) return { qty: req.qty };
    const whole = Math.floor(req.qty);
    let fractionable = false;
    if (req.assetClass === 'us_equity' && this.opts.fractional) {
      fractionable = (await this.assetInfo(req.symbol))?.fractionable ?? false;
    }
    // Nine decimals is Alpaca's precision for fractional qty.
    if (fractionable) return { qty: Math.floor(req.qty * 1e9) / 1e9 };
    // Rounding down keeps the order inside the size the risk rules granted.
    if (whole >= 1) return { qty: whole };
    return { rejected: rejectedOrder(req, 'not_fractionable', this.now()) };
  }

  /**
   * Waits for a submitted market order to reach a final state. If it is still working after the fill
   * timeout, the rest is cancelled so the bot's position is definite; what filled is the truth.
   */
  private async settle(order: trading.Order): Promise<BrokerOrder> {
    const deadline = this.now() + (this.opts.fillTimeoutMs ?? 10_000);
    const poll = this.opts.pollIntervalMs ?? 250;
    let cur = order;
    while (!TERMINAL_STATUSES.has(String(cur.status)) && this.now() < deadline) {
      await this.sleep(poll);
      cur = await this.trade(`order status ${cur.id}`, () => this.orders.getOrderByOrderID({ orderId: String(cur.id) }), checkedOrder);
    }
    if (!TERMINAL_STATUSES.has(String(cur.status)) && cur.type === 'market') {
      await this.cancelOrder(String(cur.id));
      const cancelDeadline = this.now() + 5_000;
      do {
        await this.sleep(poll);
        cur = await this.trade(`order status ${cur.id}`, () => this.orders.getOrderByOrderID({ orderId: String(cur.id) }), checkedOrder);
      } while (!TERMINAL_STATUSES.has(String(cur.status)) && this.now() < cancelDeadline);
      const out = toBrokerOrder(cur);
      if (out.status === 'canceled') return { ...out, rejectReason: 'not_filled_in_time' };
      return out;
    }
    return toBrokerOrder(cur);
  }

  async placeProtectiveStop(req: ProtectiveStopRequest): Promise<ProtectiveStopResult> {
    if (req.assetClass === 'us_option') return { placed: false, reason: 'alpaca accepts only market and limit orders for options' };
    const existing = await this.findRawByClientId(req.clientOrderId);
    if (existing) return { placed: true, order: toBrokerOrder(existing), kind: existing.type === 'trailing_stop' ? 'trailing' : 'stop', note: 'already placed' };
    const fractional = !Number.isInteger(req.qty);
    let kind = req.kind;
    let note: string | null = null;
    // Alpaca does not take fractional trailing stops; a plain stop at the initial trail level stands in.
    if (kind === 'trailing' && fractional) {
      kind = 'stop';
      note = 'fractional quantity: a fixed stop at the initial trail level replaces the trailing stop';
    }
    const stopPrice =
      req.stopPrice ??
      (req.trailPercent !== undefined ? req.referencePrice * (req.side === 'sell' ? 1 - req.trailPercent / 100 : 1 + req.trailPercent / 100) : undefined);
    if (kind === 'stop' && (stopPrice === undefined || !(stopPrice > 0))) {
      return { placed: false, reason: 'a stop order needs a stop price or a trail percent with a reference price' };
    }
    if (kind === 'trailing' && !(req.trailPercent !== undefined && req.trailPercent > 0)) {
      return { placed: false, reason: 'a trailing stop needs a positive trail percent' };
    }
    const body: trading.PostOrderRequest = {
      symbol: toAlpacaSymbol(req.symbol),
      qty: String(req.qty),
      side: req.side,
      type: kind === 'trailing' ? 'trailing_stop' : 'stop',
      // Day orders: an intraday safety net must never survive into the next session.
      timeInForce: 'day',
      clientOrderId: req.clientOrderId,
      ...(kind === 'trailing' ? { trailPercent: String(req.trailPercent) } : { stopPrice: roundPrice(stopPrice as number) }),
    };
    let created: trading.Order;
    try {
      created = await this.trade(`protective stop ${req.clientOrderId}`, () => this.orders.postOrder({ postOrderRequest: body }), checkedOrder);
    } catch (err) {
      if (err instanceof NetworkError || (err instanceof BrokerError && /client_order_id must be unique/i.test(err.message))) {
        const found = await this.findRawByClientId(req.clientOrderId).catch(() => null);
        if (found) return { placed: true, order: toBrokerOrder(found), kind, note };
      }
      if (err instanceof BrokerError && err.status !== null && err.status < 500) {
        return { placed: false, reason: `${rejectionCode(err.status, err.code, err.message)}: ${err.message}` };
      }
      throw err;
    }
    return { placed: true, order: toBrokerOrder(created), kind, note };
  }

  async quote(symbol: string, assetClass: AssetClass, _barStart: number): Promise<number | null> {
    const q = await this.latestQuote(symbol, assetClass);
    if (!q) return null;
    if (q.bid > 0 && q.ask > 0) return (q.bid + q.ask) / 2;
    return q.ask > 0 ? q.ask : q.bid > 0 ? q.bid : null;
  }

  async latestQuote(symbol: string, assetClass: AssetClass): Promise<QuoteInfo | null> {
    const sym = toAlpacaSymbol(symbol);
    const read = (resp: { quotes?: Record<string, { bp?: unknown; ap?: unknown; t?: unknown }> }): QuoteInfo | null => {
      const quotes = record(resp, 'the quote response').quotes;
      const q = quotes === undefined || quotes === null ? undefined : record(quotes, 'quotes')[sym];
      if (q === undefined || q === null) return null;
      const quote = record(q, `the quote of ${sym}`);
      return { bid: num(quote.bp, `bp of ${sym}`), ask: num(quote.ap, `ap of ${sym}`), time: toIso(quote.t, `t of ${sym}`) };
    };
    if (assetClass === 'us_option') {
      return this.data(`option quote ${sym}`, () => this.optionsData.optionLatestQuotes({ symbols: sym, feed: this.opts.optionFeed ?? 'indicative' }), read);
    }
    return this.data(`stock quote ${sym}`, () => this.stocks.stockLatestQuotes({ symbols: sym, feed: this.opts.stockFeed ?? 'iex' }), read);
  }

  async assetInfo(symbol: string): Promise<AssetInfo | null> {
    const key = symbol.toUpperCase();
    if (this.assetCache.has(key)) return this.assetCache.get(key) ?? null;
    let info: AssetInfo | null;
    try {
      info = await this.trade(`asset ${key}`, () => this.assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: key }), (resp) => {
        const a = record(resp, `the asset ${key}`);
        // Only a literal true grants a permission: a malformed flag must not allow a short or a fraction.
        return {
          symbol: typeof a.symbol === 'string' && a.symbol !== '' ? a.symbol : key,
          tradable: a.tradable === true,
          shortable: a.shortable === true,
          easyToBorrow: a.easyToBorrow === true,
          fractionable: a.fractionable === true,
        };
      });
    } catch (err) {
      if (err instanceof BrokerError && err.status === 404) info = null;
      else throw err;
    }
    this.assetCache.set(key, info);
    return info;
  }

  async putContracts(
    underlying: string,
    range: { expiryFrom: string; expiryTo: string; strikeFrom?: number; strikeTo?: number },
  ): Promise<OptionContractInfo[]> {
    const out: OptionContractInfo[] = [];
    const seenTokens = new Set<string>();
    let pageToken: string | undefined;
    do {
      const what = `option contracts ${underlying}`;
      const resp = await this.trade(what, () =>
        this.assets.getOptionsContracts({
          underlyingSymbols: underlying,
          status: 'active',
          type: 'put',
          expirationDateGte: new Date(`${range.expiryFrom}T00:00:00Z`),
          expirationDateLte: new Date(`${range.expiryTo}T00:00:00Z`),
          strikePriceGte: range.strikeFrom,
          strikePriceLte: range.strikeTo,
          limit: 1000,
          pageToken,
        }),
        (r) => {
          const page = record(r, 'the contract page');
          const contracts = page.optionContracts === undefined || page.optionContracts === null ? [] : array(page.optionContracts, 'option_contracts');
          const rows: OptionContractInfo[] = [];
          contracts.forEach((raw, i) => {
            const c = record(raw, `contract ${i}`);
            if (c.tradable === false) return;
            const expiry = toIso(c.expirationDate, `expiration_date of contract ${i}`).slice(0, 10);
            const strike = num(c.strikePrice, `strike_price of contract ${i}`);
            if (!/^\d{4}-\d{2}-\d{2}$/.test(expiry) || !(strike > 0)) throw new MalformedResponseError(`contract ${i} has no expiration date or a strike that is not positive`);
            rows.push({ symbol: formatOccSymbol({ underlying, expiry, right: 'P', strike }), underlying, expiry, strike, right: 'P' });
          });
          const next = page.nextPageToken;
          return { rows, next: typeof next === 'string' && next !== '' ? next : undefined };
        },
      );
      out.push(...resp.rows);
      // A token seen before would page forever: a broken answer, not more data.
      if (resp.next !== undefined && seenTokens.has(resp.next)) {
        throw new BrokerError(`alpaca: ${what} answered with a malformed response: next_page_token repeats, so the pages would never end`, { provider: 'alpaca', code: 'bad_response' });
      }
      if (resp.next !== undefined) seenTokens.add(resp.next);
      pageToken = resp.next;
    } while (pageToken);
    return out.sort((a, b) => a.expiry.localeCompare(b.expiry) || a.strike - b.strike);
  }

  async clock(): Promise<MarketClock> {
    const clock = await this.trade('market clock (GET /v2/clock)', () => this.clockApi.legacyClock(), (resp) => {
      const c = record(resp, 'the clock');
      if (typeof c.isOpen !== 'boolean') throw new MalformedResponseError(`is_open is ${describeValue(c.isOpen)} (expected true or false)`);
      const timed = (v: unknown, field: string) => {
        const iso = toIso(v, field);
        if (iso === '' || Number.isNaN(Date.parse(iso))) throw new MalformedResponseError(`${field} is ${describeValue(v)} (expected a time)`);
        return iso;
      };
      return { isOpen: c.isOpen, timestamp: timed(c.timestamp, 'timestamp'), nextOpen: timed(c.nextOpen, 'next_open'), nextClose: timed(c.nextClose, 'next_close') };
    });
    this.clockCache = { clock, offsetMs: Date.parse(clock.timestamp) - this.now() };
    return clock;
  }

  /** Open now by Alpaca's clock; the cached answer is reused until the next open/close it announced. */
  async marketOpen(): Promise<boolean> {
    const cached = this.clockCache;
    if (cached) {
      const serverNow = this.now() + cached.offsetMs;
      if (cached.clock.isOpen && serverNow < Date.parse(cached.clock.nextClose)) return true;
      if (!cached.clock.isOpen && serverNow < Date.parse(cached.clock.nextOpen)) return false;
    }
    return (await this.clock()).isOpen;
  }

  async calendar(from: string, to: string): Promise<CalendarDay[]> {
    return this.trade(
      'market calendar (GET /v2/calendar)',
      () => this.calendarApi.legacyCalendar({ start: new Date(`${from}T00:00:00Z`), end: new Date(`${to}T00:00:00Z`) }),
      (resp) =>
        array(resp, 'the calendar').map((raw, i) => {
          const d = record(raw, `calendar day ${i}`);
          const date = toIso(d.date, `date of calendar day ${i}`).slice(0, 10);
          if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new MalformedResponseError(`date of calendar day ${i} is ${describeValue(d.date)} (expected a date)`);
          return { date, open: text(d.open, `open of ${date}`), close: text(d.close, `close of ${date}`) };
        }),
    );
  }

  async close(): Promise<void> {
    // Stateless HTTP: nothing to disconnect.
  }
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

