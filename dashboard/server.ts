import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { loadConfig, type LoadedConfig } from '../activities/config/loadConfig';
import { isConfigError } from '../domain/config/configError';
import { isIPv4, isIPv6 } from '../domain/config/fieldTypes';
import { redactText, secretValuesOf } from '../domain/config/secrets';
import { outputMode, routingFlagsOf } from '../domain/routing';
import { confirmTradeSignal, defenseModeSignal, killSignal, stopSignal } from '../workflows/tradingDayApi';
import { recentLogEntries, type LogKind } from './logSource';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter, type LoginLimits } from './loginLimiter';
import { checkLogin, isBcryptHash, prepareLogin } from './password';
import { randomToken, sameToken, SessionStore, type Session } from './sessions';
import { editBotSetting, envBotTarget, fileVersion, settingRows } from './settings';
import { StatusSource } from './statusSource';
import { errorPage, loginPage, logsFragment, logsPage, settingsPage, statusFragment, statusPage, type PageContext, type StatusView } from './views';
import { clip, WebLog } from './webLog';
import type { OutputMode } from '../domain/vocabulary';

/*
 * The monitoring dashboard (spec section 13): a small fastify app, server-rendered, with one local
 * stylesheet and one local script. It only reads the day's status through Temporal, reads the log files
 * the worker writes, and (when controls are on) sends the same signals as the CLI. Trading never
 * depends on it: the bot runs the same with it off.
 */

