import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AlpacaBroker } from '../../activities/broker/alpaca/alpacaBroker';
import { createProtectionActivities } from '../../activities/broker/protectionActivities';
import { createEntryCheckActivities } from '../../activities/entryCheckActivities';
import { SimBroker } from '../../activities/broker/simBroker';
import { BarStore } from '../../activities/marketData/barStore';
import type { Broker } from '../../activities/broker/brokerTypes';
import { protectiveStopPlan } from '../../domain/orders/protectiveStop';
import { clientOrderId } from '../../domain/orders/clientOrderId';
import { buildCheck, imbalanceGate } from '../../domain/strategies/enhancements';
import { chooseInstrument } from '../../domain/instruments/bearishInstrument';
import { FakeAlpacaServer, fakeServerBroker } from '../helpers/fakeAlpacaServer';

// Order safety (issue 5) and entry checks (issue 3): the pure rules, and the activities against the Alpaca
// adapter speaking to its loopback fake, the simulated broker and a scripted IBKR scanner.

const KEY = { keyId: 'PKSAFETY', secret: 'safety-secret' };
let server: FakeAlpacaServer;

function alpaca(): AlpacaBroker {
  return fakeServerBroker(server, KEY);
}

const depsFor = (b: Broker) => ({ broker: async () => b });
const scope = { replayFolder: null };

before(async () => {
  server = await FakeAlpacaServer.start(KEY);
});
after(async () => {
  await server.close();
});
beforeEach(() => {
  server.orders.length = 0;
  server.requests.length = 0;
  server.fills.clear();
  server.prices.set('AAPL', 190);
});

void test('protective stop plan: 2% trailing for OPEN, fixed 1.5% (MID) and 2% (CLOSE) on the held side, none for options', () => {
  assert.deepEqual(protectiveStopPlan({ strategy: 'open', assetClass: 'us_equity', openSide: 'buy', fillPrice: 100 }), { kind: 'trailing', side: 'sell', trailPercent: 2 });
  assert.deepEqual(protectiveStopPlan({ strategy: 'mid', assetClass: 'us_equity', openSide: 'buy', fillPrice: 100 }), { kind: 'stop', side: 'sell', stopPrice: 98.5 });
  assert.deepEqual(protectiveStopPlan({ strategy: 'close', assetClass: 'us_equity', openSide: 'sell', fillPrice: 50 }), { kind: 'stop', side: 'buy', stopPrice: 51 });
  assert.equal(protectiveStopPlan({ strategy: 'open', assetClass: 'us_option', openSide: 'buy', fillPrice: 1.2 }), null);
  assert.equal(protectiveStopPlan({ strategy: 'mid', assetClass: 'us_equity', openSide: 'buy', fillPrice: 0 }), null);
});

void test('imbalance gate: blocks only a strong opposing imbalance; no data warns and allows', () => {
  assert.equal(imbalanceGate('long', { imbalance: -60_000, auctionVolume: 100_000 }, 0.5).allow, false);
  assert.equal(imbalanceGate('long', { imbalance: -50_000, auctionVolume: 100_000 }, 0.5).allow, false, 'at the ratio blocks');
  assert.equal(imbalanceGate('long', { imbalance: -49_999, auctionVolume: 100_000 }, 0.5).allow, true);
  assert.equal(imbalanceGate('long', { imbalance: 90_000, auctionVolume: 100_000 }, 0.5).allow, true, 'a supporting imbalance never blocks');
  assert.equal(imbalanceGate('short', { imbalance: 90_000, auctionVolume: 100_000 }, 0.5).allow, false);
  const none = imbalanceGate('short', null, 0.5);
  assert.equal(none.allow, true);
  assert.match(none.warning ?? '', /no closing imbalance data/);
  assert.equal(imbalanceGate('short', { imbalance: 5, auctionVolume: 0 }, 0.5).allow, true);
});

