import type { BotConfig } from '../config/botConfigSchema';
import { strategySetting } from '../config/strategySettings';
import type { StrategyName } from '../vocabulary';

/**
 * Session screening (docs/screening.md), pure: per-symbol facts and a strategy's config in, accepted symbols
 * and one reason per rejected symbol out. The screener activity (activities/screening/) gathers the facts
 * from replayed bars or from a data provider; the session workflow and the backtester can share this code.
 *
 * Rules, checked in this order; the first that fails is the reason. Every bound is inclusive.
 * 1. price:      MIN_PRICE <= price <= MAX_PRICE.
 * 2. market cap: MIN_MARKET_CAP_<S> <= market cap <= MAX_MARKET_CAP_<S>.
 * 3. gap:        |open / previous close - 1| <= MAX_GAP_PCT_<S> (open = the date's first regular-session bar).
 * 4. volume:     average daily volume >= MIN_VOLUME_THRESHOLD; never applied in TEST_MODE.
 * 5. spread:     ask - bid <= MAX_SPREAD_PCT x price; only at stage 'live_entry' with TEST_MODE=false, i.e.
 *                just before an order goes to a real broker (paper included: its quotes are the market's).
 *                Screening at the session's start never sees a spread worth keeping, so it never checks it.
 *
 * Funds (docs/screening.md "Funds and unknown facts"): an ETF has no market cap (Finnhub's profile2
 * answers a fund with nothing), so a symbol whose facts say `fund: true` skips the market-cap rule in both modes,
 * and the skip is listed in `skipped`. Every other rule still applies to it, so a symbol nobody knows (no
 * quote, no volume) still fails live screening on its price or volume; it is never a fund by default.
 *
 * Unknown facts (null, NaN, or a non-positive price/cap) are decided by mode, on purpose:
 * - TEST_MODE: replay data carries no market cap, and a replay's first date has no previous close. The rule
 *   is skipped and the skip is reported per symbol in `skipped` (for the session log), so a replay trades
 *   on what it can check instead of rejecting everything.
 * - live (TEST_MODE=false): a rule that cannot be checked rejects the symbol. A provider that does not know
 *   a symbol's market cap is no evidence that it is inside the band, and live money follows the filters.
 * - An unknown price rejects in both modes: nothing can be sized or priced without one.
 *
 * Ranking (when a bar gives more signals than there are free trade slots, MAX_TRADES): strongest first by
 * EntrySignal.strength (larger is stronger), ties by symbol in code-unit order (deterministic, locale-free).
 * The ranking is within one decision bar: a signal of an earlier bar has already taken its slot when a later
 * bar's signals arrive, because decisions are made at bar closes and cannot wait for later bars.
 */

export interface ScreeningFacts {
  readonly symbol: string;
  /** Last regular-session close of the previous trading date with data. */
  readonly previousClose: number | null;
  /** Open of the date's first regular-session bar. */
  readonly open: number | null;
  /** Latest price known when screening (falls back to the previous close before the first print). */
  readonly price: number | null;
  /** Mean daily (regular-session) volume in shares over recent previous dates. */
  readonly averageDailyVolume: number | null;
  /** Dollars; null when the source has none (replay data never has, funds have none). */
  readonly marketCap: number | null;
  /**
   * True: an exchange-traded fund, whose market cap does not exist (the market-cap rule is skipped for it).
   * Absent or false: a company, or not known; an unknown market cap then rejects live.
   */
  readonly fund?: boolean;
  /** Ask - bid in dollars; null when no two-sided quote is known. */
  readonly spread: number | null;
}

export type ScreenRule = 'price' | 'market_cap' | 'gap' | 'volume' | 'spread';

export type ScreeningConfig = Pick<
  BotConfig,
  | 'MIN_PRICE'
  | 'MAX_PRICE'
  | 'MIN_VOLUME_THRESHOLD'
  | 'MAX_SPREAD_PCT'
  | 'MAX_GAP_PCT_OPEN'
  | 'MAX_GAP_PCT_MID'
  | 'MAX_GAP_PCT_CLOSE'
  | 'MIN_MARKET_CAP_OPEN'
  | 'MAX_MARKET_CAP_OPEN'
  | 'MIN_MARKET_CAP_MID'
  | 'MAX_MARKET_CAP_MID'
  | 'MIN_MARKET_CAP_CLOSE'
  | 'MAX_MARKET_CAP_CLOSE'