export interface DashboardOptions {
  /** Loaded configuration: login (USERNAME, PASSWORD_HASH), SESSION_TIMEOUT, Temporal namespace, mode. */
  readonly config: LoadedConfig;
  readonly client: Client;
  /** The day workflow id for a date (YYYY-MM-DD); the CLI's `dayIdFor`. */
  readonly dayWorkflowIdFor: (date: string) => string;
  /** The `output/` folder the worker writes (strategy logs, alerts, unresolved orders). */
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

const SESSION_COOKIE = 'tb_session';
const LOGIN_COOKIE = 'tb_login';
const MAX_STREAMS_PER_SESSION = 4;
const MAX_STREAMS = 200;
const PING_MS = 15_000;

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

function readAsset(name: string): Buffer {
  return fs.readFileSync(path.join(__dirname, 'static', name));
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

function validDate(s: unknown): string | null {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) ? s : null;
}

function field(body: unknown, name: string): string {
  const v = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : '';
}

function queryParam(req: FastifyRequest, name: string): string | undefined {
  const q = req.query as Record<string, unknown> | undefined;
  const v = q?.[name];
  return typeof v === 'string' ? v : undefined;
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const login = dashboardLogin(opts.config);
  await prepareLogin(login.passwordHash);
  const projectDir = opts.projectDir ?? process.cwd();
  const onError = opts.onError ?? ((m: string) => process.stderr.write(`dashboard: ${m}\n`));
  let config = opts.config;
  const mode = (): OutputMode => outputMode(routingFlagsOf(config.bot));
  const secrets = () => secretValuesOf(config.env);
  const pollMs = opts.pollMs ?? 2000;
  const temporalUiUrl = opts.temporalUiUrl === undefined ? defaultTemporalUiUrl(config) : opts.temporalUiUrl;
  const sessions = new SessionStore(config.env.SESSION_TIMEOUT * 1000);
  const limiter = new LoginLimiter(opts.loginLimits ?? DEFAULT_LOGIN_LIMITS);
  const webLog = new WebLog(opts.logDir, onError);
  const status = new StatusSource(opts.client, Math.max(250, Math.floor(pollMs / 2)));
  const assets = { 'dashboard.css': readAsset('dashboard.css'), 'dashboard.js': readAsset('dashboard.js') } as const;
  // Compressed once at start for slow links; pages are not compressed (they carry the CSRF token next to
  // reflected input, the BREACH pattern) and stay small instead.
  const gzipped = { 'dashboard.css': zlib.gzipSync(assets['dashboard.css']), 'dashboard.js': zlib.gzipSync(assets['dashboard.js']) } as const;
  const assetVersion = createHash('sha256').update(assets['dashboard.css']).update(assets['dashboard.js']).digest('hex').slice(0, 10);
  const streams = new Set<{ close(): void; sessionId: string }>();
  let settingsChain: Promise<unknown> = Promise.resolve();

  // Forwarded headers are believed only from the proxy's address; REMOTE_IP may also be a host name,
  // which cannot be matched against a peer address, so it is then ignored (and said so).
  const remote = config.env.REMOTE_IP;
  const remoteIp = remote !== undefined && (isIPv4(remote) || isIPv6(remote)) ? remote : undefined;
  if (opts.trustProxy === undefined && remote !== undefined && remoteIp === undefined) {
    onError(`REMOTE_IP=${remote} is not an IP address: X-Forwarded-For and X-Forwarded-Proto are not trusted`);
  }
  const trustProxy = opts.trustProxy ?? remoteIp ?? false;
  const app = Fastify({
    logger: false,
    trustProxy,
    bodyLimit: 16 * 1024,
    // Event streams stay open; closing the dashboard must not wait for them.
    forceCloseConnections: true,
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
  });
  await app.register(fastifyFormbody);
  await app.register(fastifyCookie);

  const isHttps = (req: FastifyRequest) => req.protocol === 'https';

  app.addHook('onRequest', async (req, reply) => {
    reply.header('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts, defeating the origin check.
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    reply.header('X-Robots-Tag', 'noindex, nofollow');
    reply.header('Cache-Control', 'no-store');
    if (isHttps(req)) reply.header('Strict-Transport-Security', 'max-age=31536000');
  });

  app.setErrorHandler((err, _req, reply) => {
    const e = err as Error & { statusCode?: number };
    const code = e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    if (code === 500) onError(redactText(e.stack ?? e.message, secrets()));
    void reply.code(code).type('text/plain; charset=utf-8').send(code === 500 ? 'internal error (logged)' : 'bad request');
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).type('text/plain; charset=utf-8').send('not found');
  });

  const pageCtx = (title: string, nav: PageContext['nav'], s: Session | null): PageContext => {
    const flash = s?.flash ?? null;
    if (s) s.flash = null;
    return { title, nav, user: s?.user ?? null, csrf: s?.csrf ?? null, assetVersion, flash };
  };

  const sessionOf = (req: FastifyRequest): Session | null => sessions.get(req.cookies[SESSION_COOKIE]);

  /** The session, or null after answering: a redirect to the login page for pages, 401 otherwise. */
  const requireSession = (req: FastifyRequest, reply: FastifyReply, html = true): Session | null => {
    const s = sessionOf(req);
    if (s) return s;
    if (html) void reply.redirect('/login', 303);
    else void reply.code(401).type('text/plain; charset=utf-8').send('login required');
    return null;
  };

  /**
   * CSRF: the form's token must equal the session's (synchronizer token), and a browser's Origin (or
   * Referer) must be this site. Either alone would do against today's browsers; both cost nothing.
   */
  const sameOrigin = (req: FastifyRequest): boolean => {
    const origin = req.headers.origin ?? (typeof req.headers.referer === 'string' ? safeOrigin(req.headers.referer) : undefined);
    if (origin === undefined || origin === 'null') return origin === undefined;
    return origin === `${req.protocol}://${req.host}`;
  };
  const csrfOk = (req: FastifyRequest, expected: string): boolean => sameToken(field(req.body, '_csrf'), expected) && sameOrigin(req);

  const cookieOpts = (req: FastifyRequest, maxAge: number, cookiePath = '/') =>
    ({ httpOnly: true, sameSite: 'strict', secure: isHttps(req), path: cookiePath, maxAge }) as const;

  const clientOf = (req: FastifyRequest) => req.ip;

  // ------------------------------------------------------------------------------------------
  // Public: robots.txt, assets, login.

  app.get('/robots.txt', async (_req, reply) => {
    void reply.header('Cache-Control', 'public, max-age=86400').type('text/plain; charset=utf-8');
    return 'User-agent: *\nDisallow: /\n';
  });
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/healthz', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok\n'));
  app.get<{ Params: { file: string } }>('/static/:file', async (req, reply) => {
    const name = req.params.file;
    if (name !== 'dashboard.css' && name !== 'dashboard.js') return reply.code(404).send('not found');
    void reply.header('Cache-Control', 'public, max-age=86400, immutable').header('Vary', 'Accept-Encoding');
    void reply.type(name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('Content-Encoding', 'gzip').send(gzipped[name]);
    return reply.send(assets[name]);
  });

  const showLogin = (req: FastifyRequest, reply: FastifyReply, code: number, error: string | null, user = '') => {
    const token = randomToken();
    void reply.setCookie(LOGIN_COOKIE, token, cookieOpts(req, 3600, '/login'));
    return reply.code(code).type('text/html; charset=utf-8').send(loginPage(pageCtx('Log in', null, null), { csrf: token, error, user }));
  };

  app.get('/login', async (req, reply) => {
    if (sessionOf(req)) return reply.redirect('/', 303);
    return showLogin(req, reply, 200, null);
  });

  app.post('/login', async (req, reply) => {
    const client = clientOf(req);
    const user = field(req.body, 'username');
    const password = field(req.body, 'password');
    const lockedMs = limiter.lockedFor(client);
    const lockedText = (ms: number) => `Too many failed attempts from your address; try again in ${Math.ceil(ms / 60_000)} minute(s).`;
    if (lockedMs > 0) {
      webLog.authFailure({ event: 'login_refused', reason: 'locked_out', client, user: clip(user) });
      void reply.header('Retry-After', String(Math.ceil(lockedMs / 1000)));
      return showLogin(req, reply, 429, lockedText(lockedMs), user);
    }
    if (!sameToken(field(req.body, '_csrf'), req.cookies[LOGIN_COOKIE]) || !sameOrigin(req)) {
      webLog.authFailure({ event: 'login_refused', reason: 'csrf', client, user: clip(user) });
      return showLogin(req, reply, 403, 'The login form expired; please try again.', user);
    }
    if (!(await checkLogin(login, user, password))) {
      const lockout = limiter.fail(client);
      webLog.authFailure({ event: 'login_failed', reason: 'bad_credentials', client, user: clip(user), locked_out: lockout > 0 });
      if (lockout > 0) {
        void reply.header('Retry-After', String(Math.ceil(lockout / 1000)));
        return showLogin(req, reply, 429, lockedText(lockout), user);
      }
      return showLogin(req, reply, 401, 'Wrong user name or password.', user);
    }
    limiter.succeed(client);
    const old = sessionOf(req);
    if (old) sessions.delete(old.id);
    // A new id at every login (no session fixation).
    const s = sessions.create(user, client);
    webLog.access({ event: 'login', user, client });
    void reply.clearCookie(LOGIN_COOKIE, { path: '/login' });
    void reply.setCookie(SESSION_COOKIE, s.id, cookieOpts(req, sessions.secondsLeft(s)));
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (req, reply) => {
    const s = requireSession(req, reply);
    if (!s) return reply;
    if (!csrfOk(req, s.csrf)) return reply.code(403).type('text/plain; charset=utf-8').send('bad or missing CSRF token');
    sessions.delete(s.id);
    for (const st of streams) if (st.sessionId === s.id) st.close();
    webLog.access({ event: 'logout', user: s.user, client: clientOf(req) });
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  // ------------------------------------------------------------------------------------------
  // Status.

  const statusView = async (req: FastifyRequest, s: Session): Promise<StatusView> => {
    const date = validDate(queryParam(req, 'date')) ?? todayUtc();
    const result = await status.get(opts.dayWorkflowIdFor(date));
    return { date, result, temporalUiUrl, namespace: config.env.TEMPORAL_NAMESPACE, controlsEnabled: opts.controlsEnabled, csrf: s.csrf };
  };

  app.get('/', async (req, reply) => {
    const s = requireSession(req, reply);
    if (!s) return reply;
    const v = await statusView(req, s);
    return reply.type('text/html; charset=utf-8').send(statusPage(pageCtx('Status', 'status', s), v));
  });

  app.get('/status/fragment', async (req, reply) => {
    const s = requireSession(req, reply, false);
    if (!s) return reply;
    return reply.type('text/html; charset=utf-8').send(statusFragment(await statusView(req, s)));
  });

  app.get('/status.json', async (req, reply) => {
    const s = requireSession(req, reply, false);
    if (!s) return reply;
    const v = await statusView(req, s);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(v.result));
  });

  app.get('/events', async (req, reply) => {
    const s = requireSession(req, reply, false);
    if (!s) return reply;
    const mine = [...streams].filter((x) => x.sessionId === s.id).length;
    if (mine >= MAX_STREAMS_PER_SESSION || streams.size >= MAX_STREAMS) {
      return reply.code(429).type('text/plain; charset=utf-8').send('too many open live views');
    }
    const date = validDate(queryParam(req, 'date')) ?? todayUtc();
    const workflowId = opts.dayWorkflowIdFor(date);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // Tell nginx-style proxies not to buffer the stream.
      'X-Accel-Buffering': 'no',
      ...(reply.getHeaders() as Record<string, string>),
    });
    res.write('retry: 3000\n\n');
    let last = '';
    let lastWrite = Date.now();
    let busy = false;
    const send = (event: string, data: string) => {
      // Each line of the payload is one `data:` line; the browser joins them with newlines again.
      res.write(`event: ${event}\n${data.split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`);
      lastWrite = Date.now();
    };
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        if (sessions.get(s.id) === null) {
          send('expired', 'session ended');
          stream.close();
          return;
        }
        const result = await status.get(workflowId);
        const html = statusFragment({ date, result, temporalUiUrl, namespace: config.env.TEMPORAL_NAMESPACE, controlsEnabled: opts.controlsEnabled, csrf: s.csrf });
        if (html !== last) {
          last = html;
          send('status', html);
        } else if (Date.now() - lastWrite >= PING_MS) send('ping', '');
      } catch (err) {
        onError(`live status: ${(err as Error).message}`);
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), pollMs);
    const stream = {
      sessionId: s.id,
      close() {
        clearInterval(timer);
        streams.delete(stream);
        res.end();
      },
    };
    streams.add(stream);
    req.raw.on('close', () => {
      clearInterval(timer);
      streams.delete(stream);
    });
    await tick();
  });

  // ------------------------------------------------------------------------------------------
  // Logs.

  const logKind = (req: FastifyRequest): LogKind | 'all' => {
    const k = queryParam(req, 'kind');
    return k === 'strategy' || k === 'alert' || k === 'error' ? k : 'all';
  };
  const entriesFor = (kind: LogKind | 'all') => {
    const entries = recentLogEntries(opts.outputDir, mode(), { kinds: kind === 'all' ? undefined : [kind], limit: 200 });
    const sec = secrets();
    // Defence in depth: the writers redact, and so does the page.
    return entries.map((e) => ({ ...e, message: redactText(e.message, sec), detail: redactText(e.detail, sec) }));
  };

  app.get('/logs', async (req, reply) => {
    const s = requireSession(req, reply);
    if (!s) return reply;
    const kind = logKind(req);
    return reply.type('text/html; charset=utf-8').send(logsPage(pageCtx('Logs', 'logs', s), { kind, entries: entriesFor(kind), mode: mode() }));
  });

  app.get('/logs/fragment', async (req, reply) => {
    const s = requireSession(req, reply, false);
    if (!s) return reply;
    return reply.type('text/html; charset=utf-8').send(logsFragment(entriesFor(logKind(req))));
  });

  // ------------------------------------------------------------------------------------------
  // Settings.

  const reloadConfig = async (): Promise<string | null> => {
    try {
      const fresh = await loadConfig({
        cwd: projectDir,
        envPath: config.sources.env ?? undefined,
        envBotPath: config.sources.envBot ?? undefined,
        versionFile: config.sources.versionFile,
        processEnv: opts.processEnv,
      });
      config = fresh;
      return null;
    } catch (err) {
      if (isConfigError(err)) return redactText(`the configuration files now have problems (showing the last valid values): ${err.problems.join('; ')}`, secrets());
      throw err;
    }
  };

  app.get('/settings', async (req, reply) => {
    const s = requireSession(req, reply);
    if (!s) return reply;
    const problem = await reloadConfig();
    const rows = settingRows(config);
    const target = envBotTarget(config, projectDir);
    const ctx = pageCtx('Settings', 'settings', s);
    const flash = ctx.flash ?? (problem ? { kind: 'error' as const, text: problem } : null);
    const src = config.sources;
    const sources = `.env: ${src.env ?? 'none (defaults)'}; .env_bot: ${src.envBot ?? 'none (defaults)'}${src.envBotEncrypted ? ' (encrypted)' : ''}`;
    return reply.type('text/html; charset=utf-8').send(
      settingsPage(
        { ...ctx, flash },
        {
          env: rows.env,
          bot: rows.bot,
          sources,
          csrf: s.csrf,
          edit: opts.controlsEnabled && target.editable ? { file: target.file, version: fileVersion(target.file), keys: rows.bot.map((r) => r.key) } : null,
          editNote: opts.controlsEnabled ? target.why : 'Editing is switched off (read-only dashboard; DASHBOARD_CONTROLS=false).',
        },
      ),
    );
  });

  app.post('/settings', async (req, reply) => {
    const s = requireSession(req, reply);
    if (!s) return reply;
    if (!csrfOk(req, s.csrf)) return forbidden(req, reply, s, 'csrf');
    if (!opts.controlsEnabled) return reply.code(403).type('text/html; charset=utf-8').send(errorPage(pageCtx('Read-only', null, s), 'Read-only dashboard', 'Editing is switched off (DASHBOARD_CONTROLS=false).'));
    const key = field(req.body, 'key');
    const value = field(req.body, 'value');
    const run = settingsChain.then(() =>
      editBotSetting({ config, projectDir, key, value, version: field(req.body, 'version'), processEnv: opts.processEnv }),
    );
    settingsChain = run.catch(() => undefined);
    const r = await run;
    if (r.ok) {
      config = r.config;
      webLog.access({ event: 'settings', user: s.user, client: clientOf(req), key: r.key, from: r.from, to: r.to });
      s.flash = { kind: 'ok', text: `${r.key} changed from "${r.from}" to "${r.to}". The worker uses it from its next start.` };
    } else {
      webLog.access({ event: 'settings', outcome: 'refused', user: s.user, client: clientOf(req), key: clip(key) });
      s.flash = { kind: 'error', text: `Not saved: ${r.problems.join('; ')}` };
    }
    return reply.redirect('/settings', 303);
  });

  // ------------------------------------------------------------------------------------------
  // Controls: the same signals as the CLI, each recorded with who sent it.

  const forbidden = (req: FastifyRequest, reply: FastifyReply, s: Session, reason: string) => {
    webLog.authFailure({ event: 'request_refused', reason, client: clientOf(req), user: s.user, path: req.url });
    return reply.code(403).type('text/html; charset=utf-8').send(errorPage(pageCtx('Refused', null, s), 'Request refused', 'The form was stale or came from another site. Reload the page and try again.'));
  };

  app.post<{ Params: { action: string } }>('/control/:action', async (req, reply) => {
    const s = requireSession(req, reply);
    if (!s) return reply;
    if (!csrfOk(req, s.csrf)) return forbidden(req, reply, s, 'csrf');
    if (!opts.controlsEnabled) {
      return reply.code(403).type('text/html; charset=utf-8').send(errorPage(pageCtx('Read-only', null, s), 'Read-only dashboard', 'Controls are switched off (DASHBOARD_CONTROLS=false).'));
    }
    const date = validDate(field(req.body, 'date')) ?? todayUtc();
    const workflowId = opts.dayWorkflowIdFor(date);
    const client = clientOf(req);
    const by = `dashboard:${clip(s.user, 64)}@${client}`;
    const reason = clip(field(req.body, 'reason').trim(), 200) || undefined;
    const back = () => reply.redirect(`/?date=${encodeURIComponent(date)}`, 303);
    const handle = opts.client.workflow.getHandle(workflowId);
    const action = req.params.action;
    let done: string;
    let detail: string | undefined;
    try {
      switch (action) {
        case 'stop':
          await handle.signal(stopSignal, { by, reason });
          done = 'Stop sent: positions are being exited and the day will end.';
          break;
        case 'kill':
          await handle.signal(killSignal, { by, reason: reason ?? 'dashboard kill switch' });
          done = 'Kill sent: new entries halted, positions being exited.';
          break;
        case 'defense': {
          const active = field(req.body, 'active');
          if (active !== 'on' && active !== 'off') return reply.code(400).send('active must be on or off');
          await handle.signal(defenseModeSignal, { active: active === 'on', by, reason });
          detail = active;
          done = `Defense mode ${active} sent.`;
          break;
        }
        case 'confirm': {
          const symbol = field(req.body, 'symbol').trim().toUpperCase();
          const decision = field(req.body, 'decision');
          if (!/^[A-Z][A-Z0-9.-]{0,11}$/.test(symbol) || (decision !== 'approve' && decision !== 'reject')) {
            s.flash = { kind: 'error', text: 'A confirmation needs a symbol (letters, digits, . or -) and approve or reject.' };
            return back();
          }
          await handle.signal(confirmTradeSignal, { symbol, approve: decision === 'approve', by });
          detail = `${symbol} ${decision}`;
          done = `${decision === 'approve' ? 'Approval' : 'Rejection'} of ${symbol} sent.`;
          break;
        }
        default:
          return reply.code(404).send('not found');
      }
    } catch (err) {
      const msg =
        err instanceof WorkflowNotFoundError
          ? `no running trading day ${workflowId}`
          : redactText((err as Error).message ?? String(err), secrets());
      webLog.access({ event: 'control', action, outcome: 'failed', user: s.user, client, workflowId, detail, error: clip(msg, 300) });
      s.flash = { kind: 'error', text: `${action} was not sent: ${msg}` };
      return back();
    }
    webLog.access({ event: 'control', action, outcome: 'sent', user: s.user, client, workflowId, detail, reason });
    status.invalidate(workflowId);
    s.flash = { kind: 'ok', text: done };
    return back();
  });

  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${hostForUrl}:${port}`,
    async close() {
      for (const st of [...streams]) st.close();
      await app.close();
    },
  };
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}
