import fs from 'node:fs';
import { projectPath } from './projectRoot';
import { extractVersionTag } from '../domain/config/versionTag';
import type { ClosingImbalance } from '../domain/strategies/enhancements';
import { DEFAULT_MIN_TRADING_DAYS_TO_EXPIRY, type OptionChainSnapshot, type OptionQuote } from '../domain/instruments/putSelection';
import { tradingDaysAfter } from '../domain/market/exchangeCalendar';
import { addDays } from '../domain/market/nyTime';
import type { ActivityDeps, DataScope } from './tradingActivities';
import { isRealBroker, type AssetClass } from './broker/brokerTypes';
import type { BrokerName } from '../domain/vocabulary';

/**
 * Facts the session checks before an entry (issue 3): what a bearish entry may use, a two-sided quote for
 * the spread check, the IBKR closing imbalance for CLOSE, and the release this worker runs (build check).
 */

export interface TwoSidedQuote {
  readonly bid: number | null;
  readonly ask: number | null;
}

interface QuotesTwoSided {
  twoSidedQuote(symbol: string, assetClass: AssetClass, barStart: number): Promise<TwoSidedQuote>;
}

const VERSION_FILE = projectPath('VERSION.md');
/** Put quotes fetched for one snapshot at most. */
const MAX_CHAIN_QUOTES = 12;

export interface BearishFacts {
  readonly supportsOptions: boolean;
  readonly supportsShorting: boolean;
  /** The underlying may be sold short (an unknown asset is not). */
  readonly shortable: boolean;
  readonly putChain: OptionChainSnapshot | null;
}

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
     * What a bearish entry may use at this broker: options, shorting, whether the underlying is shortable,
     * and, for LongPut at a real broker, a put chain snapshot with quotes around the money (the synthetic
     * chain only exists at the simulator). Quotes are limited to the two nearest expiries in range and
     * strikes from 10% below the price up to it, so a snapshot costs a handful of requests.
     */
    async bearishFacts(
      input: { broker: BrokerName; underlying: string; price: number; date: string; wantPutChain: boolean; minTradingDays?: number } & DataScope,
    ): Promise<BearishFacts> {
      const b = await deps.broker(input.broker, input.replayFolder);
      if (!isRealBroker(b)) return { supportsOptions: b.capabilities.options, supportsShorting: b.capabilities.shortSelling, shortable: true, putChain: null };
      const asset = await b.assetInfo(input.underlying);
      let putChain: OptionChainSnapshot | null = null;
      if (input.wantPutChain && b.capabilities.options) {
        const listed = await b.putContracts(input.underlying, {
          expiryFrom: addDays(input.date, 1),
          expiryTo: addDays(input.date, 35),
          strikeFrom: Math.floor(input.price * 0.9),
          strikeTo: Math.ceil(input.price),
        });
        const minDays = input.minTradingDays ?? DEFAULT_MIN_TRADING_DAYS_TO_EXPIRY;
        const expiries = [...new Set(listed.filter((c) => c.right === 'P' && tradingDaysAfter(input.date, c.expiry) >= minDays).map((c) => c.expiry))].sort().slice(0, 2);
        const candidates = listed.filter((c) => c.right === 'P' && expiries.includes(c.expiry) && c.strike <= input.price && c.strike >= input.price * 0.9);
        const contracts: OptionQuote[] = [];
        for (const c of candidates.slice(0, MAX_CHAIN_QUOTES)) {
          const q = await b.latestQuote(c.symbol, 'us_option');
          contracts.push({ symbol: c.symbol, expiry: c.expiry, strike: c.strike, right: 'P', bid: q?.bid ?? null, ask: q?.ask ?? null });
        }
        putChain = { underlying: input.underlying, asOf: new Date().toISOString(), contracts };
      }
      return { supportsOptions: b.capabilities.options, supportsShorting: b.capabilities.shortSelling, shortable: asset?.shortable ?? false, putChain };
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
