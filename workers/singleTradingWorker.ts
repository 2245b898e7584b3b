import os from 'node:os';
import type { Client } from '@temporalio/client';
import { ConfigError } from '../domain/config/configError';

/**
 * A deployment runs one trading worker (docs/temporal.md, "More than one machine"): its outputs, ledger,
 * simulator journal, alert de-duplication, locks and the Alpaca request pacing live on its host. A worker
 * that finds the task queue polled from another host refuses to start instead of splitting the books.
 * A restart on the same host (a crash, a deploy) is the same deployment and goes ahead.
 */

/** temporal.api.enums.v1.TaskQueueType: workflow tasks, activity tasks. */
const TASK_QUEUE_TYPES = [1, 2] as const;

/** Pollers the server still lists for a while after they stop; older ones are gone. */
const RECENT_POLL_MS = 2 * 60_000;

/** The host part of an SDK worker identity (`pid@host`, the SDK's default). */
export function identityHost(identity: string): string {
  const at = identity.lastIndexOf('@');
  return at < 0 ? identity : identity.slice(at + 1);
}

/** Identities of recent pollers of `taskQueue` (workflow or activity tasks) from a host other than `host`. */
export async function pollersFromOtherHosts(client: Client, a: { namespace: string; taskQueue: string; host?: string; nowMs?: number }): Promise<string[]> {
  const host = a.host ?? os.hostname();
  const nowMs = a.nowMs ?? Date.now();
  const found = new Set<string>();
  for (const taskQueueType of TASK_QUEUE_TYPES) {
    const res = await client.workflowService.describeTaskQueue({ namespace: a.namespace, taskQueue: { name: a.taskQueue }, taskQueueType });
    for (const p of res.pollers ?? []) {
      const identity = p.identity ?? '';
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      if (identity === '' || nowMs - seconds * 1000 > RECENT_POLL_MS) continue;
      if (identityHost(identity) !== host) found.add(identity);
    }
  }
  return [...found].sort();
}

/** Refuses to start a trading worker while another host polls its task queue. */
export async function refuseSecondTradingHost(client: Client, a: { namespace: string; taskQueue: string }): Promise<void> {
  const others = await pollersFromOtherHosts(client, a);
  if (others.length === 0) return;
  throw new ConfigError(
    `task queue ${a.taskQueue} is already polled from another host (${others.join(', ')}): a deployment runs one trading worker ` +
      '(docs/temporal.md, "More than one machine"); stop that worker, or give this one its own TEMPORAL_TASK_QUEUE',
  );
}
