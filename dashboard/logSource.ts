import fs from 'node:fs';
import path from 'node:path';
import { outputPaths } from '../activities/outputs/outputPaths';
import { STRATEGY_NAMES, type OutputMode } from '../domain/vocabulary';

/*
 * Recent events for the logs page, read from the files the worker writes (output/logs/):
 * the strategy logs (<strategy>_<mode>.log, JSON lines or CSV by LOG_FORMAT), alerts_<mode>.log,
 * unresolved_orders_<mode>.log and risk_events_<mode>.log. Only the tail of each file is read, so a long
 * log costs the same as a short one.
 */

export type LogKind = 'strategy' | 'alert' | 'error';

export interface LogEntry {
  readonly timestamp: string;
  readonly kind: LogKind;
  /** open, mid, close, alerts, unresolved_orders, risk_events. */
  readonly source: string;
  readonly event: string;
  readonly symbol: string;
  readonly message: string;
  readonly detail: string;
}

const TAIL_BYTES = 256 * 1024;

export function logFiles(outputDir: string, mode: OutputMode): { file: string; source: string; kind: LogKind }[] {
  const p = outputPaths(outputDir, mode);
  return [
    ...STRATEGY_NAMES.map((s) => ({ file: p.strategyLog(s), source: s as string, kind: 'strategy' as const })),
    { file: path.join(outputDir, 'logs', `alerts_${mode}.log`), source: 'alerts', kind: 'alert' },
    { file: p.unresolvedOrdersLog, source: 'unresolved_orders', kind: 'error' },
    { file: path.join(outputDir, 'logs', `risk_events_${mode}.log`), source: 'risk_events', kind: 'alert' },
  ];
}

/** The newest `limit` entries of the chosen kinds, newest first. */
export function recentLogEntries(outputDir: string, mode: OutputMode, opts: { kinds?: readonly LogKind[]; limit?: number } = {}): LogEntry[] {
  const limit = opts.limit ?? 200;
  const out: LogEntry[] = [];
  for (const f of logFiles(outputDir, mode)) {
    if (opts.kinds !== undefined && !opts.kinds.includes(f.kind)) continue;
    for (const rec of readRecords(f.file)) out.push(toEntry(rec, f.source, f.kind));
  }
  // Stable sort keeps file order for equal timestamps (decision order within a session).
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.timestamp === b.e.timestamp ? b.i - a.i : a.e.timestamp < b.e.timestamp ? 1 : -1))
    .slice(0, limit)
    .map((x) => x.e);
}

type Rec = Record<string, unknown>;

function readRecords(file: string): Rec[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    let text = buf.toString('utf8');
    // Drop the partial first line of a tail.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    // JSON lines start with `{`; a CSV log starts with its header row, read from the file's start.
    const head = start > 0 ? firstLine(fd) : text.slice(0, text.indexOf('\n') + 1);
    if (head.trimStart().startsWith('{') || head.trim() === '') return parseJsonLines(text);
    const header = parseCsv(head)[0] ?? [];
    const rows = parseCsv(text);
    if (start === 0) rows.shift();
    return rows.filter((r) => r.length === header.length).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  } finally {
    fs.closeSync(fd);
  }
}

function firstLine(fd: number): string {
  const buf = Buffer.alloc(4096);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  const s = buf.subarray(0, n).toString('utf8');
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl + 1);
}

function parseJsonLines(text: string): Rec[] {
  const out: Rec[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(v as Rec);
    } catch {
      // A torn last line of a crashed writer: skipped, the rest is shown.
    }
  }
  return out;
}

/** RFC 4180 CSV (quoted fields may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const KNOWN = new Set(['timestamp', 'at', 'time', 'event', 'type', 'kind', 'symbol', 'ticker', 'message', 'subject', 'error', 'reason', 'eventId', 'id', 'strategy', 'stack']);

function toEntry(r: Rec, source: string, kind: LogKind): LogEntry {
  const data = typeof r.data === 'string' && r.data.startsWith('{') ? safeJson(r.data) : r.data;
  const rest = Object.entries(r).filter(([k, v]) => !KNOWN.has(k) && k !== 'data' && v !== '' && v !== null && v !== undefined);
  // `key=value` pairs read better than JSON on a narrow screen.
  const dataParts =
    data !== null && typeof data === 'object' && !Array.isArray(data)
      ? Object.entries(data as Rec).map(([k, v]) => `${k}=${str(v)}`)
      : data !== undefined && data !== '' && data !== null
        ? [str(data)]
        : [];
  const detailParts = [...dataParts, ...rest.map(([k, v]) => `${k}=${str(v)}`)];
  return {
    timestamp: str(r.timestamp ?? r.at ?? r.time),
    kind,
    source,
    event: str(r.event ?? r.type ?? r.kind ?? r.error_type ?? (kind === 'error' ? 'error' : '')),
    symbol: str(r.symbol ?? r.ticker),
    message: str(r.message ?? r.subject ?? r.error ?? r.reason),
    detail: detailParts.join(' '),
  };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}
