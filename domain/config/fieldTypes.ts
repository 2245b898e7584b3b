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
      const n = parseDecimal(s);
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

/**
 * Plain decimal numbers only (`2e9` and `.5` included). `Number()` alone would also take `0x10`, `0b1`
 * and `0o7`, which nobody means in a config file.
 */
export function parseDecimal(s: string): number {
  const t = s.trim();
  return /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
}

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
      const nums = s.split(',').map(parseDecimal);
      const ok =
        nums.length >= (opts.minItems ?? 1) &&
        nums.every(
          (n) => Number.isFinite(n) && (opts.min === undefined || n >= opts.min) && (opts.max === undefined || n <= opts.max),
        );
      if (!ok) {
        ctx.addIssue({
          code: 'custom',
          message: `allowed: a comma-separated list of at least ${opts.minItems ?? 1} ${(opts.minItems ?? 1) === 1 ? 'number' : 'numbers'}${describeRange(opts)}`,
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

/** A `v1.2.3` release tag (an optional `-suffix` allowed), as VERSION.md writes it. */
export const versionTagField = (def: string) =>
  z
    .string()
    .default(def)
    .transform((s, ctx) => {
      const t = s.trim();
      if (!VERSION_TAG_RE.test(t)) {
        ctx.addIssue({ code: 'custom', message: 'allowed: a version tag like v1.0.0, equal to the tag in VERSION.md' });
        return z.NEVER;
      }
      return t;
    });

export const VERSION_TAG_RE = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/**
 * `<BROKER>_ENABLED` for a broker the spec reserves but does not support: only `false` is valid, so
 * that turning one on is a clear error instead of a silently ignored unknown key.
 */
export const reservedBrokerField = (name: string, supported: readonly string[]) =>
  z
    .string()
    .default('false')
    .transform((s, ctx): false => {
      const v = s.trim().toLowerCase();
      if (v === 'false' || v === '0' || v === 'no') return false;
      ctx.addIssue({
        code: 'custom',
        message: `allowed: false; ${name} is reserved, not supported yet; supported brokers: ${supported.join(', ')}`,
      });
      return z.NEVER;
    });

// ---------------------------------------------------------------------------------------------
// `.env` fields. Convention there: an empty value means "not set", because `.env.example` lists
// every key with secrets left empty. A set-but-invalid value is always an error.

export type Check<T> = (t: string) => { ok: true; value: T } | { ok: false; allowed: string };

/** Optional `.env` value: empty or absent gives `undefined`. */
export const optionalEnvField = <T>(check: Check<T>) =>
  z
    .string()
    .optional()
    .transform((s, ctx): T | undefined => {
      const t = (s ?? '').trim();
      if (t === '') return undefined;
      const r = check(t);
      if (r.ok) return r.value;
      ctx.addIssue({ code: 'custom', message: r.allowed });
      return z.NEVER;
    });

/** `.env` value with a default: empty or absent gives the default. */
export const defaultedEnvField = <T>(check: Check<T>, def: T) =>
  z
    .string()
    .optional()
    .transform((s, ctx): T => {
      const t = (s ?? '').trim();
      if (t === '') return def;
      const r = check(t);
      if (r.ok) return r.value;
      ctx.addIssue({ code: 'custom', message: r.allowed });
      return z.NEVER;
    });

const ok = <T>(value: T) => ({ ok: true as const, value });
const no = (allowed: string) => ({ ok: false as const, allowed });

export const anyText: Check<string> = (t) => ok(t);

export const intCheck =
  (min: number, max: number, what = 'an integer'): Check<number> =>
  (t) => {
    const n = parseDecimal(t);
    return Number.isInteger(n) && n >= min && n <= max ? ok(n) : no(`allowed: ${what} from ${min} to ${max}`);
  };

export const portCheck: Check<number> = intCheck(1, 65535, 'a port number');

export const oneOfCheck =
  <const T extends readonly [string, ...string[]]>(values: T): Check<T[number]> =>
  (t) => {
    const hit = values.find((v) => v.toLowerCase() === t.toLowerCase());
    return hit === undefined ? no(`allowed: ${values.join(' | ')}`) : ok(hit as T[number]);
  };

const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HOSTNAME_RE = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** IPv6 in its textual forms (`::`, `::1`, `fe80::1`, full form, embedded IPv4); no zone ids. */
export function isIPv6(t: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(t) || !t.includes(':')) return false;
  let s = t;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 tail stands for the last two 16-bit groups.
    if (!IPV4_RE.test(tail)) return false;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const doubles = s.split('::').length - 1;
  if (doubles > 1) return false;
  const hex = /^[0-9A-Fa-f]{1,4}$/;
  if (doubles === 1) {
    const [left, right] = s.split('::') as [string, string];
    const l = left === '' ? [] : left.split(':');
    const r = right === '' ? [] : right.split(':');
    return [...l, ...r].every((g) => hex.test(g)) && l.length + r.length <= 7;
  }
  const groups = s.split(':');
  return groups.length === 8 && groups.every((g) => hex.test(g));
}

export const isIPv4 = (t: string): boolean => IPV4_RE.test(t);

export const ipCheck: Check<string> = (t) =>
  isIPv4(t) || isIPv6(t) ? ok(t) : no('allowed: an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::1');

export const hostCheck: Check<string> = (t) =>
  isIPv4(t) || isIPv6(t) || (HOSTNAME_RE.test(t) && !/^[\d.]+$/.test(t))
    ? ok(t)
    : no('allowed: a host name or IP address such as 127.0.0.1 or smtp.example.com');

/** `host:port`, IPv6 in brackets (`[::1]:7233`). */
export const hostPortCheck: Check<string> = (t) => {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(t);
  const host = m ? (m[1] ?? m[2] ?? '') : '';
  const port = m ? Number(m[3]) : 0;
  const hostOk = m !== null && (m[1] !== undefined ? isIPv6(host) : hostCheck(host).ok);
  return hostOk && port >= 1 && port <= 65535
    ? ok(t)
    : no('allowed: host:port such as 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233');
};

export interface ParsedUrl {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number | undefined;
  readonly hasUserInfo: boolean;
}

/** Small pure URL reader (domain code avoids relying on host globals); enough to validate and compare hosts. */
export function parseHttpUrl(t: string): ParsedUrl | null {
  const m = /^(https?):\/\/(?:([^@/?#\s]*)@)?(\[[^\]\s]+\]|[^:/?#\s]+)(?::(\d{1,5}))?(?:[/?#][^\s]*)?$/i.exec(t);
  if (!m) return null;
  const rawHost = m[3] ?? '';
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (!(isIPv4(host) || isIPv6(host) || HOSTNAME_RE.test(host))) return null;
  const port = m[4] === undefined ? undefined : Number(m[4]);
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  return { scheme: (m[1] ?? '').toLowerCase() as 'http' | 'https', host: host.toLowerCase(), port, hasUserInfo: m[2] !== undefined };
}

export const httpUrlCheck: Check<string> = (t) => {
  const u = parseHttpUrl(t);
  if (u === null) return no('allowed: an http:// or https:// URL such as https://example.com/api2');
  if (u.hasUserInfo) return no('allowed: a URL without user:password@ (credentials go in their own keys)');
  return ok(t.replace(/\/+$/, ''));
};

const EMAIL_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export const isEmail = (t: string): boolean => EMAIL_RE.test(t);

/** One address or a comma-separated list (nodemailer takes either); normalised to `a@x, b@y`. */
export const emailListCheck: Check<string> = (t) => {
  const items = t.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return items.length > 0 && items.every(isEmail)
    ? ok(items.join(', '))
    : no('allowed: an e-mail address, or several separated by commas');
};

/** Bytes a base64 (standard or URL-safe, padded or not) string decodes to, or -1 if it is not base64. */
export function base64DecodedLength(t: string): number {
  const m = /^([A-Za-z0-9+/]*|[A-Za-z0-9_-]*)(={0,2})$/.exec(t);
  if (!m) return -1;
  const body = m[1] ?? '';
  const pad = (m[2] ?? '').length;
  if (pad > 0 && (body.length + pad) % 4 !== 0) return -1;
  if (body.length % 4 === 1) return -1;
  return Math.floor((body.length * 3) / 4);
}

/** A 256-bit key written as base64 (what `config genkey` prints). */
export const base64Key32Check: Check<string> = (t) =>
  base64DecodedLength(t) === 32
    ? ok(t)
    : no('allowed: 32 random bytes in base64, 44 characters; make one with `config genkey`');

/** Temporal namespace names: letters, digits, `.`, `_`, `-` (Cloud uses `name.account`). */
export const namespaceCheck: Check<string> = (t) =>
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(t) ? ok(t) : no('allowed: letters, digits, . _ - (such as default or my-ns.a1b2c)');

export const taskQueueCheck: Check<string> = (t) =>
  /^[^\s]{1,255}$/.test(t) ? ok(t) : no('allowed: a task queue name without spaces, such as tradebot');

/** IBKR account ids look like U1234567 (live) or DU1234567 (paper); be lenient on the exact shape. */
export const accountNumberCheck: Check<string> = (t) =>
  /^[A-Za-z0-9]{4,20}$/.test(t) ? ok(t.toUpperCase()) : no('allowed: an account id of letters and digits, such as DU1234567');
