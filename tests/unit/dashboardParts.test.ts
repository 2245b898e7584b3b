import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { loadConfig } from '../../activities/config/loadConfig';
import { LoginLimiter } from '../../dashboard/loginLimiter';
import { parseCsv, recentLogEntries } from '../../dashboard/logSource';
import { checkLogin, hashPassword, isBcryptHash, passwordProblem } from '../../dashboard/password';
import { SessionStore } from '../../dashboard/sessions';
import { editBotSetting, fileVersion, setKeyInText, settingRows } from '../../dashboard/settings';
import { h, money } from '../../dashboard/views';
import { runDashboardCommand } from '../../scripts/commands/dashboard';
import { Browserish, fakeTemporal, projectWith, REPO_ROOT, startTestDashboard, tempDir, USER } from './dashboardFixtures';

describe('dashboard password', () => {
  test('bcrypt hashes check the right login only', async () => {
    const hash = await hashPassword('a long enough password', 4);
    assert.ok(isBcryptHash(hash), hash);
    const login = { username: 'op', passwordHash: hash };
    assert.equal(await checkLogin(login, 'op', 'a long enough password'), true);
    assert.equal(await checkLogin(login, 'op', 'a long enough passwore'), false);
    assert.equal(await checkLogin(login, 'Op', 'a long enough password'), false);
    assert.equal(await checkLogin(login, '', ''), false);
  });

  test('passwords bcrypt would cut or that are too short are refused', async () => {
    assert.match(passwordProblem('short') ?? '', /at least 10/);
    assert.match(passwordProblem('x'.repeat(73)) ?? '', /at most 72 bytes/);
    assert.match(passwordProblem('\u00e9'.repeat(40)) ?? '', /at most 72 bytes/, '80 bytes in UTF-8');
    assert.equal(passwordProblem('x'.repeat(72)), null);
    await assert.rejects(() => hashPassword('short'), /at least 10/);
    // A long password that shares bcrypt's first 72 bytes with the real one must not log in.
    const hash = await hashPassword('y'.repeat(72), 4);
    assert.equal(await checkLogin({ username: 'op', passwordHash: hash }, 'op', `${'y'.repeat(72)}zzz`), false);
  });

  test('dashboard hash-password reads standard input and prints the PASSWORD_HASH line', async () => {
    const stdin = new PassThrough();
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    stdin.end('the operator password\nignored second line\n');
    assert.equal(await runDashboardCommand(['hash-password'], { stdin, out, err }), 0);
    const line = chunks.join('');
    const m = /^PASSWORD_HASH=(\S+)\n$/.exec(line);
    assert.ok(m, line);
    assert.ok(isBcryptHash(m[1] ?? ''));
    assert.match(m[1] ?? '', /^\$2b\$12\$/, 'cost 12');
    assert.equal(await checkLogin({ username: 'u', passwordHash: m[1] ?? '' }, 'u', 'the operator password'), true);
    assert.ok(!line.includes('the operator password'));
    const short = new PassThrough();
    short.end('short\n');
    await assert.rejects(() => runDashboardCommand(['hash-password'], { stdin: short, out, err }), /at least 10 characters/);
  });
});

describe('dashboard login limiter and sessions', () => {
  test('locks a client out after the failures allowed within the window, for the lockout time', () => {
    let now = 0;
    const l = new LoginLimiter({ maxFailures: 3, windowMs: 1000, lockoutMs: 5000 }, () => now);
    assert.equal(l.fail('a'), 0);
    assert.equal(l.fail('a'), 0);
    assert.equal(l.remaining('a'), 1);
    assert.equal(l.lockedFor('b'), 0, 'another client is not affected');
    assert.equal(l.fail('a'), 5000);
    assert.equal(l.lockedFor('a'), 5000);
    now = 4999;
    assert.ok(l.lockedFor('a') > 0);
    now = 5000;
    assert.equal(l.lockedFor('a'), 0);
    // Failures older than the window do not count.
    l.fail('c');
    l.fail('c');
    now += 1001;
    assert.equal(l.fail('c'), 0);
    l.succeed('c');
    assert.equal(l.remaining('c'), 3);
  });

  test('sessions expire after their lifetime; ids and CSRF tokens are random', () => {
    let now = 0;
    const store = new SessionStore(1000, () => now);
    const a = store.create('op', '127.0.0.1');
    const b = store.create('op', '127.0.0.1');
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.csrf, b.csrf);
    assert.ok(a.id.length >= 43);
    assert.equal(store.secondsLeft(a), 1);
    now = 999;
    assert.equal(store.get(a.id)?.user, 'op');
    now = 1000;
    assert.equal(store.get(a.id), null);
    assert.equal(store.get(undefined), null);
    assert.equal(store.get(''), null);
  });
});

