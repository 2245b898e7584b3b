import fs from 'node:fs';
import path from 'node:path';
import type { BrokerName } from '../domain/trades/tradeRecord';
import { extractVersionTag } from '../domain/config/versionTag';
import type { ClosingImbalance } from '../domain/strategies/enhancements';
import type { ActivityDeps, DataScope } from './tradingActivities';
import type { AssetClass } from './broker/brokerTypes';
import { isRealBroker } from './broker/brokerFactory';

/**
 * Facts the session checks before an entry (issue 3): a two-sided quote for the spread check, the IBKR
 * closing imbalance for CLOSE, and the release this worker runs for the build check.
 */

export interface TwoSidedQuote {
  readonly bid: number | null;
  readonly ask: number | null;
}

interface QuotesTwoSided {
  twoSidedQuote(symbol: string, assetClass: AssetClass, barStart: number): Promise<TwoSidedQuote>;
}

const VERSION_FILE = path.resolve(__dirname, '..', 'VERSION.md');

export function createEntryCheckActivities(deps: Pick<ActivityDeps, 'broker'> & { versionFile?: string }) {
  return {
    /** Latest bid and ask of the instrument about to be bought or sold. */
    async entryQuote(input: { broker: BrokerName; symbol: string; assetClass: AssetClass; barStart: number } & DataScope): Promise<TwoSidedQuote> {
      const b = await deps.broker(input.broker, input.replayFolder);
      if (isRealBroker(b)) {
        const q = await b.latestQuote(input.symbol, input.assetClass);
        return { bid: q?.bid ?? null, ask: q?.ask ?? null };
      }
      const sim = b as Partial<QuotesTwoSided>;
      if (typeof sim.twoSidedQuote === 'function') return sim.twoSidedQuote(input.symbol, input.assetClass, input.barStart);
      return { bid: null, ask: null };
    },

    /**
     * IBKR closing-auction imbalance per symbol; null when IBKR is not enabled on this worker (the gate
     * then has no data and lets the core logic decide).
     */
    async closingImbalance(input: { symbols: readonly string[] }): Promise<Record<string, ClosingImbalance> | null> {
      let ib: unknown;
      try {
        ib = await deps.broker('ibkr', null);
      } catch {
        return null;
      }
      const scanner = ib as { imbalance?: (s: readonly string[]) => Promise<{ symbol: string; imbalance: number | null; auctionVolume: number | null }[]> };
      if (typeof scanner.imbalance !== 'function') return null;
      const out: Record<string, ClosingImbalance> = {};
      for (const r of await scanner.imbalance(input.symbols)) out[r.symbol] = { imbalance: r.imbalance, auctionVolume: r.auctionVolume };
      return out;
    },

    /** The release this worker runs: the tag of the VERSION.md shipped with its code. */
    async buildInfo(): Promise<{ readonly versionTag: string | null }> {
      try {
        return { versionTag: extractVersionTag(fs.readFileSync(deps.versionFile ?? VERSION_FILE, 'utf8')) };
      } catch {
        return { versionTag: null };
      }
    },
  };
}

export type EntryCheckActivities = ReturnType<typeof createEntryCheckActivities>;