>;

/** The config keys screening reads (for picking them out of a full BotConfig into an activity input). */
export const SCREENING_CONFIG_KEYS = [
  'MIN_PRICE',
  'MAX_PRICE',
  'MIN_VOLUME_THRESHOLD',
  'MAX_SPREAD_PCT',
  'MAX_GAP_PCT_OPEN',
  'MAX_GAP_PCT_MID',
  'MAX_GAP_PCT_CLOSE',
  'MIN_MARKET_CAP_OPEN',
  'MAX_MARKET_CAP_OPEN',
  'MIN_MARKET_CAP_MID',
  'MAX_MARKET_CAP_MID',
  'MIN_MARKET_CAP_CLOSE',
  'MAX_MARKET_CAP_CLOSE',
] as const satisfies readonly (keyof ScreeningConfig)[];

export function screeningConfigOf(cfg: ScreeningConfig): ScreeningConfig {
  const out: Record<string, number> = {};
  for (const k of SCREENING_CONFIG_KEYS) out[k] = cfg[k];
  return out as unknown as ScreeningConfig;
}

export interface ScreenOptions {
  readonly strategy: StrategyName;
  readonly testMode: boolean;
  /** 'session': the screen at the session's start. 'live_entry': just before an entry order (adds the spread). */
  readonly stage?: 'session' | 'live_entry';
}

export interface ScreenRejection {
  readonly symbol: string;
  readonly rule: ScreenRule;
  readonly reason: string;
}

/** A rule not applied to an accepted symbol, and why (unknown data in TEST_MODE; market cap of a fund). */
export interface ScreenSkip {
  readonly symbol: string;
  readonly rule: ScreenRule;
  readonly reason: string;
}

export type SymbolScreen =
  | { readonly pass: true; readonly skipped: readonly ScreenSkip[] }
  | { readonly pass: false; readonly rejection: ScreenRejection; readonly skipped: readonly ScreenSkip[] };

export interface ScreenOutcome {
  /** In input order. */
  readonly accepted: string[];
  readonly rejected: ScreenRejection[];
  /** Rules not applied to accepted symbols (a rejected symbol's reason is enough). */
  readonly skipped: ScreenSkip[];
  /** Rules not applied to anybody, with why (volume in TEST_MODE; spread at session stage). */
  readonly notes: string[];
}

export function maxGapPct(cfg: ScreeningConfig, strategy: StrategyName): number {
  return strategySetting(cfg, strategy, 'MAX_GAP_PCT');
}

export function marketCapBand(cfg: ScreeningConfig, strategy: StrategyName): { min: number; max: number } {
  if (strategy === 'open') return { min: cfg.MIN_MARKET_CAP_OPEN, max: cfg.MAX_MARKET_CAP_OPEN };
  if (strategy === 'mid') return { min: cfg.MIN_MARKET_CAP_MID, max: cfg.MAX_MARKET_CAP_MID };
  return { min: cfg.MIN_MARKET_CAP_CLOSE, max: cfg.MAX_MARKET_CAP_CLOSE };
}

const positive = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;
const nonNegative = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** Ratios in messages: enough digits to see why a bound was crossed, without float noise. */
function show(x: number): string {
  return String(Number(x.toPrecision(6)));
}

