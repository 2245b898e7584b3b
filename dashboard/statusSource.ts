import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { dayStatusQuery, type DayStatus } from '../workflows/tradingDayApi';

/*
 * The day's status, read as the CLI's `status` command reads it: the `status` query while the day runs,
 * the status carried in its result once it has finished (a closed workflow needs no worker then).
 * Answers are shared for `maxAgeMs`, so many open pages cost one query per period, not one each.
 */

export type StatusResult =
  | { readonly kind: 'ok'; readonly workflowId: string; readonly running: boolean; readonly status: DayStatus; readonly fetchedAt: number }
  | { readonly kind: 'missing'; readonly workflowId: string; readonly fetchedAt: number }
  | { readonly kind: 'error'; readonly workflowId: string; readonly message: string; readonly fetchedAt: number };

/** A query needs a worker; without one it would wait for the whole RPC deadline. */
const QUERY_TIMEOUT_MS = 5000;

export class StatusSource {
  private readonly cache = new Map<string, { at: number; value: Promise<StatusResult> }>();

  constructor(
    private readonly client: Client,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(workflowId: string): Promise<StatusResult> {
    const t = this.now();
    const hit = this.cache.get(workflowId);
    if (hit !== undefined && t - hit.at < this.maxAgeMs) return hit.value;
    const value = this.fetch(workflowId);
    this.cache.set(workflowId, { at: t, value });
    // Only a few days are ever looked at; forget the others.
    if (this.cache.size > 32) this.cache.delete(this.cache.keys().next().value as string);
    return value;
  }

  /** Drops the cached answer so the next read sees a control's effect at once. */
  invalidate(workflowId: string): void {
    this.cache.delete(workflowId);
  }

  private async fetch(workflowId: string): Promise<StatusResult> {
    const fetchedAt = this.now();
    try {
      const handle = this.client.workflow.getHandle(workflowId);
      const deadline = () => new Date(Date.now() + QUERY_TIMEOUT_MS);
      const description = await this.client.connection.withDeadline(deadline(), () => handle.describe());
      const running = description.status.name === 'RUNNING';
      const status: DayStatus = running
        ? await this.client.connection.withDeadline(deadline(), () => handle.query(dayStatusQuery))
        : ((await this.client.connection.withDeadline(deadline(), () => handle.result())) as { finalStatus: DayStatus }).finalStatus;
      return { kind: 'ok', workflowId, running, status, fetchedAt };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { kind: 'missing', workflowId, fetchedAt };
      return { kind: 'error', workflowId, message: describeError(err), fetchedAt };
    }
  }
}

function describeError(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  const msg = e?.message ?? String(err);
  const cause = e?.cause?.message;
  // A failed or terminated day has no result to carry its status.
  if (/Workflow execution (failed|terminated|cancelled|timed out)/i.test(msg) || /WorkflowFailedError/.test(String((err as Error)?.name))) {
    return `the day ended without a result (${cause ?? msg})`;
  }
  if (/deadline/i.test(`${msg} ${cause ?? ''}`)) {
    return `Temporal did not answer within ${QUERY_TIMEOUT_MS / 1000} s (is the server at TEMPORAL_ADDRESS up, and a worker running for this day?)`;
  }
  return cause !== undefined ? `${msg} (${cause})` : msg;
}
