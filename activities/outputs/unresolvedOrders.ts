import fs from 'node:fs';
import { DEFAULT_MAX_STACK_CHARS, boundedStack, describeError, type ErrorClass } from '../../domain/errors/errorClasses';
import { appendDurable } from './atomicFile';
import { csvCell } from './csvCell';
import { outputPaths } from './outputPaths';
import type { OutputMode } from '../../domain/vocabulary';

/**
 * `logs/unresolved_orders_<mode>.log` (docs/brokers.md, "Errors and retry policies"): one line per escalated
 * or unrecoverable order error, in LOG_FORMAT (JSON lines or CSV with a header), idempotent on the record id,
 * its stack bounded. `unresolvedOrderRecord` turns a failure (a thrown error, or the description a workflow
 * has of a failed activity) into that record: error class, code, message and a stack cut on a line
 * boundary. The mode comes from domain/routing.ts, so TEST_MODE only ever writes `_paper`.
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

export interface EscalationInput {
  /** ISO 8601 UTC. */
  readonly timestamp: string;
  readonly strategy: string | null;
  readonly broker: string;
  readonly symbol?: string | null;
  readonly clientOrderId?: string | null;
  /** What the escalation did (alert, kill switch, positions exited, ...); recorded in the message. */
  readonly actions?: readonly string[];
  /** Deterministic id (workflow id + what failed): a retried activity writes nothing twice. */
  readonly eventId: string;
  /** A thrown error, or an ErrorDescription from domain/errors/errorClasses.ts. */
  readonly error: unknown;
  readonly maxStackChars?: number;
}

export interface ErrorSummary {
  readonly errorClass: ErrorClass;
  readonly code: string | null;
  readonly message: string;
  readonly stack: string | null;
}

function summarize(error: unknown, max: number): ErrorSummary {
  const given = error as Partial<ErrorSummary> | null;
  // A plain description (what a workflow passes) is taken as is; anything else is classified here.
  if (given && typeof given === 'object' && !(error instanceof Error) && typeof given.errorClass === 'string') {
    return { errorClass: given.errorClass, code: given.code ?? null, message: String(given.message ?? ''), stack: given.stack ? boundedStack(given.stack, max) : null };
  }
  const d = describeError(error, max);
  return { errorClass: d.errorClass, code: d.code, message: d.message, stack: d.stack };
}

export function unresolvedOrderRecord(input: EscalationInput): UnresolvedOrder {
  const max = Math.min(input.maxStackChars ?? DEFAULT_MAX_STACK_CHARS, DEFAULT_MAX_STACK_CHARS);
  const s = summarize(input.error, max);
  const notes = [
    input.clientOrderId ? `client order id ${input.clientOrderId}` : null,
    input.actions && input.actions.length > 0 ? `actions: ${input.actions.join(', ')}` : null,
  ].filter((x): x is string => x !== null);
  return {
    id: input.eventId,
    timestamp: input.timestamp,
    strategy: input.strategy ?? '',
    broker: input.broker,
    symbol: input.symbol ?? null,
    error_type: s.errorClass,
    error_code: s.code,
    message: notes.length > 0 ? `${s.message} [${notes.join('; ')}]` : s.message,
    stack: s.stack,
  };
}

/** Writes one escalation (never for backtests); a repeated event id writes nothing. */
export function recordEscalation(outputDir: string, mode: OutputMode, format: 'json' | 'csv', input: EscalationInput): { written: boolean; file: string } {
  if (mode === 'backtest') throw new Error('backtests never write unresolved_orders logs');
  const file = outputPaths(outputDir, mode).unresolvedOrdersLog;
  return { ...appendUnresolvedOrder(outputDir, mode, format, unresolvedOrderRecord(input)), file };
}

/** Reads a JSON-lines unresolved-orders log (LOG_FORMAT=json); a torn last line is skipped. */
export function readUnresolvedOrdersJson(outputDir: string, mode: OutputMode): UnresolvedOrder[] {
  const file = outputPaths(outputDir, mode).unresolvedOrdersLog;
  if (!fs.existsSync(file)) return [];
  const out: UnresolvedOrder[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as UnresolvedOrder);
    } catch {
      // A torn last line from a killed process: that entry was never acknowledged.
    }
  }
  return out;
}
