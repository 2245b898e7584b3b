import { MalformedResponseError } from './alpacaErrors';

/**
 * Reading Alpaca's answers field by field: each reader names the field and the value it found when the
 * type is not the one Alpaca documents, so a malformed answer fails with a message, never a wrong number.
 */

/** A value for a message: short, quoted, never an object dump. */
export function describeValue(v: unknown): string {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'an invalid date' : v.toISOString();
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'a list' : 'an object';
}

export function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedResponseError(`${what} is ${describeValue(v)} (expected an object)`);
  return v as Record<string, unknown>;
}

export function array(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new MalformedResponseError(`${what} is ${describeValue(v)} (expected a list)`);
  return v;
}

export function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new MalformedResponseError(`${field} is ${describeValue(v)} (expected text)`);
  return v;
}

/** A numeric field: absent means 0 (Alpaca omits zero amounts); present but not a finite number is malformed. */
export function num(v: unknown, field: string): number {
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new MalformedResponseError(`${field} is ${describeValue(v)} (expected a number)`);
  return n;
}

/** A time field as ISO text; absent is ''. An unparsable time is malformed (it would throw in toISOString). */
export function toIso(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  const t = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw new MalformedResponseError(`${field} is ${describeValue(v)} (expected a time)`);
  return new Date(t).toISOString();
}
