import test from 'node:test';
import assert from 'node:assert/strict';
import { EventName, IBApi } from '@stoqey/ib';
import { ConfigError, NetworkError } from '../../domain/errors/errorClasses';
import type { OrderRequest } from '../../activities/broker/brokerTypes';
import { at, fixtureBar, jump } from './emulatorHarness';
import { ibkrFor, twsEmulatorAt } from './twsHarness';

// The real IbkrBroker through @stoqey/ib's own encoder, decoder and socket against the emulator's TWS
// port on the 2025-04-09 fixture day (docs/ibkr.md).

const order = (over: Partial<OrderRequest> = {}): OrderRequest => ({ clientOrderId: 'tb-tws-TQQQ-entry', symbol: 'TQQQ', assetClass: 'us_equity', side: 'buy', qty: 10, type: 'market', ...over });

test('handshake: @stoqey/ib negotiates server version 157, decodes every answer without a decoding error', async () => {
  const emu = await twsEmulatorAt(at('14:00', 30));
  const ib = new IBApi({ host: '127.0.0.1', port: emu.twsPort! });
  const problems: string[] = [];
  ib.on(EventName.error, (err: Error, code: number) => {
    if (code === 505 || /Decoding error|Underrun/.test(err.message)) problems.push(err.message);
  });
  try {
    const server = new Promise<number>((resolve) => ib.once(EventName.server, (v: number) => resolve(v)));
    const accounts = new Promise<string>((resolve) => ib.once(EventName.managedAccounts, (a: string) => resolve(a)));
    ib.connect(3);
    assert.equal(await server, 157);
    assert.equal(await accounts, 'DU1234567');
    const b = ibkrFor(emu, { clientId: 4 });
    await b.authenticate();
    await b.submitOrder(order());
    await b.placeProtectiveStop({ clientOrderId: 'tb-tws-TQQQ-stop', symbol: 'TQQQ', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'trailing', trailPercent: 2, referencePrice: 40 });
    await b.ordersSince('2025-04-09T00:00:00Z');
    assert.ok((await b.putContracts('TQQQ', { expiryFrom: '2025-04-16', expiryTo: '2025-04-30' })).length > 0);
    await b.close();
    assert.deepEqual(problems, []);
  } finally {
    ib.disconnect();
    await emu.close();
  }
});

test('account, place, fill at the next trade price, positions, cancel a working stop', async () => {
  const emu = await twsEmulatorAt(at('14:00', 30));
  try {
    const b = ibkrFor(emu);
    await b.authenticate();
    assert.deepEqual(await b.account(), { accountValue: 100_000, cash: 100_000, buyingPower: 200_000 });
    const filled = await b.submitOrder(order());
    assert.equal(filled.status, 'filled');
    // The minute's open is the price trading at 14:00:30 (domain/market/fillModel.ts).
    assert.equal(filled.filledAvgPrice, fixtureBar('TQQQ', '14:00').o);
    assert.deepEqual(await b.positions(), [{ symbol: 'TQQQ', qty: 10, avgEntryPrice: fixtureBar('TQQQ', '14:00').o }]);
    const stop = await b.placeProtectiveStop({ clientOrderId: 'tb-tws-TQQQ-stop', symbol: 'TQQQ', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'stop', stopPrice: 1, referencePrice: 40 });
    assert.equal(stop.placed, true);
    assert.equal((await b.openOrders()).length, 1);
    await b.cancelOrder(stop.placed ? stop.order.id : '');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(await b.openOrders(), []);
    assert.equal(emu.orders().find((o) => o.clientOrderId === 'tb-tws-TQQQ-stop')?.status, 'canceled');
    await b.close();
  } finally {
    await emu.close();
  }
});

test('rejected order: error 201 and Inactive become a rejected order with the reason', async () => {
  const emu = await twsEmulatorAt(at('14:00', 30));
  try {
    const b = ibkrFor(emu);
    await b.authenticate();
    const r = await b.submitOrder(order({ clientOrderId: 'tb-tws-big', qty: 100_000 }));
    assert.equal(r.status, 'rejected');
    assert.match(r.rejectReason ?? '', /^insufficient_buying_power:201/);
    assert.deepEqual(await b.positions(), []);
    await b.close();
  } finally {
    await emu.close();
  }
});

test('partial fills: half now, the rest at the next bar open, whole shares', async () => {
  const emu = await twsEmulatorAt(at('14:00', 30), { partialFills: true }, 60);
  try {
    const b = ibkrFor(emu, { timeoutS: 5 });
    await b.authenticate();
    const r = await b.submitOrder(order({ qty: 11.7 }));
    assert.equal(r.status, 'filled');
    assert.equal(r.filledQty, 11);
    const fills = emu.orders()[0]!;
    assert.equal(fills.filledQty, 11);
    await b.close();
  } finally {
    await emu.close();
  }
});

test('orderRef: a retried submit after a lost answer finds the first order instead of placing a second', async () => {
  const emu = await twsEmulatorAt(at('14:00', 30));
  try {
    const first = ibkrFor(emu);
    await first.authenticate();
    emu.tws!.dropAfter('placeOrder');
    // The first attempt loses its answer (it may still settle after reconnecting); the activity's retry runs in a fresh adapter.
    await first.submitOrder(order()).catch((e: unknown) => e);
    assert.equal(emu.tws!.counts.droppedAnswers, 1);
    await first.close();
    const retried = ibkrFor(emu);
    const retry = await retried.submitOrder(order());
    assert.equal(retry.status, 'filled');
    assert.equal(retry.filledQty, 10);
    assert.equal(emu.orders().length, 1);
    await retried.close();
  } finally {
    await emu.close();
  }
});

test('a second connection with the same client id is refused (326) with a clear message', async () => {
  const emu = await twsEmulatorAt(at('14:00', 30));
  try {
    const a = ibkrFor(emu, { clientId: 11 });
    await a.authenticate();
    const b = ibkrFor(emu, { clientId: 11 });
    await assert.rejects(b.authenticate(), (e: unknown) => e instanceof ConfigError && /client id 11 is already in use/.test(e.message) && /IBKR_CLIENT_ID/.test(e.message));
    assert.equal(emu.tws!.counts.refusedClientId, 1);
    await a.close();
  } finally {
    await emu.close();
  }
});

test('gateway restart: connection dropped, nothing submitted in the window, reconnect re-reads orders and positions', async () => {
  const emu = await twsEmulatorAt(at('14:00', 30), { gatewayRestart: { atMs: at('14:02'), downMs: 3 * 60_000 } }, 60);
  try {
    // IBKR_RESTART_WINDOW matches the emulated restart (10:02 New York, 3 minutes); the adapter's clock is market time.
    const b = ibkrFor(emu, { timeoutS: 1, restartWindow: '10:02/3', marketClock: true });
    await b.authenticate();
    await b.submitOrder(order());
    await new Promise((r) => setTimeout(r, 2_300)); // market 14:02:48: down
    assert.ok(emu.tws!.counts.droppedByRestart >= 1);
    const received = emu.orders().length;
    await assert.rejects(b.submitOrder(order({ clientOrderId: 'tb-tws-during' })), (e: unknown) => e instanceof NetworkError && e.code === 'gateway_restart');
    assert.equal(emu.orders().length, received);
    jump(emu, at('14:05', 10));
    assert.deepEqual((await b.positions()).map((p) => [p.symbol, p.qty]), [['TQQQ', 10]]);
    assert.deepEqual(await b.openOrders(), []);
    assert.equal(emu.orders().length, 1);
    await b.close();
  } finally {
    await emu.close();
  }
});
