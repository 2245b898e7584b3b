import { SECRET_ENV_KEYS, type EnvConfig } from './envSchema';

/** What a secret value is replaced with wherever it would be shown. */
export const SECRET_MASK = '<hidden>';

/**
 * Names that look like they hold a secret, for objects that are not a `.env` config (status snapshots,
 * broker responses, log fields): `apiKey`, `secret_key`, `password`, `token`, `authorization`, ...
 * Deliberately broad; a path such as TEMPORAL_TLS_KEY_PATH does not match.
 */
const SECRET_NAME_RE = /(secret|passw|pass$|token|api_?key|private_?key|access_?key|encryption_?key|env_?bot_?key|password_?hash|authori[sz]ation|credential|cookie|account_?number)/i;

export function isSecretName(key: string, extraKeys: readonly string[] = []): boolean {
  return (SECRET_ENV_KEYS as readonly string[]).includes(key) || extraKeys.includes(key) || SECRET_NAME_RE.test(key);
}

/** Recursively masks the type's values: a secret becomes a string. */
export type Masked<T> = T extends readonly (infer U)[]
  ? Masked<U>[]
  : T extends object
    ? { [K in keyof T]: Masked<T[K]> | string }
    : T;

/**
 * A copy of `obj` for display (status, dashboard settings page, logs) with every secret-named value
 * replaced by `<hidden>`. Unset values (undefined, null, '') stay as they are, so a reader can still see
 * whether a secret is configured. Does not modify `obj`; cycles become `<cycle>`.
 */
export function maskSecrets<T>(obj: T, extraSecretKeys: readonly string[] = []): Masked<T> {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, secret: boolean): unknown => {
    if (secret) return v === undefined || v === null || v === '' ? v : SECRET_MASK;
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '<cycle>';
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map((x) => walk(x, false));
    else {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x, isSecretName(k, extraSecretKeys));
      out = o;
    }
    seen.delete(v);
    return out;
  };
  return walk(obj, false) as Masked<T>;
}

/** The non-empty secret values of a `.env` config, for `redactText`. */
export function secretValuesOf(env: Partial<Record<keyof EnvConfig, unknown>>): string[] {
  const out: string[] = [];
  for (const k of SECRET_ENV_KEYS) {
    const v = env[k];
    if (typeof v === 'string' && v.trim() !== '') out.push(v);
  }
  return out;
}

/**
 * `text` with every occurrence of every known secret replaced by `<hidden>`, including the
 * percent-encoded form a secret takes inside a URL. Longest secrets first, so a secret that contains
 * another is removed whole. Empty secrets are skipped (they would match everywhere).
 */
export function redactText(text: string, secrets: readonly (string | undefined | null)[]): string {
  const needles = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string') continue;
    for (const form of [s, s.trim(), safeEncodeURIComponent(s)]) if (form !== '') needles.add(form);
  }
  if (needles.size === 0) return text;
  // One pass with longest-first alternatives: a replacement is never scanned again, and overlapping
  // secrets are removed whole.
  const alternatives = [...needles].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return text.replace(new RegExp(alternatives.join('|'), 'g'), SECRET_MASK);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeEncodeURIComponent(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    // Lone surrogates cannot be encoded; the raw form is still redacted.
    return '';
  }
}
