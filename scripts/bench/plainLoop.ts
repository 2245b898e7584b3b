import { readFileSync } from 'node:fs';
import type { BotConfig } from '../../domain/config/botConfigSchema';
import { handLoopOpen, type HandSeries, type HandTrade } from './handLoop';

/**
 * The comparison's plain Node loop (issue 19): what a programmer would write with no project at all. Each
 * file's bytes are parsed straight into typed arrays, trusting the shape the bench's generator writes
 * (`YYYY-MM-DDTHH:MM:SSZ,o,h,l,c,v`, LF), with no checks and no cache, then the OPEN rules run by hand.
 * It is the yardstick of the cold run, not a loader: bad data would give wrong numbers, not an error.
 */

/** A plain decimal at `p` (digits, optionally a dot and digits); `end[0]` is set past its terminator. */
function plainNumber(b: Uint8Array, p: number, end: Int32Array): number {
  let m = 0;
  let scale = 0;
  let i = p;
  let ch = b[i]!;
  while (ch !== 44 && ch !== 10) {
    if (ch === 46) scale = 1;
    else {
      m = m * 10 + (ch - 48);
      scale *= 10;
    }
    ch = b[++i]!;
  }
  end[0] = i + 1;
  return scale > 0 ? m / scale : m;
}

function plainParse(symbol: string, b: Uint8Array): HandSeries {
  const cap = Math.ceil(b.length / 30);
  const t = new Float64Array(cap);
  const h = new Float64Array(cap);
  const l = new Float64Array(cap);
  const c = new Float64Array(cap);
  const dates: string[] = [];
  const starts: number[] = [];
  const end = new Int32Array(1);
  let day = -1;
  let midnight = 0;
  let n = 0;
  let p = b.indexOf(10) + 1;
  while (p < b.length) {
    const d = (b[p + 8]! - 48) * 10 + (b[p + 9]! - 48);
    if (d !== day) {
      day = d;
      dates.push(Buffer.from(b.buffer, b.byteOffset + p, 10).toString('latin1'));
      starts.push(n);
      midnight = Date.parse(`${dates[dates.length - 1]}T00:00:00Z`);
    }
    const hh = (b[p + 11]! - 48) * 10 + (b[p + 12]! - 48);
    const mm = (b[p + 14]! - 48) * 10 + (b[p + 15]! - 48);
    t[n] = midnight + hh * 3_600_000 + mm * 60_000;
    plainNumber(b, p + 21, end);
    h[n] = plainNumber(b, end[0]!, end);
    l[n] = plainNumber(b, end[0]!, end);
    c[n] = plainNumber(b, end[0]!, end);
    plainNumber(b, end[0]!, end);
    p = end[0]!;
    n++;
  }
  starts.push(n);
  return { symbol, t: t.subarray(0, n), h: h.subarray(0, n), l: l.subarray(0, n), c: c.subarray(0, n), dates, dayStart: Int32Array.from(starts) };
}

/** The plain loop from files to trades: bars read, trades found. */
export function plainLoopRun(files: readonly { symbol: string; file: string }[], cfg: BotConfig): { bars: number; trades: HandTrade[] } {
  const series = files.map((f) => plainParse(f.symbol, readFileSync(f.file)));
  return { bars: series.reduce((a, s) => a + s.t.length, 0), trades: handLoopOpen(series, cfg) };
}