void test('build check: a newer running release is told apart (runningNewer), a live debug build blocks; an unknown running version warns', () => {
  assert.equal(buildCheck({ configuredTag: 'v1.0.0', runningTag: 'v1.0.0', buildMode: 'release', liveMoney: true }).allow, true);
  const other = buildCheck({ configuredTag: 'v1.1.0', runningTag: 'v1.0.0', buildMode: 'release', liveMoney: false });
  assert.equal(other.allow, false);
  assert.match(other.reason ?? '', /runs v1\.0\.0 but the day was configured for VERSION_TAG=v1\.1\.0/);
  assert.equal(other.runningNewer, false, 'an older worker on a newer day: blocked');
  const deployed = buildCheck({ configuredTag: 'v1.0.0', runningTag: 'v1.2.0', buildMode: 'release', liveMoney: true });
  assert.equal(deployed.allow, false);
  assert.equal(deployed.runningNewer, true, 'a newer release continuing an older day: the session trades on with a note');
  assert.equal(buildCheck({ configuredTag: 'v1.0.0', runningTag: 'v1.0.0', buildMode: 'debug', liveMoney: true }).runningNewer, false);
  assert.equal(buildCheck({ configuredTag: 'v1.0.0', runningTag: 'v1.0.0', buildMode: 'debug', liveMoney: true }).allow, false);
  assert.equal(buildCheck({ configuredTag: 'v1.0.0', runningTag: 'v1.0.0', buildMode: 'debug', liveMoney: false }).allow, true);
  const unknown = buildCheck({ configuredTag: 'v1.0.0', runningTag: null, buildMode: 'release', liveMoney: false });
  assert.equal(unknown.allow, true);
  assert.match(unknown.warning ?? '', /VERSION\.md/);
});

void test('Alpaca: the stop is held at the broker once (a retried placement finds it), and the exit cancels it before selling', async () => {
  const acts = createProtectionActivities(depsFor(alpaca()));
  await alpaca().submitOrder({ clientOrderId: 'tb-x-AAPL-entry', symbol: 'AAPL', assetClass: 'us_equity', side: 'buy', qty: 10, type: 'market' });
  const request = { clientOrderId: 'tb-x-AAPL-stop', symbol: 'AAPL', assetClass: 'us_equity' as const, side: 'sell' as const, qty: 10, kind: 'trailing' as const, trailPercent: 2, referencePrice: 190 };
  const first = await acts.placeProtectiveStop({ broker: 'alpaca', request, ...scope });
  const again = await acts.placeProtectiveStop({ broker: 'alpaca', request, ...scope });
  assert.equal(first.placed, true);
  assert.equal(again.placed, true);
  assert.equal(server.orders.filter((o) => o.clientOrderId === 'tb-x-AAPL-stop').length, 1, 'one stop at the broker');

  const closed = await acts.closePosition({
    broker: 'alpaca',
    request: { clientOrderId: 'tb-x-AAPL-exit', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, type: 'market' },
    stopClientOrderId: 'tb-x-AAPL-stop',
    ...scope,
  });
  assert.equal(closed.stop?.status, 'canceled');
  assert.equal(closed.exit?.status, 'filled');
  assert.equal(closed.filledQty, 10);
  assert.equal(closed.attempt, 1);
  // The bot's own exit closed it: the session keeps its rule's reason.
  assert.equal(closed.closedBy, 'exit');
  assert.equal(closed.stopFilledQty, 0);
  assert.equal(closed.stopFilledAt, null);
  assert.equal(closed.stopFillPrice, null);
  assert.equal(closed.closedAt, closed.exit?.filledAt);
});

void test('Alpaca: when the broker stop already filled, the exit sells nothing more (no accidental short)', async () => {
  const acts = createProtectionActivities(depsFor(alpaca()));
  await alpaca().submitOrder({ clientOrderId: 'tb-y-AAPL-entry', symbol: 'AAPL', assetClass: 'us_equity', side: 'buy', qty: 4, type: 'market' });
  await acts.placeProtectiveStop({ broker: 'alpaca', request: { clientOrderId: 'tb-y-AAPL-stop', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 4, kind: 'stop', stopPrice: 186.2, referencePrice: 190 }, ...scope });
  // The stop fired at 10:42:10 New York; the bot's rule decides on a later bar at another price.
  server.triggerStop('tb-y-AAPL-stop', 186.2, '2025-03-03T15:42:10Z');
  server.prices.set('AAPL', 184);
  const closed = await acts.closePosition({
    broker: 'alpaca',
    request: { clientOrderId: 'tb-y-AAPL-exit', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 4, type: 'market' },
    stopClientOrderId: 'tb-y-AAPL-stop',
    stopKind: 'stop',
    ...scope,
  });
  assert.equal(closed.exit, null);
  assert.equal(closed.filledQty, 4);
  assert.equal(closed.avgPrice, 186.2);
  assert.equal(server.orders.filter((o) => o.clientOrderId === 'tb-y-AAPL-exit').length, 0);
  // Defect 7: the record takes the stop's reason, time and price.
  assert.equal(closed.closedBy, 'stop');
  assert.equal(closed.stopKind, 'stop');
  assert.equal(closed.stopFilledQty, 4);
  assert.equal(closed.stopFillPrice, 186.2);
  assert.equal(closed.stopFilledAt, '2025-03-03T15:42:10.000Z');
  assert.equal(closed.closedAt, '2025-03-03T15:42:10.000Z');
});

