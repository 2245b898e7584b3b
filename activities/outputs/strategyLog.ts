import fs from 'node:fs';
import { appendDurable } from './atomicFile';
import { outputPaths } from './outputPaths';
import type { StrategyName, OutputMode } from '../../domain/vocabulary';
import { csvCell } from './csvCell';

/** One line of a strategy log: what the session saw and decided. Times are UTC. */
export interface StrategyLogEvent {
  /** Unique per event (workflow id + sequence): a retried activity appends nothing twice. */
  readonly eventId: string;
  readonly timestamp: string;
  readonly strategy: StrategyName;
  readonly event: string;
  readonly symbol?: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, string | number | boolean | null>>;
}

const CSV_COLUMNS = ['timestamp', 'eventId', 'strategy', 'event', 'symbol', 'message', 'data'] as const;

export function formatLogLine(e: StrategyLogEvent, format: 'json' | 'csv'): string {
  if (format === 'json') return JSON.stringify(e);
  return [e.timestamp, e.eventId, e.strategy, e.event, e.symbol ?? '', e.message, e.data ? JSON.stringify(e.data) : '']
    .map(csvCell)
    .join(',');
}

/** Appends events to logs/<strategy>_<mode>.log, skipping any event id already in the file. */
export function appendStrategyLog(
  outputDir: string,
  mode: OutputMode,
  format: 'json' | 'csv',
  events: readonly StrategyLogEvent[],
): { written: number } {
  const byStrategy = new Map<StrategyName, StrategyLogEvent[]>();
  for (const e of events) byStrategy.set(e.strategy, [...(byStrategy.get(e.strategy) ?? []), e]);
  let written = 0;
  for (const [strategy, list] of byStrategy) {
    const file = outputPaths(outputDir, mode).strategyLog(strategy);
    const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const fresh = list.filter((e) => !existing.includes(e.eventId));
    if (fresh.length === 0) continue;
    const header = existing === '' && format === 'csv' ? `${CSV_COLUMNS.join(',')}\n` : '';
    const prefix = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
    appendDurable(file, prefix + header + fresh.map((e) => formatLogLine(e, format)).join('\n') + '\n');
    written += fresh.length;
  }
  return { written };
}
