import fs from 'node:fs';
import type { OutputMode } from '../../domain/trades/tradeRecord';
import { DEFAULT_MAX_STACK_CHARS, boundedStack, describeError, type ErrorClass } from '../../domain/errors/errorClasses';
import { appendDurable } from './atomicFile';
import { outputPaths } from './outputPaths';

/**
 * `logs/unresolved_orders_<mode>.log` (spec sections 8 and 9): one JSON object per line for every escalated
 * or unrecoverable error, with timestamp, strategy, broker, error type, error code and a stack trace cut
 * to a bounded length. The mode comes from domain/routing.ts, so TEST_MODE only ever writes `_paper`.
 * Entries carry an event id; a retried activity that appends the same event again writes nothing.
 */
export interface UnresolvedOrderEntry {
  /** ISO 8601 UTC. */
  readonly timestamp: string;
  readonly strategy: string | null;
  readonly broker: string;
  readonly error_type: ErrorClass;
  readonly error_code: string | null;
  readonly message: string;
  readonly stack_trace: string | null;
  readonly symbol: string | null;
  readonly client_order_id: string | null;
  /** What the escalation did (alert, kill switch, positions exited, ...). */
  readonly actions: readonly string[];
  /** Deterministic id (workflow id + what failed); repeats are not written twice. */
  readonly event_id: string;
}

export interface UnresolvedOrderInput {
  readonly timestamp: string;
  readonly strategy: string | null;
  readonly broker: string;
  readonly symbol?: string | null;
  readonly clientOrderId?: string | null;
  readonly actions?: readonly string[];
  readonly eventId: string;
  /** The failure: a thrown error, or an already-described one (from a workflow's ActivityFailure). */
  readonly error: unknown;
  readonly maxStackChars?: number;
}

export function unresolvedOrderEntry(input: UnresolvedOrderInput): UnresolvedOrderEntry {
  const max = input.maxStackChars ?? DEFAULT_MAX_STACK_CHARS;
  const given = input.error as Partial<{ errorClass: ErrorClass; code: string | null; message: string; stack: string | null }> | null;
  // A plain description (as workflows pass it) is taken as is; anything else is classified here.
  const d =
    given && typeof given === 'object' && typeof given.errorClass === 'string' && !(input.error instanceof Error)
      ? { errorClass: given.errorClass, code: given.code ?? null, message: String(given.message ?? ''), stack: given.stack ? boundedStack(given.stack, max) : null }
      : describeError(input.error, max);
  return {
    timestamp: input.timestamp,
    strategy: input.strategy,
    broker: input.broker,
    error_type: d.errorClass,
    error_code: d.code,
    message: d.message,
    stack_trace: d.stack,
    symbol: input.symbol ?? null,
    client_order_id: input.clientOrderId ?? null,
    actions: [...(input.actions ?? [])],
    event_id: input.eventId,
  };
}

/** Appends one entry (fsync'd); an entry whose event id is already in the file is not written again. */
export function appendUnresolvedOrder(outputDir: string, mode: OutputMode, entry: UnresolvedOrderEntry): { written: boolean; file: string } {
  if (mode === 'backtest') throw new Error('backtests never write unresolved_orders logs');
  const file = outputPaths(outputDir, mode).unresolvedOrdersLog;
  if (readUnresolvedOrders(outputDir, mode).some((e) => e.event_id === entry.event_id)) return { written: false, file };
  appendDurable(file, `${JSON.stringify(entry)}\n`);
  return { written: true, file };
}

export function readUnresolvedOrders(outputDir: string, mode: OutputMode): UnresolvedOrderEntry[] {
  const file = outputPaths(outputDir, mode).unresolvedOrdersLog;
  if (!fs.existsSync(file)) return [];
  const out: UnresolvedOrderEntry[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as UnresolvedOrderEntry);
    } catch {
      // A torn last line from a killed process: that entry was never acknowledged.
    }
  }
  return out;
}

/** The activity the workflow calls when it escalates. Plain data in and out. */
export function createUnresolvedOrderActivities(deps: { outputDir: string }) {
  return {
    async recordUnresolvedOrder(input: { mode: OutputMode } & Omit<UnresolvedOrderInput, 'error'> & {
      error: { errorClass: ErrorClass; code: string | null; message: string; stack: string | null };
    }): Promise<{ written: boolean }> {
      const { mode, ...rest } = input;
      return { written: appendUnresolvedOrder(deps.outputDir, mode, unresolvedOrderEntry(rest)).written };
    },
  };
}
