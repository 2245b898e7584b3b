import { clientOrderId, fnv1a } from './clientOrderId';
import { parseOccSymbol } from '../instruments/occSymbol';
import { isTradingDay, regularSessionUtc } from '../market/exchangeCalendar';
import { addDays, utcMsToNyWallTime } from '../market/nyTime';
import { CLOSE_EXIT_LEAD_MS } from '../market/sessionWindow';
import { tradePnl } from '../trades/tradeOutcome';
import { closedTradeRecord, type TradeOpening } from '../trades/closedTradeRecord';
import { type TradeRecord } from '../trades/tradeRecord';
import { STRATEGY_NAMES, type ExitReason, type Side, type StrategyName, BROKER_NAMES, type BrokerName, type Instrument, type OutputMode } from '../vocabulary';

/**
 * Which broker positions are the bot's (issue 13, defect 8). Client order ids are deterministic
 * (clientOrderId.ts), so an entry order is the bot's exactly when its id can be recomputed from a session
 * workflow id that could have placed it, the session's strategy, a ticker and the leg `entry`. Nothing is
 * guessed from prefixes: a user's own order that happens to start with `tb-` is not the bot's.
 *
 * The position symbol is the instrument actually held (the stock, the inverse fund, the OCC put), while
 * the id carries the underlying: so a position is matched on the entry ORDER's symbol, and the id on the
 * recomputation. An entry already closed by the bot (its own exit or stop leg, an adoption or a flatten
 * order) owns nothing any more.
 *
 * Pure: the activity layer (activities/broker/reconcile.ts) feeds it the broker's orders and positions.
 */

/** The fields of a broker order this module reads (BrokerOrder satisfies it). */
export interface OrderFacts {
  readonly id: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: number;
  readonly filledQty: number;
  readonly filledAvgPrice: number | null;
  readonly status: string;
  readonly submittedAt: string;
  readonly filledAt: string | null;
  readonly fees: number;
}

/** A broker position (BrokerPosition satisfies it); qty is signed, negative for a short. */
export interface PositionFacts {
  readonly symbol: string;
  readonly qty: number;
  readonly avgEntryPrice: number;
}

/** A session workflow that may have placed orders: its id and the strategy it ran. */
export interface SessionRef {
  readonly workflowId: string;
  readonly session: StrategyName;
  /** The trading date in the id (`tradebot-day-<mode>-<date>-<session>`), when it has one. */
  readonly date: string | null;
}

export interface BotEntry {
  readonly owner: SessionRef;
  /** The underlying the session traded (the ticker in the client order id). */
  readonly ticker: string;
  readonly order: OrderFacts;
  readonly instrument: Instrument;
  /** Direction of the underlying. */
  readonly side: Side;
}

/** A part of a broker position that belongs to one bot entry. */
export interface OwnedPart {
  readonly entry: BotEntry;
  /** Quantity owned (unsigned), before any adoption exit of the adopter. */
  readonly qty: number;
  /** Entry quantity not yet closed by the bot, before the adopter's own exit. */
  readonly openQty: number;
  readonly position: PositionFacts;
  readonly stopClientOrderId: string;
  /** The adopter's exit id for this entry (only when an adopter is given). */
  readonly adoptionClientOrderId: string | null;
  /** The adopter's exit order found at the broker: a retried reconciliation. */
  readonly priorAdoption: OrderFacts | null;
}

export interface Attribution {
  readonly owned: readonly OwnedPart[];
  /** Positions, or the parts of them, that no bot entry explains: the user's own holdings. */
  readonly foreign: readonly PositionFacts[];
  /** Bot entries held at a smaller size than the bot left open (a manual partial sale, a stop part-fill). */
  readonly sizeNotes: readonly string[];
}

const EPS = 1e-9;
const LEGS = ['entry', 'exit', 'stop'] as const;
const BROKER_SUFFIX = [...BROKER_NAMES].sort((a, b) => b.length - a.length).join('|');
const SESSION_ID = new RegExp(`^(.+)-(${STRATEGY_NAMES.join('|')})(?:-(${BROKER_SUFFIX}))?$`);
const HASHED_ID = /^tb-[0-9a-f]{16}-([A-Za-z0-9]{0,12})-(entry|exit|stop)$/;
const FLATTEN_ID = /^tb-reconcile-\d{4}-\d{2}-\d{2}-/;

