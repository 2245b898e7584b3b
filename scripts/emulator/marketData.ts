import fs from 'node:fs';
import { z } from 'zod';
import type { Bar } from '../../domain/market/bar';
import type { BarsBySymbolDate } from '../../domain/backtest/signalAudit';
import { ConfigError } from '../../domain/errors/errorClasses';
import type { SymbolFacts } from '../../domain/emulator/screeningFacts';
import { loadMinuteBars } from '../../activities/marketData/minuteBarCsv';
import { loadVixCsv } from '../../activities/marketData/vixCsv';

/** The emulator's inputs from disk: the replay folder's minute bars, the optional facts file, the VIX series. */

export interface ReplayBars {
  /** symbol -> every bar of every date, ascending. */
  readonly bars: Map<string, Bar[]>;
  /** The same bars by symbol and date, as loaded (the put model's daily closes read them). */
  readonly byDate: BarsBySymbolDate;
  /** Symbols with bars on the emulated UTC date. */
  readonly symbolsOnDate: readonly string[];
}

export function loadReplayBars(replayDir: string, date: string): ReplayBars {
  if (!fs.existsSync(replayDir)) throw new ConfigError(`replay folder not found: ${replayDir}`);
  const data = loadMinuteBars(replayDir);
  const bars = new Map<string, Bar[]>();
  const onDate: string[] = [];
  for (const [symbol, byDate] of data.bars) {
    const dates = [...byDate.keys()].sort();
    bars.set(symbol, dates.flatMap((d) => byDate.get(d)!));
    if ((byDate.get(date)?.length ?? 0) > 0) onDate.push(symbol);
  }
  if (onDate.length === 0) throw new ConfigError(`no bars on ${date} in ${replayDir} (it has ${data.bars.size} symbol(s) on other dates)`);
  return { bars, byDate: data.bars, symbolsOnDate: onDate.sort() };
}

const factsSchema = z
  .object({
    marketCap: z.number().positive().nullable().optional(),
    fund: z.boolean().optional(),
    averageVolume: z.number().nonnegative().nullable().optional(),
    name: z.string().optional(),
    exchange: z.string().optional(),
    tradable: z.boolean().optional(),
    shortable: z.boolean().optional(),
    easyToBorrow: z.boolean().optional(),
    fractionable: z.boolean().optional(),
  })
  .strict();

/** `{"symbols": {"SPY": {"fund": true, "averageVolume": 60000000}, ...}}`; `_note` is allowed for a comment. */
export const factsFileSchema = z.object({ _note: z.string().optional(), symbols: z.record(z.string(), factsSchema) }).strict();

export function loadFactsFile(file: string): Map<string, SymbolFacts> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`facts file ${file}: ${(err as Error).message}`);
  }
  const parsed = factsFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `facts file ${file}: ${i.path.join('.') || '(top)'}: ${i.message}`));
  }
  return new Map(Object.entries(parsed.data.symbols).map(([k, v]) => [k.toUpperCase(), v]));
}

/** The VIX series as `date,close` CSV, only dates before the session (a day's close is not known during it). */
export function vixCsvBefore(file: string, date: string): string {
  const series = loadVixCsv(file);
  const rows = series.dates.map((d, i) => [d, series.closes[i]!] as const).filter(([d]) => d < date);
  return `date,close\n${rows.map(([d, c]) => `${d},${c}`).join('\n')}\n`;
}