export function screenSymbol(f: ScreeningFacts, cfg: ScreeningConfig, opts: ScreenOptions): SymbolScreen {
  const S = opts.strategy.toUpperCase();
  const skipped: ScreenSkip[] = [];
  const reject = (rule: ScreenRule, reason: string): SymbolScreen => ({ pass: false, rejection: { symbol: f.symbol, rule, reason }, skipped });
  // Unknown data: skipped (and said) in TEST_MODE, a rejection live.
  const unknown = (rule: ScreenRule, what: string): SymbolScreen | null => {
    if (opts.testMode) {
      skipped.push({ symbol: f.symbol, rule, reason: `${what}: filter skipped in TEST_MODE` });
      return null;
    }
    return reject(rule, `${what}: rejected (live screening does not trade what it cannot check)`);
  };

  // 1. price
  if (!positive(f.price)) return reject('price', 'no price known');
  if (f.price < cfg.MIN_PRICE || f.price > cfg.MAX_PRICE) {
    return reject('price', `price ${show(f.price)} outside MIN_PRICE..MAX_PRICE (${cfg.MIN_PRICE}..${cfg.MAX_PRICE})`);
  }

  // 2. market cap
  const cap = marketCapBand(cfg, opts.strategy);
  if (!positive(f.marketCap) && f.fund === true) {
    skipped.push({ symbol: f.symbol, rule: 'market_cap', reason: 'fund (ETF): has no market cap; the market-cap rule applies to companies only' });
  } else if (!positive(f.marketCap)) {
    const r = unknown('market_cap', opts.testMode ? 'market cap unknown (replay data has none)' : 'market cap unknown');
    if (r) return r;
  } else if (f.marketCap < cap.min || f.marketCap > cap.max) {
    return reject('market_cap', `market cap ${f.marketCap.toExponential(3)} outside MIN_MARKET_CAP_${S}..MAX_MARKET_CAP_${S} (${cap.min.toExponential(3)}..${cap.max.toExponential(3)})`);
  }

  // 3. gap
  if (!positive(f.open) || !positive(f.previousClose)) {
    const missing = !positive(f.previousClose) ? 'previous close' : "today's regular-session open";
    const r = unknown('gap', `gap unknown (no ${missing})`);
    if (r) return r;
  } else {
    const gap = Math.abs(f.open / f.previousClose - 1);
    const max = maxGapPct(cfg, opts.strategy);
    if (gap > max) return reject('gap', `gap ${show(gap)} (open ${show(f.open)} / previous close ${show(f.previousClose)} - 1) above MAX_GAP_PCT_${S}=${max}`);
  }

  // 4. average daily volume (not in TEST_MODE: the outcome notes it once for everybody)
  if (!opts.testMode) {
    if (!nonNegative(f.averageDailyVolume)) return reject('volume', 'average daily volume unknown: rejected (live screening does not trade what it cannot check)');
    if (f.averageDailyVolume < cfg.MIN_VOLUME_THRESHOLD) {
      return reject('volume', `average daily volume ${Math.round(f.averageDailyVolume)} below MIN_VOLUME_THRESHOLD=${cfg.MIN_VOLUME_THRESHOLD}`);
    }
  }

  // 5. spread, only right before an entry at a real broker
  if ((opts.stage ?? 'session') === 'live_entry' && !opts.testMode) {
    const check = spreadCheck(f.price, f.spread, cfg.MAX_SPREAD_PCT);
    if (!check.ok) return reject('spread', check.reason);
  }
  return { pass: true, skipped };
}

/**
 * What a quote says about the spread (docs/screening.md "Spread check and one-sided quotes"). A side that is
 * missing, zero or negative (IBKR sends -1) is absent: a quote with one side has no spread at all.
 */
export type QuoteSpread =
  | { readonly kind: 'two_sided'; readonly spread: number }
  | { readonly kind: 'one_sided'; readonly missing: 'bid' | 'ask' }
  | { readonly kind: 'crossed'; readonly bid: number; readonly ask: number }
  | { readonly kind: 'no_quote' };

export function quoteSpread(bid: number | null | undefined, ask: number | null | undefined): QuoteSpread {
  const hasBid = positive(bid);
  const hasAsk = positive(ask);
  if (hasBid && hasAsk) return ask < bid ? { kind: 'crossed', bid, ask } : { kind: 'two_sided', spread: ask - bid };
  if (hasBid) return { kind: 'one_sided', missing: 'ask' };
  if (hasAsk) return { kind: 'one_sided', missing: 'bid' };
  return { kind: 'no_quote' };
}

/** Why an entry's quote was refused: `too_wide` is the market's answer; the others are about this one quote. */
export type SpreadRefusal = 'no_price' | 'no_quote' | 'one_sided' | 'crossed' | 'too_wide';

export type SpreadVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly refusal: SpreadRefusal };

/**
 * The spread check before an entry, from the quote's two sides: ask - bid <= MAX_SPREAD_PCT x price. A quote
 * without two sane sides refuses this entry with a reason naming what was wrong (one-sided, crossed, none),
 * never "spread too wide"; it is one quote's verdict, and the check keeps no state, so the next entry asks
 * its own quote. Asking again for the same entry is the caller's choice.
 */
