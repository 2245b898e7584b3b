import { MINUTE_MS, type Bar } from '../market/bar';
import { utcMidnightMs } from '../market/nyTime';
import type { SessionWindow } from '../market/sessionWindow';
import type { Decision, ExitSignal, OpenPosition, SymbolTracker } from './strategy';
import type { ExitReason, Side } from '../vocabulary';

const DAY_MS = 86_400_000;

export interface EntryCandidate {
  readonly side: Side;
  /** Ranking key, larger is stronger (each strategy documents its meaning). */
  readonly strength: number;
}

/**
 * The strategy-specific part of a tracker; the timing rules (windows, hold limit, market close, end of
 * data) live in `SessionTracker` once for all strategies.
 */
export interface StrategyRules {
  /**
   * Every accepted bar of the date, in time order, before any decision on it.
   * `inSession`: the bar starts in [regular-session open, market close): only those feed session indicators.
   */
  observe(bar: Bar, inSession: boolean): void;
  /** Entry test on a bar starting in the entry window and before the market close. */
  entry(bar: Bar, inSession: boolean): EntryCandidate | null;
  /** Exit rules, in the spec's order, on a managed bar (never the entry bar). */
  exit(bar: Bar, position: OpenPosition): ExitReason | null;
  /**
   * Optional: `observe` ignores every bar starting before this instant (OPEN reads only its analysis
   * window). Lets a caller holding the date's bars in order skip them (see `SessionTracker.idleBeforeMs`).
   */
  readonly observesFromMs?: number;
}

/**
 * Follows one symbol through one session on one UTC date (README.md, "Strategies"), with the settled
 * edge cases:
 * - entries only on bars starting in [entryStart, entryEnd) and before the market close C; at most one;
 * - managed bars start after the entry bar, at or before entry start + M, and before C; exit rules are
 *   checked on them only;
 * - without a rule exit, the position leaves at the close of the last managed bar present (the entry
 *   bar when there is none): `hold_limit` when entry start + M < C, else `market_close`; `no_more_bars`
 *   when the date's data ends before the hold window does;
 * - bars of other dates, repeated bars and bars older than the last one are ignored (safe re-delivery).
 * Bars are one-minute bars starting on whole minutes.
 */
export class SessionTracker implements SymbolTracker {
  private lastBarStart = Number.NEGATIVE_INFINITY;
  private open: OpenPosition | null = null;
  /** Last managed bar, or the entry bar while none has come: where a time-based exit is taken. */
  private exitBar: Bar | null = null;
  private holdEndMs = 0;
  private finished: boolean;
  private readonly dayStartMs: number;
  private readonly closeMs: number;
  private readonly openMs: number;

  constructor(
    readonly symbol: string,
    readonly date: string,
    readonly window: SessionWindow,
    private readonly rules: StrategyRules,
    /** Set when the session is blocked for this symbol from the start (e.g. the VIX gate). */
    readonly blockedReason: string | null = null,
  ) {
    this.dayStartMs = utcMidnightMs(date);
    this.closeMs = window.marketCloseMs ?? Number.NEGATIVE_INFINITY;
    this.openMs = window.sessionOpenMs ?? Number.POSITIVE_INFINITY;
    this.finished = blockedReason !== null || window.marketCloseMs === null;
  }

  get position(): OpenPosition | null {
    return this.open;
  }

  get done(): boolean {
    return this.finished;
  }

  /**
   * Bars starting before this instant (and after the last bar fed) cannot change any decision or the
   * state that later decisions read, so a caller with the date's bars in time order (the backtester) may
   * skip them. Before an entry: every bar before the entry window, the market close and the first bar the
   * rules observe (without `observesFromMs`: none); with a position or once done: none.
   */
  get idleBeforeMs(): number {
    if (this.finished || this.open !== null) return Number.NEGATIVE_INFINITY;
    const from = this.rules.observesFromMs ?? Number.NEGATIVE_INFINITY;
    return Math.min(from, this.window.entryStartMs, this.window.entryEndMs, this.closeMs);
  }

  onBar(bar: Bar): Decision {
    if (this.finished) return null;
    if (bar.t <= this.lastBarStart || bar.t < this.dayStartMs || bar.t >= this.dayStartMs + DAY_MS) return null;
    this.lastBarStart = bar.t;
    const inSession = bar.t >= this.openMs && bar.t < this.closeMs;
    this.rules.observe(bar, inSession);

    const pos = this.open;
    if (pos !== null) {
      // A bar past the hold window (or at/after the close) is not managed: the window is over.
      if (bar.t > this.holdEndMs || bar.t >= this.closeMs) return this.exitAtLastManaged(this.holdReason());
      const reason = this.rules.exit(bar, pos);
      if (reason !== null) return this.exit(bar, reason);
      this.exitBar = bar;
      if (bar.t >= this.lastManagedStart()) return this.exit(bar, this.holdReason());
      return null;
    }

    if (bar.t >= this.window.entryEndMs || bar.t >= this.closeMs) {
      this.finished = true;
      return null;
    }
    if (bar.t < this.window.entryStartMs) return null;
    const candidate = this.rules.entry(bar, inSession);
    if (candidate === null) return null;
    this.open = { side: candidate.side, entryPrice: bar.c, entryBarStart: bar.t };
    this.exitBar = bar;
    this.holdEndMs = bar.t + this.window.holdMs;
    return { kind: 'entry', side: candidate.side, price: bar.c, barStart: bar.t, strength: candidate.strength };
  }

  onTime(nowMs: number): Decision {
    if (this.finished) return null;
    // Every bar starting before this instant has been delivered.
    const deliveredBefore = nowMs - MINUTE_MS;
    if (this.open !== null) {
      if (this.lastManagedStart() < deliveredBefore) return this.exitAtLastManaged(this.holdReason());
      return null;
    }
    const lastEntryStart = Math.min(this.window.entryEndMs, this.closeMs) - MINUTE_MS;
    if (lastEntryStart < deliveredBefore) this.finished = true;
    return null;
  }

  onEndOfData(): Decision {
    if (this.finished) return null;
    if (this.open === null) {
      this.finished = true;
      return null;
    }
    const windowSeen = this.lastBarStart >= this.lastManagedStart();
    return this.exitAtLastManaged(windowSeen ? this.holdReason() : 'no_more_bars');
  }

  /**
   * The caller did not take the entry signalled. At most one entry per symbol per session: a declined
   * entry ends the session for this symbol, unless `laterEntry` says the refusal was about one moment's
   * data, not the trade (a one-sided or crossed quote, docs/screening.md "Spread check and one-sided
   * quotes"): then a later bar in the entry window may signal again, so one bad quote is not sticky.
   */
  cancelEntry(opts: { readonly laterEntry?: boolean } = {}): void {
    if (this.open === null) return;
    this.open = null;
    this.exitBar = null;
    if (!opts.laterEntry) this.finished = true;
  }

  /** Start of the last bar that could still be managed. */
  private lastManagedStart(): number {
    return Math.min(this.holdEndMs, this.closeMs - MINUTE_MS);
  }

  private holdReason(): ExitReason {
    return this.holdEndMs < this.closeMs ? 'hold_limit' : 'market_close';
  }

  private exitAtLastManaged(reason: ExitReason): ExitSignal {
    return this.exit(this.exitBar as Bar, reason);
  }

  private exit(bar: Bar, reason: ExitReason): ExitSignal {
    this.open = null;
    this.exitBar = null;
    this.finished = true;
    return { kind: 'exit', reason, price: bar.c, barStart: bar.t };
  }
}
