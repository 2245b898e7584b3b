import type { Client } from '@temporalio/client';
import type { LoadedConfig } from '../activities/config/loadConfig';
import type { LoginLimits } from './loginLimiter';

/** What `startDashboard` is given: the configuration it starts with, its Temporal client and its folders. */
export interface DashboardOptions {
  /**
   * The configuration at start (the worker's copy when `npm start` serves the dashboard): the login,
   * SESSION_TIMEOUT, DASHBOARD_API_TOKEN, the Temporal namespace, REMOTE_IP and the output mode. The
   * settings page reads the files again on every view (docs/dashboard.md, "Where each setting comes from").
   */
  readonly config: LoadedConfig;
  readonly client: Client;
  /** The day workflow id for a date (YYYY-MM-DD); the CLI's `dayIdFor`. */
  readonly dayWorkflowIdFor: (date: string) => string;
  /** The `output/` folder the worker writes (strategy logs, alerts, unresolved orders, trade history). */
  readonly outputDir: string;
  /** Where the dashboard's own logs go (auth_failures.log, access.log): normally output/logs/web. */
  readonly logDir: string;
  readonly host: string;
  /** 0 picks a free port (tests); the chosen one is in the returned url. */
  readonly port: number;
  /** Stop, kill, defense, confirm and settings edits; false serves a read-only dashboard. */
  readonly controlsEnabled: boolean;
  /** Serve HTTPS (cookies are then Secure). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Base URL of the Temporal Web UI; default from TEMPORAL_UI_URL or a local TEMPORAL_ADDRESS. */
  readonly temporalUiUrl?: string | null;
  /** Project folder, for re-reading .env/.env_bot on the settings page; default the working directory. */
  readonly projectDir?: string;
  /** Environment used when re-reading the configuration; default process.env. */
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
  /** How often the status is read and pushed to open pages. Default 2000 ms. */
  readonly pollMs?: number;
  /** Failed logins (and wrong API tokens) allowed per client before a lockout. */
  readonly loginLimits?: LoginLimits;
  /** REMOTE_IP: the reverse proxy whose X-Forwarded-For / -Proto are believed. Default from config. */
  readonly trustProxy?: string | false;
  /** Errors the dashboard survives (a log it cannot write); default stderr. */
  readonly onError?: (message: string) => void;
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}