export function entrySpreadCheck(
  price: number | null,
  bid: number | null | undefined,
  ask: number | null | undefined,
  maxSpreadPct: number,
  limitKey: 'MAX_SPREAD_PCT' | 'MAX_OPTION_SPREAD_PCT' = 'MAX_SPREAD_PCT',
): SpreadVerdict {
  if (!positive(price)) return { ok: false, refusal: 'no_price', reason: 'no price known for the spread check' };
  const q = quoteSpread(bid, ask);
  if (q.kind === 'no_quote') return { ok: false, refusal: 'no_quote', reason: 'no quote (neither bid nor ask): spread cannot be checked' };
  if (q.kind === 'one_sided') {
    return { ok: false, refusal: 'one_sided', reason: `one-sided quote (no ${q.missing}): no spread to check, entry refused for this quote` };
  }
  if (q.kind === 'crossed') return { ok: false, refusal: 'crossed', reason: `crossed quote (bid ${show(q.bid)} above ask ${show(q.ask)}): not a sane market` };
  const limit = maxSpreadPct * price;
  if (q.spread > limit) {
    return { ok: false, refusal: 'too_wide', reason: `spread ${show(q.spread)} above ${limitKey} x price = ${maxSpreadPct} x ${show(price)} = ${show(limit)}` };
  }
  return { ok: true };
}

/**
 * Spread <= MAX_SPREAD_PCT x price from a spread already taken with spreadOf (null: no two-sided quote;
 * negative: crossed). Same verdicts as entrySpreadCheck, which also tells a one-sided quote from none.
 */
export function spreadCheck(price: number | null, spread: number | null, maxSpreadPct: number): { ok: true } | { ok: false; reason: string } {
  if (!positive(price)) return { ok: false, reason: 'no price known for the spread check' };
  if (spread === null || !Number.isFinite(spread)) {
    return { ok: false, reason: 'no two-sided quote (bid or ask missing, e.g. a one-sided quote): no spread to check, entry refused for this quote' };
  }
  if (spread < 0) return { ok: false, reason: `crossed quote (ask below bid by ${show(-spread)}): not a sane market` };
  const limit = maxSpreadPct * price;
  if (spread > limit) return { ok: false, reason: `spread ${show(spread)} above MAX_SPREAD_PCT x price = ${maxSpreadPct} x ${show(price)} = ${show(limit)}` };
  return { ok: true };
}

/** The spread from a quote's sides: null when either side is missing (a one-sided quote); negative when crossed. */
export function spreadOf(bid: number | null | undefined, ask: number | null | undefined): number | null {
  return positive(bid) && positive(ask) ? ask - bid : null;
}

export function screen(facts: readonly ScreeningFacts[], cfg: ScreeningConfig, opts: ScreenOptions): ScreenOutcome {
  const accepted: string[] = [];
  const rejected: ScreenRejection[] = [];
  const skipped: ScreenSkip[] = [];
  const notes: string[] = [];
  if (opts.testMode) notes.push(`average daily volume filter (MIN_VOLUME_THRESHOLD=${cfg.MIN_VOLUME_THRESHOLD}) skipped in TEST_MODE`);
  if ((opts.stage ?? 'session') === 'session') notes.push('spread filter (MAX_SPREAD_PCT) is checked before each live entry, not at session screening');
  else if (opts.testMode) notes.push('spread filter (MAX_SPREAD_PCT) not applied in TEST_MODE (no live entry)');
  for (const f of facts) {
    const r = screenSymbol(f, cfg, opts);
    if (r.pass) {
      accepted.push(f.symbol);
      skipped.push(...r.skipped);
    } else rejected.push(r.rejection);
  }
  return { accepted, rejected, skipped, notes };
}

/** Orders signals for slots: strongest first, ties by symbol (see the module comment). */
export function compareSignals(a: { symbol: string; strength: number }, b: { symbol: string; strength: number }): number {
  // A non-finite strength ranks last, so a broken signal never takes a slot from a real one.
  const sa = Number.isFinite(a.strength) ? a.strength : Number.NEGATIVE_INFINITY;
  const sb = Number.isFinite(b.strength) ? b.strength : Number.NEGATIVE_INFINITY;
  if (sa !== sb) return sa > sb ? -1 : 1;
  return a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0;
}

/** The signals of one decision bar that get the `slots` free trade slots, and those that do not. */
export function rankSignals<T extends { symbol: string; strength: number }>(signals: readonly T[], slots: number): { taken: T[]; dropped: T[] } {
  const sorted = [...signals].sort(compareSignals);
  const n = Math.max(0, Math.floor(slots));
  return { taken: sorted.slice(0, n), dropped: sorted.slice(n) };
}
