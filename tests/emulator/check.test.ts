import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runChecklist, type CheckItem } from '../../scripts/commands/check';
import type { Emulator } from '../../scripts/emulator';
import { REPO_ROOT } from '../helpers/tradingDayHarness';
import { startLoopbackSmtp, type LoopbackSmtp } from '../helpers/loopbackSmtp';
import { at, emulatorAt } from './emulatorHarness';

/*
 * `check` on a paper configuration (TEST_MODE=false, Alpaca paper) against the market emulator and a
 * real SMTP server on loopback: every readiness item is a real request that can fail, and says why.
 */

let emu: Emulator;
let smtp: LoopbackSmtp;
before(async () => {
  // 10:00 New York on the fixture date: the market is open.
  emu = await emulatorAt(at('14:00'));
  smtp = await startLoopbackSmtp();
});
after(async () => {
  await emu.close();
  await smtp.close();
});

function project(over: { env?: Record<string, string>; symbols?: string } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-check-'));
  fs.copyFileSync(path.join(REPO_ROOT, 'VERSION.md'), path.join(dir, 'VERSION.md'));
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    ALPACA_PAPER_URL: emu.tradingUrl,
    ALPACA_DATA_URL: emu.dataUrl,
    ALPACA_PAPER_API_KEY: emu.keyId,
    ALPACA_PAPER_SECRET_KEY: emu.secret,
    FINNHUB_URL: emu.finnhubUrl,
    FINNHUB_API_KEY: emu.finnhubToken,
    ALERT_EMAIL: 'ops@example.com',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_USER: smtp.user,
    SMTP_PASS: smtp.pass,
    ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    ...over.env,
  };
  fs.writeFileSync(path.join(dir, '.env'), `${Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'symbols.txt'), over.symbols ?? 'SQQQ\nTQQQ\n');
  fs.writeFileSync(path.join(dir, '.env_bot'), 'TEST_MODE=false\nALPACA_ENABLED=true\nALPACA_MODE=paper\nSYMBOL_LIST_PATH=symbols.txt\n');
  return dir;
}

const item = (items: readonly CheckItem[], title: string): CheckItem => {
  const found = items.find((i) => i.title === title);
  assert.ok(found, `item "${title}" in ${items.map((i) => i.title).join(' | ')}`);
  return found;
};
const marketNow = () => emu.marketNow();

describe('check on a paper configuration against the emulator', () => {
  test('every readiness item passes, each with what it found', async () => {
    const items = await runChecklist(project(), { nowMs: marketNow });
    const broker = item(items, 'broker alpaca authenticates; account active');
    assert.equal(broker.outcome, 'pass', broker.detail);
    assert.match(broker.detail, /account active, value \d+\.\d\d/);
    const data = item(items, 'data provider answers a real request');
    assert.equal(data.outcome, 'pass', data.detail);
    assert.match(data.detail, /SQQQ minute bars in the last week, the newest at 2025-04-09T13:5\d/);
    assert.equal(item(items, 'Finnhub answers').outcome, 'pass', item(items, 'Finnhub answers').detail);
    const clock = item(items, 'clock and calendar agree with the exchange calendar');
    assert.equal(clock.outcome, 'pass', clock.detail);
    assert.match(clock.detail, /2025-04-09 09:30-16:00 New York; market open now/);
    const mail = item(items, 'SMTP reachable when alerts are enabled');
    assert.equal(mail.outcome, 'pass', mail.detail);
    assert.equal(smtp.messages.length, 0, 'the SMTP check sends nothing');
    const dryRun = item(items, 'passing TEST_MODE dry run before live trading');
    assert.equal(dryRun.outcome, 'skip', 'a paper account needs no dry run');
    assert.match(dryRun.detail, /no live endpoint/);
  });

  test('wrong keys, a symbol the feed lacks, a wrong clock and a wrong SMTP password each fail with the reason', async () => {
    const badKeys = await runChecklist(project({ env: { ALPACA_PAPER_SECRET_KEY: 'wrong-secret-123' } }), { nowMs: marketNow });
    const broker = badKeys.find((i) => i.n === 3 && i.title.startsWith('broker'));
    assert.equal(broker?.outcome, 'fail');
    assert.match(broker?.detail ?? '', /ALPACA_PAPER_API_KEY/);
    assert.ok(!JSON.stringify(badKeys).includes('wrong-secret-123'), 'the secret is not printed');

    const unknown = await runChecklist(project({ symbols: 'ZZZQ\n' }), { nowMs: marketNow });
    const data = item(unknown, 'data provider answers a real request');
    assert.equal(data.outcome, 'fail');
    assert.match(data.detail, /ZZZQ/);

    // The machine's own clock is years away from the emulator's market day.
    const wall = await runChecklist(project());
    const clock = item(wall, 'clock and calendar agree with the exchange calendar');
    assert.equal(clock.outcome, 'fail');
    assert.match(clock.detail, /this machine's clock is -?\d+\.\d s off the broker's/);

    const badMail = await runChecklist(project({ env: { SMTP_PASS: 'not-the-password-991' } }), { nowMs: marketNow });
    const mail = item(badMail, 'SMTP reachable when alerts are enabled');
    assert.equal(mail.outcome, 'fail');
    assert.match(mail.detail, /Invalid (login|username or password)|535/i);
    assert.ok(!mail.detail.includes('not-the-password-991'));
  });
});
