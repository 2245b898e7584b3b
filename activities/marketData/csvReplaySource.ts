import type { Bar } from '../../domain/market/bar';
import { BarStore } from './barStore';
import type { MarketDataSource } from './marketDataSource';

const DAY_MS = 86_400_000;

/**
 * TEST_MODE market data: minute bars from CSV files, served by market time. It never reads the wall clock:
 * the workflow asks for the bars closed by a market time it computed from its replay clock, which is
 * what makes a compressed day deterministic and identical to a simulation over the same bars.
 */
export class CsvReplaySource implements MarketDataSource {
  constructor(readonly store: BarStore) {}

  async closedBars(symbols: readonly string[], fromMs: number, throughMs: number): Promise<Record<string, Bar[]>> {
    const out: Record<string, Bar[]> = {};
    for (const s of symbols) out[s] = this.store.closedBetween(s, fromMs, throughMs);
    return out;
  }

  async exhausted(symbols: readonly string[], throughMs: number): Promise<string[]> {
    const dayEnd = throughMs - (throughMs % DAY_MS) + DAY_MS;
    return symbols.filter((s) => this.store.noBarsBetween(s, throughMs - 60_000 + 1, dayEnd));
  }

  async symbolsOn(date: string): Promise<string[]> {
    const start = Date.parse(`${date}T00:00:00Z`);
    return this.store.symbols().filter((s) => !this.store.noBarsBetween(s, start, start + DAY_MS));
  }

  async closeAt(symbol: string, barStartMs: number): Promise<number | null> {
    return this.store.closeAt(symbol, barStartMs);
  }
}