/** Session workflow ids are `<dayWorkflowId>-<session>`, plus `-<broker>` on a day with several brokers. */
export function parseSessionWorkflowId(workflowId: string): SessionRef | null {
  const m = SESSION_ID.exec(workflowId);
  if (!m) return null;
  const date = /(\d{4}-\d{2}-\d{2})$/.exec(m[1] ?? '')?.[1] ?? null;
  return { workflowId, session: m[2] as StrategyName, date };
}

/** The exchange day before a date (weekends and NYSE holidays skipped). */
export function previousTradingDay(date: string): string {
  let d = addDays(date, -1);
  // Never more than four days back (a holiday next to a weekend); ten is a safe bound.
  for (let i = 0; i < 10 && !isTradingDay(d); i++) d = addDays(d, -1);
  return d;
}

/**
 * Every session workflow id that may have left a position at this broker: today's sessions and the
 * previous trading day's, each with and without the `-<broker>` suffix (the number of brokers a day ran
 * with may differ between the two days). A day id without the date at its end gives today's only.
 */
export function sessionOwnerCandidates(a: { dayWorkflowId: string; date: string; broker: BrokerName }): string[] {
  const days = [a.dayWorkflowId];
  if (a.dayWorkflowId.endsWith(a.date)) days.push(`${a.dayWorkflowId.slice(0, -a.date.length)}${previousTradingDay(a.date)}`);
  const out: string[] = [];
  for (const day of days) {
    for (const s of STRATEGY_NAMES) out.push(`${day}-${s}`, `${day}-${s}-${a.broker}`);
  }
  return out;
}

