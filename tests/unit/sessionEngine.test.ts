import assert from 'node:assert/strict';
import { test } from 'node:test';
import { botConfigSchema, type BotConfig } from '../../domain/config/botConfigSchema';
import type { Bar } from '../../domain/market/bar';
import type { CapacityGrant } from '../../domain/risk/accountState';
import { SessionEngine } from '../../domain/session/sessionEngine';
import { runFlow, runFlowAsync, type AsyncSessionPort, type ExitDecision, type GrantedEntry, type SessionPort } from '../../domain/session/sessionPort';
import type { Decision, EntrySignal, SymbolTracker } from '../../domain/strategies/strategy';

/*
 * Session rules through the engine with a fake port, without a Temporal server: every call the engine
 * makes is recorded, and the answers are scripted per test.
 */

const T0 = Date.parse('2026-03-02T14:31:00Z');
const bar = (t: number, c = 100): Bar => ({ t, o: c, h: c, l: c, c, v: 1000 });
const entry = (t: number, strength: number, side: 'long' | 'short' = 'long'): EntrySignal => ({ kind: 'entry', side, price: 100, barStart: t, strength });

/** A tracker that answers each bar start from a script and records what the engine told it. */
class ScriptedTracker implements SymbolTracker {
  readonly date = '2026-03-02';
  cancels: ({ laterEntry?: boolean } | undefined)[] = [];
  done = false;
  position = null;
  constructor(
    readonly symbol: string,
    private readonly onBars: ReadonlyMap<number, Decision> = new Map(),
    private readonly onTimes: ReadonlyMap<number, Decision> = new Map(),
  ) {}
  onBar(b: Bar): Decision {
    return this.onBars.get(b.t) ?? null;
  }
  onTime(nowMs: number): Decision {
    return this.onTimes.get(nowMs) ?? null;
  }
  onEndOfData(): Decision {
    return null;
  }
  cancelEntry(opts?: { readonly laterEntry?: boolean }): void {
    this.cancels.push(opts);
  }
}

interface FakePosition {
  readonly symbol: string;
  readonly signal: EntrySignal;
}
type FakeVenue = { readonly position: FakePosition; readonly closing: null };

function grantFor(symbol: string, quantity = 10): CapacityGrant {
  return { granted: true, requestId: `r:${symbol}`, quantity, allocationDollars: quantity * 100, accountValue: 10_000, tags: [] } as unknown as CapacityGrant;
}

