import type { Contract } from '@stoqey/ib';
import type { AssetClass, AssetInfo, ImbalanceInfo, QuoteInfo } from '../brokerTypes';
import type { IbConnection } from './ibConnection';
import type { IbContracts } from './ibContracts';

interface Ticks {
  readonly prices: Map<number, number>;
  readonly sizes: Map<number, number>;
  readonly generic: Map<number, number>;
}

/** Quotes, shortability and closing-auction imbalances from IB's market data ticks. */
export class IbMarketData {
  constructor(
    private readonly conn: IbConnection,
    private readonly contracts: IbContracts,
  ) {}

  async latestQuote(symbol: string, assetClass: AssetClass): Promise<QuoteInfo | null> {
    const c = await this.contracts.qualify(symbol, assetClass);
    if (!c) return null;
    const p = await this.snapshot(c);
    // Real-time ticks 1/2 (bid/ask), delayed ticks 66/67 when only delayed data is subscribed.
    const bid = p.get(1) ?? p.get(66) ?? 0;
    const ask = p.get(2) ?? p.get(67) ?? 0;
    if (!(bid > 0) && !(ask > 0)) return null;
    return { bid, ask, time: new Date(this.conn.now()).toISOString() };
  }

  async quote(symbol: string, assetClass: AssetClass): Promise<number | null> {
    const q = await this.latestQuote(symbol, assetClass);
    if (!q) return null;
    if (q.bid > 0 && q.ask > 0) return (q.bid + q.ask) / 2;
    return q.ask > 0 ? q.ask : q.bid;
  }

  async assetInfo(symbol: string): Promise<AssetInfo | null> {
    const c = await this.contracts.qualify(symbol, 'us_equity');
    if (!c) return null;
    // Generic tick 236 (shortable): tick 46 > 2.5 = at least 1000 shares available to borrow.
    const ticks = await this.streamTicks(c, '236', 2_000, [46]);
    const shortable = (ticks.generic.get(46) ?? 0) > 2.5;
    return { symbol: symbol.toUpperCase(), tradable: true, shortable, easyToBorrow: shortable, fractionable: false };
  }

  /**
   * Closing-auction imbalance for the CLOSE strategy (generic tick 225: auction volume 34, price 35,
   * imbalance 36; regulatory imbalance 61). IB sends them only around the auctions; a symbol with
   * nothing in the window comes back with nulls.
   */
  async imbalance(symbols: readonly string[], windowMs: number): Promise<ImbalanceInfo[]> {
    const out: ImbalanceInfo[] = [];
    for (const symbol of symbols) {
      const c = await this.contracts.qualify(symbol, 'us_equity');
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

  private async snapshot(contract: Contract): Promise<Map<number, number>> {
    const reqId = this.conn.newReqId();
    const prices = new Map<number, number>();
    return this.conn.request({
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
  private async streamTicks(contract: Contract, genericTicks: string, windowMs: number, wanted: number[]): Promise<Ticks> {
    const reqId = this.conn.newReqId();
    const ticks: Ticks = { prices: new Map(), sizes: new Map(), generic: new Map() };
    const api = await this.conn.ensureConnected();
    const seenAll = () => wanted.every((w) => ticks.prices.has(w) || ticks.sizes.has(w) || ticks.generic.has(w));
    const into = (m: Map<number, number>) => (id: number, field: number, value: number) => {
      if (id === reqId) m.set(Number(field), Number(value));
    };
    const listeners: [string, (id: number, field: number, value: number) => void][] = [
      ['tickPrice', into(ticks.prices)],
      ['tickSize', into(ticks.sizes)],
      ['tickGeneric', into(ticks.generic)],
    ];
    for (const [event, fn] of listeners) api.on(event, fn);
    try {
      api.reqMktData(reqId, contract, genericTicks, false, false);
      const deadline = this.conn.now() + windowMs;
      while (!seenAll() && this.conn.now() < deadline) await this.conn.sleep(50);
    } finally {
      api.cancelMktData(reqId);
      for (const [event, fn] of listeners) api.off(event, fn);
    }
    return ticks;
  }
}
