import type { EnvConfig } from '../domain/config/envSchema';
import { DEFAULT_LOGIN_LIMITS } from './loginLimiter';
import { isBcryptHash } from './password';

/**
 * Pre-deployment checklist item 9 (`check`; docs/dashboard.md, "Security"): the dashboard, when enabled,
 * requires a login and limits failed attempts. For `check` to print.
 */
export function dashboardCheck(env: EnvConfig): { status: 'pass' | 'fail' | 'skip'; detail: string } {
  if (!env.DASHBOARD_ENABLED) return { status: 'skip', detail: 'dashboard not enabled (DASHBOARD_ENABLED=false)' };
  if (!env.USERNAME || !env.PASSWORD_HASH) return { status: 'fail', detail: 'USERNAME and PASSWORD_HASH must be set in .env (dashboard hash-password)' };
  if (!isBcryptHash(env.PASSWORD_HASH)) return { status: 'fail', detail: 'PASSWORD_HASH is not a bcrypt hash (dashboard hash-password makes one)' };
  const l = DEFAULT_LOGIN_LIMITS;
  const tls = Boolean(env.DASHBOARD_TLS_CERT_PATH && env.DASHBOARD_TLS_KEY_PATH);
  const exposed = !(env.LOCAL_IP.startsWith('127.') || env.LOCAL_IP === '::1');
  return {
    status: 'pass',
    detail:
      `login required (user ${env.USERNAME}); ${l.maxFailures} failed logins per ${l.windowMs / 60_000} min lock a client out for ${l.lockoutMs / 60_000} min; ` +
      `controls ${env.DASHBOARD_CONTROLS ? 'on' : 'off (read-only)'}; ${tls ? 'HTTPS' : 'plain HTTP'} on ${env.LOCAL_IP}:${env.LOCAL_PORT}` +
      (exposed && !tls ? ' (reachable from other machines without TLS: serve it over HTTPS or behind a TLS proxy)' : ''),
  };
}
