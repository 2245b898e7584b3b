import fs from 'node:fs';
import path from 'node:path';
import type { OrderEvent } from '../../domain/emulator/engine';

/**
 * The emulator's journal: every request (real and market time, method, path with secrets masked, status,
 * fault) and every order event, in memory and, when a path is given, appended as JSON lines. Header values
 * are never recorded, so keys and tokens cannot leak into it.
 */

export interface RequestEntry {
  readonly kind: 'request';
  readonly seq: number;
  readonly realTime: string;
  readonly marketTime: string;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly fault: string | null;
  readonly durationMs: number;
}

/** An engine order event as journaled: the event's fields, its market instant as text and the real time. */
export interface OrderEntry extends Omit<OrderEvent, 'marketMs'> {
  readonly kind: 'order';
  readonly seq: number;
  readonly realTime: string;
  readonly marketTime: string;
}

export type JournalEntry = RequestEntry | OrderEntry;
type Unnumbered<T> = T extends unknown ? Omit<T, 'seq'> : never;

export class Journal {
  private readonly entries: JournalEntry[] = [];
  private fd: number | null = null;

  constructor(readonly file: string | null) {
    if (file !== null) {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      this.fd = fs.openSync(file, 'a');
    }
  }

  add(entry: Unnumbered<JournalEntry>): JournalEntry {
    const e = { ...entry, seq: this.entries.length + 1 } as JournalEntry;
    this.entries.push(e);
    if (this.fd !== null) fs.writeSync(this.fd, `${JSON.stringify(e)}\n`);
    return e;
  }

  /** Entries after sequence number `since` (all by default). */
  list(since = 0): JournalEntry[] {
    return this.entries.slice(Math.max(0, since));
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