/** Deterministic id for a reconciliation exit of unknown positions (the `flatten` policy). */
export function flattenClientOrderId(date: string, symbol: string): string {
  return `tb-reconcile-${date}-${symbol.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 48);
}

/**
 * The adopter's exit of one bot entry: keyed by the adopting session and the entry, so a retried
 * reconciliation finds its own exit, and another session can tell the entry was already closed.
 */
export function adoptionClientOrderId(adopterWorkflowId: string, entryClientOrderId: string, symbol: string): string {
  return `tb-${fnv1a(`adopt|${adopterWorkflowId}|${entryClientOrderId}`)}-${symbol.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}-adopt`;
}

/** True when the market takes a day market order now: regular hours, and not in the last minute. */
export function regularHoursAt(nowMs: number): boolean {
  const s = regularSessionUtc(utcMsToNyWallTime(nowMs).date);
  return s !== null && nowMs >= s.openMs && nowMs < s.closeMs - CLOSE_EXIT_LEAD_MS;
}

/** The tickers an id's ticker part may stand for: hashed ids keep only 12 letters and digits. */
function tickerGuesses(order: OrderFacts): string[] {
  const raw = rawParts(order.clientOrderId);
  if (raw) return [raw.ticker];
  const m = HASHED_ID.exec(order.clientOrderId);
  if (!m) return [];
  const short = m[1] ?? '';
  const squash = (t: string) => t.replace(/[^A-Za-z0-9]/g, '').slice(0, 12);
  const guesses = new Set<string>([short, order.symbol, parseOccSymbol(order.symbol)?.underlying ?? '']);
  // Share classes (BRK.B, BF/B) lose their separator in the hashed form.
  for (let i = 1; i < short.length; i++) for (const sep of ['.', '/', '-']) guesses.add(`${short.slice(0, i)}${sep}${short.slice(i)}`);
  return [...guesses].filter((g) => g !== '' && squash(g) === short);
}

/** `<workflowId>:<session>:<ticker>:<leg>`, the short form of clientOrderId. */
function rawParts(id: string): { session: string; ticker: string; leg: string } | null {
  const parts = id.split(':');
  if (parts.length < 4) return null;
  const leg = parts[parts.length - 1] ?? '';
  if (!(LEGS as readonly string[]).includes(leg)) return null;
  return { session: parts[parts.length - 3] ?? '', ticker: parts[parts.length - 2] ?? '', leg };
}

function legOf(id: string): string | null {
  return rawParts(id)?.leg ?? HASHED_ID.exec(id)?.[2] ?? null;
}

function instrumentOf(order: OrderFacts, ticker: string): { instrument: Instrument; side: Side } {
  if (parseOccSymbol(order.symbol)) return { instrument: 'put', side: 'short' };
  if (order.side === 'sell') return { instrument: 'short_stock', side: 'short' };
  if (order.symbol === ticker) return { instrument: 'stock', side: 'long' };
  return { instrument: 'inverse_etf', side: 'short' };
}

/** The bot entry an order is, or null: its id recomputed exactly from a candidate session and a ticker. */
export function matchBotEntry(order: OrderFacts, candidates: readonly SessionRef[]): BotEntry | null {
  if (legOf(order.clientOrderId) !== 'entry' || !(order.filledQty > EPS)) return null;
  const tickers = tickerGuesses(order);
  for (const owner of candidates) {
    for (const ticker of tickers) {
      if (clientOrderId({ workflowId: owner.workflowId, session: owner.session, ticker, leg: 'entry' }) === order.clientOrderId) {
        return { owner, ticker, order, ...instrumentOf(order, ticker) };
      }
    }
  }
  return null;
}

function legId(entry: BotEntry, leg: 'exit' | 'stop'): string {
  return clientOrderId({ workflowId: entry.owner.workflowId, session: entry.owner.session, ticker: entry.ticker, leg });
}

/**
 * The exit id an adopter uses for an entry. A session adopting its own entry (an earlier run of the same
 * workflow id) uses its own exit leg: should it later enter that ticker again, the entry id finds the old
 * fill and the exit id finds this exit, so nothing is sold twice.
 */
function adoptionIdFor(adopter: string | null, entry: BotEntry): string | null {
  if (!adopter) return null;
  return adopter === entry.owner.workflowId ? legId(entry, 'exit') : adoptionClientOrderId(adopter, entry.order.clientOrderId, entry.order.symbol);
}

export function stopClientOrderIdOf(entry: BotEntry): string {
  return legId(entry, 'stop');
}

function timeOf(o: OrderFacts): number {
  return Date.parse(o.filledAt ?? o.submittedAt);
}

/**
 * Filled quantity of the bot's closing orders of an entry: its own exit and stop legs, any session's
 * adoption exit (except `skipAdopter`'s, which the caller treats as its own retry), and flatten orders of
 * the symbol placed after the entry.
 */
function closedQty(entry: BotEntry, orders: readonly OrderFacts[], adopters: readonly string[], skipAdopter: string | null): number {
  const ids = new Set([legId(entry, 'exit'), legId(entry, 'stop')]);
  for (const a of adopters) if (a !== skipAdopter) ids.add(adoptionClientOrderId(a, entry.order.clientOrderId, entry.order.symbol));
  const entryAt = timeOf(entry.order);
  let qty = 0;
  for (const o of orders) {
    if (o.symbol !== entry.order.symbol || o.side === entry.order.side || !(o.filledQty > EPS)) continue;
    const flatten = FLATTEN_ID.test(o.clientOrderId) && !(timeOf(o) < entryAt);
    if (ids.has(o.clientOrderId) || flatten) qty += o.filledQty;
  }
  return qty;
}

export interface AttributionInput {
  readonly positions: readonly PositionFacts[];
  /** The broker's orders since the earliest candidate session (all statuses). */
  readonly orders: readonly OrderFacts[];
  /** Session workflow ids whose entries are the bot's (parseSessionWorkflowId must read them). */
  readonly candidates: readonly string[];
  /** The session reconciling: its own adoption exits are a retry, not a closed entry. */
  readonly adopterWorkflowId: string | null;
}

/**
 * Splits the broker's positions into the bot's (per entry) and the user's own. One position may be
 * both: the user's 5 shares next to the bot's 10 leave 5 foreign. Newer entries are served first.
 */
export function attributePositions(input: AttributionInput): Attribution {
  const refs = input.candidates.map(parseSessionWorkflowId).filter((r): r is SessionRef => r !== null);
  const adopters = [...new Set([...refs.map((r) => r.workflowId), ...(input.adopterWorkflowId ? [input.adopterWorkflowId] : [])])];
  const entries = input.orders
    .map((o) => matchBotEntry(o, refs))
    .filter((e): e is BotEntry => e !== null)
    .sort((a, b) => timeOf(b.order) - timeOf(a.order));
  const byId = new Map(input.orders.map((o) => [o.clientOrderId, o]));
  const owned: OwnedPart[] = [];
  const foreign: PositionFacts[] = [];
  const sizeNotes: string[] = [];
  for (const position of positionsWithAdoptions(input, entries, byId)) {
    const r = ownersOfPosition(position, entries, { orders: input.orders, byId, adopters, adopter: input.adopterWorkflowId });
    owned.push(...r.owned);
    sizeNotes.push(...r.sizeNotes);
    if (r.foreignQty > EPS) foreign.push({ ...position, qty: Math.sign(position.qty) * r.foreignQty });
  }
  return { owned, foreign, sizeNotes };
}

/**
 * The positions as they were before the adopter's own exits: a retried reconciliation whose first
 * attempt already sold must still report that adoption, so the sold quantity is added back.
 */
function positionsWithAdoptions(input: AttributionInput, entries: readonly BotEntry[], byId: ReadonlyMap<string, OrderFacts>): PositionFacts[] {
  const out = new Map(input.positions.filter((p) => Math.abs(p.qty) > EPS).map((p) => [p.symbol, { ...p }]));
  if (!input.adopterWorkflowId) return [...out.values()];
  for (const e of entries) {
    if (e.owner.workflowId === input.adopterWorkflowId) continue;
    const prior = byId.get(adoptionClientOrderId(input.adopterWorkflowId, e.order.clientOrderId, e.order.symbol));
    if (!prior || !(prior.filledQty > EPS)) continue;
    const signed = e.order.side === 'buy' ? prior.filledQty : -prior.filledQty;
    const p = out.get(e.order.symbol) ?? { symbol: e.order.symbol, qty: 0, avgEntryPrice: e.order.filledAvgPrice ?? 0 };
    out.set(e.order.symbol, { ...p, qty: p.qty + signed });
  }
  return [...out.values()];
}

function ownersOfPosition(
  position: PositionFacts,
  entries: readonly BotEntry[],
  ctx: { orders: readonly OrderFacts[]; byId: ReadonlyMap<string, OrderFacts>; adopters: readonly string[]; adopter: string | null },
): { owned: OwnedPart[]; foreignQty: number; sizeNotes: string[] } {
  const side = position.qty > 0 ? 'buy' : 'sell';
  let left = Math.abs(position.qty);
  const owned: OwnedPart[] = [];
  const sizeNotes: string[] = [];
  for (const entry of entries) {
    if (entry.order.symbol !== position.symbol || entry.order.side !== side) continue;
    const openQty = entry.order.filledQty - closedQty(entry, ctx.orders, ctx.adopters, ctx.adopter);
    if (!(openQty > EPS) || !(left > EPS)) continue;
    const qty = Math.min(openQty, left);
    left -= qty;
    if (qty < openQty - EPS) sizeNotes.push(`${position.symbol}: the bot's entry ${entry.order.clientOrderId} left ${openQty} open, the broker holds ${qty} of it`);
    const own = ctx.adopter === entry.owner.workflowId;
    const adoptionId = adoptionIdFor(ctx.adopter, entry);
    owned.push({
      entry,
      qty,
      openQty,
      position,
      stopClientOrderId: stopClientOrderIdOf(entry),
      adoptionClientOrderId: adoptionId,
      // The own exit leg counts as closing (closedQty), so it is never a prior adoption.
      priorAdoption: adoptionId && !own ? (ctx.byId.get(adoptionId) ?? null) : null,
    });
  }
  return { owned, foreignQty: left, sizeNotes };
}

