import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { startDashboard, type Dashboard, type DashboardOptions } from '../../dashboard/server';
import { hashPassword } from '../../dashboard/password';
import type { DayStatus } from '../../workflows/tradingDayApi';

/* Shared by the dashboard unit tests: a scripted Temporal client, a project folder, a logged-in fetch. */

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const USER = 'operator';
export const PASSWORD = 'a long enough password';

export function sampleStatus(over: Partial<DayStatus> = {}): DayStatus {
  return {
    workflowId: 'tradebot-day-paper-2025-04-09',
    date: '2025-04-09',
    state: 'trading',
    mode: 'paper',
    testMode: true,
    defenseMode: false,
    currentSession: 'open',
    sessions: [
      {
        strategy: 'open',
        workflowId: 'tradebot-day-paper-2025-04-09-open',
        state: 'trading',
        scheduledStart: '2025-04-09T14:30:00.000Z',
        actualStart: '2025-04-09T14:30:02.000Z',
        candidates: ['TQQQ'],
        signals: 2,
        entries: 1,
        exits: 0,
        positions: [
          { underlying: 'TQQQ', ticker: 'TQQQ', side: 'long', size: 10, entryPrice: 50.5, currentPrice: 51.25, unrealizedPnl: 7.5 },
        ],
        realizedPnl: -1.25,
        tradedTickers: ['TQQQ'],
        pendingConfirmation: null,
        notes: [],
        errors: 0,
        executionSeconds: [],
        connectivity: { broker: 'ok', data: 'ok' },
        retries: 0,
        escalations: 0,
      },
    ],
    scheduledStarts: { open: '2025-04-09T14:30:00.000Z' },
    warnings: [],
    haltReason: null,
    killed: false,
    stopped: false,
    signals: 2,
    entries: 1,
    exits: 0,
    realizedPnl: -1.25,
    unrealizedPnl: 7.5,
    brokerConnectivity: { sim: 'ok' },
    dataConnectivity: 'ok',
    retries: 0,
    escalations: 0,
    errors: 0,
    ...over,
  };
}

export interface FakeTemporal {
  readonly client: Client;
  readonly signals: { workflowId: string; name: string; arg: unknown }[];
  /** What the next status reads return; 'missing' for no such workflow. */
  day: { running: boolean; status: DayStatus } | 'missing';
  queries: number;
}

/** Just the client calls the dashboard makes: describe, query, result, signal, withDeadline. */
export function fakeTemporal(): FakeTemporal {
  const fake: FakeTemporal = {
    client: undefined as unknown as Client,
    signals: [],
    day: { running: true, status: sampleStatus() },
    queries: 0,
  };
  const handle = (workflowId: string) => ({
    async describe() {
      if (fake.day === 'missing') throw new WorkflowNotFoundError('workflow not found', workflowId, undefined);
      return { status: { name: fake.day.running ? 'RUNNING' : 'COMPLETED' } };
    },
    async query() {
      fake.queries++;
      if (fake.day === 'missing') throw new WorkflowNotFoundError('workflow not found', workflowId, undefined);
      return fake.day.status;
    },
    async result() {
      if (fake.day === 'missing') throw new WorkflowNotFoundError('workflow not found', workflowId, undefined);
      return { finalStatus: fake.day.status };
    },
    async signal(def: { name: string } | string, arg: unknown) {
      if (fake.day === 'missing') throw new WorkflowNotFoundError('workflow not found', workflowId, undefined);
      fake.signals.push({ workflowId, name: typeof def === 'string' ? def : def.name, arg });
    },
  });
  (fake as { client: Client }).client = {
    workflow: { getHandle: handle },
    connection: { withDeadline: <T>(_d: unknown, fn: () => Promise<T>) => fn() },
  } as unknown as Client;
  return fake;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tradebot-${prefix}-`));
}

/** A project folder with .env (login) and .env_bot, loaded as the dashboard command loads it. */
export async function projectWith(opts: { env?: string; bot?: string; cost?: number } = {}): Promise<{ dir: string; config: LoadedConfig }> {
  const dir = tempDir('dash-unit');
  const hash = await hashPassword(PASSWORD, opts.cost ?? 4);
  fs.writeFileSync(path.join(dir, '.env'), `USERNAME=${USER}\nPASSWORD_HASH=${hash}\n${opts.env ?? ''}`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, '.env_bot'), opts.bot ?? 'TEST_MODE=true\n');
  const config = await loadConfig({ cwd: dir, versionFile: path.join(REPO_ROOT, 'VERSION.md'), processEnv: {} });
  return { dir, config };
}

export async function startTestDashboard(
  config: LoadedConfig,
  dir: string,
  fake: FakeTemporal,
  over: Partial<DashboardOptions> = {},
): Promise<Dashboard> {
  return startDashboard({
    config,
    client: fake.client,
    dayWorkflowIdFor: (date) => `tradebot-day-paper-${date}`,
    outputDir: path.join(dir, 'output'),
    logDir: path.join(dir, 'output', 'logs', 'web'),
    host: '127.0.0.1',
    port: 0,
    controlsEnabled: true,
    projectDir: dir,
    processEnv: {},
    pollMs: 100,
    temporalUiUrl: 'http://127.0.0.1:8233',
    onError: () => undefined,
    ...over,
  });
}

/** A browser-like HTTP client: keeps cookies, sends the page's Origin, never follows redirects. */
export class Browserish {
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly base: string,
    private readonly fetchOpts: { dispatcher?: unknown } = {},
  ) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async request(p: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin ??= this.base;
    }
    const res = await fetch(`${this.base}${p}`, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual', ...this.fetchOpts } as RequestInit);
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq);
      const value = (pair ?? '').slice(eq + 1);
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, headers: res.headers, text: await res.text(), setCookies: res.headers.getSetCookie() };
  }

  /** The form's hidden CSRF token on a page. */
  static token(html: string, action?: string): string {
    const scope = action === undefined ? html : html.slice(html.indexOf(`action="${action}"`));
    const m = /name="_csrf" value="([^"]+)"/.exec(scope);
    if (!m?.[1]) throw new Error(`no CSRF token${action ? ` in the ${action} form` : ''}`);
    return m[1];
  }

  async login(user = USER, password = PASSWORD) {
    const page = await this.request('/login');
    return this.request('/login', { form: { _csrf: Browserish.token(page.text), username: user, password } });
  }
}
