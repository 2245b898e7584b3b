import type { Client } from '@temporalio/client';
import type { LoadedConfig } from '../../activities/config/loadConfig';
import { isIPv4, isIPv6 } from '../../domain/config/fieldTypes';
import { secretValuesOf } from '../../domain/config/secrets';
import { outputMode, routingFlagsOf } from '../../domain/routing';
import type { OutputMode } from '../../domain/vocabulary';
import { defaultTemporalUiUrl, dashboardLogin } from '../login';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from '../loginLimiter';
import type { DashboardOptions } from '../options';
import { SessionStore } from '../sessions';
import { StatusSource } from '../statusSource';
import { TradeSource } from '../trades/tradeSource';
import { WebLog } from '../webLog';
import { loadAssets, type Assets } from './assets';

/**
 * What the route plugins share: the start configuration's values (login, secrets, endpoints, guards),
 * the in-memory sessions and limiters, the web logs, the shared status reader and the open live views.
 * Built once by startDashboard; only the settings plugin reads the configuration files again.
 */
export interface DashboardContext {
  readonly config: LoadedConfig;
  readonly login: { readonly username: string; readonly passwordHash: string };
  /** Where the worker's outputs go (`_paper` or `_live` files), from the start configuration. */
  readonly mode: OutputMode;
  /** Every configured secret value: scrubbed from pages, logs and errors. */
  readonly secrets: readonly string[];
  readonly apiToken: string | null;
  readonly client: Client;
  readonly dayWorkflowIdFor: (date: string) => string;
  readonly outputDir: string;
  readonly projectDir: string;
  readonly processEnv: Readonly<Record<string, string | undefined>> | undefined;
  readonly controlsEnabled: boolean;
  readonly pollMs: number;
  readonly temporalUiUrl: string | null;
  readonly trustProxy: string | false;
  readonly sessions: SessionStore;
  readonly loginLimiter: LoginLimiter;
  /** Wrong API tokens, counted per client like failed logins. */
  readonly apiLimiter: LoginLimiter;
  readonly webLog: WebLog;
  readonly status: StatusSource;
  readonly trades: TradeSource;
  readonly streams: Set<LiveStream>;
  readonly assets: Assets;
  readonly onError: (message: string) => void;
}

/** One open live status view (server-sent events), closed at logout or shutdown. */
export interface LiveStream {
  readonly sessionId: string;
  close(): void;
}

export function createContext(opts: DashboardOptions): DashboardContext {
  const config = opts.config;
  const onError = opts.onError ?? ((m: string) => process.stderr.write(`dashboard: ${m}\n`));
  const pollMs = opts.pollMs ?? 2000;
  const limits = opts.loginLimits ?? DEFAULT_LOGIN_LIMITS;
  return {
    config,
    login: dashboardLogin(config),
    mode: outputMode(routingFlagsOf(config.bot)),
    secrets: secretValuesOf(config.env),
    apiToken: config.env.DASHBOARD_API_TOKEN ?? null,
    client: opts.client,
    dayWorkflowIdFor: opts.dayWorkflowIdFor,
    outputDir: opts.outputDir,
    projectDir: opts.projectDir ?? process.cwd(),
    processEnv: opts.processEnv,
    controlsEnabled: opts.controlsEnabled,
    pollMs,
    temporalUiUrl: opts.temporalUiUrl === undefined ? defaultTemporalUiUrl(config) : opts.temporalUiUrl,
    trustProxy: trustedProxy(opts, onError),
    sessions: new SessionStore(config.env.SESSION_TIMEOUT * 1000),
    loginLimiter: new LoginLimiter(limits),
    apiLimiter: new LoginLimiter(limits),
    webLog: new WebLog(opts.logDir, onError),
    status: new StatusSource(opts.client, Math.max(250, Math.floor(pollMs / 2))),
    trades: new TradeSource(opts.outputDir),
    streams: new Set(),
    assets: loadAssets(),
    onError,
  };
}

/**
 * Forwarded headers are believed only from the proxy's address; REMOTE_IP may also be a host name,
 * which cannot be matched against a peer address, so it is then ignored (and said so).
 */
function trustedProxy(opts: DashboardOptions, onError: (m: string) => void): string | false {
  if (opts.trustProxy !== undefined) return opts.trustProxy;
  const remote = opts.config.env.REMOTE_IP;
  if (remote === undefined) return false;
  if (isIPv4(remote) || isIPv6(remote)) return remote;
  onError(`REMOTE_IP=${remote} is not an IP address: X-Forwarded-For and X-Forwarded-Proto are not trusted`);
  return false;
}
