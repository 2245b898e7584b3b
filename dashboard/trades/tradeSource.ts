import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { outputPaths } from '../../activities/outputs/outputPaths';
import { BROKER_NAMES, STRATEGY_NAMES, type BrokerName, type OutputMode } from '../../domain/vocabulary';

/*
 * The trade history the worker writes (output/trades/trade_history_<mode>.json, written by
 * activities/outputs/tradeHistory.ts), read for the trades page and the API. Each record is checked for
 * the fields shown; a record that fails is counted and left out, never shown half. The file is read
 * again only when it changed (size or modification time).
 */

const tradeRowSchema = z.looseObject({
  tradeId: z.string(),
  timestamp: z.string(),
  date: z.string(),
  strategy_name: z.enum(STRATEGY_NAMES),
  ticker: z.string(),
  underlying: z.string(),
  side: z.enum(['long', 'short']),
  instrument: z.string(),
  size: z.number(),
  entry_price: z.number(),
  exit_price: z.number().nullable(),
  entry_time: z.string().nullable(),
  exit_time: z.string().nullable(),
  exit_reason: z.string().nullable(),
  pnl: z.number(),
  fees: z.number(),
  broker: z.enum(BROKER_NAMES as [BrokerName, ...BrokerName[]]),
  mode: z.string(),
  error_code: z.string().nullable().optional(),
});

/** One trade as the history file holds it (every field of the record is kept for the API). */
export type TradeRow = z.infer<typeof tradeRowSchema>;

export interface TradeHistory {
  readonly file: string;
  readonly trades: readonly TradeRow[];
  /** Records in the file that are not trade records (left out). */
  readonly unreadable: number;
  /** Why the file could not be read at all, or null. */
  readonly problem: string | null;
}

export class TradeSource {
  private readonly cache = new Map<string, { stamp: string; history: TradeHistory }>();

  constructor(private readonly outputDir: string) {}

  read(mode: OutputMode): TradeHistory {
    const file = outputPaths(this.outputDir, mode).tradeHistoryJson;
    const stamp = fileStamp(file);
    const hit = this.cache.get(file);
    if (hit !== undefined && hit.stamp === stamp) return hit.history;
    const history = stamp === 'missing' ? { file, trades: [], unreadable: 0, problem: null } : parseHistory(file);
    this.cache.set(file, { stamp, history });
    return history;
  }
}

function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function parseHistory(file: string): TradeHistory {
  let records: unknown;
  try {
    records = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    return { file, trades: [], unreadable: 0, problem: `${path.basename(file)} cannot be read (${(err as Error).message})` };
  }
  if (!Array.isArray(records)) return { file, trades: [], unreadable: 0, problem: `${path.basename(file)} is not a list of trades` };
  const trades: TradeRow[] = [];
  for (const record of records) {
    const row = tradeRowSchema.safeParse(record);
    if (row.success) trades.push(row.data);
  }
  return { file, trades, unreadable: records.length - trades.length, problem: null };
}
