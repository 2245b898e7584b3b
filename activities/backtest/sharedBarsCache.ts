import { statSync } from 'node:fs';
import path from 'node:path';
import { listMinuteBarFiles } from '../marketData/minuteBarCsv';
import { loadColumns } from './barCache';
import { shareColumns, type SharedBars } from './sharedBars';

/**
 * A sweep worker process's bars: the cells of a Temporal sweep arrive one activity at a time, so the
 * process loads a data set the first time a cell asks for it, into shared memory its threads all read,
 * and keeps it for the next cells. A data set is its source, cache folder, symbols and the size and
 * modification time of each file, so a changed file is loaded afresh. At most `keep` data sets are held
 * (a sweep over inverse-ETF settings needs two), and all are dropped after `idleMs` without a cell, so an
 * idle worker does not hold a year of bars.
 */

export interface SharedBarsCacheOptions {
  readonly keep?: number;
  readonly idleMs?: number;
}

export interface BarsRequest {
  readonly dataSource: string;
  readonly cacheDir: string | null;
  readonly symbols: readonly string[] | null;
}

export class SharedBarsCache {
  private readonly entries = new Map<string, SharedBars>();
  private readonly keep: number;
  private readonly idleMs: number;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(opts: SharedBarsCacheOptions = {}) {
    this.keep = opts.keep ?? 2;
    this.idleMs = opts.idleMs ?? 5 * 60_000;
  }

  /** The shared bars of a request, loaded now unless held already (loading is synchronous: no two loads race). */
  get(req: BarsRequest): SharedBars {
    this.touch();
    const key = dataSetKey(req);
    let bars = this.entries.get(key);
    if (bars === undefined) {
      const symbols = req.symbols === null ? null : [...req.symbols].sort();
      bars = shareColumns(loadColumns(req.dataSource, { cacheDir: req.cacheDir, ...(symbols ? { symbols } : {}) }));
    }
    // Most recently used last, so the first entry is the one to drop.
    this.entries.delete(key);
    this.entries.set(key, bars);
    while (this.entries.size > this.keep) this.entries.delete(this.entries.keys().next().value!);
    return bars;
  }

  /** Data sets held (for tests and logs). */
  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private touch(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.clear(), this.idleMs);
    this.idleTimer.unref();
  }
}

function dataSetKey(req: BarsRequest): string {
  const files = listMinuteBarFiles(req.dataSource).map((f) => {
    const st = statSync(f);
    return `${path.resolve(f)}:${st.size}:${st.mtimeMs}`;
  });
  const symbols = req.symbols === null ? null : [...req.symbols].sort();
  return JSON.stringify({ cacheDir: req.cacheDir, symbols, files });
}
