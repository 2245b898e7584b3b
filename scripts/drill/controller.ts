import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { tradingDayWorkflow } from '../../workflows/tradingDay';
import type { DaySummary } from '../../workflows/tradingDayApi';
import type { Check } from './checks';
import type { DrillEvent } from './plan';
import { killHard, type WorkerChild } from './processes';

/*
 * The part of a drill that does the damage, shared by the TEST_MODE and the emulator drills: while the day
 * runs it SIGKILLs the worker and restarts the dev server at the planned moments, and starts a new worker
 * whenever one died on its own or could not start.
 */

export type DayOutcome = { ok: true; summary: DaySummary } | { ok: false; reason: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The day's result, riding out the dev server's restarts (the connection fails while it is down). */
export async function awaitDay(handle: WorkflowHandle<typeof tradingDayWorkflow>, deadline: number): Promise<DayOutcome> {
  while (Date.now() < deadline) {
    try {
      return { ok: true, summary: await handle.result() };
    } catch (err) {
      if (err instanceof WorkflowFailedError) return { ok: false, reason: `the day failed: ${err.cause?.message ?? err.message}` };
      await sleep(1000);
    }
  }
  return { ok: false, reason: 'the day did not finish before the deadline' };
}

export interface DriveOptions {
  readonly schedule: readonly DrillEvent[];
  /** Real instant the day started: the schedule's moments count from it. */
  readonly t0: number;
  readonly day: Promise<DayOutcome>;
  /** The running worker; replaced in place, so the caller's exit hook always kills the current one. */
  readonly workers: { current: WorkerChild };
  readonly startWorker: () => Promise<WorkerChild>;
  readonly restartServer: () => Promise<void>;
  readonly log: (line: string) => void;
  /** Attempts to get a new worker up before the drill gives up (a worker may fail its start-up checks). */
  readonly startAttempts?: number;
  /** Positions the broker holds now: a kill while it holds any proves adoption after a crash mid-position. */
  readonly heldPositions?: () => number;
}

export interface DriveResult {
  readonly outcome: DayOutcome;
  readonly kills: number;
  /** Kills while the broker held a position (only counted when heldPositions is given). */
  readonly killsHoldingPositions: number;
  readonly restarts: number;
  /** Workers that exited on their own (after a server restart, typically) and were started again. */
  readonly workerRestarts: number;
  /** Worker starts that failed (the process exited before it was ready) and were tried again. */
  readonly workerStartFailures: number;
  readonly pending: readonly DrillEvent[];
}

export async function driveDay(o: DriveOptions): Promise<DriveResult> {
  let kills = 0;
  let killsHoldingPositions = 0;
  let restarts = 0;
  let workerRestarts = 0;
  let workerStartFailures = 0;
  let outcome: DayOutcome | null = null;
  void o.day.then((r) => (outcome = r));
  const at = () => `+${((Date.now() - o.t0) / 1000).toFixed(1)}s`;
  const newWorker = async (): Promise<WorkerChild> => {
    const attempts = o.startAttempts ?? 1;
    for (let i = 1; ; i++) {
      try {
        return await o.startWorker();
      } catch (err) {
        if (i >= attempts) throw err;
        workerStartFailures += 1;
        o.log(`  ${at()} a new worker failed to start (${(err as Error).message}); trying again`);
        await sleep(1000);
      }
    }
  };
  const pending: DrillEvent[] = [...o.schedule];
  while (outcome === null) {
    const next = pending[0];
    if (next && Date.now() - o.t0 >= next.atMs) {
      pending.shift();
      const when = at();
      if (next.kind === 'kill') {
        const held = o.heldPositions?.() ?? 0;
        await killHard(o.workers.current);
        kills += 1;
        if (held > 0) killsHoldingPositions += 1;
        o.log(`  ${when} kill ${kills}: worker pid ${o.workers.current.child.pid} SIGKILLed${o.heldPositions ? ` holding ${held} position(s) at the broker` : ''}`);
        o.workers.current = await newWorker();
        o.log(`  ${at()} new worker pid ${o.workers.current.child.pid} ready`);
      } else {
        await o.restartServer();
        restarts += 1;
        o.log(`  ${when} restart ${restarts}: dev server stopped and started again on the same SQLite file`);
      }
      continue;
    }
    if (o.workers.current.child.exitCode !== null || o.workers.current.child.signalCode !== null) {
      // A worker gives up when the server stays away too long; a new one reconnects.
      workerRestarts += 1;
      o.log(`  ${at()} worker exited on its own (${o.workers.current.child.exitCode ?? o.workers.current.child.signalCode}); starting another`);
      o.workers.current = await newWorker();
      continue;
    }
    await Promise.race([o.day, sleep(250)]);
  }
  if (pending.length > 0) o.log(`  the day ended before ${pending.length} planned event(s): ${pending.map((e) => e.kind).join(', ')}`);
  return { outcome: outcome as DayOutcome, kills, killsHoldingPositions, restarts, workerRestarts, workerStartFailures, pending };
}

/** The day finished without a halt, and every planned kill and restart happened while it ran. */
export function outcomeChecks(d: DriveResult, planned: { kills: number; restarts: number }): { completed: boolean; checks: Check[] } {
  const f = d.outcome;
  const completed = f.ok && !f.summary.halted;
  const day: Check = {
    name: 'the day completed',
    ok: completed,
    detail: f.ok ? (f.summary.halted ? `halted: ${f.summary.haltReason ?? 'no reason given'}` : `${f.summary.sessions.length} session(s) done`) : f.reason,
  };
  const events: Check = {
    name: 'every planned kill and restart happened during the day',
    ok: d.kills === planned.kills && d.restarts === planned.restarts,
    detail:
      `${d.kills} of ${planned.kills} kills, ${d.restarts} of ${planned.restarts} restarts, ${d.workerRestarts} worker(s) restarted after exiting on their own` +
      (d.workerStartFailures > 0 ? `, ${d.workerStartFailures} worker start(s) failed and were tried again` : ''),
  };
  return { completed, checks: [day, events] };
}