void test('Alpaca: a stop that filled part before the exit: closedBy both, the exit sells only the rest', async () => {
  const acts = createProtectionActivities(depsFor(alpaca()));
  await alpaca().submitOrder({ clientOrderId: 'tb-v-AAPL-entry', symbol: 'AAPL', assetClass: 'us_equity', side: 'buy', qty: 10, type: 'market' });
  await acts.placeProtectiveStop({ broker: 'alpaca', request: { clientOrderId: 'tb-v-AAPL-stop', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, kind: 'trailing', trailPercent: 2, referencePrice: 190 }, ...scope });
  const stop = server.orders.find((o) => o.clientOrderId === 'tb-v-AAPL-stop');
  assert.ok(stop);
  Object.assign(stop, { status: 'partially_filled', filledQty: '4', filledAvgPrice: '186.20', filledAt: new Date('2025-03-03T15:40:00Z') });
  const closed = await acts.closePosition({
    broker: 'alpaca',
    request: { clientOrderId: 'tb-v-AAPL-exit', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 10, type: 'market' },
    stopClientOrderId: 'tb-v-AAPL-stop',
    stopKind: 'trailing',
    ...scope,
  });
  assert.equal(closed.closedBy, 'both');
  assert.equal(stop.status, 'canceled', 'the working rest of a part-filled stop is cancelled');
  assert.equal(closed.exit?.qty, 6);
  assert.equal(closed.stopFilledQty, 4);
  assert.equal(closed.stopFillPrice, 186.2);
  assert.equal(closed.filledQty, 10);
  assert.deepEqual((await alpaca().positions()).map((p) => p.symbol), []);
});

void test('session start reconciliation cancels a stop left by a crashed session and reports positions; watchdog cancel and lookup', async () => {
  const b = alpaca();
  await b.submitOrder({ clientOrderId: 'tb-z-AAPL-entry', symbol: 'AAPL', assetClass: 'us_equity', side: 'buy', qty: 3, type: 'market' });
  await b.placeProtectiveStop({ clientOrderId: 'tb-z-AAPL-stop', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 3, kind: 'stop', stopPrice: 180, referencePrice: 190 });
  await b.placeProtectiveStop({ clientOrderId: 'user-own-stop', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 1, kind: 'stop', stopPrice: 150, referencePrice: 190 });
  const acts = createProtectionActivities(depsFor(b));
  // The fake stamps orders with the real clock: a session of today leaves today's stop working (another
  // session of the day may own it); a session of the next day cancels it as left by a crashed session.
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const sameDay = await acts.reconcileSessionStart({ broker: 'alpaca', date: today, ...scope });
  assert.equal(sameDay.cancelledOrderIds.length, 0);
  assert.ok(sameDay.discrepancies.some((d) => /^orphan_order AAPL tb-z-AAPL-stop.*left working/.test(d)), sameDay.discrepancies.join('\n'));
  const rec = await acts.reconcileSessionStart({ broker: 'alpaca', date: tomorrow, ...scope });
  assert.equal(rec.cancelledOrderIds.length, 1);
  assert.ok(rec.discrepancies.some((d) => /^orphan_order AAPL tb-z-AAPL-stop.*cancelled/.test(d)), rec.discrepancies.join('\n'));
  // The position's entry id is no session's: it is the user's own, returned as information, never a problem.
  assert.deepEqual(rec.foreign.map((p) => [p.symbol, p.qty]), [['AAPL', 3]]);
  assert.ok(!rec.discrepancies.some((d) => /AAPL: expected 0/.test(d)), rec.discrepancies.join('\n'));
  assert.equal(rec.positions, 1);
  assert.equal(server.orders.find((o) => o.clientOrderId === 'user-own-stop')?.status, 'new', "the user's own order is left alone");
  assert.equal(server.count('POST', '/v2/orders'), 3, 'reconciliation places no order');

  await b.placeProtectiveStop({ clientOrderId: 'tb-w-AAPL-stop', symbol: 'AAPL', assetClass: 'us_equity', side: 'sell', qty: 3, kind: 'stop', stopPrice: 181, referencePrice: 190 });
  const cancelled = await acts.cancelBotOrders({ broker: 'alpaca', ...scope });
  assert.equal(cancelled.cancelledOrderIds.length, 1);
  assert.equal((await acts.lookupOrder({ broker: 'alpaca', clientOrderId: 'tb-z-AAPL-entry', ...scope }))?.status, 'filled');
  assert.equal(await acts.lookupOrder({ broker: 'alpaca', clientOrderId: 'tb-never', ...scope }), null);
  assert.equal((await acts.brokerHeartbeat({ broker: 'alpaca', ...scope })).attempt, 1);
});

