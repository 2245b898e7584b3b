import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig, type LoadedConfig } from '../../activities/config/loadConfig';
import { readTradeHistory } from '../../activities/outputs/tradeHistory';
import { startDashboard, type Dashboard } from '../../dashboard/server';
import { hashPassword } from '../../dashboard/password';
import { dayStatusQuery, stopSignal } from '../../workflows/tradingDayApi';
import type { tradingDayWorkflow } from '../../workflows/tradingDay';
import { OPEN_DAY_DATE, OPEN_DAY_UNIVERSE, REPO_ROOT, ROOMY_OPEN_LIMITS, replayDayInput, startDay, startDayHarness, tempOutputDir, testConfig, type DayHarness } from '../helpers/tradingDayHarness';

/*
 * The dashboard end to end: a real TEST_MODE day (replayed minute bars, simulated broker) on the dev
 * server that `npm test` started, the dashboard in this process reading it through Temporal, and a
 * headless Chromium driving the pages as an operator would.
 */

const UNIVERSE = OPEN_DAY_UNIVERSE;
const DATE = OPEN_DAY_DATE;
const ROOMY = ROOMY_OPEN_LIMITS;
const USER = 'operator';
const PASSWORD = 'correct horse battery staple';
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'output', 'e2e');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type DayHandle = WorkflowHandle<typeof tradingDayWorkflow>;

function readJsonLines(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Waits until a page expression is true. Polled from here with page.evaluate, because Playwright's
 * waitForFunction evaluates a string predicate with eval, which the dashboard's CSP rightly forbids.
 */
async function until(page: Page, expression: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await page.evaluate(expression).catch(() => false)) === true) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function login(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('form.login button[type=submit]')]);
}

