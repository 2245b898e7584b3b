import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DOWNLOAD_FEEDS } from '../../domain/market/barDownload';
import { writeFileAtomic } from '../outputs/atomicFile';

/**
 * `manifest.json` of a `data download` folder (docs/backtest.md, "Downloading data"): one entry per bar
 * file with its symbol, range, feed, bar count, first and last bar, sha256 and whether it is finished,
 * plus what a rerun needs to continue an unfinished one (the next page token). Written whole and
 * atomically after every page, so it never disagrees with the files by more than the page in flight.
 */

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'tradebot-minute-bars/1';

const entrySchema = z
  .object({
    file: z.string().min(1),
    symbol: z.string().min(1),
    start: z.string(),
    end: z.string(),
    feed: z.enum(DOWNLOAD_FEEDS),
    adjustment: z.literal('raw'),
    hours: z.literal('regular'),
    finished: z.boolean(),
    bars: z.number().int().nonnegative(),
    first_bar: z.string().nullable(),
    last_bar: z.string().nullable(),
    sha256: z.string().nullable(),
    pages: z.number().int().nonnegative(),
    next_page_token: z.string().nullable(),
    updated_at: z.string(),
  })
  .strict();

const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    source: z.string(),
    symbols: z.array(z.string()),
    files: z.array(entrySchema),
  })
  .strict();

export type ManifestEntry = z.infer<typeof entrySchema>;
export type Manifest = z.infer<typeof manifestSchema>;

const SOURCE = "Alpaca Market Data API, GET /v2/stocks/bars, timeframe 1Min, adjustment raw, regular sessions only";

export function emptyManifest(): Manifest {
  return { format: MANIFEST_FORMAT, source: SOURCE, symbols: [], files: [] };
}

/** The folder's manifest, or an empty one; anything else at that path is an error naming it (never overwritten). */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return emptyManifest();
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); it was left as it is: fix it, delete it, or use another --out`, { cause: err });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file} is not a data download manifest (${issue.path.join('.') || 'top level'}: ${issue.message}); it was left as it is: use another --out`);
  }
  return parsed.data;
}

/** The manifest with one entry replaced (or added), files and symbols sorted. */
export function withEntry(manifest: Manifest, entry: ManifestEntry): Manifest {
  const files = [...manifest.files.filter((f) => f.file !== entry.file), entry].sort((a, b) => a.file.localeCompare(b.file));
  return { ...manifest, symbols: [...new Set(files.map((f) => f.symbol))].sort(), files };
}

export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}
