import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isTradingDay, regularSessionUtc } from '../../domain/market/exchangeCalendar';
import { seededRandom } from '../seededRandom';

/**
 * The bench's fixed synthetic data set: 100 symbols x the 252 trading days of 2024, one-minute
 * regular-session bars, a seeded random walk per symbol (the same files on every run and machine),
 * generated once under output/bench/data, plus a VIX history. The first 20 symbols are the comparison set
 * (1,954,800 bars; docs/backtest.md, Speed and memory).
 */

const ROOT = path.resolve(__dirname, '..', '..');
export const BENCH_DIR = path.join(ROOT, 'output', 'bench');
export const DATA_DIR = path.join(BENCH_DIR, 'data');
export const CACHE_DIR = path.join(BENCH_DIR, 'cache');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
export const VIX_FILE = path.join(BENCH_DIR, 'vix_2023_2024.csv');
export const SYMBOLS = 100;
export const SMALL = 20;
export const YEAR = 2024;
/** Bump when the generator changes, so an old data set is regenerated. */
const DATA_VERSION = 'v1';
const MINUTE = 60_000;

export const symbolName = (i: number) => `SYN${String(i).padStart(3, '0')}`;
const fileOf = (i: number) => path.join(DATA_DIR, `${symbolName(i)}_${YEAR}_${DATA_VERSION}.csv`);

/** The comparison set's symbols (the first SMALL). */
export const smallSymbols = (): string[] => Array.from({ length: SMALL }, (_, i) => symbolName(i));

function tradingDates(year: number): string[] {
  const out: string[] = [];
  for (let ms = Date.UTC(year, 0, 1); ms < Date.UTC(year + 1, 0, 1); ms += 86_400_000) {
    const d = new Date(ms).toISOString().slice(0, 10);
    if (isTradingDay(d)) out.push(d);
  }
  return out;
}

/**
 * A random walk per symbol: regular-session bars only, prices with two decimals between about 5 and 100,
 * a quiet, normal or wild volatility regime per day (wild days give the strategies breakouts to trade).
 */
function generateSymbol(i: number, dates: readonly string[]): string {
  const rand = seededRandom(0x5eed + i * 7919);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  let price = 15 + rand() * 70;
  const lines: string[] = ['timestamp,open,high,low,close,volume'];
  for (const date of dates) {
    const s = regularSessionUtc(date)!;
    const u = rand();
    const sigma = u < 0.5 ? 0.0008 : u < 0.9 ? 0.0015 : 0.004;
    price = Math.min(98, Math.max(6, price * (1 + gauss() * 0.01)));
    for (let t = s.openMs; t < s.closeMs; t += MINUTE) {
      // A pull towards the middle of the price band keeps a year of walking inside the screening range.
      const drift = price > 90 ? -0.0005 : price < 8 ? 0.0005 : 0;
      const o = Math.round(price * 100) / 100;
      price = Math.max(1, price * (1 + drift + gauss() * sigma));
      const c = Math.round(price * 100) / 100;
      const h = Math.round(Math.max(o, c) * (1 + Math.abs(gauss()) * sigma * 0.5) * 100) / 100;
      const l = Math.round(Math.min(o, c) * (1 - Math.abs(gauss()) * sigma * 0.5) * 100) / 100;
      const v = Math.round((200 + rand() * 4000) * (sigma / 0.0008));
      lines.push(`${new Date(t).toISOString().slice(0, 19)}Z,${o},${Math.max(h, o, c)},${Math.min(l, o, c)},${c},${v}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Writes whatever is missing of the data set; returns the seconds it took. */
export function ensureData(): { generatedSeconds: number } {
  const started = performance.now();
  mkdirSync(DATA_DIR, { recursive: true });
  // An older generator's files would be mixed in as extra symbols: start that folder afresh.
  for (const f of readdirSync(DATA_DIR)) if (!f.endsWith(`_${DATA_VERSION}.csv`)) rmSync(path.join(DATA_DIR, f));
  const dates = tradingDates(YEAR);
  for (let i = 0; i < SYMBOLS; i++) if (!existsSync(fileOf(i))) writeFileSync(fileOf(i), generateSymbol(i, dates));
  if (!existsSync(VIX_FILE)) {
    const rand = seededRandom(42);
    const lines = ['date,close'];
    let v = 16;
    for (const d of [...tradingDates(YEAR - 1).slice(-5), ...dates]) {
      v = Math.max(10, Math.min(40, v + (rand() - 0.5) * 2));
      lines.push(`${d},${v.toFixed(2)}`);
    }
    writeFileSync(VIX_FILE, `${lines.join('\n')}\n`);
  }
  return { generatedSeconds: (performance.now() - started) / 1000 };
}

/** The comparison set's files, in symbol order. */
export const smallFiles = (): string[] => Array.from({ length: SMALL }, (_, i) => fileOf(i));
