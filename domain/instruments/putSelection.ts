import { isTradingDay, regularSessionUtc, tradingDaysAfter } from '../market/exchangeCalendar';
import { addDays, utcMidnightMs } from '../market/nyTime';
import { OPTION_CONTRACT_MULTIPLIER, sizePosition } from '../risk/allocation';
import { formatOccSymbol } from './occSymbol';
import { simulatedPutQuote } from './simulatedOptionPrice';

/**
 * LongPut contract selection (README.md, "Strategies", bearish signals), pure, over an option-chain snapshot:
 * 1. expiry: the nearest expiry at least `minTradingDays` NYSE trading days after the session date (the days
 *    after the date up to and including the expiry, counted with the built-in calendar), among expiries that
 *    list a put at or below the price;
 * 2. strike: at or just out of the money, i.e. the highest strike at or below the underlying's price;
 * 3. premium: the ask; when no ask is quoted, the snapshot's mid; neither: no trade (a blind market order
 *    on an option can fill anywhere);
 * 4. size: contracts = floor(allocation / (premium x 100)), the account workflow's own sizing rule; fewer than
 *    one contract is a refusal with the figures in the reason.
 * A contract whose best strike has no usable premium is refused rather than swapped for a further
 * out-of-the-money one: the choice stays "at or just out of the money" or nothing.
 *
 * TEST_MODE uses the same code over `syntheticOptionChain`, whose premiums are what the simulated broker
 * fills at, so a replayed put trade goes through exactly the selection a live one does.
 */

export interface OptionQuote {
  /** OCC symbol. */
  readonly symbol: string;
  /** YYYY-MM-DD */
  readonly expiry: string;
  readonly strike: number;
  readonly right: 'C' | 'P';
  readonly bid: number | null;
  readonly ask: number | null;
  /** The provider's mid or mark, used only when there is no ask. */
  readonly mid?: number | null;
}

export interface OptionChainSnapshot {
  readonly underlying: string;
  /** When the quotes were taken (ISO). */
  readonly asOf: string;
  readonly contracts: readonly OptionQuote[];
}

/** What the README promises: the nearest weekly expiry at least five days out. */
export const DEFAULT_MIN_TRADING_DAYS_TO_EXPIRY = 5;

export interface PutSelectionInput {
  /** The underlying's price at the decision (the signal bar's close). */
  readonly price: number;
  /** Session date YYYY-MM-DD. */
  readonly date: string;
  readonly minTradingDays?: number;
  /** Dollars for this trade; null: choose the contract only (sizing happens later, at the account). */
  readonly allocation: number | null;
}

export type PutSelection =
  | {
      readonly ok: true;
      readonly contract: OptionQuote;
      readonly premium: number;
      readonly premiumSource: 'ask' | 'mid';
      readonly tradingDaysToExpiry: number;
      /** Whole contracts within the allocation; null when no allocation was given. */
      readonly contracts: number | null;
      /** contracts x premium x 100; null when no allocation was given. */
      readonly cost: number | null;
    }
  | { readonly ok: false; readonly reason: string };

const positive = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;
const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

/** The contract selectPut would choose (steps 1 and 2), from any listing of contracts. */
type PutPick<C> = { readonly ok: true; readonly contract: C; readonly tradingDaysToExpiry: number } | { readonly ok: false; readonly reason: string };

type ListedContract = Pick<OptionQuote, 'symbol' | 'expiry' | 'strike' | 'right'>;

function pickPutContract<C extends ListedContract>(underlying: string, contracts: readonly C[], input: PutSelectionInput): PutPick<C> {
  const minDays = input.minTradingDays ?? DEFAULT_MIN_TRADING_DAYS_TO_EXPIRY;
  const { price, date } = input;
  const u = underlying;
  if (!positive(price)) return { ok: false, reason: `no usable price for ${u} (${price})` };
  // Each expiry is checked once: a chain lists tens of contracts on a handful of expiries.
  const validExpiry = new Map<string, boolean>();
  const expiryOk = (e: string) => {
    let ok = validExpiry.get(e);
    if (ok === undefined) validExpiry.set(e, (ok = isDate(e)));
    return ok;
  };
  const puts = contracts.filter((c) => c.right === 'P' && positive(c.strike) && expiryOk(c.expiry));
  if (puts.length === 0) return { ok: false, reason: `the option chain of ${u} lists no puts` };

  const daysTo = new Map<string, number>();
  for (const e of new Set(puts.map((c) => c.expiry))) daysTo.set(e, tradingDaysAfter(date, e));
  const farEnough = puts.filter((c) => (daysTo.get(c.expiry) ?? 0) >= minDays);
  if (farEnough.length === 0) return { ok: false, reason: `no ${u} put expiry at least ${minDays} trading days after ${date}` };
  const atOrBelow = farEnough.filter((c) => c.strike <= price);
  if (atOrBelow.length === 0) return { ok: false, reason: `no ${u} put strike at or below the price ${price} (expiries at least ${minDays} trading days out)` };

  const expiry = atOrBelow.reduce((best, c) => (c.expiry < best ? c.expiry : best), atOrBelow[0]!.expiry);
  const strike = Math.max(...atOrBelow.filter((c) => c.expiry === expiry).map((c) => c.strike));
  // One contract per (expiry, strike); a duplicate in a snapshot is resolved by symbol, for determinism.
  const contract = atOrBelow.filter((c) => c.expiry === expiry && c.strike === strike).sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0))[0]!;
  return { ok: true, contract, tradingDaysToExpiry: daysTo.get(expiry) ?? 0 };
}

