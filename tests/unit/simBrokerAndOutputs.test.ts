import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SimBroker, readSimJournal } from '../../activities/broker/simBroker';
import { BarStore } from '../../activities/marketData/barStore';
import { appendTradeRecord, readTradeHistory } from '../../activities/outputs/tradeHistory';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import { tempOutputDir } from '../helpers/tradingDayHarness';
import { tradeRecordFixture } from '../helpers/tradeFixtures';

const T0 = Date.parse('2025-04-09T14:30:00Z');
const store = new BarStore(
  new Map([
    ['AAA', [0, 1, 2].map((i) => ({ t: T0 + i * 60_000, o: 10 + i, h: 11 + i, l: 9 + i, c: 10.5 + i, v: 100 }))],
  ]),
);

test('the simulated broker fills at the decision bar close and returns the first order for a repeated client id', async () => {
  const dir = tempOutputDir('sim');
  const journalPath = path.join(dir, 'orders.jsonl');
  const broker = new SimBroker({ journalPath, startingCash: 10_000, prices: store });
  const req = { clientOrderId: 'day:open:AAA:entry', symbol: 'AAA', assetClass: 'us_equity' as const, side: 'buy' as const, qty: 10, type: 'market' as const, simFillBarStart: T0 + 60_000 };
  const first = await broker.submitOrder(req);
  assert.equal(first.status, 'filled');
  assert.equal(first.filledAvgPrice, 11.5);
  const again = await broker.submitOrder({ ...req, qty: 99 });
  assert.deepEqual(again, first);
  // A new broker over the same journal (a restarted worker) still knows the order.
  const restarted = new SimBroker({ journalPath, startingCash: 10_000, prices: store });
  assert.deepEqual(await restarted.getOrderByClientId(req.clientOrderId), first);
  assert.deepEqual(await restarted.submitOrder(req), first);
  assert.equal(readSimJournal(journalPath).length, 1);
  assert.deepEqual(await restarted.positions(), [{ symbol: 'AAA', qty: 10, avgEntryPrice: 11.5 }]);
  assert.equal((await restarted.account()).cash, 10_000 - 115);
  const noPrice = await broker.submitOrder({ ...req, clientOrderId: 'x', symbol: 'ZZZ' });
  assert.equal(noPrice.status, 'rejected');
  assert.equal(noPrice.rejectReason, 'no_price');
});

test('a torn journal line from a killed process is ignored, not fatal', () => {
  const dir = tempOutputDir('sim-torn');
  const journalPath = path.join(dir, 'orders.jsonl');
  fs.writeFileSync(journalPath, '{"clientOrderId":"a","id":"sim-a","symbol":"AAA","side":"buy","qty":1,"filledQty":1,"filledAvgPrice":10,"status":"filled","submittedAt":"x","filledAt":"x","fees":0,"rejectReason":null}\n{"clientOrderId":"b","id');
  const broker = new SimBroker({ journalPath, startingCash: 1000, prices: store });
  assert.equal(broker.allOrders().length, 1);
});

const trade = (id: string): TradeRecord => tradeRecordFixture({ tradeId: id });

test('trade history is written once per trade id, in JSON and CSV, and refuses a mode mismatch', () => {
  const dir = tempOutputDir('history');
  assert.deepEqual(appendTradeRecord(dir, 'paper', trade('t1')), { written: true });
  assert.deepEqual(appendTradeRecord(dir, 'paper', trade('t1')), { written: false });
  appendTradeRecord(dir, 'paper', trade('t2'));
  assert.deepEqual(readTradeHistory(dir, 'paper').map((t) => t.tradeId), ['t1', 't2']);
  const csv = fs.readFileSync(path.join(dir, 'trades', 'trade_history_paper.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 3);
  assert.match(csv[0], /^timestamp,tradeId,date,strategy_name,ticker/);
  assert.throws(() => appendTradeRecord(dir, 'live', trade('t3')), /routed to live/);
  assert.ok(!fs.existsSync(path.join(dir, 'trades', 'trade_history_live.json')));
});

test('a CSV row lost between the JSON write and the CSV append is restored by the retry', () => {
  const dir = tempOutputDir('history-retry');
  appendTradeRecord(dir, 'paper', trade('t1'));
  const csvPath = path.join(dir, 'trades', 'trade_history_paper.csv');
  const header = fs.readFileSync(csvPath, 'utf8').split('\n')[0];
  fs.writeFileSync(csvPath, `${header}\n`);
  assert.deepEqual(appendTradeRecord(dir, 'paper', trade('t1')), { written: false });
  assert.equal(fs.readFileSync(csvPath, 'utf8').trim().split('\n').length, 2);
});
