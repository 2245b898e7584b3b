import type { Bar } from '../market/bar';
import type { Decision, Strategy, StrategyContext, SymbolTracker } from './strategy';
import type { ExitReason, Side, StrategyName } from '../vocabulary';

/** One simulated round trip: entry and exit at bar closes (signal audit semantics). Times are bar starts. */
export interface SimulatedTrade {
  readonly symbol: string;
  readonly date: string;
  readonly strategy: StrategyName;
  readonly side: Side;
  /** Epoch ms, start of the entry (signal) bar. */
  readonly entryTime: number;
  readonly entryPrice: number;
  /** Epoch ms, start of the bar the exit is taken on. */
  readonly exitTime: number;
  readonly exitPrice: number;
  readonly exitReason: ExitReason;
  /** The entry signal's ranking key. */
  readonly strength: number;
}

/** Collects entry/exit decisions of one tracker into trades (every entry taken). */
class TradeCollector {
  readonly trades: SimulatedTrade[] = [];
  private pending: { side: Side; t: number; price: number; strength: number } | null = null;

  constructor(
    private readonly symbol: string,
    private readonly date: string,
    private readonly strategy: StrategyName,
  ) {}

  take(d: Decision): void {
    if (d === null) return;
    if (d.kind === 'entry') {
      this.pending = { side: d.side, t: d.barStart, price: d.price, strength: d.strength };
      return;
    }
    const p = this.pending;
    if (p === null) return;
    this.trades.push({
      symbol: this.symbol,
      date: this.date,
      strategy: this.strategy,
      side: p.side,
      entryTime: p.t,
      entryPrice: p.price,
      exitTime: d.barStart,
      exitPrice: d.price,
      exitReason: d.reason,
      strength: p.strength,
    });
    this.pending = null;
  }
}

/**
 * Runs one symbol-day through a strategy's tracker: onBar for each bar in order, then onEndOfData,
 * taking every entry. `bars` are that UTC date's bars, ascending.
 */
export function simulateSymbolDay<Cfg>(
  strategy: Strategy<Cfg>,
  cfg: Cfg,
  ctx: StrategyContext,
  symbol: string,
  date: string,
  bars: readonly Bar[],
): SimulatedTrade[] {
  const tracker = strategy.createTracker(symbol, date, cfg, ctx);
  return runTracker(tracker, strategy.name, bars);
}

/** Feeds bars to an existing tracker until it is done, then ends the data; returns the trades. */
export function runTracker(tracker: SymbolTracker, strategy: StrategyName, bars: readonly Bar[]): SimulatedTrade[] {
  const out = new TradeCollector(tracker.symbol, tracker.date, strategy);
  for (let i = 0; i < bars.length && !tracker.done; i++) out.take(tracker.onBar(bars[i]!));
  out.take(tracker.onEndOfData());
  return out.trades;
}

/**
 * Replays bars as a live session sees them: at each whole minute `now`, delivers the bars starting before
 * now - 1 minute, then calls onTime(now); time runs up to the last bar, then the data ends.
 * Used to prove the live path and `simulateSymbolDay` decide the same.
 */
export function replayByClock(tracker: SymbolTracker, strategy: StrategyName, bars: readonly Bar[]): SimulatedTrade[] {
  const out = new TradeCollector(tracker.symbol, tracker.date, strategy);
  if (bars.length > 0) {
    const minute = 60_000;
    const first = bars[0]!.t;
    const last = bars[bars.length - 1]!.t;
    let i = 0;
    for (let now = first - (first % minute); now <= last + minute; now += minute) {
      while (i < bars.length && bars[i]!.t < now - minute) out.take(tracker.onBar(bars[i++]!));
      out.take(tracker.onTime(now));
    }
    while (i < bars.length) out.take(tracker.onBar(bars[i++]!));
  }
  out.take(tracker.onEndOfData());
  return out.trades;
}
