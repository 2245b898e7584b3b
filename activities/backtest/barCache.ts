import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  COLUMN_NAMES,
  countGaps,
  mergeSeries,
  seriesFromColumns,
  type GapCount,
  type SeriesPart,
  type SymbolSeries,
} from '../../domain/backtest/columnar';
import { fnv1a } from '../../domain/orders/clientOrderId';
import { parseMinuteBarBytes } from '../marketData/minuteBarBytes';
import { listMinuteBarFiles, readFileBytes, symbolFromFileName } from '../marketData/minuteBarCsv';

/**
 * Minute-bar files loaded into typed-array columns, with a binary cache: each CSV (or .csv.gz) is parsed
 * and validated once (errors name file and line), then its columns are written to
 * `<cacheDir>/<SYMBOL>-<hash of path>.tbc`; later runs read that file and view it as Float64Arrays
 * without parsing or copying. A cache file is used only while its CSV keeps the size and modification
 * time recorded in it; anything else (a changed CSV, a torn or foreign file) is rebuilt from the CSV.
 *
 * Layout: 8 bytes magic, uint32 header length, 4 bytes padding, the JSON header padded with spaces to a
 * multiple of 8, then the columns t, o, h, l, c, v (Float64, little-endian), n values each.
 */

const MAGIC = 'TBCOLS02';
const PREFIX = 16;

export interface FileLoadInfo {
  readonly file: string;
  readonly symbol: string;
  readonly rows: number;
  readonly gaps: GapCount;
  readonly fromCache: boolean;
}

export interface LoadedColumns {
  readonly series: SymbolSeries[];
  readonly files: readonly FileLoadInfo[];
  readonly rowCount: number;
  readonly gaps: GapCount;
  /** Problems writing the cache (read-only folder, full disk): the run goes on without it. */
  readonly cacheWarnings: readonly string[];
}

export interface LoadColumnsOptions {
  /** Only these symbols' files are read. */
  readonly symbols?: readonly string[];
  /** Where cache files live; null disables the cache (always parse). */
  readonly cacheDir: string | null;
}

interface CacheHeader {
  readonly source: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly symbol: string;
  readonly rows: number;
  readonly dates: string[];
  readonly dayStart: number[];
  readonly gaps: GapCount;
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Typed arrays use the platform's byte order; the cache is written little-endian.
  throw new Error('the bar cache needs a little-endian platform');
}

export function cacheFileFor(cacheDir: string, file: string): string {
  return join(cacheDir, `${symbolFromFileName(file)}-${fnv1a(resolve(file))}.tbc`);
}

/** Reads a cache file; null when it is missing, stale or not a cache file of this format. */
export function readCacheFile(cacheFile: string, source: { path: string; size: number; mtimeMs: number }): { series: SymbolSeries; gaps: GapCount } | null {
  let buf: Buffer;
  try {
    buf = readFileSync(cacheFile);
  } catch {
    return null;
  }
  if (buf.length < PREFIX || buf.toString('latin1', 0, 8) !== MAGIC) return null;
  const headerLen = buf.readUInt32LE(8);
  if (PREFIX + headerLen > buf.length) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerLen));
  } catch {
    return null;
  }
  // A torn or foreign header is a cache miss like any other: never trusted, never a crash.
  const header = validHeader(parsed);
  if (header === null) return null;
  if (header.source !== source.path || header.size !== source.size || header.mtimeMs !== source.mtimeMs) return null;
  const n = header.rows;
  const dataStart = PREFIX + headerLen;
  if (buf.length !== dataStart + n * 8 * COLUMN_NAMES.length) return null;
  // Float64Array views need 8-byte alignment; a small file may sit at an odd offset of Node's buffer pool.
  let ab = buf.buffer as ArrayBuffer;
  let base = buf.byteOffset + dataStart;
  if (base % 8 !== 0) {
    const copy = new Uint8Array(n * 8 * COLUMN_NAMES.length);
    copy.set(buf.subarray(dataStart));
    ab = copy.buffer;
    base = 0;
  }
  const col = (j: number) => new Float64Array(ab, base + j * n * 8, n);
  // The date index must describe the time column (cheap: one check per date), so a header that does
  // not belong to these columns is a miss, not a wrong series.
  const t = col(0);
  for (let i = 0; i < header.dates.length; i++) {
    const first = t[header.dayStart[i]!];
    if (first === undefined || !Number.isFinite(first) || new Date(first).toISOString().slice(0, 10) !== header.dates[i]) return null;
  }
  return {
    series: {
      symbol: header.symbol,
      t: col(0),
      o: col(1),
      h: col(2),
      l: col(3),
      c: col(4),
      v: col(5),
      dates: header.dates,
      dayStart: Int32Array.from(header.dayStart),
    },
    gaps: header.gaps,
  };
}

