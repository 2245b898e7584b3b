import path from 'node:path';
import type { StrategyName, OutputMode } from '../../domain/vocabulary';

/**
 * Every output file name, in one place, from the mode chosen by domain/routing.ts (README.md,
 * "Modes and where outputs go").
 */
export function outputPaths(outputDir: string, mode: OutputMode) {
  return {
    tradeHistoryCsv: path.join(outputDir, 'trades', `trade_history_${mode}.csv`),
    tradeHistoryJson: path.join(outputDir, 'trades', `trade_history_${mode}.json`),
    strategyLog: (strategy: StrategyName) => path.join(outputDir, 'logs', `${strategy}_${mode}.log`),
    unresolvedOrdersLog: path.join(outputDir, 'logs', `unresolved_orders_${mode}.log`),
    dailySummary: path.join(outputDir, 'summaries', `daily_summary_${mode}.json`),
    disasterLog: path.join(outputDir, 'logs', 'disaster_log.json'),
    ledgerDir: path.join(outputDir, 'ledgers'),
    stateDir: path.join(outputDir, 'state'),
  };
}
