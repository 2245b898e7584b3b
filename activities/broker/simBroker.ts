import fs from 'node:fs';
import path from 'node:path';
import type {
  AssetClass,
  Broker,
  BrokerAccount,
  BrokerOrder,
  BrokerPosition,
  OrderRequest,
} from './brokerTypes';
import { appendDurable } from '../outputs/atomicFile';
import { withFileLockSync } from '../ledger/fileLock';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { simulatedPutQuote } from '../../domain/instruments/simulatedOptionPrice';
import type { VolatilityInputs } from '../../domain/instruments/optionModelInputs';
import { round2 } from '../../domain/math/round';
import { utcMsToNyWallTime } from '../../domain/market/nyTime';

/** What the simulated broker needs from market data: the close of a symbol's bar. */
export interface SimPriceSource {
  /** Close of the bar starting at `barStart`, or of the latest bar before it; null if none that day. */
  closeAt(symbol: string, barStart: number): number | null;
  /** The bar itself (its low and high stand in for a two-sided quote); absent: no spread is known. */
  barAt?(symbol: string, barStart: number): { readonly l: number; readonly h: number } | null;
}

export interface SimBrokerOptions {
  /** Orders are journaled here (JSON lines, fsync'd) so the simulator behaves like a real broker across worker crashes. */
  readonly journalPath: string;
  readonly startingCash: number;
  readonly prices: SimPriceSource;
  /** Per-order commission in dollars. */
  readonly feePerOrder?: number;
  /** The put model's volatility inputs for an underlying on a date (YYYY-MM-DD); absent: the model's default. */
  readonly putVolatility?: (underlying: string, date: string) => VolatilityInputs;
}

/**
 * The built-in simulated broker for TEST_MODE: a real implementation of the broker interface.
 * Market orders fill at the close of the bar the decision was made on, order ids are deterministic
 * (derived from the client order id), and a resubmitted client order id returns the first order.
 */
export class SimBroker implements Broker {
  readonly name = 'sim' as const;
  readonly capabilities = { options: true, shortSelling: true, fractional: true };
  private readonly orders = new Map<string, BrokerOrder>();

  constructor(private readonly opts: SimBrokerOptions) {
    this.load();
  }

