import type { Bar } from '../../domain/market/bar';

/** Minute bars and prices for sessions. TEST_MODE replays CSV files; live uses a provider. */
export interface MarketDataSource {
  /** Bars that started at or after `fromMs` and have closed by `throughMs`, per symbol. */
  closedBars(symbols: readonly string[], fromMs: number, throughMs: number): Promise<Record<string, Bar[]>>;
  /**
   * Symbols whose data for the UTC date of `throughMs` has ended: no bar starts at or after `throughMs`
   * that day. Only a replay can know this; live sources return [].
   */
  exhausted(symbols: readonly string[], throughMs: number): Promise<string[]>;
  /** Symbols that have data on this date (the replay universe); live sources return []. */
  symbolsOn(date: string): Promise<string[]>;
  /** Latest close at or before the bar starting at `barStartMs`; null when none that day. */
  closeAt(symbol: string, barStartMs: number): Promise<number | null>;
}
