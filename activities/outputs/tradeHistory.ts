import fs from 'node:fs';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { appendDurable, readJsonFile, writeFileAtomic } from './atomicFile';
import { outputPaths } from './outputPaths';
import type { OutputMode } from '../../domain/vocabulary';
import { csvCell } from './csvCell';

export const TRADE_HISTORY_COLUMNS = [
  'timestamp', 'tradeId', 'date', 'strategy_name', 'ticker', 'underlying', 'side', 'instrument', 'size',
  'signal_price', 'entry_price', 'exit_price', 'entry_time', 'exit_time', 'exit_reason', 'pnl', 'fees',
  'broker', 'mode', 'allocation', 'account_value', 'entry_order_id', 'exit_order_id', 'client_order_ids',
  'tags', 'error_code',
] as const;

export function tradeToCsvRow(t: TradeRecord): string {
  return TRADE_HISTORY_COLUMNS.map((c) => csvCell((t as unknown as Record<string, unknown>)[c])).join(',');
}

/**
 * Appends a trade to trade_history_<mode>.{json,csv}. Idempotent on tradeId: a retried activity
 * writes nothing twice. JSON is the record of truth (rewritten atomically); the CSV row is appended
 * with fsync only when the JSON did not have the trade yet.
 */
export function appendTradeRecord(outputDir: string, mode: OutputMode, trade: TradeRecord): { written: boolean } {
  if (trade.mode !== mode) throw new Error(`trade ${trade.tradeId} has mode ${trade.mode} but is routed to ${mode}`);
  const paths = outputPaths(outputDir, mode);
  const existing = readJsonFile<TradeRecord[]>(paths.tradeHistoryJson, []);
  if (existing.some((t) => t.tradeId === trade.tradeId)) {
    ensureCsvHas(paths.tradeHistoryCsv, trade);
    return { written: false };
  }
  writeFileAtomic(paths.tradeHistoryJson, `${JSON.stringify([...existing, trade], null, 2)}\n`);
  ensureCsvHas(paths.tradeHistoryCsv, trade);
  return { written: true };
}

/** The CSV follows the JSON; after a crash between the two writes, the retry adds the missing row. */
function ensureCsvHas(csvPath: string, trade: TradeRecord): void {
  const header = `${TRADE_HISTORY_COLUMNS.join(',')}\n`;
  if (!fs.existsSync(csvPath)) {
    appendDurable(csvPath, header + tradeToCsvRow(trade) + '\n');
    return;
  }
  const text = fs.readFileSync(csvPath, 'utf8');
  if (text.includes(`,${trade.tradeId},`)) return;
  // A torn last line (process killed mid-write) is completed with a newline before the new row.
  const prefix = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
  appendDurable(csvPath, prefix + tradeToCsvRow(trade) + '\n');
}

export function readTradeHistory(outputDir: string, mode: OutputMode): TradeRecord[] {
  return readJsonFile<TradeRecord[]>(outputPaths(outputDir, mode).tradeHistoryJson, []);
}