  private load(): void {
    if (!fs.existsSync(this.opts.journalPath)) return;
    const text = fs.readFileSync(this.opts.journalPath, 'utf8');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const order = JSON.parse(line) as BrokerOrder;
        this.orders.set(order.clientOrderId, order);
      } catch {
        // A torn last line from a killed process: the order it described was never acknowledged.
      }
    }
  }

  private persist(order: BrokerOrder): void {
    appendDurable(this.opts.journalPath, `${JSON.stringify(order)}\n`);
  }

  async authenticate(): Promise<void> {
    // Nothing to authenticate: the simulator is local.
  }

  /**
   * Like a real broker, the simulator is one service for every worker: several worker processes share the
   * journal. An id this process has not seen is looked up in the journal, and a submit checks and appends
   * under a file lock, so a retry on another worker finds the order the first one placed.
   */
  private known(clientOrderId: string): BrokerOrder | null {
    const mine = this.orders.get(clientOrderId);
    if (mine) return mine;
    this.load();
    return this.orders.get(clientOrderId) ?? null;
  }

  async submitOrder(req: OrderRequest): Promise<BrokerOrder> {
    const existing = this.orders.get(req.clientOrderId);
    if (existing) return existing;
    fs.mkdirSync(path.dirname(this.opts.journalPath), { recursive: true });
    return withFileLockSync(this.opts.journalPath, () => this.submitLocked(req));
  }

  private submitLocked(req: OrderRequest): BrokerOrder {
    const existing = this.known(req.clientOrderId);
    if (existing) return existing;
    const now = new Date().toISOString();
    const price = this.fillPrice(req);
    const base = {
      id: `sim-${req.clientOrderId}`,
      clientOrderId: req.clientOrderId,
      symbol: req.symbol,
      side: req.side,
      qty: req.qty,
      submittedAt: now,
    };
    let order: BrokerOrder;
    if (!(req.qty > 0)) {
      order = { ...base, filledQty: 0, filledAvgPrice: null, status: 'rejected', filledAt: null, fees: 0, rejectReason: 'invalid_qty' };
    } else if (price === null) {
      order = { ...base, filledQty: 0, filledAvgPrice: null, status: 'rejected', filledAt: null, fees: 0, rejectReason: 'no_price' };
    } else {
      order = {
        ...base,
        filledQty: req.qty,
        filledAvgPrice: price,
        status: 'filled',
        filledAt: now,
        fees: this.opts.feePerOrder ?? 0,
        rejectReason: null,
      };
    }
    this.persist(order);
    this.orders.set(order.clientOrderId, order);
    return order;
  }

  private fillPrice(req: OrderRequest): number | null {
    return req.simFillBarStart === undefined ? null : this.priceAt(req.symbol, req.assetClass, req.simFillBarStart, req.side === 'buy' ? 'ask' : 'bid');
  }

  /** An option's price is a side of the modelled quote (docs/backtest.md, "Option pricing model"): ask to buy, bid to sell. */
  private priceAt(symbol: string, assetClass: AssetClass, barStart: number, side: 'bid' | 'ask' | 'mid' = 'mid'): number | null {
    if (assetClass === 'us_option') {
      const contract = parseOccSymbol(symbol);
      if (!contract) return null;
      const underlying = this.opts.prices.closeAt(contract.underlying, barStart);
      if (underlying === null) return null;
      const vol = this.opts.putVolatility?.(contract.underlying, utcMsToNyWallTime(barStart).date) ?? { vix: null };
      const q = simulatedPutQuote({ underlying, contract, atMs: barStart, ...vol });
      return side === 'mid' ? round2(q.mid) : q[side];
    }
    return this.opts.prices.closeAt(symbol, barStart);
  }

  async quote(symbol: string, assetClass: AssetClass, barStart: number): Promise<number | null> {
    return this.priceAt(symbol, assetClass, barStart);
  }

  /**
   * Bid and ask for the spread check before an entry: the bar's low and high, a pessimistic stand-in
   * (a minute's whole range is wider than its spread). Options are quoted at the model's bid and ask.
   */
  async twoSidedQuote(symbol: string, assetClass: AssetClass, barStart: number): Promise<{ bid: number | null; ask: number | null }> {
    if (assetClass === 'us_option') return { bid: this.priceAt(symbol, assetClass, barStart, 'bid'), ask: this.priceAt(symbol, assetClass, barStart, 'ask') };
    const bar = this.opts.prices.barAt?.(symbol, barStart) ?? null;
    return { bid: bar?.l ?? null, ask: bar?.h ?? null };
  }

  async getOrderByClientId(clientOrderId: string): Promise<BrokerOrder | null> {
    return this.known(clientOrderId);
  }

  async cancelOrder(_orderId: string): Promise<void> {
    // Simulated market orders fill at once; there is never anything pending to cancel.
  }

  async positions(): Promise<BrokerPosition[]> {
    this.load();
    const bySymbol = new Map<string, { qty: number; cost: number }>();
    for (const o of this.orders.values()) {
      if (o.filledQty <= 0 || o.filledAvgPrice === null) continue;
      const p = bySymbol.get(o.symbol) ?? { qty: 0, cost: 0 };
      const mult = contractMultiplier(o.symbol);
      if (o.side === 'buy') {
        p.qty += o.filledQty;
        p.cost += o.filledQty * o.filledAvgPrice * mult;
      } else {
        const avg = p.qty !== 0 ? p.cost / p.qty : 0;
        p.qty -= o.filledQty;
        p.cost -= o.filledQty * avg;
      }
      bySymbol.set(o.symbol, p);
    }
    const out: BrokerPosition[] = [];
    for (const [symbol, p] of bySymbol) {
      if (Math.abs(p.qty) > 1e-9) out.push({ symbol, qty: p.qty, avgEntryPrice: p.cost / p.qty / contractMultiplier(symbol) });
    }
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  async account(): Promise<BrokerAccount> {
    let cash = this.opts.startingCash;
    for (const o of this.orders.values()) {
      if (o.filledQty <= 0 || o.filledAvgPrice === null) continue;
      const notional = o.filledQty * o.filledAvgPrice * contractMultiplier(o.symbol);
      cash += o.side === 'buy' ? -notional : notional;
      cash -= o.fees;
    }
    let held = 0;
    for (const p of await this.positions()) held += p.qty * p.avgEntryPrice * contractMultiplier(p.symbol);
    return { accountValue: cash + held, cash, buyingPower: cash };
  }

  /**
   * The journal's orders, for reconciliation. `since` is not applied: the simulator stamps orders with the
   * worker's clock, not the replay's market time, and its journal only ever holds the bot's own orders.
   */
  async ordersSince(_since: string): Promise<BrokerOrder[]> {
    this.load();
    return this.allOrders();
  }

  /** Every order ever submitted, in journal order (tests use it to prove nothing was placed twice). */
  allOrders(): BrokerOrder[] {
    return [...this.orders.values()];
  }
}

function contractMultiplier(symbol: string): number {
  return parseOccSymbol(symbol) ? 100 : 1;
}

/** Reads a simulated broker journal without a broker instance: every line, duplicates included. */
export function readSimJournal(journalPath: string): BrokerOrder[] {
  if (!fs.existsSync(journalPath)) return [];
  return fs
    .readFileSync(journalPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as BrokerOrder);
}