/** The owner of one position, or null when it is not the bot's (the single-position form of attributePositions). */
export function positionOwner(
  position: PositionFacts,
  orders: readonly OrderFacts[],
  candidates: readonly string[],
): { readonly owner: SessionRef; readonly ticker: string; readonly entry: OrderFacts; readonly qty: number } | null {
  const r = attributePositions({ positions: [position], orders, candidates, adopterWorkflowId: null });
  const first = r.owned[0];
  return first ? { owner: first.entry.owner, ticker: first.entry.ticker, entry: first.entry.order, qty: first.qty } : null;
}

/** Which order closed a position: the broker's stop, the bot's market exit, both (in parts), or none. */
export type ClosedBy = 'stop' | 'exit' | 'both' | 'none';

/** The held stop's kind by the owner's strategy (domain/orders/protectiveStop.ts): OPEN trails, MID and CLOSE do not. */
export function stopKindOf(session: StrategyName): 'trailing' | 'stop' {
  return session === 'open' ? 'trailing' : 'stop';
}

/** A position the broker's stop closed keeps the stop's reason; any other adoption is `reconciled`. */
export function adoptedExitReason(closedBy: ClosedBy, stopKind: 'trailing' | 'stop'): ExitReason {
  if (closedBy !== 'stop') return 'reconciled';
  return stopKind === 'trailing' ? 'trailing_stop' : 'stop_loss';
}

