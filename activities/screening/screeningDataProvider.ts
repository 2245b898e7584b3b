import type { ScreeningFacts } from '../../domain/screening/screen';
import type { FinnhubClient } from '../marketData/finnhubClient';

/**
 * Where live screening gets its per-symbol facts. One call per symbol; a symbol the provider does not
 * know answers null. Errors: a ConfigError (bad key, plan without the endpoint) or a NetworkError (provider
 * down, rate limited beyond its backoff) fails the whole scan so Temporal retries or stops it; any other
 * error rejects just that symbol, with the message as the reason.
 */
export interface ScreeningDataProvider {
  /** Named in results and logs (`finnhub`). */
  readonly name: string;
  facts(symbol: string, date: string): Promise<Omit<ScreeningFacts, 'symbol'> | null>;
}

/**
 * Finnhub: quote (price, today's open, previous close), profile2 (market cap; an empty profile of a
 * symbol that trades marks a fund, see isFundByFinnhub) and basic financials (10-day average volume). Finnhub answers "now", so `date` is not sent: this provider is for live days.
 * It has no bid/ask on the free tier, so the spread stays unknown here; the spread is checked at entry
 * from the broker's quote.
 */
export function finnhubScreeningProvider(client: Pick<FinnhubClient, 'screening'>): ScreeningDataProvider {
  return {
    name: 'finnhub',
    async facts(symbol) {
      const d = await client.screening(symbol);
      if (d.price === null && d.previousClose === null && d.marketCap === null && d.averageVolume === null) return null;
      return {
        price: d.price,
        open: d.open,
        previousClose: d.previousClose,
        averageDailyVolume: d.averageVolume,
        marketCap: d.marketCap,
        fund: d.fund,
        spread: null,
      };
    },
  };
}
