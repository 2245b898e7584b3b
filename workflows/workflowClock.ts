import { sleep } from '@temporalio/workflow';
import { marketNow, realDelayUntil, type ReplayClock } from '../domain/time/replayClock';

/**
 * Workflow time. Inside the Temporal sandbox `Date.now()` is the deterministic workflow clock
 * (the time of the current workflow task), so replays see the same value.
 */
export function workflowNowMs(): number {
  // eslint-disable-next-line no-restricted-properties -- the sandbox makes Date.now() replay-safe
  return Date.now();
}

export function marketNowMs(clock: ReplayClock): number {
  return marketNow(clock, workflowNowMs());
}

/** Durable timer until market time `marketMs` (a TEST_MODE replay compresses the wait). */
export async function sleepUntilMarket(clock: ReplayClock, marketMs: number): Promise<void> {
  const delay = realDelayUntil(clock, workflowNowMs(), marketMs);
  if (delay > 0) await sleep(delay);
}