/** The header when every field has the type and shape writeCacheFile gives it, else null. */
function validHeader(h: unknown): CacheHeader | null {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return null;
  const x = h as Record<string, unknown>;
  const rows = x.rows;
  const dates = x.dates;
  const dayStart = x.dayStart;
  const gaps = x.gaps as Record<string, unknown> | null;
  if (typeof x.source !== 'string' || typeof x.size !== 'number' || typeof x.mtimeMs !== 'number' || typeof x.symbol !== 'string') return null;
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0) return null;
  if (!Array.isArray(dates) || !dates.every((d) => typeof d === 'string')) return null;
  // dayStart: the first row of each date, then the row count; ascending.
  if (!Array.isArray(dayStart) || dayStart.length !== dates.length + 1 || dayStart.at(-1) !== rows) return null;
  if (!dayStart.every((v, i) => Number.isInteger(v) && (v as number) >= 0 && (i === 0 || (v as number) >= (dayStart[i - 1] as number)))) return null;
  if (typeof gaps !== 'object' || gaps === null || typeof gaps.gaps !== 'number' || typeof gaps.missingMinutes !== 'number') return null;
  return x as unknown as CacheHeader;
}

/** Writes a cache file (to a temporary name first, so a reader never sees half a file). */
export function writeCacheFile(cacheFile: string, series: SymbolSeries, gaps: GapCount, source: { path: string; size: number; mtimeMs: number }): void {
  const header: CacheHeader = {
    source: source.path,
    size: source.size,
    mtimeMs: source.mtimeMs,
    symbol: series.symbol,
    rows: series.t.length,
    dates: [...series.dates],
    dayStart: Array.from(series.dayStart),
    gaps,
  };
  let json = JSON.stringify(header);
  const pad = (8 - ((PREFIX + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(Buffer.byteLength(json), 8);
  mkdirSync(join(cacheFile, '..'), { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, Buffer.from(json, 'utf8'));
    for (const name of COLUMN_NAMES) {
      const colData = series[name];
      writeSync(fd, new Uint8Array(colData.buffer, colData.byteOffset, colData.byteLength));
    }
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, cacheFile);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

/**
 * Loads a bar file or folder into columns, through the cache. CSV problems (bad header, unparsable row,
 * unsorted or duplicate timestamps) throw MinuteBarCsvError naming file and line; gaps are counted.
 */
export function loadColumns(source: string, opts: LoadColumnsOptions): LoadedColumns {
  const wanted = opts.symbols ? new Set(opts.symbols) : null;
  const files = listMinuteBarFiles(source).filter((f) => wanted === null || wanted.has(symbolFromFileName(f)));
  const bySymbol = new Map<string, SeriesPart[]>();
  const infos: FileLoadInfo[] = [];
  const cacheWarnings: string[] = [];
  let rowCount = 0;
  let gaps = 0;
  let missingMinutes = 0;
  for (const file of files) {
    const symbol = symbolFromFileName(file);
    if (symbol === '') throw new Error(`${file}: no symbol in the file name (expected SYMBOL_... or SYMBOL.csv)`);
    const st = statSync(file);
    const meta = { path: resolve(file), size: st.size, mtimeMs: st.mtimeMs };
    const cacheFile = opts.cacheDir === null ? null : cacheFileFor(opts.cacheDir, file);
    let loaded = cacheFile === null ? null : readCacheFile(cacheFile, meta);
    const fromCache = loaded !== null;
    if (loaded === null) {
      const series = seriesFromColumns(symbol, parseMinuteBarBytes(readFileBytes(file), file));
      loaded = { series, gaps: countGaps(series) };
      if (cacheFile !== null) {
        try {
          writeCacheFile(cacheFile, series, loaded.gaps, meta);
        } catch (err) {
          cacheWarnings.push(`could not write the bar cache ${cacheFile}: ${(err as Error).message}`);
        }
      }
    }
    const series = loaded.series.symbol === symbol ? loaded.series : { ...loaded.series, symbol };
    rowCount += series.t.length;
    gaps += loaded.gaps.gaps;
    missingMinutes += loaded.gaps.missingMinutes;
    infos.push({ file, symbol, rows: series.t.length, gaps: loaded.gaps, fromCache });
    const list = bySymbol.get(symbol);
    if (list) list.push({ file, series });
    else bySymbol.set(symbol, [{ file, series }]);
  }
  const series = [...bySymbol.keys()].sort().map((symbol) => mergeSeries(symbol, bySymbol.get(symbol)!));
  return { series, files: infos, rowCount, gaps: { gaps, missingMinutes }, cacheWarnings };
}
