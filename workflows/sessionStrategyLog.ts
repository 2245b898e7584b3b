import type { StrategyLogEvent } from '../activities/outputs/strategyLog';
import type { StrategyName } from '../domain/vocabulary';

/**
 * The session's strategy log: events are noted as they happen (handlers included, which cannot await)
 * and written in batches by the session's writeStrategyLog activity. Event ids are the workflow id and a
 * sequence number, so a retried write is idempotent (activities/outputs/strategyLog.ts).
 */
export class SessionStrategyLog {
  private seq = 0;
  private pending: StrategyLogEvent[] = [];

  constructor(
    private readonly workflowId: string,
    private readonly strategy: StrategyName,
    /** Market time now, in ms (the session's clock). */
    private readonly nowMs: () => number,
  ) {}

  note(event: string, message: string, symbol?: string, data?: StrategyLogEvent['data']): void {
    this.seq += 1;
    this.pending.push({
      eventId: `${this.workflowId}#${this.seq}`,
      timestamp: new Date(this.nowMs()).toISOString(),
      strategy: this.strategy,
      event,
      symbol,
      message,
      data,
    });
  }

  /** The events noted since the last call, for one write; empty when there is nothing to write. */
  takePending(): StrategyLogEvent[] {
    const events = this.pending;
    this.pending = [];
    return events;
  }
}
