import fc from 'fast-check';
import type { TradeRecord } from '../../domain/trades/tradeRecord';
import type { BrokerName, Instrument, OutputMode } from '../../domain/vocabulary';

/** A closed trade with the session workflow's PnL arithmetic (round2 of gross minus fees). */
export function makeTrade(over: Partial<TradeRecord> & { n?: number } = {}): TradeRecord {
  const { n: nOpt, ...rest } = over;
  const n = nOpt ?? 1;
  const instrument: Instrument = over.instrument ?? 'stock';
  const broker: BrokerName = over.broker ?? 'alpaca';
  const mode: OutputMode = over.mode ?? 'paper';
  const size = over.size ?? 10;
  const entry = over.entry_price ?? 100.25;
  const exit = over.exit_price === undefined ? 101.5 : over.exit_price;
  const fees = over.fees ?? 0.42;
  const mult = instrument === 'put' ? 100 : 1;
  const dir = instrument === 'short_stock' ? -1 : 1;
  const pnl = exit === null ? 0 : Math.round(((exit - entry) * size * mult * dir - fees) * 100) / 100;
  const underlying = over.underlying ?? 'AAPL';
  const ticker = over.ticker ?? (instrument === 'put' ? 'AAPL250321P00100000' : instrument === 'inverse_etf' ? 'SH' : underlying);
  return {
    tradeId: `day-${mode}-2025-03-10/open:${underlying}${n}`,
    timestamp: '2025-03-10T15:10:00.000Z',
    date: '2025-03-10',
    strategy_name: 'open',
    ticker,
    underlying,
    side: instrument === 'stock' ? 'long' : 'short',
    instrument,
    size,
    signal_price: 100,
    entry_price: entry,
    exit_price: exit,
    entry_time: '2025-03-10T14:51:00.000Z',
    exit_time: exit === null ? '2025-03-10T15:10:00.000Z' : '2025-03-10T15:10:00.000Z',
    exit_reason: 'trailing_stop',
    pnl,
    fees,
    broker,
    mode,
    allocation: 2000,
    account_value: 100000,
    entry_order_id: `ord-${n}-in`,
    exit_order_id: exit === null ? null : `ord-${n}-out`,
    client_order_ids: [`c-${n}-in`, `c-${n}-out`],
    tags: [],
    error_code: exit === null ? 'rejected' : null,
    ...rest,
  };
}

const price = fc.double({ min: 0.01, max: 5000, noNaN: true, noDefaultInfinity: true }).map((x) => Math.round(x * 10000) / 10000);

/** Random trades of every instrument and broker, for one mode. Sizes include fractional shares. */
export function arbTrade(mode: 'paper' | 'live', n: number): fc.Arbitrary<TradeRecord> {
  return fc
    .record({
      instrument: fc.constantFrom<Instrument>('stock', 'put', 'inverse_etf', 'short_stock'),
      broker: mode === 'live' ? fc.constantFrom<BrokerName>('alpaca', 'ibkr') : fc.constantFrom<BrokerName>('alpaca', 'ibkr', 'sim'),
      size: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0.0001, max: 50, noNaN: true }).map((x) => Math.round(x * 10000) / 10000)),
      signal: price,
      entry: price,
      exit: fc.option(price, { freq: 5 }),
      fees: fc.double({ min: 0, max: 20, noNaN: true }).map((x) => Math.round(x * 100) / 100),
      accountValue: fc.double({ min: 1000, max: 1e7, noNaN: true }),
    })
    .map((r) =>
      makeTrade({
        n,
        mode,
        instrument: r.instrument,
        broker: r.broker,
        size: r.size,
        signal_price: r.signal,
        entry_price: r.entry,
        exit_price: r.exit,
        fees: r.fees,
        account_value: r.accountValue,
      }),
    );
}

/** fc.assert with a readable failure: the assertion's own message first, the counterexample cut short. */
export function assertProperty<Ts extends [unknown, ...unknown[]]>(prop: fc.IProperty<Ts>, params: fc.Parameters<Ts> = {}): void {
  const out = fc.check(prop, params);
  if (!out.failed) return;
  const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  const example = JSON.stringify(out.counterexample).slice(0, 1500);
  throw new Error(`property failed (seed ${out.seed}, path ${out.counterexamplePath}): ${cause}\ncounterexample: ${example}`);
}
