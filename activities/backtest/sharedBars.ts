import { COLUMN_NAMES, type GapCount, type SymbolSeries } from '../../domain/backtest/columnar';
import type { FileLoadInfo, LoadedColumns } from './barCache';

/**
 * Loaded bars in one SharedArrayBuffer, so every sweep thread reads the same memory instead of holding
 * (or loading) a copy per cell: the main thread copies the columns in once, a thread maps views on them.
 * The buffer travels to threads by reference (postMessage and workerData never copy shared memory); the
 * index beside it (symbols, date index, file infos) is small plain data and is copied. See docs/backtest.md,
 * "Parameter sweeps".
 *
 * Layout: per symbol, its six columns t, o, h, l, c, v (Float64, `rows` values each) laid end to end,
 * starting at `offset` (in Float64 values).
 */

export interface SharedSeriesIndex {
  readonly symbol: string;
  readonly offset: number;
  readonly rows: number;
  readonly dates: readonly string[];
  readonly dayStart: Int32Array;
}

export interface SharedBars {
  readonly buffer: SharedArrayBuffer;
  readonly series: readonly SharedSeriesIndex[];
  /** What loadColumns reported, minus the columns themselves. */
  readonly files: readonly FileLoadInfo[];
  readonly cacheWarnings: readonly string[];
}

/** Copies loaded columns into one shared buffer (the only copy the threads will read). */
export function shareColumns(loaded: LoadedColumns): SharedBars {
  const total = loaded.series.reduce((n, s) => n + s.t.length * COLUMN_NAMES.length, 0);
  const buffer = new SharedArrayBuffer(total * Float64Array.BYTES_PER_ELEMENT);
  const all = new Float64Array(buffer);
  let offset = 0;
  const series = loaded.series.map((s) => {
    const entry: SharedSeriesIndex = { symbol: s.symbol, offset, rows: s.t.length, dates: s.dates, dayStart: s.dayStart };
    for (const name of COLUMN_NAMES) {
      all.set(s[name], offset);
      offset += s.t.length;
    }
    return entry;
  });
  return { buffer, series, files: loaded.files, cacheWarnings: loaded.cacheWarnings };
}

/** Views over the shared buffer in the shape loadColumns returns; nothing is copied. */
export function columnsFromShared(shared: SharedBars): LoadedColumns {
  const series = shared.series.map((entry) => seriesView(shared.buffer, entry));
  return { series, files: shared.files, cacheWarnings: shared.cacheWarnings, ...fileTotals(shared.files) };
}

function seriesView(buffer: SharedArrayBuffer, entry: SharedSeriesIndex): SymbolSeries {
  const column = (j: number) => new Float64Array(buffer, (entry.offset + j * entry.rows) * Float64Array.BYTES_PER_ELEMENT, entry.rows);
  const [t, o, h, l, c, v] = COLUMN_NAMES.map((_, j) => column(j)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  return { symbol: entry.symbol, t, o, h, l, c, v, dates: entry.dates, dayStart: entry.dayStart };
}

/**
 * The part of loaded columns that `loadColumns(source, { symbols })` would have returned: the same series
 * (views, not copies), file infos, row count and gap totals, so a cell given a wider shared load runs and
 * reports exactly as one that loaded its own symbols. null keeps everything.
 */
export function pickColumns(loaded: LoadedColumns, symbols: readonly string[] | null): LoadedColumns {
  if (symbols === null) return loaded;
  const wanted = new Set(symbols);
  const files = loaded.files.filter((f) => wanted.has(f.symbol));
  return {
    series: loaded.series.filter((s) => wanted.has(s.symbol)),
    files,
    cacheWarnings: loaded.cacheWarnings,
    ...fileTotals(files),
  };
}

function fileTotals(files: readonly FileLoadInfo[]): { rowCount: number; gaps: GapCount } {
  let rowCount = 0;
  let gaps = 0;
  let missingMinutes = 0;
  for (const f of files) {
    rowCount += f.rows;
    gaps += f.gaps.gaps;
    missingMinutes += f.gaps.missingMinutes;
  }
  return { rowCount, gaps: { gaps, missingMinutes } };
}