export interface AdoptedFill {
  readonly closedBy: ClosedBy;
  readonly filledQty: number;
  readonly avgPrice: number | null;
  readonly fees: number;
  readonly closedAt: string | null;
  /** Broker ids of the orders that filled (the stop's and the exit's). */
  readonly orderIds: readonly string[];
}

/**
 * The trade record of an adopted position, under the owner's trade id (`<owner workflow id>:<underlying>`,
 * the id the owner itself would have written), so writing and posting it stay idempotent. The signal
 * price, allocation and account value the owner knew are lost: the entry fill and 0 stand in for them.
 */
export function adoptedTradeRecord(a: {
  readonly part: OwnedPart;
  readonly fill: AdoptedFill;
  readonly broker: BrokerName;
  readonly mode: OutputMode;
  readonly date: string;
  readonly timestamp: string;
}): TradeRecord {
  const { entry } = a.part;
  const entryPrice = entry.order.filledAvgPrice ?? 0;
  const assetClass = parseOccSymbol(entry.order.symbol) ? 'us_option' : 'us_equity';
  const fees = entry.order.fees + a.fill.fees;
  const pnl = tradePnl({ openSide: entry.order.side, assetClass, entryPrice, qty: a.fill.filledQty }, a.fill.avgPrice, fees);
  const partial = a.fill.filledQty < a.part.qty - EPS;
  const opening: TradeOpening = {
    workflowId: entry.owner.workflowId,
    strategy: entry.owner.session,
    underlying: entry.ticker,
    ticker: entry.order.symbol,
    side: entry.side,
    instrument: entry.instrument,
    signalPrice: entryPrice,
    entryPrice,
    entryTime: entry.order.filledAt ?? entry.order.submittedAt,
    entryOrderId: entry.order.id,
    allocation: 0,
    accountValue: 0,
    tags: ['reconciled'],
  };
  return closedTradeRecord(opening, {
    timestamp: a.timestamp,
    date: a.date,
    size: a.fill.filledQty,
    exitPrice: a.fill.avgPrice,
    exitTime: a.fill.closedAt ?? a.timestamp,
    exitReason: adoptedExitReason(a.fill.closedBy, stopKindOf(entry.owner.session)),
    pnl,
    fees,
    broker: a.broker,
    mode: a.mode,
    exitOrderId: a.fill.orderIds.join(' ') || null,
    clientOrderIds: [entry.order.clientOrderId, ...(a.part.adoptionClientOrderId ? [a.part.adoptionClientOrderId] : []), a.part.stopClientOrderId],
    errorCode: partial ? 'partial_exit' : null,
  });
}