describe('dashboard log reading', () => {
  test('CSV with quotes, commas and newlines inside fields', () => {
    assert.deepEqual(parseCsv('a,b,c\n1,"x, ""y""",3\n2,"multi\nline",\n'), [
      ['a', 'b', 'c'],
      ['1', 'x, "y"', '3'],
      ['2', 'multi\nline', ''],
    ]);
  });

  test('strategy logs (JSON and CSV), alerts, unresolved orders and risk events, newest first, by kind', () => {
    const out = tempDir('dash-logs');
    const logs = path.join(out, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    const ev = (t: string, event: string, symbol: string) =>
      JSON.stringify({ eventId: `w-${t}`, timestamp: `2025-04-09T${t}:00.000Z`, strategy: 'open', event, symbol, message: `${event} ${symbol}`, data: { price: 51.37 } });
    fs.writeFileSync(path.join(logs, 'open_paper.log'), `${ev('14:56', 'signal', 'UVXY')}\n${ev('14:56', 'entry', 'UVXY')}\n{"torn":`);
    fs.writeFileSync(
      path.join(logs, 'mid_paper.log'),
      'timestamp,eventId,strategy,event,symbol,message,data\n2025-04-09T15:45:00.000Z,m-1,mid,exit,TQQQ,"exit, target","{""pnl"":3.5}"\n',
    );
    fs.writeFileSync(path.join(logs, 'alerts_paper.log'), `${JSON.stringify({ timestamp: '2025-04-09T15:00:00.000Z', eventId: 'a1', event: 'fill', channel: 'email', outcome: 'failed', error: 'smtp down' })}\n`);
    fs.writeFileSync(
      path.join(logs, 'unresolved_orders_paper.log'),
      'timestamp,id,strategy,broker,symbol,error_type,error_code,message,stack\n2025-04-09T15:10:00.000Z,u1,open,alpaca,FAS,BrokerError,403,rejected,"Error: rejected\n    at x"\n',
    );
    fs.writeFileSync(path.join(logs, 'open_live.log'), `${ev('14:57', 'entry', 'LIVE')}\n`);
    const all = recentLogEntries(out, 'paper');
    assert.deepEqual(
      all.map((e) => [e.timestamp.slice(11, 16), e.kind, e.source, e.event, e.symbol]),
      [
        ['15:45', 'strategy', 'mid', 'exit', 'TQQQ'],
        ['15:10', 'error', 'unresolved_orders', 'BrokerError', 'FAS'],
        ['15:00', 'alert', 'alerts', 'fill', ''],
        ['14:56', 'strategy', 'open', 'entry', 'UVXY'],
        ['14:56', 'strategy', 'open', 'signal', 'UVXY'],
      ],
      'the live file is not read for paper, the torn line is skipped',
    );
    assert.equal(all[0]?.message, 'exit, target');
    assert.equal(all[0]?.detail, 'pnl=3.5');
    assert.equal(all[4]?.detail, 'price=51.37');
    assert.equal(all[2]?.message, 'smtp down');
    assert.deepEqual(recentLogEntries(out, 'paper', { kinds: ['error'] }).map((e) => e.symbol), ['FAS']);
    assert.equal(recentLogEntries(out, 'paper', { limit: 2 }).length, 2);
  });

  test('only the tail of a long log is read, and a CSV tail keeps its header', () => {
    const out = tempDir('dash-logs-big');
    const file = path.join(out, 'logs', 'open_paper.log');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const rows = ['timestamp,eventId,strategy,event,symbol,message,data'];
    for (let i = 0; i < 6000; i++) rows.push(`2025-04-09T14:${String(i % 60).padStart(2, '0')}:00.000Z,e-${i},open,skipped,SYM${i},${'x'.repeat(60)},`);
    rows.push('2025-04-09T15:59:00.000Z,e-last,open,entry,LAST,the newest,');
    fs.writeFileSync(file, `${rows.join('\n')}\n`);
    assert.ok(fs.statSync(file).size > 300 * 1024);
    const entries = recentLogEntries(out, 'paper', { limit: 5000 });
    assert.equal(entries[0]?.symbol, 'LAST');
    assert.ok(entries.length < 6000, 'not the whole file');
    assert.ok(entries.every((e) => e.event !== '' && e.symbol.startsWith('SYM') === (e.symbol !== 'LAST')));
  });
});

describe('dashboard settings', () => {
  test('rows show every key with secrets masked and where each value came from', async () => {
    const { config } = await projectWith({ env: 'SMTP_PASS=very-secret-pw\n', bot: 'TEST_MODE=true\nMAX_OPEN_POSITIONS=3\n' });
    const rows = settingRows(config);
    const env = Object.fromEntries(rows.env.map((r) => [r.key, r]));
    const bot = Object.fromEntries(rows.bot.map((r) => [r.key, r]));
    assert.equal(env.SMTP_PASS?.value, '<hidden>');
    assert.equal(env.PASSWORD_HASH?.value, '<hidden>');
    assert.equal(env.USERNAME?.value, USER);
    assert.equal(bot.MAX_OPEN_POSITIONS?.value, '3');
    assert.equal(bot.MAX_OPEN_POSITIONS?.origin, '.env_bot');
    assert.equal(bot.MAX_RISK_PER_TRADE?.origin, 'default');
    assert.ok(!JSON.stringify(rows).includes('very-secret-pw'));
  });

  test('setting a key replaces its line or appends it, quoting when the parser would cut the value', () => {
    assert.equal(setKeyInText('# c\nMAX_TRADES=4\nTEST_MODE=true\n', 'MAX_TRADES', '3'), '# c\nMAX_TRADES=3\nTEST_MODE=true\n');
    assert.equal(setKeyInText('TEST_MODE=true', 'MAX_TRADES', '3'), 'TEST_MODE=true\nMAX_TRADES=3\n');
    assert.equal(setKeyInText('', 'SYMBOL_LIST_PATH', 'a #b'), 'SYMBOL_LIST_PATH="a #b"\n');
    assert.equal(setKeyInText('export MAX_TRADES = 4\n', 'MAX_TRADES', '5'), 'MAX_TRADES=5\n');
  });

  test('an edit is validated like a start and written atomically; an invalid one changes nothing', async () => {
    const { dir, config } = await projectWith({ bot: '# my settings\nTEST_MODE=true\nMAX_OPEN_POSITIONS=4\n' });
    const file = path.join(dir, '.env_bot');
    fs.chmodSync(file, 0o640);
    const ok = await editBotSetting({ config, projectDir: dir, key: 'MAX_OPEN_POSITIONS', value: '6', version: fileVersion(file), processEnv: {} });
    assert.ok(ok.ok);
    if (ok.ok) {
      assert.equal(ok.config.bot.MAX_OPEN_POSITIONS, 6);
      assert.deepEqual([ok.from, ok.to], ['4', '6']);
      assert.equal(ok.config.sources.envBot, file);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), '# my settings\nTEST_MODE=true\nMAX_OPEN_POSITIONS=6\n');
    assert.equal(fs.statSync(file).mode & 0o777, 0o640, 'the file keeps its permissions');
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), []);

    const before = fs.readFileSync(file, 'utf8');
    const bad = await editBotSetting({ config, projectDir: dir, key: 'MAX_OPEN_POSITIONS', value: 'abc', version: fileVersion(file), processEnv: {} });
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.problems.length, 1);
      assert.match(bad.problems[0] ?? '', /^\.env_bot: MAX_OPEN_POSITIONS=abc is invalid \(allowed: .+\)$/, 'named as the real file');
    }
    // Cross-key rules too: TEST_MODE=false without broker credentials is refused as at start.
    const live = await editBotSetting({ config, projectDir: dir, key: 'TEST_MODE', value: 'false', version: fileVersion(file), processEnv: {} });
    assert.equal(live.ok, false);
    const stale = await editBotSetting({ config, projectDir: dir, key: 'MAX_OPEN_POSITIONS', value: '5', version: 'stale', processEnv: {} });
    assert.equal(stale.ok, false);
    if (!stale.ok) assert.match(stale.problems[0] ?? '', /changed since this page was loaded/);
    const unknown = await editBotSetting({ config, projectDir: dir, key: 'SMTP_PASS', value: 'x', version: fileVersion(file), processEnv: {} });
    assert.equal(unknown.ok, false);
    const multiline = await editBotSetting({ config, projectDir: dir, key: 'SYMBOL_LIST_PATH', value: 'a\nTEST_MODE=false', version: fileVersion(file), processEnv: {} });
    assert.equal(multiline.ok, false);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
  });

  test('an encrypted .env_bot is not edited from the dashboard', async () => {
    const { dir, config } = await projectWith();
    const enc = { ...config, sources: { ...config.sources, envBotEncrypted: true } };
    const r = await editBotSetting({ config: enc, projectDir: dir, key: 'MAX_TRADES', value: '3', version: fileVersion(path.join(dir, '.env_bot')) });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problems[0] ?? '', /encrypted/);
  });

  test('through the dashboard: the settings page masks secrets, and an edit is saved and recorded', async () => {
    const { dir, config } = await projectWith({ env: 'MANAGER_API_URL=https://m.example/api2\nMANAGER_API_TOKEN=tok-123456\n' });
    const dash = await startTestDashboard(config, dir, fakeTemporal());
    try {
      const b = new Browserish(dash.url);
      await b.login();
      const page = await b.request('/settings');
      assert.equal(page.status, 200);
      assert.ok(!page.text.includes('tok-123456'));
      assert.ok(!page.text.includes(config.env.PASSWORD_HASH ?? 'x'));
      assert.match(page.text, /<code>MANAGER_API_TOKEN<\/code><\/td><td class="value">&lt;hidden&gt;/);
      const token = Browserish.token(page.text, '/settings');
      const version = /name="version" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
      const r = await b.request('/settings', { form: { _csrf: token, version, key: 'MAX_OPEN_POSITIONS', value: '7' } });
      assert.equal(r.status, 303);
      const after = await b.request('/settings');
      assert.match(after.text, /MAX_OPEN_POSITIONS changed from &quot;5&quot; to &quot;7&quot;/);
      assert.match(after.text, /<code>MAX_OPEN_POSITIONS<\/code><\/td><td class="value">7<\/td>/);
      assert.match(fs.readFileSync(path.join(dir, '.env_bot'), 'utf8'), /^MAX_OPEN_POSITIONS=7$/m);
      const reloaded = await loadConfig({ cwd: dir, versionFile: path.join(REPO_ROOT, 'VERSION.md'), processEnv: {} });
      assert.equal(reloaded.bot.MAX_OPEN_POSITIONS, 7);
      const log = fs.readFileSync(path.join(dir, 'output', 'logs', 'web', 'access.log'), 'utf8');
      assert.match(log, /"event":"settings","user":"operator","client":"127.0.0.1","key":"MAX_OPEN_POSITIONS","from":"5","to":"7"/);
      // Without the token nothing is written.
      const forged = await b.request('/settings', { form: { version, key: 'MAX_OPEN_POSITIONS', value: '9' } });
      assert.equal(forged.status, 403);
      assert.match(fs.readFileSync(path.join(dir, '.env_bot'), 'utf8'), /^MAX_OPEN_POSITIONS=7$/m);
    } finally {
      await dash.close();
    }
  });
});

describe('dashboard views', () => {
  test('escaping and number formats', () => {
    assert.equal(h(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(money(1.005), '+1.00');
    assert.equal(money(-0.001), '0.00');
    assert.equal(money(-12.5), '-12.50');
    assert.equal(money(Number.NaN), '-');
  });
});