/** A project folder with .env (the login) and .env_bot, loaded as the dashboard command loads it. */
async function dashboardConfig(dir: string): Promise<LoadedConfig> {
  const hash = await hashPassword(PASSWORD, 4);
  fs.writeFileSync(path.join(dir, '.env'), `USERNAME=${USER}\nPASSWORD_HASH=${hash}\nSESSION_TIMEOUT=600\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, '.env_bot'), `TEST_MODE=true\nSTRATEGY_OVERRIDE=open\n`);
  return loadConfig({ cwd: dir, versionFile: path.join(REPO_ROOT, 'VERSION.md'), processEnv: {} });
}

describe('dashboard in headless Chromium against a real TEST_MODE day', () => {
  let h: DayHarness;
  let handle: DayHandle;
  /** The day the dashboard shows: the first day, then a day that asks for trade confirmations. */
  let shown: DayHandle;
  let confirmDay: DayHandle | undefined;
  let dash: Dashboard;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let projectDir: string;
  let config: LoadedConfig;
  let logDir: string;

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
    h = await startDayHarness({ symbols: UNIVERSE, prefix: 'dash' });
    projectDir = tempOutputDir('dash-project');
    config = await dashboardConfig(projectDir);
    logDir = path.join(h.outputDir, 'logs', 'web');
    // Speed 30 from 14:50: the first OPEN entries come about 12 s in and stay open long enough to be seen.
    handle = await startDay(
      h,
      replayDayInput({ date: DATE, config: testConfig(ROOMY), universe: UNIVERSE, marketStart: `${DATE}T14:50:00Z`, speed: 30 }),
      `test-dashboard-day-${Date.now()}`,
    );
    shown = handle;
    dash = await startDashboard({
      config,
      client: h.temporal.client,
      dayWorkflowIdFor: () => shown.workflowId,
      outputDir: h.outputDir,
      logDir,
      host: '127.0.0.1',
      port: 0,
      controlsEnabled: true,
      projectDir,
      processEnv: {},
      pollMs: 500,
      temporalUiUrl: 'http://127.0.0.1:8233',
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await dash?.close();
    // A failed test must not leave the day running on the shared server.
    for (const d of [handle, confirmDay]) if (d) await d.terminate('dashboard test finished').catch(() => undefined);
    await h?.stop();
  });

  test('robots.txt disallows everything; pages need a login', async () => {
    const robots = await (await fetch(`${dash.url}/robots.txt`)).text();
    assert.match(robots, /User-agent: \*\nDisallow: \/\n/);
    await page.goto(dash.url);
    assert.match(page.url(), /\/login$/);
    const r = await fetch(`${dash.url}/status.json`);
    assert.equal(r.status, 401);
  });

  test('a failed login is refused and logged to auth_failures.log without the password', async () => {
    await login(page, dash.url, USER, 'not the password');
    assert.match(page.url(), /\/login$/);
    assert.match((await page.textContent('#login-error')) ?? '', /Wrong user name or password/);
    const failures = readJsonLines(path.join(logDir, 'auth_failures.log'));
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.reason, 'bad_credentials');
    assert.equal(failures[0]?.user, USER);
    assert.equal(failures[0]?.client, '127.0.0.1');
    assert.ok(!fs.readFileSync(path.join(logDir, 'auth_failures.log'), 'utf8').includes('not the password'));
  });

  test('a successful login opens the status page with an HttpOnly SameSite session cookie', async () => {
    await login(page, dash.url, USER, PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.textContent('#test-mode'), 'TEST_MODE');
    const cookie = (await context.cookies()).find((c) => c.name === 'tb_session');
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.secure, false, 'plain HTTP here; Secure is set when served over TLS');
    const access = readJsonLines(path.join(logDir, 'access.log'));
    assert.deepEqual(access.map((a) => [a.event, a.user, a.client]), [['login', USER, '127.0.0.1']]);
  });

  test("the status page shows the day's open position and PnL, live", async () => {
    await page.goto(`${dash.url}/?date=${DATE}`);
    assert.equal(await page.textContent('h1'), `Trading day ${DATE}`);
    // No reload from here on: rows and prices arrive by the live update. Wait for a price move, so the
    // unrealised PnL is not just zero.
    await until(page, `Array.from(document.querySelectorAll('#positions tbody tr td:nth-child(5)')).some((td) => td.textContent !== '0.00')`, 120_000);
    const rows = (await page.evaluate(
      `Array.from(document.querySelectorAll('#positions tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent))`,
    )) as string[][];
    const cards = (await page.evaluate(
      `['realized-pnl', 'unrealized-pnl', 'total-pnl'].map((id) => document.getElementById(id).textContent)`,
    )) as string[];
    const row = rows.find((r) => r[4] !== '0.00') ?? [];
    const [ticker, size, entry, current, upnl, side, underlying, underlyingPrice, session] = row;
    assert.ok(UNIVERSE.includes(underlying ?? ''), `underlying ${underlying} is from the universe`);
    assert.ok((ticker ?? '').startsWith(underlying ?? '-'), `ticker ${ticker}`);
    assert.match(side ?? '', /^(long|short)$/);
    assert.ok(Number(size) > 0, `size ${size}`);
    assert.match(entry ?? '', /^\d+\.\d{2,4}$/);
    // The held instrument's price (estimated for an inverse ETF or a put, and marked), the underlying's apart.
    assert.match(current ?? '', /^\d+\.\d{2,4}( est\.)?$/);
    assert.match(underlyingPrice ?? '', /^\d+\.\d{2,4}$/);
    if (ticker === underlying) assert.equal(current, underlyingPrice, 'a stock position: its price is the underlying price');
    else assert.match(current ?? '', / est\.$/, 'a put or inverse ETF price is marked as estimated');
    assert.match(upnl ?? '', /^[+-]\d+\.\d{2}$/);
    assert.equal(session, 'open');
    // The PnL cards agree with each other and with the rows (all from one status answer).
    const [realized, unrealized, total] = cards.map(Number) as [number, number, number];
    for (const c of cards) assert.match(c, /^[+-]?\d+\.\d{2}$/);
    assert.ok(Math.abs(realized + unrealized - total) < 0.011, `${realized} + ${unrealized} = ${total}`);
    const rowSum = rows.reduce((a, r) => a + Number(r[4]), 0);
    assert.ok(Math.abs(rowSum - unrealized) < 0.011 * rows.length, `rows ${rowSum} vs card ${unrealized}`);
    assert.match((await page.textContent('#day-state')) ?? '', /^(trading|monitoring)$/);
    assert.equal(await page.textContent('#current-session'), 'open');
    assert.equal(await page.textContent('#test-mode'), 'TEST_MODE');
    const link = await page.getAttribute('#temporal-link', 'href');
    assert.equal(link, `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}`);

    // The page shows what the status query says.
    const status = await handle.query(dayStatusQuery);
    assert.ok(status.entries > 0);
    const traded = new Set([
      ...status.sessions.flatMap((s) => s.positions.map((p) => p.underlying)),
      ...readTradeHistory(h.outputDir, 'paper').map((t) => t.underlying),
    ]);
    assert.ok(traded.has(underlying ?? ''), `${underlying} is a position of the day`);

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const shot = path.join(SCREENSHOT_DIR, 'dashboard-status.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = fs.readFileSync(shot);
    assert.ok(png.length > 10_000, `screenshot has ${png.length} bytes`);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');

    // Readable on a phone: no horizontal overflow of the page itself (wide tables scroll in their box).
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, storageState: await context.storageState() });
    const p2 = await phone.newPage();
    await p2.goto(`${dash.url}/?date=${DATE}`);
    await p2.waitForSelector('#positions');
    // Expressions as strings: the tests compile without the DOM library.
    const overflow = (await p2.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    assert.ok(overflow <= 1, `page overflows a phone screen by ${overflow}px`);
    await p2.screenshot({ path: path.join(SCREENSHOT_DIR, 'dashboard-status-phone.png'), fullPage: true });
    await phone.close();
  });

  test('the logs page shows the entry', async () => {
    await page.goto(`${dash.url}/logs?kind=strategy`);
    const rows = (await page.evaluate(
      `Array.from(document.querySelectorAll('#logs tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent))`,
    )) as string[][];
    const entries = rows.filter((r) => r[2] === 'entry');
    assert.ok(entries.length > 0, `an entry row among ${rows.length} log rows`);
    const status = await handle.query(dayStatusQuery);
    const underlyings = new Set([
      ...status.sessions.flatMap((s) => s.positions.map((p) => p.underlying)),
      ...readTradeHistory(h.outputDir, 'paper').map((t) => t.underlying),
    ]);
    assert.ok(entries.some((r) => underlyings.has(r[3] ?? '')), 'the entry names a traded symbol');
    assert.equal(entries[0]?.[1], 'open');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'dashboard-logs.png') });
  });

  test('a control without the CSRF token, or from another origin, is refused', async () => {
    const noToken = await context.request.post(`${dash.url}/control/kill`, { form: { date: DATE }, maxRedirects: 0 });
    assert.equal(noToken.status(), 403);
    await page.goto(dash.url);
    const token = await page.getAttribute('form[action="/control/kill"] input[name=_csrf]', 'value');
    assert.ok(token);
    const foreign = await context.request.post(`${dash.url}/control/kill`, {
      form: { date: DATE, _csrf: token },
      headers: { Origin: 'http://evil.example' },
      maxRedirects: 0,
    });
    assert.equal(foreign.status(), 403);
    const status = await handle.query(dayStatusQuery);
    assert.equal(status.killed, false, 'no refused request reached the day');
    const refused = readJsonLines(path.join(logDir, 'auth_failures.log')).filter((f) => f.reason === 'csrf');
    assert.equal(refused.length, 2);
  });

  test('defense mode on and off from the dashboard reach the day', async () => {
    await page.goto(`${dash.url}/?date=${DATE}`);
    await Promise.all([page.waitForURL(/\/\?date=/), page.click('form[action="/control/defense"]:has(input[value=on]) button')]);
    assert.match((await page.textContent('.flash')) ?? '', /Defense mode on sent/);
    await until(page, `document.getElementById('defense-mode')?.textContent === 'DEFENSE MODE'`, 30_000);
    assert.equal((await handle.query(dayStatusQuery)).defenseMode, true);
    await Promise.all([page.waitForURL(/\/\?date=/), page.click('form[action="/control/defense"]:has(input[value=off]) button')]);
    await until(page, `document.getElementById('defense-mode')?.textContent === 'defense off'`, 30_000);
    const defense = readJsonLines(path.join(logDir, 'access.log')).filter((a) => a.event === 'control' && a.action === 'defense');
    assert.deepEqual(defense.map((d) => [d.detail, d.outcome, d.user]), [['on', 'sent', USER], ['off', 'sent', USER]]);
  });

  test('the stop control ends the day and is recorded with who sent it', async () => {
    await page.goto(`${dash.url}/?date=${DATE}`);
    page.once('dialog', (d) => void d.accept());
    await Promise.all([page.waitForURL(/\/\?date=/), page.click('form[action="/control/stop"] button')]);
    assert.match((await page.textContent('.flash')) ?? '', /Stop sent/);
    const summary = await handle.result();
    assert.equal(summary.halted, false);
    const final = await handle.query(dayStatusQuery);
    assert.equal(final.stopped, true);
    assert.deepEqual(final.sessions.flatMap((s) => s.positions), []);
    // The page follows the day to its end.
    await until(page, `document.getElementById('day-state')?.textContent === 'done'`, 30_000);
    assert.equal(await page.$('#positions'), null, 'no open position is shown any more');
    const controls = readJsonLines(path.join(logDir, 'access.log')).filter((a) => a.event === 'control' && a.action === 'stop');
    assert.deepEqual(
      controls.map((c) => [c.action, c.outcome, c.user, c.workflowId]),
      [['stop', 'sent', USER, handle.workflowId]],
    );
    const log = fs.readFileSync(path.join(h.outputDir, 'logs', 'open_paper.log'), 'utf8');
    assert.match(log, /dashboard:operator@127\.0\.0\.1/, 'the day logged who stopped it');
  });

  test('a pending trade is approved from the dashboard and then traded', async () => {
    confirmDay = await startDay(
      h,
      replayDayInput({
        date: DATE,
        // Short timeout: a stop does not cut short a session waiting for a confirmation (it waits the
        // timeout out), and the next signal is pending by the time the day is stopped below.
        config: testConfig({ ...ROOMY, TRADE_CONFIRMATION_REQUIRED: 'true', TRADE_CONFIRMATION_TIMEOUT: '20' }),
        universe: UNIVERSE,
        marketStart: `${DATE}T14:54:00Z`,
        speed: 60,
      }),
      `test-dashboard-confirm-${Date.now()}`,
    );
    shown = confirmDay;
    await page.goto(`${dash.url}/?date=${DATE}`);
    await page.waitForSelector('ul.pending li', { timeout: 120_000 });
    const symbol = ((await page.textContent('ul.pending li strong')) ?? '').trim();
    assert.ok(UNIVERSE.includes(symbol), `pending ${symbol}`);
    await Promise.all([page.waitForURL(/\/\?date=/), page.click('ul.pending li:first-child form:has(input[value=approve]) button')]);
    assert.match((await page.textContent('.flash')) ?? '', new RegExp(`Approval of ${symbol} sent`));
    // The approved trade is entered and shows up as an open position.
    await until(page, `Array.from(document.querySelectorAll('#positions tbody tr td:nth-child(7)')).some((td) => td.textContent === ${JSON.stringify(symbol)})`, 60_000);
    const confirms = readJsonLines(path.join(logDir, 'access.log')).filter((a) => a.event === 'control' && a.action === 'confirm');
    assert.deepEqual(confirms.map((c) => [c.detail, c.outcome, c.user, c.workflowId]), [[`${symbol} approve`, 'sent', USER, confirmDay.workflowId]]);
    await confirmDay.signal(stopSignal, { by: 'test' });
    await confirmDay.result();
  });

  test('repeated failures lock the client out, even with the right password, until the lockout ends', async () => {
    const lockDash = await startDashboard({
      config,
      client: h.temporal.client,
      dayWorkflowIdFor: () => handle.workflowId,
      outputDir: h.outputDir,
      logDir: path.join(h.outputDir, 'logs', 'web-lockout'),
      host: '127.0.0.1',
      port: 0,
      controlsEnabled: false,
      projectDir,
      processEnv: {},
      loginLimits: { maxFailures: 3, windowMs: 60_000, lockoutMs: 4000 },
    });
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    try {
      for (let i = 1; i <= 3; i++) {
        await login(p, lockDash.url, USER, `wrong ${i}`);
        const text = (await p.textContent('#login-error')) ?? '';
        assert.match(text, i < 3 ? /Wrong user name or password/ : /Too many failed attempts/, `attempt ${i}: ${text}`);
      }
      await login(p, lockDash.url, USER, PASSWORD);
      assert.match(p.url(), /\/login$/, 'the right password is refused during the lockout');
      assert.match((await p.textContent('#login-error')) ?? '', /Too many failed attempts/);
      const failures = readJsonLines(path.join(h.outputDir, 'logs', 'web-lockout', 'auth_failures.log'));
      assert.deepEqual(
        failures.map((f) => f.reason),
        ['bad_credentials', 'bad_credentials', 'bad_credentials', 'locked_out'],
      );
      assert.equal(failures[2]?.locked_out, true);
      await new Promise((r) => setTimeout(r, 4200));
      await login(p, lockDash.url, USER, PASSWORD);
      assert.equal(new URL(p.url()).pathname, '/');
      assert.match((await p.textContent('.muted')) ?? '', /./);
      assert.equal(await p.$('section.controls'), null, 'a read-only dashboard shows no controls');
    } finally {
      await ctx.close();
      await lockDash.close();
    }
  });
});
