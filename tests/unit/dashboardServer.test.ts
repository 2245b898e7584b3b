import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LoadedConfig } from '../../activities/config/loadConfig';
import { dashboardCheck } from '../../dashboard/check';
import { dashboardLogin, defaultTemporalUiUrl, type Dashboard } from '../../dashboard/server';
import { Browserish, fakeTemporal, PASSWORD, projectWith, sampleStatus, startTestDashboard, USER, type FakeTemporal } from './dashboardFixtures';

/*
 * The dashboard's HTTP behaviour with a scripted Temporal client: login, sessions, CSRF, controls,
 * read-only mode, headers, live events, escaping. The real-browser, real-Temporal flow is in
 * tests/e2e/dashboard.test.ts.
 */

/** Sets what the fake day answers, and waits until the dashboard's shared answer has expired. */
async function setDay(fake: FakeTemporal, day: FakeTemporal['day']): Promise<void> {
  fake.day = day;
  await new Promise((r) => setTimeout(r, 300));
}

function readLines(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('dashboard server', () => {
  let dir: string;
  let config: LoadedConfig;
  let fake: FakeTemporal;
  let dash: Dashboard;
  const web = () => path.join(dir, 'output', 'logs', 'web');

  before(async () => {
    ({ dir, config } = await projectWith());
    fake = fakeTemporal();
    dash = await startTestDashboard(config, dir, fake);
  });
  after(async () => {
    await dash.close();
  });

  test('public: robots.txt disallows everything; security headers on every answer', async () => {
    const b = new Browserish(dash.url);
    const robots = await b.request('/robots.txt');
    assert.equal(robots.text, 'User-agent: *\nDisallow: /\n');
    const login = await b.request('/login');
    assert.equal(login.status, 200);
    const csp = login.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(login.headers.get('x-frame-options'), 'DENY');
    assert.equal(login.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(login.headers.get('cache-control'), 'no-store');
    assert.match(login.headers.get('x-robots-tag') ?? '', /noindex/);
    assert.ok(!/<script>/.test(login.text), 'no inline script');
    assert.ok(!/https?:\/\/(?!127\.0\.0\.1)/.test(login.text), 'nothing loaded from elsewhere');
    for (const asset of ['/static/dashboard.css', '/static/dashboard.js']) {
      const r = await b.request(asset, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-encoding'), 'gzip', 'assets are compressed for slow links');
      assert.match(r.headers.get('cache-control') ?? '', /immutable/);
    }
    assert.equal((await b.request('/static/..%2fserver.ts')).status, 404);
  });

  test('every page and API needs a login', async () => {
    const b = new Browserish(dash.url);
    for (const p of ['/', '/logs', '/settings']) {
      const r = await b.request(p);
      assert.equal(r.status, 303, p);
      assert.equal(r.headers.get('location'), '/login');
    }
    for (const p of ['/status.json', '/status/fragment', '/events', '/logs/fragment']) assert.equal((await b.request(p)).status, 401, p);
    const post = await b.request('/control/stop', { form: { date: '2025-04-09' } });
    assert.equal(post.status, 303);
    assert.deepEqual(fake.signals, []);
  });

  test('login: wrong name or password refused and logged; the login form needs its CSRF token', async () => {
    const b = new Browserish(dash.url);
    const wrongPw = await b.login(USER, 'wrong password here');
    assert.equal(wrongPw.status, 401);
    assert.match(wrongPw.text, /Wrong user name or password/);
    const wrongUser = await b.login('mallory', 'a long enough password');
    assert.equal(wrongUser.status, 401);
    const noToken = await b.request('/login', { form: { username: USER, password: 'x' } });
    assert.equal(noToken.status, 403);
    const failures = readLines(path.join(web(), 'auth_failures.log'));
    assert.deepEqual(failures.map((f) => [f.reason, f.user]), [['bad_credentials', USER], ['bad_credentials', 'mallory'], ['csrf', USER]]);
    assert.ok(!fs.readFileSync(path.join(web(), 'auth_failures.log'), 'utf8').includes('wrong password here'));
  });

  test('login: success sets an HttpOnly SameSite=Strict cookie for SESSION_TIMEOUT and logs to access.log', async () => {
    const b = new Browserish(dash.url);
    const r = await b.login();
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/');
    const cookie = r.setCookies.find((c) => c.startsWith('tb_session=')) ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, new RegExp(`Max-Age=(${config.env.SESSION_TIMEOUT}|${config.env.SESSION_TIMEOUT - 1})`));
    assert.doesNotMatch(cookie, /Secure/, 'plain HTTP');
    const page = await b.request('/');
    assert.equal(page.status, 200);
    assert.match(page.text, /Trading day 2025-|Trading day \d{4}-/);
    const access = readLines(path.join(web(), 'access.log')).filter((a) => a.event === 'login');
    assert.equal(access.at(-1)?.user, USER);
    assert.equal(access.at(-1)?.client, '127.0.0.1');
  });

  test('status page: state, counts, positions, PnL, brokers, flags, Temporal link; all escaped', async () => {
    await setDay(fake, {
      running: true,
      status: sampleStatus({ defenseMode: true, warnings: ['<script>alert(1)</script>'], haltReason: null }),
    });
    const b = new Browserish(dash.url);
    await b.login();
    const page = await b.request('/?date=2025-04-09');
    const t = page.text;
    // Small enough for a slow link: the page itself, the (cached, compressed) assets aside.
    assert.ok(Buffer.byteLength(t) < 12_000, `status page is ${Buffer.byteLength(t)} bytes`);
    assert.match(t, /id="day-state">trading</);
    assert.match(t, /id="test-mode">TEST_MODE</);
    assert.match(t, /id="defense-mode">DEFENSE MODE</);
    assert.match(t, /id="counts">2 \/ 1 \/ 0</);
    assert.match(t, /id="realized-pnl">-1\.25</);
    assert.match(t, /id="unrealized-pnl">\+7\.50</);
    assert.match(t, /id="total-pnl">\+6\.25</);
    assert.match(t, /sim: <span class="conn-ok">ok/);
    assert.match(t, /<td>TQQQ<\/td><td class="num">10<\/td><td class="num">50\.50<\/td><td class="num">51\.25<\/td><td class="num pos">\+7\.50<\/td>/);
    assert.match(t, />14:30:00Z<\/td><td>14:30:02Z</);
    assert.match(t, /href="http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/tradebot-day-paper-2025-04-09"/);
    assert.ok(!t.includes('<script>alert(1)</script>'));
    assert.ok(t.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    const json = JSON.parse((await b.request('/status.json?date=2025-04-09')).text) as { kind: string; status: { entries: number } };
    assert.equal(json.kind, 'ok');
    assert.equal(json.status.entries, 1);
  });

  test('status page: a day not started yet, and a finished day read from its result', async () => {
    const b = new Browserish(dash.url);
    await b.login();
    await setDay(fake, 'missing');
    assert.match((await b.request('/?date=2030-01-02')).text, /No trading day workflow <code>tradebot-day-paper-2030-01-02<\/code>/);
    await setDay(fake, { running: false, status: sampleStatus({ state: 'done', stopped: true, sessions: [] }) });
    const done = await b.request('/?date=2030-01-03');
    assert.match(done.text, /id="day-state">done</);
    assert.match(done.text, /finished/);
    assert.match(done.text, /No open positions/);
  });

  test('controls send the signals with who sent them, and are recorded', async () => {
    await setDay(fake, { running: true, status: sampleStatus({ sessions: [{ ...sampleStatus().sessions[0]!, pendingConfirmation: 'SQQQ' }] }) });
    fake.signals.length = 0;
    const b = new Browserish(dash.url);
    await b.login();
    const page = await b.request('/?date=2025-04-09');
    const token = Browserish.token(page.text, '/control/stop');
    assert.match(page.text, /<strong>SQQQ<\/strong> \(open\)/, 'the pending trade is shown with its buttons');
    const post = (action: string, form: Record<string, string>) => b.request(`/control/${action}`, { form: { _csrf: token, date: '2025-04-09', ...form } });
    assert.equal((await post('stop', {})).status, 303);
    assert.equal((await post('kill', { reason: 'drill' })).status, 303);
    assert.equal((await post('defense', { active: 'on' })).status, 303);
    assert.equal((await post('confirm', { symbol: 'sqqq', decision: 'reject' })).status, 303);
    const by = `dashboard:${USER}@127.0.0.1`;
    assert.deepEqual(fake.signals, [
      { workflowId: 'tradebot-day-paper-2025-04-09', name: 'stop', arg: { by, reason: undefined } },
      { workflowId: 'tradebot-day-paper-2025-04-09', name: 'kill', arg: { by, reason: 'drill' } },
      { workflowId: 'tradebot-day-paper-2025-04-09', name: 'defenseMode', arg: { active: true, by, reason: undefined } },
      { workflowId: 'tradebot-day-paper-2025-04-09', name: 'confirmTrade', arg: { symbol: 'SQQQ', approve: false, by } },
    ]);
    const flash = await b.request('/?date=2025-04-09');
    assert.match(flash.text, /Rejection of SQQQ sent/);
    const controls = readLines(path.join(web(), 'access.log')).filter((a) => a.event === 'control');
    assert.deepEqual(controls.map((c) => [c.action, c.outcome, c.user]).slice(-4), [
      ['stop', 'sent', USER],
      ['kill', 'sent', USER],
      ['defense', 'sent', USER],
      ['confirm', 'sent', USER],
    ]);
    // A bad symbol is refused before anything is sent.
    await post('confirm', { symbol: '<x>', decision: 'approve' });
    assert.equal(fake.signals.length, 4);
  });

  test('a control for a day that does not exist says so and sends nothing', async () => {
    await setDay(fake, 'missing');
    const b = new Browserish(dash.url);
    await b.login();
    const token = Browserish.token((await b.request('/')).text, '/control/stop');
    await b.request('/control/stop', { form: { _csrf: token, date: '2030-01-02' } });
    assert.match((await b.request('/?date=2030-01-02')).text, /stop was not sent: no running trading day tradebot-day-paper-2030-01-02/);
    const last = readLines(path.join(web(), 'access.log')).at(-1);
    assert.equal(last?.outcome, 'failed');
    await setDay(fake, { running: true, status: sampleStatus() });
  });

  test('CSRF: a wrong token, another origin or a token of another session is refused', async () => {
    fake.signals.length = 0;
    const a = new Browserish(dash.url);
    const b = new Browserish(dash.url);
    await a.login();
    await b.login();
    const tokenA = Browserish.token((await a.request('/')).text, '/control/stop');
    const tokenB = Browserish.token((await b.request('/')).text, '/control/stop');
    assert.notEqual(tokenA, tokenB);
    assert.equal((await a.request('/control/kill', { form: { _csrf: 'forged', date: '2025-04-09' } })).status, 403);
    assert.equal((await a.request('/control/kill', { form: { _csrf: tokenB, date: '2025-04-09' } })).status, 403);
    assert.equal((await a.request('/control/kill', { form: { _csrf: tokenA, date: '2025-04-09' }, headers: { origin: 'https://evil.example' } })).status, 403);
    assert.equal((await a.request('/control/kill', { form: { _csrf: tokenA, date: '2025-04-09' }, headers: { origin: 'null' } })).status, 403);
    assert.equal((await a.request('/logout', { form: { _csrf: 'forged' } })).status, 403);
    assert.deepEqual(fake.signals, []);
  });

  test('logout ends the session; its cookie no longer opens anything', async () => {
    const b = new Browserish(dash.url);
    await b.login();
    const id = b.cookie('tb_session');
    const token = Browserish.token((await b.request('/')).text, '/logout');
    const out = await b.request('/logout', { form: { _csrf: token } });
    assert.equal(out.status, 303);
    const replay = await fetch(`${dash.url}/`, { headers: { cookie: `tb_session=${id}` }, redirect: 'manual' });
    assert.equal(replay.status, 303);
    assert.equal(readLines(path.join(web(), 'access.log')).at(-1)?.event, 'logout');
  });

  test('live updates: server-sent events carry the status fragment, one data line per line', async () => {
    await setDay(fake, { running: true, status: sampleStatus() });
    const b = new Browserish(dash.url);
    await b.login();
    const ctl = new AbortController();
    const res = await fetch(`${dash.url}/events?date=2025-04-09`, { headers: { cookie: `tb_session=${b.cookie('tb_session')}` }, signal: ctl.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: status') || !text.includes('\n\n', text.indexOf('event: status'))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    ctl.abort();
    assert.match(text, /^retry: 3000\n\n/);
    const event = text.slice(text.indexOf('event: status'));
    const lines = event.slice(0, event.indexOf('\n\n')).split('\n').slice(1);
    assert.ok(lines.length > 3);
    for (const l of lines) assert.ok(l.startsWith('data: '), l);
    assert.match(lines.join('\n'), /id="total-pnl">\+6\.25</);
  });

  test('answers are shared: many reads within the poll period cost one query', async () => {
    await setDay(fake, { running: true, status: sampleStatus() });
    const b = new Browserish(dash.url);
    await b.login();
    await new Promise((r) => setTimeout(r, 120));
    const before = fake.queries;
    await Promise.all(Array.from({ length: 10 }, () => b.request('/status/fragment?date=2025-04-10')));
    assert.equal(fake.queries - before, 1);
  });
});

describe('dashboard server: read-only, session timeout, lockout, TLS', () => {
  test('a read-only dashboard shows no controls and refuses control requests', async () => {
    const { dir, config } = await projectWith();
    const fake = fakeTemporal();
    const dash = await startTestDashboard(config, dir, fake, { controlsEnabled: false });
    try {
      const b = new Browserish(dash.url);
      await b.login();
      const page = await b.request('/');
      assert.doesNotMatch(page.text, /action="\/control\//);
      assert.match(page.text, /read-only dashboard/);
      const token = Browserish.token(page.text, '/logout');
      const r = await b.request('/control/stop', { form: { _csrf: token, date: '2025-04-09' } });
      assert.equal(r.status, 403);
      assert.deepEqual(fake.signals, []);
      const settings = await b.request('/settings');
      assert.doesNotMatch(settings.text, /action="\/settings"/);
    } finally {
      await dash.close();
    }
  });

  test('a session ends after SESSION_TIMEOUT seconds', async () => {
    const { dir, config } = await projectWith({ env: 'SESSION_TIMEOUT=1\n' });
    const dash = await startTestDashboard(config, dir, fakeTemporal());
    try {
      const b = new Browserish(dash.url);
      const r = await b.login();
      assert.match(r.setCookies.join(';'), /Max-Age=1/);
      assert.equal((await b.request('/')).status, 200);
      await new Promise((res) => setTimeout(res, 1100));
      const after = await b.request('/');
      assert.equal(after.status, 303);
      assert.equal(after.headers.get('location'), '/login');
    } finally {
      await dash.close();
    }
  });

  test('lockout per client: refused even with the right password, logged, over after the lockout', async () => {
    const { dir, config } = await projectWith();
    const dash = await startTestDashboard(config, dir, fakeTemporal(), { loginLimits: { maxFailures: 2, windowMs: 60_000, lockoutMs: 600 } });
    try {
      const b = new Browserish(dash.url);
      assert.equal((await b.login(USER, 'wrong one')).status, 401);
      const second = await b.login(USER, 'wrong two');
      assert.equal(second.status, 429);
      assert.ok(Number(second.headers.get('retry-after')) >= 1);
      assert.equal((await b.login()).status, 429, 'right password during the lockout');
      await new Promise((r) => setTimeout(r, 650));
      assert.equal((await b.login()).status, 303);
      const reasons = readLines(path.join(dir, 'output', 'logs', 'web', 'auth_failures.log')).map((f) => f.reason);
      assert.deepEqual(reasons, ['bad_credentials', 'bad_credentials', 'locked_out']);
    } finally {
      await dash.close();
    }
  });

  test('behind the proxy named in REMOTE_IP: its forwarded address and scheme are used, nobody else\'s', async () => {
    const { dir, config } = await projectWith({ env: 'REMOTE_IP=127.0.0.1\n' });
    const dash = await startTestDashboard(config, dir, fakeTemporal());
    const { dir: dir2, config: config2 } = await projectWith();
    const direct = await startTestDashboard(config2, dir2, fakeTemporal());
    try {
      const fwd = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };
      const b = new Browserish(dash.url);
      const page = await b.request('/login', { headers: fwd });
      const origin = dash.url.replace('http:', 'https:');
      const bad = await b.request('/login', { form: { _csrf: Browserish.token(page.text), username: USER, password: 'wrong password' }, headers: { ...fwd, origin } });
      assert.equal(bad.status, 401);
      const page2 = await b.request('/login', { headers: fwd });
      const good = await b.request('/login', { form: { _csrf: Browserish.token(page2.text), username: USER, password: PASSWORD }, headers: { ...fwd, origin } });
      assert.equal(good.status, 303);
      assert.match(good.setCookies.find((c) => c.startsWith('tb_session=')) ?? '', /; Secure/, 'TLS at the proxy');
      assert.equal(readLines(path.join(dir, 'output', 'logs', 'web', 'auth_failures.log'))[0]?.client, '203.0.113.9');
      assert.equal(readLines(path.join(dir, 'output', 'logs', 'web', 'access.log'))[0]?.client, '203.0.113.9');
      // Without REMOTE_IP the same headers are ignored: a client cannot pick its own address.
      const c = new Browserish(direct.url);
      const p3 = await c.request('/login', { headers: fwd });
      await c.request('/login', { form: { _csrf: Browserish.token(p3.text), username: USER, password: 'wrong password' }, headers: fwd });
      assert.equal(readLines(path.join(dir2, 'output', 'logs', 'web', 'auth_failures.log'))[0]?.client, '127.0.0.1');
    } finally {
      await dash.close();
      await direct.close();
    }
  });

  test('over TLS the session cookie is Secure and HSTS is sent', async (t) => {
    const { dir, config } = await projectWith();
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    } catch {
      t.skip('openssl is not installed');
      return;
    }
    const dash = await startTestDashboard(config, dir, fakeTemporal(), { tls: { cert: fs.readFileSync(cert), key: fs.readFileSync(key) } });
    const prev = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    // The test's own self-signed certificate.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      assert.match(dash.url, /^https:\/\//);
      const b = new Browserish(dash.url);
      const r = await b.login();
      assert.equal(r.status, 303);
      assert.match(r.setCookies.find((c) => c.startsWith('tb_session=')) ?? '', /; Secure/);
      assert.match(r.headers.get('strict-transport-security') ?? '', /max-age=/);
    } finally {
      if (prev === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = prev;
      await dash.close();
    }
  });
});

describe('dashboard configuration', () => {
  test('no dashboard without USERNAME and a bcrypt PASSWORD_HASH', async () => {
    const { config } = await projectWith();
    const without = (env: Partial<LoadedConfig['env']>): LoadedConfig => ({ ...config, env: { ...config.env, ...env } });
    assert.throws(() => dashboardLogin(without({ USERNAME: undefined })), /needs USERNAME and PASSWORD_HASH/);
    assert.throws(() => dashboardLogin(without({ PASSWORD_HASH: undefined })), /needs USERNAME and PASSWORD_HASH/);
    assert.throws(() => dashboardLogin(without({ PASSWORD_HASH: 'hunter2' })), /not a bcrypt hash/);
    assert.equal(dashboardLogin(config).username, USER);
  });

  test('the Temporal Web UI link: TEMPORAL_UI_URL, else the local dev server UI, else none', async () => {
    const { config } = await projectWith();
    const withEnv = (env: Partial<LoadedConfig['env']>): LoadedConfig => ({ ...config, env: { ...config.env, ...env } });
    assert.equal(defaultTemporalUiUrl(withEnv({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_UI_URL: undefined })), 'http://127.0.0.1:8233');
    assert.equal(defaultTemporalUiUrl(withEnv({ TEMPORAL_ADDRESS: '[::1]:7233', TEMPORAL_UI_URL: undefined })), 'http://[::1]:8233');
    assert.equal(defaultTemporalUiUrl(withEnv({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_UI_URL: undefined })), null);
    assert.equal(defaultTemporalUiUrl(withEnv({ TEMPORAL_UI_URL: 'https://cloud.temporal.io' })), 'https://cloud.temporal.io');
  });

  test('checklist item 9: skipped when off, failed without a login, passed with one', async () => {
    const { config } = await projectWith();
    const env = (over: Partial<LoadedConfig['env']>) => ({ ...config.env, ...over });
    assert.equal(dashboardCheck(env({ DASHBOARD_ENABLED: false })).status, 'skip');
    assert.equal(dashboardCheck(env({ DASHBOARD_ENABLED: true, PASSWORD_HASH: undefined })).status, 'fail');
    assert.equal(dashboardCheck(env({ DASHBOARD_ENABLED: true, PASSWORD_HASH: '$scrypt$x' })).status, 'fail');
    const ok = dashboardCheck(env({ DASHBOARD_ENABLED: true }));
    assert.equal(ok.status, 'pass');
    assert.match(ok.detail, /login required \(user operator\); 5 failed logins per 15 min lock a client out for 15 min/);
    assert.match(dashboardCheck(env({ DASHBOARD_ENABLED: true, LOCAL_IP: '0.0.0.0' })).detail, /without TLS/);
  });
});
