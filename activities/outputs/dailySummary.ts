import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { readJsonFile, writeFileAtomic } from './atomicFile';
import { outputPaths } from './outputPaths';
import { summarizeDay, type DailySummaryRecord, type SummaryExtras } from '../../domain/trades/dailySummary';
import type { OutputMode } from '../../domain/vocabulary';

/** Writes (or replaces) the date's entry in summaries/daily_summary_<mode>.json, atomically. */
export function writeDailySummary(
  outputDir: string,
  mode: OutputMode,
  date: string,
  trades: readonly TradeRecord[],
  extras: SummaryExtras,
): DailySummaryRecord {
  const file = outputPaths(outputDir, mode).dailySummary;
  const all = readJsonFile<Record<string, DailySummaryRecord>>(file, {});
  const summary = summarizeDay(date, mode, trades, extras);
  writeFileAtomic(file, `${JSON.stringify({ ...all, [date]: summary }, null, 2)}\n`);
  return summary;
}
