import fs from 'node:fs';
import { DEFAULT_MAX_STACK_CHARS } from '../../domain/errors/errorClasses';
import { appendDurable } from '../outputs/atomicFile';
import { outputPaths } from '../outputs/outputPaths';
import type { OutputMode } from '../../domain/vocabulary';
import { csvCell } from '../outputs/csvCell';

/*
 * logs/unresolved_orders_<mode>.log (docs/brokers.md, "Errors and retry policies"): one line per escalated or
 * unrecoverable order error, in LOG_FORMAT (JSON lines or CSV with a header), idempotent on the record id.
 */

export interface UnresolvedOrder {
  /** Unique per incident (e.g. the client order id plus attempt): a retry appends nothing twice. */
  readonly id: string;
  /** ISO 8601 UTC. */
  readonly timestamp: string;
  readonly strategy: string;
  readonly broker: string;
  readonly symbol: string | null;
  /** NetworkError | BrokerError | LogicError | ConfigError. */
  readonly error_type: string;
  readonly error_code: string | null;
  readonly message: string;
  readonly stack: string | null;
}

export const UNRESOLVED_COLUMNS = ['timestamp', 'id', 'strategy', 'broker', 'symbol', 'error_type', 'error_code', 'message', 'stack'] as const;

export function appendUnresolvedOrder(outputDir: string, mode: OutputMode, format: 'json' | 'csv', rec: UnresolvedOrder): { written: boolean } {
  const file = outputPaths(outputDir, mode).unresolvedOrdersLog;
  const bounded: UnresolvedOrder = { ...rec, stack: rec.stack === null ? null : rec.stack.slice(0, DEFAULT_MAX_STACK_CHARS) };
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const needle = format === 'json' ? `"id":${JSON.stringify(rec.id)}` : `,${csvCell(rec.id)},`;
  if (existing.includes(needle)) return { written: false };
  const prefix = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
  const header = existing === '' && format === 'csv' ? `${UNRESOLVED_COLUMNS.join(',')}\n` : '';
  const line =
    format === 'json'
      ? JSON.stringify(Object.fromEntries(UNRESOLVED_COLUMNS.map((c) => [c, bounded[c]])))
      : UNRESOLVED_COLUMNS.map((c) => csvCell(bounded[c])).join(',');
  appendDurable(file, `${prefix}${header}${line}\n`);
  return { written: true };
}
