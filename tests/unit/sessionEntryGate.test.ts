import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryGate, type EntryGateFacts } from '../../domain/session/entryGate';
import { acceptedSignalCount, strongestFirst } from '../../domain/session/entryRanking';

// The entry gate and the ranking of one bar's entries (docs/trading.md, "Entry gate").

const OPEN: EntryGateFacts = { trading: 'active', pastSessionEnd: false, stale: false, tradingDisabled: false, tickerTradedToday: false };

void test('a signal with every fact in its favour passes the gate', () => {
  assert.equal(entryGate(OPEN), null);
});

void test('each fact alone refuses the signal under its own rule', () => {
  assert.equal(entryGate({ ...OPEN, trading: 'stopping' })?.rule, 'stopping');
  assert.equal(entryGate({ ...OPEN, trading: 'killed' })?.rule, 'killed');
  assert.equal(entryGate({ ...OPEN, trading: 'broker_halted' })?.rule, 'broker_halted');
  assert.equal(entryGate({ ...OPEN, pastSessionEnd: true })?.rule, 'session_ended');
  assert.equal(entryGate({ ...OPEN, stale: true })?.rule, 'stale_signal');
  assert.equal(entryGate({ ...OPEN, tradingDisabled: true })?.rule, 'trading_disabled');
  assert.equal(entryGate({ ...OPEN, tickerTradedToday: true })?.rule, 'ticker_traded_today');
});

void test('the gates apply in order: trading state, session end, staleness, DISABLE_ALL_TRADES, ticker rule', () => {
  const allFail: EntryGateFacts = { trading: 'killed', pastSessionEnd: true, stale: true, tradingDisabled: true, tickerTradedToday: true };
  const seen: string[] = [];
  let facts = allFail;
  const clear: Partial<Record<string, Partial<EntryGateFacts>>> = {
    killed: { trading: 'active' },
    session_ended: { pastSessionEnd: false },
    stale_signal: { stale: false },
    trading_disabled: { tradingDisabled: false },
    ticker_traded_today: { tickerTradedToday: false },
  };
  for (let refusal = entryGate(facts); refusal !== null; refusal = entryGate(facts)) {
    seen.push(refusal.rule);
    facts = { ...facts, ...clear[refusal.rule] };
  }
  assert.deepEqual(seen, ['killed', 'session_ended', 'stale_signal', 'trading_disabled', 'ticker_traded_today']);
});

void test('the messages are the ones the session log has always written', () => {
  assert.equal(entryGate({ ...OPEN, trading: 'stopping' })?.message, 'kill switch or stop active');
  assert.equal(entryGate({ ...OPEN, pastSessionEnd: true })?.message, 'too late: the session has reached its end');
  assert.equal(entryGate({ ...OPEN, tradingDisabled: true })?.message, 'DISABLE_ALL_TRADES is true');
  assert.equal(entryGate({ ...OPEN, tickerTradedToday: true })?.message, 'ticker already traded today');
});

void test('entries go strongest first; equal strengths in symbol order', () => {
  const entries = [
    { symbol: 'MSFT', signal: { strength: 0.4 } },
    { symbol: 'AAPL', signal: { strength: 0.4 } },
    { symbol: 'TSLA', signal: { strength: 0.9 } },
    { symbol: 'AMD', signal: { strength: 0.1 } },
  ];
  assert.deepEqual([...entries].sort(strongestFirst).map((e) => e.symbol), ['TSLA', 'AAPL', 'MSFT', 'AMD']);
});

void test('the weights table sees the grants already taken plus this bar\'s signals', () => {
  assert.equal(acceptedSignalCount(0, 1), 1);
  assert.equal(acceptedSignalCount(2, 3), 5);
});