/** A port that records every call and answers from `script`; the defaults grant and fill everything. */
function fakePort(script: Partial<SessionPort<FakeVenue>> = {}) {
  const calls: string[] = [];
  const refusals: { symbol: string; code: string; message: string }[] = [];
  const base: SessionPort<FakeVenue> = {
    entryTiming: () => ({ pastSessionEnd: false, staleNote: null }),
    refused: (e, code, message) => {
      refusals.push({ symbol: e.symbol, code, message });
    },
    bearishFacts: () => ({ ok: true, facts: { supportsOptions: true, supportsShorting: true, shortable: true, putChain: null } }),
    confirm: () => 'not_asked',
    price: () => ({ ok: true, price: 100, spread: null }),
    imbalance: () => null,
    requestCapacity: (p) => ({ granted: true, requestId: `r:${p.symbol}`, grant: grantFor(p.symbol) }),
    releaseUnused: () => {},
    submitEntry: (g: GrantedEntry) => ({ kind: 'filled', position: { symbol: g.symbol, signal: g.signal } }),
    entryFilled: () => {},
    settleBeforeExit: () => {},
    close: () => ({
      held: { openSide: 'buy', assetClass: 'us_equity', entryPrice: 100, filledQty: 10, entryFees: 0, stopKind: null },
      closed: { exit: { rejectReason: null, status: 'filled' }, filledQty: 10, avgPrice: 101, fees: 0, closedBy: 'exit', stopKind: null, stopFilledAt: null, closedAt: null },
      exitFailure: null,
      detail: null,
    }),
    exitLeftOpen: () => {},
    recordExit: () => {},
    releaseExit: () => ({ brokerHalted: false }),
    lossLimitHalt: () => {},
    exited: () => {},
  };
  const port = Object.fromEntries(
    Object.entries({ ...base, ...script }).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        const subject = (args[0] as { symbol?: string } | undefined)?.symbol;
        calls.push(subject === undefined ? name : `${name}:${subject}`);
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as SessionPort<FakeVenue>;
  return { port, calls, refusals };
}

function engineWith(trackers: ScriptedTracker[], cfg: BotConfig = botConfigSchema.parse({}), blocked: string[] = []) {
  const engine = new SessionEngine<FakeVenue>({ cfg, strategy: 'open', date: '2026-03-02', blocked: new Set(blocked), recheckBeforeGrant: false });
  engine.track(trackers.map((t) => t.symbol), trackers);
  return engine;
}

/** One minute: every tracker's bar, then the exits and the entries as the session acts on them. */
function runMinute(engine: SessionEngine<FakeVenue>, port: SessionPort<FakeVenue>, t: number) {
  engine.symbols.forEach((_, slot) => engine.onBar(slot, bar(t)));
  const d = engine.endMinute();
  for (const x of d.exits) runFlow(engine.exit(x), port);
  for (const e of d.entries) runFlow(engine.enter(e, d.acceptedSignals), port);
  return d;
}

test('a minute: exits go before entries, entries strongest first (ties by symbol), n counts the grants taken', () => {
  const exitAt: Decision = { kind: 'exit', reason: 'vwap_touch', price: 101, barStart: T0 + 60_000 };
  const a = new ScriptedTracker('AAA', new Map([[T0, entry(T0, 1)]]));
  const b = new ScriptedTracker('BBB', new Map<number, Decision>([[T0, entry(T0, 3)], [T0 + 60_000, exitAt]]));
  const c = new ScriptedTracker('CCC', new Map([[T0 + 60_000, entry(T0 + 60_000, 2)]]));
  const d = new ScriptedTracker('DDD', new Map([[T0 + 60_000, entry(T0 + 60_000, 2)]]));
  const engine = engineWith([a, b, c, d]);
  const { port, calls } = fakePort();
  const first = runMinute(engine, port, T0);
  assert.deepEqual(first.entries.map((e) => e.symbol), ['BBB', 'AAA']);
  assert.equal(first.acceptedSignals, 2);
  assert.equal(engine.grantsTaken, 2);
  calls.length = 0;
  const second = runMinute(engine, port, T0 + 60_000);
  assert.equal(second.acceptedSignals, 4, 'two grants held plus this minute\'s two signals');
  assert.deepEqual(second.entries.map((e) => e.symbol), ['CCC', 'DDD']);
  const firstCall = calls.findIndex((c2) => c2.startsWith('close'));
  const firstEntry = calls.findIndex((c2) => c2 === 'requestCapacity:CCC');
  assert.ok(firstCall >= 0 && firstCall < firstEntry, `the exit closes before any entry asks: ${calls.join(', ')}`);
  assert.deepEqual({ ...engine.counts }, { signals: 4, entries: 4, exits: 1, realizedPnl: 10, staleSignalsSkipped: 0 });
  assert.deepEqual([...engine.open.values()].map((p) => p.symbol), ['AAA', 'CCC', 'DDD']);
  assert.deepEqual(engine.tradedTickers, ['BBB', 'AAA', 'CCC', 'DDD']);
});

test('the entry gate: trading state, DISABLE_ALL_TRADES and the ticker rule refuse before any venue call', () => {
  const cases: { name: string; cfg?: Record<string, string>; blocked?: string[]; kill?: boolean; code: string }[] = [
    { name: 'killed', kill: true, code: 'killed' },
    { name: 'disabled', cfg: { DISABLE_ALL_TRADES: 'true' }, code: 'trading_disabled' },
    { name: 'traded today', blocked: ['AAA'], code: 'ticker_traded_today' },
  ];
  for (const c of cases) {
    const a = new ScriptedTracker('AAA', new Map([[T0, entry(T0, 1)]]));
    const engine = engineWith([a], botConfigSchema.parse(c.cfg ?? {}), c.blocked);
    if (c.kill) engine.escalate('killed');
    const { port, calls, refusals } = fakePort();
    runMinute(engine, port, T0);
    assert.deepEqual(refusals.map((r) => r.code), [c.code], c.name);
    assert.deepEqual(calls, ['entryTiming', 'refused:AAA'], c.name);
    assert.equal(a.cancels.length, 1, `${c.name}: the tracker hears the entry was not taken`);
    assert.equal(engine.counts.entries, 0);
  }
});

test('a stale signal is counted and refused with the venue\'s note', () => {
  const a = new ScriptedTracker('AAA', new Map([[T0, entry(T0, 1)]]));
  const engine = engineWith([a]);
  const { port, refusals } = fakePort({ entryTiming: () => ({ pastSessionEnd: false, staleNote: 'stale signal: 90 s' }) });
  runMinute(engine, port, T0);
  assert.deepEqual(refusals, [{ symbol: 'AAA', code: 'stale_signal', message: 'stale signal: 90 s' }]);
  assert.equal(engine.counts.staleSignalsSkipped, 1);
});

test('a refused grant takes no slot; a rejected order gives its grant back and its signal stops counting', () => {
  const a = new ScriptedTracker('AAA', new Map([[T0, entry(T0, 2)]]));
  const b = new ScriptedTracker('BBB', new Map([[T0, entry(T0, 1)]]));
  const engine = engineWith([a, b]);
  const released: string[] = [];
  const { port, refusals } = fakePort({
    requestCapacity: (p) => (p.symbol === 'AAA' ? { granted: false, code: 'max_concurrent', message: 'risk: max_concurrent' } : { granted: true, requestId: 'r:BBB', grant: grantFor('BBB') }),
    submitEntry: () => ({ kind: 'rejected' }),
    releaseUnused: (g) => {
      released.push(g.requestId);
    },
  });
  runMinute(engine, port, T0);
  assert.deepEqual(refusals.map((r) => `${r.symbol}:${r.code}`), ['AAA:max_concurrent']);
  assert.deepEqual(released, ['r:BBB']);
  assert.equal(engine.grantsTaken, 0);
  assert.equal(engine.open.size, 0);
  assert.deepEqual(engine.tradedTickers, ['BBB'], 'a ticker whose order reached the broker counts as traded');
  assert.equal(b.cancels.length, 1);
});

test('spread: a wide quote ends the symbol\'s entries, a one-sided quote lets a later bar signal again', () => {
  const wide = new ScriptedTracker('AAA', new Map([[T0, entry(T0, 1)]]));
  const oneSided = new ScriptedTracker('BBB', new Map([[T0, entry(T0, 1)]]));
  const engine = engineWith([wide, oneSided], botConfigSchema.parse({ MAX_SPREAD_PCT: '0.005' }));
  const { port, refusals } = fakePort({
    price: (e) => ({ ok: true, price: 100, spread: e.symbol === 'AAA' ? { bid: 99, ask: 101 } : { bid: null, ask: 100 } }),
  });
  runMinute(engine, port, T0);
  assert.deepEqual(refusals.map((r) => `${r.symbol}:${r.code}`), ['AAA:spread', 'BBB:spread']);
  assert.deepEqual(wide.cancels, [{ laterEntry: false }]);
  assert.deepEqual(oneSided.cancels, [{ laterEntry: true }]);
});

test('an exit books its PnL; a release that hits the loss limit halts the broker once; a partial fill keeps its slot', () => {
  const exitAt = (t: number): Decision => ({ kind: 'exit', reason: 'stop_loss', price: 99, barStart: t });
  const a = new ScriptedTracker('AAA', new Map<number, Decision>([[T0, entry(T0, 1)], [T0 + 60_000, exitAt(T0 + 60_000)]]));
  const b = new ScriptedTracker('BBB', new Map<number, Decision>([[T0, entry(T0, 1)], [T0 + 60_000, exitAt(T0 + 60_000)]]));
  const engine = engineWith([a, b]);
  let closes = 0;
  const { port, calls } = fakePort({
    close: () => {
      closes += 1;
      const filledQty = closes === 1 ? 10 : 4;
      return {
        held: { openSide: 'buy', assetClass: 'us_equity', entryPrice: 100, filledQty: 10, entryFees: 0, stopKind: null },
        closed: { exit: { rejectReason: null, status: 'filled' }, filledQty, avgPrice: 95, fees: 1, closedBy: 'exit', stopKind: null, stopFilledAt: null, closedAt: null },
        exitFailure: null,
        detail: null,
      };
    },
    releaseExit: () => ({ brokerHalted: true }),
  });
  runMinute(engine, port, T0);
  runMinute(engine, port, T0 + 60_000);
  assert.equal(engine.trading, 'broker_halted');
  assert.equal(calls.filter((c) => c === 'lossLimitHalt').length, 1);
  assert.equal(calls.filter((c) => c.startsWith('releaseExit')).length, 1, 'the partly closed position keeps its grant');
  assert.equal(calls.filter((c) => c.startsWith('exitLeftOpen')).length, 1);
  assert.equal(engine.counts.exits, 2);
  assert.equal(engine.counts.realizedPnl, -51 + -21);
});

test('the clock and the session end: hold windows that ran out, then every open position at its last bar', () => {
  const timeOut: Decision = { kind: 'exit', reason: 'hold_limit', price: 100, barStart: T0 };
  const a = new ScriptedTracker('AAA', new Map([[T0, entry(T0, 1)]]), new Map([[T0 + 120_000, timeOut]]));
  const b = new ScriptedTracker('BBB', new Map([[T0, entry(T0, 1)]]));
  const engine = engineWith([a, b]);
  const { port } = fakePort();
  runMinute(engine, port, T0);
  assert.equal(engine.timeExit(1, T0 + 120_000), null);
  const held = engine.timeExit(0, T0 + 120_000) as ExitDecision;
  assert.deepEqual(held, { slot: 0, reason: 'hold_limit', price: 100, barStart: T0 });
  runFlow(engine.exit(held), port);
  assert.deepEqual(engine.closingExits('kill_switch'), [{ slot: 1, reason: 'kill_switch', price: 100, barStart: T0 }]);
});

test('a venue answering with promises makes the very same calls in the same order', async () => {
  const script = () => [
    new ScriptedTracker('AAA', new Map<number, Decision>([[T0, entry(T0, 2, 'short')], [T0 + 60_000, { kind: 'exit', reason: 'vwap_touch', price: 98, barStart: T0 + 60_000 }]])),
    new ScriptedTracker('BBB', new Map([[T0, entry(T0, 1)]])),
  ];
  const sync = fakePort();
  const syncEngine = engineWith(script());
  runMinute(syncEngine, sync.port, T0);
  runMinute(syncEngine, sync.port, T0 + 60_000);

  const later = fakePort();
  const asyncPort = Object.fromEntries(Object.entries(later.port).map(([k, fn]) => [k, (...a: unknown[]) => Promise.resolve((fn as (...x: unknown[]) => unknown)(...a))])) as unknown as AsyncSessionPort<FakeVenue>;
  const asyncEngine = engineWith(script());
  for (const t of [T0, T0 + 60_000]) {
    asyncEngine.symbols.forEach((_, slot) => asyncEngine.onBar(slot, bar(t)));
    const d = asyncEngine.endMinute();
    for (const x of d.exits) await runFlowAsync(asyncEngine.exit(x), asyncPort);
    for (const e of d.entries) await runFlowAsync(asyncEngine.enter(e, d.acceptedSignals), asyncPort);
  }
  assert.ok(sync.calls.includes('bearishFacts:AAA'), 'a short entry asks for its instrument facts');
  assert.deepEqual(later.calls, sync.calls);
  assert.deepEqual({ ...asyncEngine.counts }, { ...syncEngine.counts });
});
