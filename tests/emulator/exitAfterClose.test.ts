import test from 'node:test';
import assert from 'node:assert/strict';
import { createBroker } from '../../activities/broker/brokerFactory';
import type { AlpacaBroker } from '../../activities/broker/alpaca/alpacaBroker';
import { protectedExit } from '../../activities/broker/reconcile';
import { defaultBotConfig } from '../../domain/config/botConfigSchema';
import { defaultEnvConfig } from '../../domain/config/envSchema';
import type { Emulator } from '../../scripts/emulator';
import { at, emulatorAt, jump } from './emulatorHarness';

// Defect 1 of issue 13: an exit decided after the bell must not cancel the broker's stop and leave the
// position unprotected overnight. The adapter keeps time by the emulator's market clock, as the rehearsal's
// worker does (TimeSource).
function marketClockBroker(emu: Emulator): AlpacaBroker {
  const bot = { ...defaultBotConfig(), TEST_MODE: false, ALPACA_ENABLED: true, ALPACA_MODE: 'paper' as const, API_TIMEOUT: 2 };
  const env = { ...defaultEnvConfig(), ALPACA_PAPER_URL: emu.tradingUrl, ALPACA_PAPER_API_KEY: emu.keyId, ALPACA_PAPER_SECRET_KEY: emu.secret };
  const time = { now: () => emu.marketNow(), sleep: () => new Promise<void>((r) => setImmediate(r)) };
  return createBroker('alpaca', { bot, env, alpacaDataUrl: emu.dataUrl, fillTimeoutMs: 1500, pollIntervalMs: 20, time }) as AlpacaBroker;
}

test('after the close the protected exit sends nothing: no market order is queued for the next session', async () => {
  const emu = await emulatorAt(at('19:50', 5));
  try {
    const b = marketClockBroker(emu);
    const entry = await b.submitOrder({ clientOrderId: 'tb-late-TQQQ-entry', symbol: 'TQQQ', assetClass: 'us_equity', side: 'buy', qty: 10, type: 'market' });
    assert.equal(entry.status, 'filled');
    const stop = await b.placeProtectiveStop({ clientOrderId: 'tb-late-TQQQ-stop', symbol: 'TQQQ', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'stop', stopPrice: (entry.filledAvgPrice ?? 0) * 0.5, referencePrice: entry.filledAvgPrice ?? 0 });
    assert.equal(stop.placed, true);
    const exit = { clientOrderId: 'tb-late-TQQQ-exit', symbol: 'TQQQ', assetClass: 'us_equity' as const, side: 'sell' as const, qty: 10, type: 'market' as const };

    jump(emu, at('20:00', 2));
    const late = await protectedExit(b, { exit, stopClientOrderId: 'tb-late-TQQQ-stop', pollMs: 10 });
    assert.equal(late.exit, null, 'no exit order after the bell');
    assert.equal(late.closedBy, 'none');
    // The stop is a day order (activities/broker/alpaca/alpacaBroker.ts): it expired at the bell by itself, not cancelled by the exit.
    assert.equal(late.stop?.status, 'canceled');
    assert.ok(!emu.journal().some((e) => e.kind === 'request' && e.method === 'DELETE'), 'the exit cancelled nothing');
    assert.equal(emu.stats().ordersAfterClose.length, 0);
    assert.deepEqual((await b.positions()).map((p) => [p.symbol, p.qty]), [['TQQQ', 10]]);
  } finally {
    await emu.close();
  }
});

test('during regular hours the protected exit cancels the stop first and sells what is held', async () => {
  const emu = await emulatorAt(at('19:50', 5));
  try {
    const b = marketClockBroker(emu);
    await b.submitOrder({ clientOrderId: 'tb-day-TQQQ-entry', symbol: 'TQQQ', assetClass: 'us_equity', side: 'buy', qty: 10, type: 'market' });
    await b.placeProtectiveStop({ clientOrderId: 'tb-day-TQQQ-stop', symbol: 'TQQQ', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'stop', stopPrice: 1, referencePrice: 50 });
    const r = await protectedExit(b, { exit: { clientOrderId: 'tb-day-TQQQ-exit', symbol: 'TQQQ', assetClass: 'us_equity', side: 'sell', qty: 10, type: 'market' }, stopClientOrderId: 'tb-day-TQQQ-stop', pollMs: 10 });
    assert.equal(r.closedBy, 'exit');
    assert.equal(r.exit?.status, 'filled');
    assert.equal(r.stop?.status, 'canceled');
    assert.deepEqual(await b.positions(), []);
  } finally {
    await emu.close();
  }
});
