import type { LoadedConfig } from '../activities/config/loadConfig';
import { isBcryptHash } from './password';

/** The login a dashboard needs, or the reason it cannot start (checklist item 9: login required). */
export function dashboardLogin(config: LoadedConfig): { username: string; passwordHash: string } {
  const username = config.env.USERNAME;
  const passwordHash = config.env.PASSWORD_HASH;
  if (!username || !passwordHash) {
    throw new Error(
      'the dashboard needs USERNAME and PASSWORD_HASH in .env (make the hash with `npm run cli -- dashboard hash-password`)',
    );
  }
  if (!isBcryptHash(passwordHash)) {
    throw new Error('PASSWORD_HASH in .env is not a bcrypt hash; make one with `npm run cli -- dashboard hash-password`');
  }
  return { username, passwordHash };
}

/** The Temporal Web UI base: TEMPORAL_UI_URL, else the dev server's UI (port + 1000) for a local address. */
export function defaultTemporalUiUrl(config: LoadedConfig): string | null {
  if (config.env.TEMPORAL_UI_URL) return config.env.TEMPORAL_UI_URL;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(config.env.TEMPORAL_ADDRESS);
  if (!m) return null;
  const host = m[1] ?? m[2] ?? '';
  const local = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  if (!local) return null;
  return `http://${host.includes(':') ? `[${host}]` : host}:${Number(m[3]) + 1000}`;
}
