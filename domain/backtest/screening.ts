import type { BotConfig } from '../config/botConfigSchema';
import { screenSymbol as sharedScreenSymbol, type ScreenRule, type ScreeningConfig } from '../screening/screen';
import type { StrategyName } from '../vocabulary';

/**
 * The backtester screens with the shared rules (domain/screening/screen.ts) under TEST_MODE logic, on the
 * facts `screeningFacts` (domain/backtest/portfolio.ts) builds from bars. This adapter keeps the earlier
 * facts-by-name call shape for callers that compare screens; it decides exactly as the backtester does.
 */

export type { ScreenRule } from '../screening/screen';

export interface ScreenInput {
  readonly strategy: StrategyName;
  readonly price: number | null;
  readonly sessionOpen: number | null;
  readonly previousClose: number | null;
  readonly averageDailyVolume: number | null;
}

export type ScreenConfig = ScreeningConfig & Pick<BotConfig, 'TEST_MODE'>;

export interface ScreenResult {
  readonly pass: boolean;
  /** The rule that screened the symbol out; null when it passed. */
  readonly failed: ScreenRule | null;
  readonly reason: string | null;
  /** Rules skipped for lack of data. */
  readonly unknown: readonly ScreenRule[];
}

export function screenSymbol(input: ScreenInput, cfg: ScreenConfig): ScreenResult {
  const r = sharedScreenSymbol(
    {
      symbol: '',
      previousClose: input.previousClose,
      open: input.sessionOpen,
      price: input.price,
      averageDailyVolume: input.averageDailyVolume,
      marketCap: null,
      spread: null,
    },
    cfg,
    { strategy: input.strategy, testMode: true, stage: 'session' },
  );
  const unknown = r.skipped.map((s) => s.rule);
  return r.pass
    ? { pass: true, failed: null, reason: null, unknown }
    : { pass: false, failed: r.rejection.rule, reason: r.rejection.reason, unknown };
}
