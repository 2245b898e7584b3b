import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimBroker } from '../../activities/broker/simBroker';
import { optionPremium } from '../../domain/emulator/options';
import { parseOccSymbol } from '../../domain/instruments/occSymbol';
import { simulatedPutQuote } from '../../domain/instruments/simulatedOptionPrice';

const SYMBOL = 'TNA   250417P00018000';
const AT = Date.parse('2025-04-09T14:36:00Z');

function broker(): SimBroker {
  const journalPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'puts-')), 'journal.jsonl');
  return new SimBroker({ journalPath, startingCash: 10_000, prices: { closeAt: (s) => (s === 'TNA' ? 18.18 : null) } });
}

test('the simulated broker quotes the model bid and ask, buys at the ask and sells at the bid', async () => {
  const b = broker();
  const q = simulatedPutQuote({ underlying: 18.18, contract: parseOccSymbol(SYMBOL)!, atMs: AT });
  assert.ok(q.bid < q.ask, `a spread: ${q.bid} / ${q.ask}`);
  assert.deepEqual(await b.twoSidedQuote(SYMBOL, 'us_option', AT), { bid: q.bid, ask: q.ask });
  const order = { symbol: SYMBOL, assetClass: 'us_option' as const, qty: 3, type: 'market' as const, simFillBarStart: AT };
  const buy = await b.submitOrder({ ...order, clientOrderId: 'p:entry', side: 'buy' });
  const sell = await b.submitOrder({ ...order, clientOrderId: 'p:exit', side: 'sell' });
  assert.equal(buy.filledAvgPrice, q.ask);
  assert.equal(sell.filledAvgPrice, q.bid);
  assert.equal(await b.quote(SYMBOL, 'us_option', AT), Math.round(q.mid * 100) / 100);
});

test("the emulator's option price is the model mid to the cent and decays toward expiry", () => {
  const c = parseOccSymbol(SYMBOL)!;
  const now = optionPremium(c, 18.18, AT, { vix: null });
  assert.equal(now, Math.round(simulatedPutQuote({ underlying: 18.18, contract: c, atMs: AT }).mid * 100) / 100);
  assert.ok(optionPremium(c, 18.18, Date.parse('2025-04-16T19:00:00Z'), { vix: null }) < now);
  assert.ok(optionPremium(c, 18.18, AT, { vix: 45 }) > now, 'a higher VIX prices the put higher');
});

test("the simulated broker prices with the volatility inputs of the put's underlying on the fill's New York date", async () => {
  const asked: string[] = [];
  const journalPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'puts-')), 'journal.jsonl');
  const b = new SimBroker({ journalPath, startingCash: 10_000, prices: { closeAt: () => 18.18 }, putVolatility: (underlying, date) => (asked.push(`${underlying} ${date}`), { vix: 45 }) });
  const q = simulatedPutQuote({ underlying: 18.18, contract: parseOccSymbol(SYMBOL)!, atMs: AT, vix: 45 });
  assert.equal(q.sigma, 0.45);
  const buy = await b.submitOrder({ symbol: SYMBOL, assetClass: 'us_option', qty: 1, type: 'market', simFillBarStart: AT, clientOrderId: 'v:entry', side: 'buy' });
  assert.equal(buy.filledAvgPrice, q.ask);
  assert.deepEqual([...new Set(asked)], [`${parseOccSymbol(SYMBOL)!.underlying} 2025-04-09`]);
});
