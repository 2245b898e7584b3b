import type { VixSeries } from '../../domain/backtest/signalAudit';
import { readTextFile } from './minuteBarCsv';

/** Daily VIX closes from a `date,close` CSV (dates YYYY-MM-DD, ascending, unique). */

export class VixCsvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'VixCsvError';
  }
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function parseVixCsv(text: string, file: string): VixSeries {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const header = (lines[0] ?? '').replace(/\r$/, '').trim().toLowerCase();
  if (header !== 'date,close') throw new VixCsvError(file, 1, `header must be "date,close", found "${header.slice(0, 80)}"`);
  const dates: string[] = [];
  const closes: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const parts = line.split(',');
    if (parts.length !== 2) throw new VixCsvError(file, i + 1, `expected 2 fields: "${line.slice(0, 80)}"`);
    const date = parts[0]!.trim();
    const closeText = parts[1]!.trim();
    const close = closeText === '' ? NaN : Number(closeText);
    if (!DATE_RE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
      throw new VixCsvError(file, i + 1, `unparsable date "${date}" (YYYY-MM-DD expected)`);
    }
    if (!Number.isFinite(close)) throw new VixCsvError(file, i + 1, `unparsable close "${closeText}"`);
    const prev = dates[dates.length - 1];
    if (prev !== undefined && date <= prev) {
      throw new VixCsvError(file, i + 1, date === prev ? `duplicate date ${date}` : `date ${date} is before ${prev} (ascending expected)`);
    }
    dates.push(date);
    closes.push(close);
  }
  return { dates, closes };
}

export function loadVixCsv(file: string): VixSeries {
  let text: string;
  try {
    text = readTextFile(file);
  } catch {
    throw new Error(`VIX file not found or unreadable: ${file}`);
  }
  return parseVixCsv(text, file);
}