void test('entry checks: Alpaca latest quote, the simulator quotes a bar range, IBKR imbalance when enabled, the worker release', async () => {
  const checks = createEntryCheckActivities(depsFor(alpaca()));
  assert.deepEqual(await checks.entryQuote({ broker: 'alpaca', symbol: 'AAPL', assetClass: 'us_equity', barStart: 0, ...scope }), { bid: 189.99, ask: 190.01 });

  const t = Date.parse('2025-03-03T15:00:00Z');
  const store = new BarStore(new Map([['XYZ', [{ t, o: 10, h: 10.3, l: 9.9, c: 10.1, v: 1000 }]]]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-safety-'));
  const sim = new SimBroker({ journalPath: path.join(dir, 'sim.jsonl'), startingCash: 1000, prices: store });
  const simChecks = createEntryCheckActivities(depsFor(sim));
  assert.deepEqual(await simChecks.entryQuote({ broker: 'sim', symbol: 'XYZ', assetClass: 'us_equity', barStart: t, ...scope }), { bid: 9.9, ask: 10.3 });
  assert.deepEqual(await simChecks.entryQuote({ broker: 'sim', symbol: 'NONE', assetClass: 'us_equity', barStart: t, ...scope }), { bid: null, ask: null });
  const simProtection = createProtectionActivities(depsFor(sim));
  const notPlaced = await simProtection.placeProtectiveStop({ broker: 'sim', request: { clientOrderId: 's', symbol: 'XYZ', assetClass: 'us_equity', side: 'sell', qty: 1, kind: 'trailing', trailPercent: 2, referencePrice: 10 }, ...scope });
  assert.equal(notPlaced.placed, false);

  // IBKR is asked by name; a worker without it gives no data.
  const scanner = { name: 'ibkr', imbalance: async (symbols: readonly string[]) => symbols.map((symbol) => ({ symbol, imbalance: -7000, auctionVolume: 10_000, auctionPrice: 10, regulatoryImbalance: null })) };
  const ib = createEntryCheckActivities({ broker: async (name) => { if (name !== 'ibkr') throw new Error('not ibkr'); return scanner as unknown as Broker; } });
  assert.deepEqual(await ib.closingImbalance({ symbols: ['XYZ'] }), { XYZ: { imbalance: -7000, auctionVolume: 10_000 } });
  const noIb = createEntryCheckActivities({ broker: async () => { throw new Error('broker ibkr is not enabled on this worker'); } });
  assert.equal(await noIb.closingImbalance({ symbols: ['XYZ'] }), null);

  const versionFile = path.join(dir, 'VERSION.md');
  fs.writeFileSync(versionFile, '# TradeBot v2.3.4\n\n## v2.3.4\n');
  assert.deepEqual(await createEntryCheckActivities({ ...depsFor(sim), versionFile }).buildInfo(), { versionTag: 'v2.3.4' });
  assert.deepEqual(await createEntryCheckActivities({ ...depsFor(sim), versionFile: path.join(dir, 'missing.md') }).buildInfo(), { versionTag: null });
  const shipped = fs.readFileSync(path.resolve(__dirname, '..', '..', 'VERSION.md'), 'utf8').split('\n')[0]?.replace('# TradeBot ', '');
  assert.deepEqual(await createEntryCheckActivities(depsFor(sim)).buildInfo(), { versionTag: shipped });
});

void test('bearish facts: a real broker gives shortability and a quoted put chain, which the put selection uses', async () => {
  server.prices.set('AAPL', 188);
  server.assets.set('HTB', { fractionable: true, shortable: false, easyToBorrow: false, tradable: true });
  server.optionContracts.length = 0;
  for (const expiry of ['2025-03-07', '2025-03-14', '2025-03-21']) {
    for (const strike of [160, 180, 185, 190]) {
      const occ = `AAPL${expiry.slice(2).replace(/-/g, '')}P${String(strike * 1000).padStart(8, '0')}`;
      server.optionContracts.push({ symbol: occ, underlying: 'AAPL', expiry, strike });
      server.prices.set(occ, strike === 185 ? 2.4 : 1);
    }
  }
  // Capabilities (options level, shorting) come from the account, read at authentication as on a worker.
  const b = alpaca();
  await b.authenticate();
  const checks = createEntryCheckActivities(depsFor(b));
  const facts = await checks.bearishFacts({ broker: 'alpaca', underlying: 'AAPL', price: 188, date: '2025-03-03', wantPutChain: true, ...scope });
  assert.equal(facts.shortable, true);
  const strikes = new Set(facts.putChain?.contracts.map((c) => c.strike));
  assert.deepEqual([...strikes].sort(), [180, 185], 'only strikes from 10% below the price up to it are quoted');
  assert.deepEqual([...new Set(facts.putChain?.contracts.map((c) => c.expiry))].sort(), ['2025-03-14', '2025-03-21'], 'the two nearest expiries at least 5 trading days out');
  const choice = chooseInstrument({ underlying: 'AAPL', side: 'short', shortType: 'LongPut', underlyingPrice: 188, date: '2025-03-03', brokerSupportsOptions: facts.supportsOptions, brokerSupportsShorting: facts.supportsShorting, shortable: facts.shortable, putChain: facts.putChain });
  assert.ok(choice.ok);
  assert.equal(choice.choice.symbol.replace(/ /g, ''), 'AAPL250314P00185000');

  const htb = await checks.bearishFacts({ broker: 'alpaca', underlying: 'HTB', price: 50, date: '2025-03-03', wantPutChain: false, ...scope });
  assert.equal(htb.shortable, false);
  assert.equal(htb.putChain, null);
  const refused = chooseInstrument({ underlying: 'HTB', side: 'short', shortType: 'ShortSell', underlyingPrice: 50, date: '2025-03-03', brokerSupportsOptions: true, brokerSupportsShorting: htb.supportsShorting, shortable: htb.shortable });
  assert.deepEqual(refused, { ok: false, reason: 'HTB is not shortable' });
});

void test('simulated broker: its journal shows what the bot opened; an adopted position is exited at the given bar', async () => {
  const t = Date.parse('2025-03-03T15:00:00Z');
  const store = new BarStore(new Map([['XYZ', [{ t, o: 10, h: 10.3, l: 9.9, c: 10.1, v: 1000 }, { t: t + 60_000, o: 10.1, h: 10.6, l: 10, c: 10.5, v: 900 }]]]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-adopt-'));
  const sim = new SimBroker({ journalPath: path.join(dir, 'sim.jsonl'), startingCash: 10_000, prices: store });
  const day = 'tradebot-day-paper-2025-03-03';
  const entry = clientOrderId({ workflowId: `${day}-open`, session: 'open', ticker: 'XYZ', leg: 'entry' });
  await sim.submitOrder({ clientOrderId: entry, symbol: 'XYZ', assetClass: 'us_equity', side: 'buy', qty: 100, type: 'market', simFillBarStart: t });
  const acts = createProtectionActivities(depsFor(sim));
  const input = {
    broker: 'sim' as const,
    date: '2025-03-03',
    ...scope,
    adopter: { workflowId: `${day}-mid`, dayWorkflowId: day, mode: 'paper' as const },
    marketNowMs: t + 120_000,
    simFillBarStart: t + 60_000,
  };
  const r = await acts.reconcileSessionStart(input);
  assert.equal(r.orderHistory, true);
  assert.deepEqual(r.adopted.map((a) => [a.symbol, a.filledQty, a.avgPrice, a.closedBy, a.trade.pnl]), [['XYZ', 100, 10.5, 'exit', 40]]);
  assert.deepEqual(await sim.positions(), []);
  const again = await acts.reconcileSessionStart(input);
  assert.equal(again.adopted[0]?.exit?.id, r.adopted[0]?.exit?.id);
  assert.equal(sim.allOrders().length, 2, 'one entry, one adoption exit');
});
