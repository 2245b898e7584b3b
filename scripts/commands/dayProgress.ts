import type { WorkflowHandle } from '@temporalio/client';
import type { SessionStatus } from '../../workflows/sessionApi';
import { dayStatusQuery, type DayStatus } from '../../workflows/tradingDayApi';
import type { Writable } from './command';
import { pollWhileRunning } from '../../activities/pollWhileRunning';

/**
 * What `day` prints while the day runs (README.md, "The CLI"): each session's start, its entries and exits
 * as they fill, and its end, read from the day's status query once a second.
 */

const DONE_STATES = new Set(['done', 'halted']);

const label = (s: SessionStatus) => `${s.strategy.toUpperCase()}${s.broker ? ` at ${s.broker}` : ''}`;

/** New lines between two readings of the day's status (null: the first reading). */
export function progressLines(previous: DayStatus | null, next: DayStatus): string[] {
  const lines: string[] = [];
  const before = new Map((previous?.sessions ?? []).map((s) => [s.workflowId, s]));
  for (const s of next.sessions) {
    const was = before.get(s.workflowId);
    if (!was) lines.push(`${label(s)} session started (${s.state}${s.candidates.length > 0 ? `, ${s.candidates.length} candidates` : ''})`);
    const held = new Set(s.positions.map((p) => p.ticker));
    const heldBefore = new Set((was?.positions ?? []).map((p) => p.ticker));
    if (s.entries > (was?.entries ?? 0)) {
      const opened = s.positions.filter((p) => !heldBefore.has(p.ticker)).map((p) => `${p.ticker} ${p.side} ${p.size} at ${p.entryPrice}`);
      lines.push(`${label(s)} entries ${s.entries}${opened.length > 0 ? `: ${opened.join(', ')}` : ''}`);
    }
    if (s.exits > (was?.exits ?? 0)) {
      const closed = (was?.positions ?? []).filter((p) => !held.has(p.ticker)).map((p) => p.ticker);
      lines.push(`${label(s)} exits ${s.exits}${closed.length > 0 ? `: ${closed.join(', ')}` : ''}, realized PnL ${s.realizedPnl}`);
    }
    if (DONE_STATES.has(s.state) && !DONE_STATES.has(was?.state ?? '')) {
      lines.push(`${label(s)} session ${s.state}: ${s.entries} entries, ${s.exits} exits, realized PnL ${s.realizedPnl}${s.failure ? `; ${s.failure}` : ''}`);
    }
  }
  return lines;
}

/** Prints progressLines while the day runs; the returned function stops watching (after a last reading). */
export function watchDayProgress(handle: WorkflowHandle, out: Writable, intervalMs = 1000): () => Promise<void> {
  let previous: DayStatus | null = null;
  const read = async () => {
    try {
      const next = await handle.query(dayStatusQuery);
      for (const line of progressLines(previous, next)) out.write(`  ${line}\n`);
      previous = next;
    } catch {
      // The day may be between workflow tasks or already closed: the next reading, or the summary, tells.
    }
  };
  return pollWhileRunning(read, intervalMs);
}
