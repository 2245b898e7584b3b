import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AccountEvent, AccountEventActivities, DefenseModeEvent } from '../workflows/accountApi';
import type { OutputMode } from '../domain/vocabulary';

/**
 * Drains the account workflow's event outbox to disk:
 * - defense-mode changes -> `<outputDir>/logs/disaster_log.json` (one JSON array; docs/risk.md,
 *   "Defense mode");
 * - every account event (kill switch, defense mode, expired grants) -> `<outputDir>/logs/risk_events_<mode>.log`
 *   (JSON lines), and an alert for kill-switch firings and defense-mode changes.
 * Both writers are idempotent on event id (a retried activity writes nothing twice) and crash-safe:
 * the JSON array is replaced by write-temp, fsync, rename; JSON lines are appended and fsynced.
 */

export interface AccountEventSink {
  /** Root of outputs (the `output/` folder). */
  readonly outputDir: string;
  /** Sends an alert (e-mail); failures are logged and never fail the activity (docs/ledger.md, "4. Alerts"). */
  readonly alert?: (subject: string, body: string) => Promise<void>;
  /** Where warnings go; defaults to console. */
  readonly warn?: (message: string) => void;
}

export function disasterLogPath(outputDir: string): string {
  return path.join(outputDir, 'logs', 'disaster_log.json');
}

export function riskEventsLogPath(outputDir: string, mode: OutputMode): string {
  return path.join(outputDir, 'logs', `risk_events_${mode}.log`);
}

// Serialises writers of the same file inside this process; the account workflow is the only writer,
// but a retry may overlap a slow first attempt.
const fileLocks = new Map<string, Promise<unknown>>();
async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const previous = fileLocks.get(file) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(fn);
  fileLocks.set(file, run);
  try {
    return await run;
  } finally {
    if (fileLocks.get(file) === run) fileLocks.delete(file);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

async function readJsonArray(file: string, warn: (m: string) => void): Promise<unknown[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // fall through
  }
  // Never overwrite what cannot be read: keep it aside and start a new array.
  const aside = `${file}.unreadable-${Date.now()}`;
  await fs.rename(file, aside);
  warn(`${file} was not a JSON array; moved to ${aside}`);
  return [];
}

function idOf(entry: unknown): string | undefined {
  return typeof entry === 'object' && entry !== null && typeof (entry as { id?: unknown }).id === 'string'
    ? (entry as { id: string }).id
    : undefined;
}

/** Appends entries not yet present (by `id`) to a JSON array file, atomically. Returns how many were new. */
export async function appendToJsonArrayFile(
  file: string,
  entries: readonly { readonly id: string }[],
  warn: (m: string) => void = console.warn,
): Promise<number> {
  return withFileLock(file, async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const existing = await readJsonArray(file, warn);
    const seen = new Set(existing.map(idOf).filter((id): id is string => id !== undefined));
    const fresh = entries.filter((e) => !seen.has(e.id));
    if (fresh.length === 0) return 0;
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify([...existing, ...fresh], null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    await fsyncDir(path.dirname(file));
    return fresh.length;
  });
}

/** Appends entries not yet present (by `id`) as JSON lines, fsynced. Returns the entries that were new. */
export async function appendToJsonLinesFile<T extends { readonly id: string }>(file: string, entries: readonly T[]): Promise<T[]> {
  return withFileLock(file, async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    let text = '';
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const seen = new Set<string>();
    for (const line of text.split('\n')) {
      try {
        const id = idOf(JSON.parse(line));
        if (id) seen.add(id);
      } catch {
        // A torn last line from a crash: ignored, and its event is written again below.
      }
    }
    const fresh = entries.filter((e) => !seen.has(e.id));
    if (fresh.length === 0) return [];
    const prefix = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
    const handle = await fs.open(file, 'a');
    try {
      await handle.writeFile(prefix + fresh.map((e) => JSON.stringify(e)).join('\n') + '\n', 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return fresh;
  });
}

function alertText(event: AccountEvent): { subject: string; body: string } | null {
  if (event.kind === 'kill_switch') {
    return {
      subject: `TradeBot kill switch: ${event.broker} halted for ${event.date}`,
      body: [
        `Broker ${event.broker} is halted for the rest of ${event.date} (${event.cause}).`,
        `Reason: ${event.reason}`,
        `Realised PnL today: ${event.realizedPnlToday}; loss limit: ${event.lossLimitDollars}; start-of-day float: ${event.startOfDayFloat}.`,
        `Open positions to exit: ${event.openRequestIds.length > 0 ? event.openRequestIds.join(', ') : 'none'}.`,
        'Other brokers continue.',
      ].join('\n'),
    };
  }
  if (event.kind === 'defense_mode') {
    const l = event.limits;
    return {
      subject: `TradeBot defense mode ${event.active ? 'ON' : 'OFF'} (${event.trigger.kind})`,
      body: [
        `Defense mode ${event.change} at ${event.at} (source: ${event.source ?? 'none'}).`,
        `Trigger: ${JSON.stringify(event.trigger)}`,
        `Limits now: allocation ${l.sessionAllocationFraction} of float per session, ${l.maxTradesPerSession} trades per session,`,
        `${l.maxConcurrentPerBroker} concurrent per broker, ${l.maxOpenPositions} open in total.`,
      ].join('\n'),
    };
  }
  return null;
}

export function createDisasterLogActivities(sink: AccountEventSink): AccountEventActivities {
  const warn = sink.warn ?? ((m: string) => console.warn(m));
  return {
    async recordDisasterLogEvents(events: readonly DefenseModeEvent[]) {
      const written = await appendToJsonArrayFile(disasterLogPath(sink.outputDir), events, warn);
      return { written };
    },
    async recordAccountEvents(mode: OutputMode, events: readonly AccountEvent[]) {
      const fresh = await appendToJsonLinesFile(riskEventsLogPath(sink.outputDir, mode), events);
      // Alert only for events written just now, so a retried activity does not alert twice.
      for (const event of fresh) {
        const text = alertText(event);
        if (!text || !sink.alert) continue;
        try {
          await sink.alert(text.subject, text.body);
        } catch (err) {
          warn(`alert not sent (${text.subject}): ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return { written: fresh.length };
    },
  };
}