/** Steps 3 and 4: the chosen contract's premium and, with an allocation, its size. */
function pricedSelection(underlying: string, contract: OptionQuote, tradingDaysToExpiry: number, input: PutSelectionInput): PutSelection {
  let premium: number;
  let premiumSource: 'ask' | 'mid';
  if (positive(contract.ask)) {
    premium = contract.ask;
    premiumSource = 'ask';
  } else if (positive(contract.mid)) {
    premium = contract.mid;
    premiumSource = 'mid';
  } else return { ok: false, reason: `no ask or mid quoted for ${contract.symbol.trim()} (${underlying} put ${contract.strike} ${contract.expiry})` };

  const base = { ok: true as const, contract, premium, premiumSource, tradingDaysToExpiry };
  if (input.allocation === null) return { ...base, contracts: null, cost: null };
  const size = sizePosition({ dollars: input.allocation, price: premium, instrument: 'put', fractionalEnabled: false, assetFractionable: false });
  if (size.quantity < 1) {
    const perContract = Math.round(premium * OPTION_CONTRACT_MULTIPLIER * 100) / 100;
    return {
      ok: false,
      reason: `one ${contract.symbol.trim()} contract costs ${perContract} (premium ${premium} x ${OPTION_CONTRACT_MULTIPLIER}), more than the allocation ${input.allocation}`,
    };
  }
  return { ...base, contracts: size.quantity, cost: size.costDollars };
}

export function selectPut(chain: OptionChainSnapshot, input: PutSelectionInput): PutSelection {
  const pick = pickPutContract(chain.underlying, chain.contracts, input);
  if (!pick.ok) return pick;
  return pricedSelection(chain.underlying, pick.contract, pick.tradingDaysToExpiry, input);
}

export interface SyntheticChainOptions {
  /** Weekly expiries listed, starting with the week of the date. */
  readonly weeks?: number;
  /** Strikes from price x (1 - band) to price x (1 + band), whole dollars. */
  readonly strikeBand?: number;
  /** When the chain is quoted (epoch ms); default: the date's regular open. */
  readonly atMs?: number;
}

/**
 * A simulated broker's chain: weekly expiries on Fridays (the Thursday before when the Friday is an exchange
 * holiday, as listed options do), whole-dollar strikes around the price, puts only, quoted with
 * simulatedOptionPrice.ts's modelled bid, ask and mid (docs/backtest.md, "Option pricing model"), the
 * quote the simulated broker fills at.
 */
export function syntheticOptionChain(underlying: string, price: number, date: string, opts: SyntheticChainOptions = {}): OptionChainSnapshot {
  const listing = syntheticPutListing(underlying, price, date, opts);
  return { underlying, asOf: `${date}T00:00:00.000Z`, contracts: listing.contracts.map((c) => quotedSyntheticPut(c, price, listing.atMs)) };
}

/**
 * selectPut over syntheticOptionChain, with the same result, quoting only the contract it chooses: the choice
 * depends on expiries and strikes alone, and a chain quotes each of its tens of contracts with a binomial tree.
 */
export function selectSyntheticPut(underlying: string, input: PutSelectionInput, opts: SyntheticChainOptions = {}): PutSelection {
  const listing = syntheticPutListing(underlying, input.price, input.date, opts);
  const pick = pickPutContract(underlying, listing.contracts, input);
  if (!pick.ok) return pick;
  return pricedSelection(underlying, quotedSyntheticPut(pick.contract, input.price, listing.atMs), pick.tradingDaysToExpiry, input);
}

interface SyntheticPutListing {
  readonly contracts: readonly ListedContract[];
  /** When the chain is quoted (epoch ms). */
  readonly atMs: number;
}

/** The synthetic chain's contracts without quotes, in chain order. */
function syntheticPutListing(underlying: string, price: number, date: string, opts: SyntheticChainOptions): SyntheticPutListing {
  const weeks = opts.weeks ?? 5;
  const band = opts.strikeBand ?? 0.05;
  const contracts: ListedContract[] = [];
  const atMs = opts.atMs ?? regularSessionUtc(date)?.openMs ?? utcMidnightMs(date);
  if (positive(price)) {
    const lo = Math.max(1, Math.floor(price * (1 - band)));
    const hi = Math.max(lo, Math.ceil(price * (1 + band)));
    const dow = new Date(utcMidnightMs(date)).getUTCDay();
    const firstFriday = addDays(date, (5 - dow + 7) % 7);
    for (let w = 0; w < weeks; w++) {
      let expiry = addDays(firstFriday, 7 * w);
      while (!isTradingDay(expiry)) expiry = addDays(expiry, -1);
      if (expiry < date) continue;
      for (let strike = lo; strike <= hi; strike++) contracts.push({ symbol: formatOccSymbol({ underlying, expiry, right: 'P', strike }), expiry, strike, right: 'P' });
    }
  }
  return { contracts, atMs };
}

function quotedSyntheticPut(c: ListedContract, price: number, atMs: number): OptionQuote {
  const q = simulatedPutQuote({ underlying: price, contract: { strike: c.strike, expiry: c.expiry }, atMs });
  return { symbol: c.symbol, expiry: c.expiry, strike: c.strike, right: 'P', bid: q.bid, ask: q.ask, mid: q.mid };
}
