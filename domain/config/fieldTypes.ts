import { z } from 'zod';

/**
 * Field parsers for KEY=VALUE files. Values arrive as strings (already trimmed by the loader);
 * each parser says in its message what is allowed, because that message is shown to the user.
 */

export const boolField = (def: boolean) =>
  z
    .string()
    .default(String(def))
    .transform((s, ctx) => {
      const v = s.trim().toLowerCase();
      if (v === 'true' || v === '1' || v === 'yes') return true;
      if (v === 'false' || v === '0' || v === 'no') return false;
      ctx.addIssue({ code: 'custom', message: 'allowed: true or false' });
      return z.NEVER;
    });

export const numberField = (def: number, opts: { min?: number; max?: number; int?: boolean } = {}) =>
  z
    .string()
    .default(String(def))
    .transform((s, ctx) => {
      const t = s.trim();
      const n = t === '' ? NaN : Number(t);
      const range = describeRange(opts);
      if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n))) {
        ctx.addIssue({ code: 'custom', message: `allowed: ${opts.int ? 'an integer' : 'a number'}${range}` });
        return z.NEVER;
      }
      if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
        ctx.addIssue({ code: 'custom', message: `allowed: ${opts.int ? 'an integer' : 'a number'}${range}` });
        return z.NEVER;
      }
      return n;
    });

function describeRange(opts: { min?: number; max?: number }): string {
  if (opts.min !== undefined && opts.max !== undefined) return ` from ${opts.min} to ${opts.max}`;
  if (opts.min !== undefined) return ` of at least ${opts.min}`;
  if (opts.max !== undefined) return ` of at most ${opts.max}`;
  return '';
}

export const enumField = <const T extends readonly [string, ...string[]]>(values: T, def: T[number]) =>
  z
    .string()
    .default(def)
    .transform((s, ctx) => {
      const t = s.trim();
      const hit = values.find((v) => v.toLowerCase() === t.toLowerCase());
      if (hit === undefined) {
        ctx.addIssue({ code: 'custom', message: `allowed: ${values.join(' | ')}` });
        return z.NEVER;
      }
      return hit as T[number];
    });

/** `HH:MM`, 24-hour clock, read as UTC. */
export const utcTimeField = (def: string) =>
  z
    .string()
    .default(def)
    .transform((s, ctx) => {
      const t = s.trim();
      const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(t);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'allowed: a UTC time HH:MM (00:00 to 23:59)' });
        return z.NEVER;
      }
      return t;
    });

/** Comma-separated list of allowed words; empty items are dropped. */
export const wordListField = <const T extends readonly [string, ...string[]]>(
  values: T,
  def: readonly T[number][],
  opts: { minItems?: number; unique?: boolean } = {},
) =>
  z
    .string()
    .default(def.join(','))
    .transform((s, ctx) => {
      const items = s
        .split(',')
        .map((x) => x.trim().toLowerCase())
        .filter((x) => x !== '');
      const bad = items.filter((x) => !values.includes(x));
      if (bad.length > 0 || items.length < (opts.minItems ?? 0)) {
        ctx.addIssue({ code: 'custom', message: `allowed: a comma-separated list of ${values.join(', ')}` });
        return z.NEVER;
      }
      if (opts.unique && new Set(items).size !== items.length) {
        ctx.addIssue({ code: 'custom', message: 'allowed: each item at most once' });
        return z.NEVER;
      }
      return items as T[number][];
    });

/** Comma-separated numbers. */
export const numberListField = (def: readonly number[], opts: { min?: number; max?: number; minItems?: number } = {}) =>
  z
    .string()
    .default(def.join(','))
    .transform((s, ctx) => {
      const parts = s.split(',').map((x) => x.trim());
      const nums = parts.map((x) => (x === '' ? NaN : Number(x)));
      const ok =
        nums.length >= (opts.minItems ?? 1) &&
        nums.every(
          (n) => Number.isFinite(n) && (opts.min === undefined || n >= opts.min) && (opts.max === undefined || n <= opts.max),
        );
      if (!ok) {
        ctx.addIssue({
          code: 'custom',
          message: `allowed: a comma-separated list of at least ${opts.minItems ?? 1} numbers${describeRange(opts)}`,
        });
        return z.NEVER;
      }
      return nums;
    });

/** Free text (empty allowed), trimmed. */
export const textField = (def = '') =>
  z
    .string()
    .default(def)
    .transform((s) => s.trim());
