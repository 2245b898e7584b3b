import { join } from 'node:path';
import type { PortfolioRunSpec } from '../../activities/backtest/runBacktest';
import { botConfigSchema } from '../../domain/config/botConfigSchema';

/** The committed two replay days of six ETFs (tests/fixtures/minute/README.md). */
export const MINUTE_FIXTURE = join(__dirname, '..', 'fixtures', 'minute');

/**
 * A portfolio backtest of every strategy over the minute fixture's two days, with default settings, 5 bps
 * slippage and no fees, compute only; `overrides` change any field.
 */
export function fixtureRunSpec(overrides: Partial<PortfolioRunSpec> = {}): PortfolioRunSpec {
  return {
    dataSource: MINUTE_FIXTURE,
    cacheDir: null,
    symbols: null,
    strategies: ['open', 'mid', 'close'],
    start: '2025-04-08',
    end: '2025-04-09',
    cfg: botConfigSchema.parse({}),
    vixFile: null,
    execution: { fill: 'next_open', slippageBps: 5, feePerOrder: 0 },
    resultsDir: null,
    report: false,
    progress: false,
    runInfo: {},
    ...overrides,
  };
}
