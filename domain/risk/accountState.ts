import {
  isMarginalSignal,
  perTradeCapDollars,
  sessionAllocationDollars,
  sizePosition,
  tradeDollars,
} from './allocation';
import {
  DEFAULT_DEFENSE_RULES,
  initialDefenseState,
  monthWinRate,
  stepDefense,
  type DefenseChange,
  type DefenseInput,
  type DefenseRules,
  type DefenseSource,
  type DefenseState,
  type DefenseTrigger,
} from './defenseMode';
import {
  checkSlots,
  dailyLossLimitDollars,
  dailyLossLimitReached,
  effectiveLimits,
  riskConfigFrom,
  type EffectiveLimits,
  type RiskConfig,
} from './limits';
import { addDays } from '../market/nyTime';
import { isIsoDate } from './riskDates';
import { weightAt } from './weights';
import { BROKER_NAMES, type BrokerName, type Instrument, type Side, type StrategyName } from '../vocabulary';

/**
 * The state the account workflow holds, and the reducers that change it. Pure and deterministic:
 * every function takes the state and an input (with its times) and returns a new state and a result;
 * nothing here reads a clock or does I/O. The state is plain JSON, so it can be carried across
 * continue-as-new and compared in tests.
 *
 * One account state serialises every risk decision of a deployment: concurrency slots per broker and in
 * total, session allocations, the daily loss limit per broker (kill switch) and defense mode.
 */

export const DEFENSE_TAG = 'DEFENSE_MODE_ACTIVE';
/** Decisions and day books are kept this many days back, for idempotent retries and status. */
export const RETAINED_DAYS = 3;
const KILL_HISTORY_KEPT = 50;
const IMPORTS_KEPT = 20;
/** Most trades / kills one import may carry (it is one update in the workflow history). */
export const IMPORT_MAX_TRADES = 5000;
export const IMPORT_MAX_KILLS = 200;

export interface AccountConfig extends RiskConfig {
  readonly defenseRules: DefenseRules;
}

export function accountConfigFrom(config: RiskConfig, rules: Partial<DefenseRules> = {}): AccountConfig {
  return { ...riskConfigFrom(config), defenseRules: { ...DEFAULT_DEFENSE_RULES, ...rules } };
}

// ---------------------------------------------------------------- inputs

export interface CapacityRequest {
  /** Idempotency key: the same id always gets the same decision. Use a new id for a new attempt. */
  readonly requestId: string;
  /** ISO instant of the request (the caller's clock; used for event times). */
  readonly at: string;
  /** Trading date, YYYY-MM-DD (UTC). */
  readonly date: string;
  readonly session: StrategyName;
  readonly broker: BrokerName;
  readonly symbol: string;
  readonly side: Side;
  readonly instrument: Instrument;
  /** Larger is stronger (the strategy's ranking key). */
  readonly signalStrength: number;
  /** Share price, or the option premium per share for a put. */
  readonly price: number;
  /** The broker's account value now. */
  readonly brokerFloat: number;
  readonly assetFractionable: boolean;
  /** 0-based rank among the session's accepted signals at this broker (strongest = 0). Default: arrival order. */
  readonly rank?: number;
  /** n of the weights table, when the session ranked a batch. Default: the session trade limit. */
  readonly acceptedSignals?: number;
  /** Workflow to signal when this broker is halted while the grant is open (the session workflow). */
  readonly notifyWorkflowId?: string;
}

export interface ReleaseRequest {
  readonly requestId: string;
  readonly at: string;
  /** Realised profit of the position after fees; 0 when nothing was filled. */
  readonly realizedPnl: number;
  /** False when the order never filled: the slot is freed but no trade is counted. */
  readonly filled: boolean;
}

export interface SetDefenseModeRequest {
  readonly active: boolean;
  readonly by: string;
  readonly reason?: string;
  readonly at: string;
}

export interface BrokerKillRequest {
  readonly broker: BrokerName;
  readonly date: string;
  readonly reason: string;
  readonly at: string;
}

export interface ConfigureRequest {
  readonly config: AccountConfig;
  readonly at: string;
}

/** One closed trade of an imported history (for example a row of an earlier trade_history file). */
export interface ImportedTrade {
  readonly date: string;
  readonly session: StrategyName;
  /** Realised PnL after fees; above 0 is a win (the rule releaseCapacity applies). */
  readonly realizedPnl: number;
}

/** One kill-switch firing of an imported history. */
export interface ImportedKill {
  readonly date: string;
  readonly broker: BrokerName;
  readonly cause?: 'daily_loss_limit' | 'manual';
  readonly reason?: string;
}

/**
 * Seeds the evidence behind the automatic defense-mode triggers (an account that starts fresh, or
 * after its state was lost, would otherwise forget last month). Accepted only while defense mode is off.
 */
export interface ImportRiskHistoryRequest {
  /** Idempotency key: the same id is applied once. */
  readonly importId: string;
  readonly at: string;
  readonly by: string;
  readonly trades?: readonly ImportedTrade[];
  readonly kills?: readonly ImportedKill[];
  /** Each broker's starting float for the drawdown trigger (replaces the first float seen). */
  readonly startingFloats?: Readonly<Partial<Record<BrokerName, number>>>;
}

// ---------------------------------------------------------------- results

export type RefusalReason =
  | 'trading_disabled'
  | 'stale_date'
  | 'broker_halted'
  | 'no_float'
  | 'session_trade_limit'
  | 'marginal_signal'
  | 'broker_concurrency_limit'
  | 'open_positions_limit'
  | 'session_allocation_exhausted'
  | 'below_one_unit';

export interface CapacityGrant {
  readonly granted: true;
  readonly requestId: string;
  readonly date: string;
  readonly session: StrategyName;
  readonly broker: BrokerName;
  readonly symbol: string;
  readonly side: Side;
  readonly instrument: Instrument;
  /** Dollars the risk rules granted (the trade record's `allocation`). */
  readonly allocationDollars: number;
  /** Shares (fractional in 0.0001 steps, or whole) or option contracts. */
  readonly quantity: number;
  readonly unit: 'shares' | 'contracts';
  readonly fractional: boolean;
  /** quantity x price (x 100 for contracts), never above allocationDollars. */
  readonly costDollars: number;
  readonly rank: number;
  readonly acceptedSignals: number;
  readonly weight: number;
  readonly sessionAllocationDollars: number;
  readonly perTradeCapDollars: number;
  /** The broker float the sizing used (the trade record's `account_value`). */
  readonly accountValue: number;
  readonly tags: readonly string[];
}

export interface CapacityRefusal {
  readonly granted: false;
  readonly requestId: string;
  readonly date: string;
  readonly reason: RefusalReason;
  readonly detail: string;
}

export type CapacityDecision = CapacityGrant | CapacityRefusal;

export interface ReleaseResult {
  readonly released: boolean;
  readonly requestId: string;
  /** Why nothing was released. */
  readonly reason?: 'unknown_request' | 'not_granted' | 'expired';
  readonly broker?: BrokerName;
  readonly date?: string;
  readonly realizedPnlToday?: number;
  /** The broker is halted for the day (this release may have fired the kill switch). */
  readonly brokerHalted?: boolean;
  readonly defenseActive: boolean;
}

export interface BrokerKillResult {
  readonly halted: true;
  readonly alreadyHalted: boolean;
}

export interface SetDefenseModeResult {
  readonly active: boolean;
  readonly changed: boolean;
  readonly source: DefenseSource | null;
}

export interface ImportRiskHistoryResult {
  readonly importId: string;
  /** True when this import id had been applied before: nothing was applied again. */
  readonly duplicate: boolean;
  readonly trades: number;
  readonly kills: number;
  readonly startingFloats: number;
  /** Defense mode after the import (the replayed evidence may have switched it on). */
  readonly defenseActive: boolean;
  readonly defenseSource: DefenseSource | null;
  readonly trigger: DefenseTrigger | null;
}

// ---------------------------------------------------------------- events (outbox, drained by activities)

export interface DefenseModeEvent {
  readonly kind: 'defense_mode';
  readonly id: string;
  readonly at: string;
  readonly change: DefenseChange['change'];
  readonly active: boolean;
  readonly source: DefenseSource | null;
  readonly trigger: DefenseTrigger;
  readonly limits: EffectiveLimits;
  readonly previousLimits: EffectiveLimits;
}

export interface KillSwitchEvent {
  readonly kind: 'kill_switch';
  readonly id: string;
  readonly at: string;
  readonly date: string;
  readonly broker: BrokerName;
  readonly cause: 'daily_loss_limit' | 'manual';
  readonly reason: string;
  readonly realizedPnlToday: number;
  readonly lossLimitDollars: number;
  readonly startOfDayFloat: number;
  /** Open grants at the broker whose positions must be exited. */
  readonly openRequestIds: readonly string[];
  /** Workflows to signal so that they exit those positions, with their grants. */
  readonly holders: readonly { readonly workflowId: string; readonly requestIds: readonly string[] }[];
}

export interface GrantExpiredEvent {
  readonly kind: 'grant_expired';
  readonly id: string;
  readonly at: string;
  readonly requestId: string;
  readonly broker: BrokerName;
  readonly date: string;
  readonly symbol: string;
}

export type AccountEvent = DefenseModeEvent | KillSwitchEvent | GrantExpiredEvent;

// ---------------------------------------------------------------- state

export interface OpenGrant extends CapacityGrant {
  readonly openedAt: string;
  readonly signalStrength: number;
  readonly notifyWorkflowId: string | null;
}

export interface BrokerDay {
  readonly date: string;
  readonly broker: BrokerName;
  /** First positive float seen that day: the base of the daily loss limit. */
  readonly startOfDayFloat: number;
  readonly realizedPnl: number;
  readonly closedTrades: number;
  readonly halted: boolean;
  readonly haltReason: string | null;
  readonly haltedAt: string | null;
}

export interface SessionBook {
  readonly date: string;
  readonly session: StrategyName;
  readonly broker: BrokerName;
  /** Float at the session's first request: the allocation base, fixed so a changing float cannot inflate it. */
  readonly baseFloat: number;
  readonly grantedCount: number;
  readonly grantedCents: number;
  readonly strongestStrength: number | null;
}

export interface KillRecord {
  readonly at: string;
  readonly date: string;
  readonly broker: BrokerName;
  readonly cause: 'daily_loss_limit' | 'manual';
  readonly reason: string;
}

export interface AccountState {
  readonly version: 1;
  /** When this account state was first created: makes event ids unique across account incarnations. */
  readonly createdAt: string;
  readonly config: AccountConfig;
  readonly latestDate: string | null;
  readonly openGrants: Readonly<Record<string, OpenGrant>>;
  readonly decisions: Readonly<Record<string, CapacityDecision>>;
  readonly releases: Readonly<Record<string, ReleaseResult & { readonly date: string }>>;
  readonly brokerDays: Readonly<Record<string, BrokerDay>>;
  readonly sessionBooks: Readonly<Record<string, SessionBook>>;
  readonly defense: DefenseState;
  readonly killHistory: readonly KillRecord[];
  readonly pendingEvents: readonly AccountEvent[];
  readonly nextEventSeq: number;
  readonly counters: { readonly granted: number; readonly refused: number; readonly released: number; readonly expired: number };
  /** History imports applied (latest IMPORTS_KEPT), so a retried import is applied once. Absent before the first. */
  readonly importedHistory?: readonly { readonly importId: string; readonly by: string; readonly result: ImportRiskHistoryResult }[];
}

export interface Transition<R> {
  readonly state: AccountState;
  readonly result: R;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<Omit<AccountState, 'openGrants' | 'decisions' | 'releases' | 'brokerDays' | 'sessionBooks' | 'pendingEvents' | 'killHistory' | 'counters'>> & {
  openGrants: Record<string, OpenGrant>;
  decisions: Record<string, CapacityDecision>;
  releases: Record<string, ReleaseResult & { date: string }>;
  brokerDays: Record<string, BrokerDay>;
  sessionBooks: Record<string, SessionBook>;
  pendingEvents: AccountEvent[];
  killHistory: KillRecord[];
  counters: Mutable<AccountState['counters']>;
};

/** A deep copy for the reducer to change: the reducers stay pure, and the state stays JSON data on every step. */
function draftOf(state: AccountState): Draft {
  return jsonCopy(state) as Draft;
}

/**
 * What `JSON.parse(JSON.stringify(value))` gives for plain data, without the text in between (the account's
 * reducers copy their state on every request; through a string that was a tenth of a backtest's time): an
 * undefined or function property is dropped, and becomes null in an array (a hole too); -0 becomes 0 and a
 * number that is not finite null; a value with toJSON (a Date) is read through it. A BigInt or a cycle
 * throws, as JSON.stringify does.
 */
export function jsonCopy(value: unknown, seen: unknown[] = []): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null;
  if (typeof value === 'bigint') throw new TypeError('a BigInt is not JSON data');
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return jsonCopy((value as { toJSON: () => unknown }).toJSON(), seen);
  if (seen.includes(value)) throw new TypeError('a cycle is not JSON data');
  seen.push(value);
  let out: unknown;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    // Every index, holes included (JSON writes a hole as null).
    for (let i = 0; i < value.length; i++) copy[i] = jsonCopy(value[i], seen) ?? null;
    out = copy;
  } else {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = jsonCopy((value as Record<string, unknown>)[key], seen);
      if (item !== undefined) copy[key] = item;
    }
    out = copy;
  }
  seen.pop();
  return out;
}

const dayKey = (date: string, broker: string) => `${date}|${broker}`;
const bookKey = (date: string, session: string, broker: string) => `${date}|${session}|${broker}`;
const toCents = (dollars: number) => Math.round(dollars * 100);
/** Whole cents; adding 0 turns -0 into 0 so that the state survives a JSON round trip unchanged. */
const roundCents = (dollars: number) => toCents(dollars) / 100 + 0;

export function createAccountState(config: AccountConfig, at: string): AccountState {
  const draft: Draft = {
    version: 1,
    createdAt: at,
    config,
    latestDate: null,
    openGrants: {},
    decisions: {},
    releases: {},
    brokerDays: {},
    sessionBooks: {},
    defense: initialDefenseState(),
    killHistory: [],
    pendingEvents: [],
    nextEventSeq: 1,
    counters: { granted: 0, refused: 0, released: 0, expired: 0 },
  };
  applyDefense(draft, { type: 'config', at, active: config.DEFENSE_MODE_ACTIVE });
  return draft;
}

function limitsOf(state: { config: AccountConfig; defense: DefenseState }): EffectiveLimits {
  return effectiveLimits(state.config, state.defense.active);
}

function nextEventId(draft: Draft): string {
  const id = `evt-${draft.createdAt}-${draft.nextEventSeq}`;
  draft.nextEventSeq += 1;
  return id;
}

function applyDefense(draft: Draft, input: DefenseInput): DefenseChange | null {
  const previousLimits = limitsOf(draft);
  const step = stepDefense(draft.defense, input, draft.config.defenseRules);
  draft.defense = step.state;
  if (!step.change) return null;
  draft.pendingEvents.push({
    kind: 'defense_mode',
    id: nextEventId(draft),
    at: step.change.at,
    change: step.change.change,
    active: step.change.active,
    source: step.change.source,
    trigger: step.change.trigger,
    limits: limitsOf(draft),
    previousLimits,
  });
  return step.change;
}

function openCount(draft: { openGrants: Readonly<Record<string, OpenGrant>> }, broker?: BrokerName): number {
  let n = 0;
  for (const g of Object.values(draft.openGrants)) if (broker === undefined || g.broker === broker) n += 1;
  return n;
}

function ensureBrokerDay(draft: Draft, date: string, broker: BrokerName, float: number): BrokerDay {
  const key = dayKey(date, broker);
  const existing = draft.brokerDays[key];
  if (existing && existing.startOfDayFloat > 0) return existing;
  const day: BrokerDay = existing
    ? { ...existing, startOfDayFloat: float > 0 ? float : 0 }
    : { date, broker, startOfDayFloat: float > 0 ? float : 0, realizedPnl: 0, closedTrades: 0, halted: false, haltReason: null, haltedAt: null };
  draft.brokerDays[key] = day;
  return day;
}

/**
 * A newer trading date: grants from earlier dates are expired (intraday positions never outlive their day,
 * so such a grant is a leaked slot, for example from a session that crashed before releasing), and records
 * older than RETAINED_DAYS are dropped.
 */
function rollDate(draft: Draft, date: string, at: string): void {
  if (draft.latestDate !== null && date <= draft.latestDate) return;
  draft.latestDate = date;
  for (const grant of Object.values(draft.openGrants)) {
    if (grant.date >= date) continue;
    delete draft.openGrants[grant.requestId];
    draft.counters.expired += 1;
    draft.releases[grant.requestId] = {
      released: true,
      requestId: grant.requestId,
      reason: 'expired',
      broker: grant.broker,
      date: grant.date,
      defenseActive: draft.defense.active,
    };
    draft.pendingEvents.push({
      kind: 'grant_expired',
      id: nextEventId(draft),
      at,
      requestId: grant.requestId,
      broker: grant.broker,
      date: grant.date,
      symbol: grant.symbol,
    });
  }
  const keepFrom = addDays(date, -RETAINED_DAYS);
  for (const [id, d] of Object.entries(draft.decisions)) if (d.date < keepFrom) delete draft.decisions[id];
  for (const [id, r] of Object.entries(draft.releases)) if (r.date < keepFrom) delete draft.releases[id];
  for (const [k, d] of Object.entries(draft.brokerDays)) if (d.date < keepFrom) delete draft.brokerDays[k];
  for (const [k, b] of Object.entries(draft.sessionBooks)) if (b.date < date) delete draft.sessionBooks[k];
}

function haltBroker(draft: Draft, date: string, broker: BrokerName, at: string, cause: 'daily_loss_limit' | 'manual', reason: string): boolean {
  const day = ensureBrokerDay(draft, date, broker, 0);
  if (day.halted) return false;
  draft.brokerDays[dayKey(date, broker)] = { ...day, halted: true, haltReason: reason, haltedAt: at };
  draft.killHistory.push({ at, date, broker, cause, reason });
  if (draft.killHistory.length > KILL_HISTORY_KEPT) draft.killHistory.splice(0, draft.killHistory.length - KILL_HISTORY_KEPT);
  const open = Object.values(draft.openGrants).filter((g) => g.broker === broker);
  const holders = new Map<string, string[]>();
  for (const g of open) {
    if (g.notifyWorkflowId === null) continue;
    holders.set(g.notifyWorkflowId, [...(holders.get(g.notifyWorkflowId) ?? []), g.requestId]);
  }
  draft.pendingEvents.push({
    kind: 'kill_switch',
    id: nextEventId(draft),
    at,
    date,
    broker,
    cause,
    reason,
    realizedPnlToday: day.realizedPnl,
    lossLimitDollars: dailyLossLimitDollars(day.startOfDayFloat, draft.config.DAILY_LOSS_LIMIT),
    startOfDayFloat: day.startOfDayFloat,
    openRequestIds: open.map((g) => g.requestId),
    holders: [...holders].map(([workflowId, requestIds]) => ({ workflowId, requestIds })),
  });
  applyDefense(draft, { type: 'kill', at, date, broker });
  return true;
}

function refuse(req: CapacityRequest, reason: RefusalReason, detail: string): CapacityRefusal {
  return { granted: false, requestId: req.requestId, date: req.date, reason, detail };
}

function decide(draft: Draft, req: CapacityRequest): CapacityDecision {
  if (draft.latestDate !== null && req.date < draft.latestDate) {
    return refuse(req, 'stale_date', `request for ${req.date} after trading moved on to ${draft.latestDate}`);
  }
  const limits = limitsOf(draft);
  if (limits.tradesDisabled) return refuse(req, 'trading_disabled', 'DISABLE_ALL_TRADES is true');
  const day = draft.brokerDays[dayKey(req.date, req.broker)];
  if (day?.halted) return refuse(req, 'broker_halted', `${req.broker} halted for ${req.date}: ${day.haltReason ?? ''}`);
  if (!(req.brokerFloat > 0)) return refuse(req, 'no_float', `${req.broker} float is ${req.brokerFloat}`);

  const key = bookKey(req.date, req.session, req.broker);
  const book: SessionBook = draft.sessionBooks[key] ?? {
    date: req.date,
    session: req.session,
    broker: req.broker,
    baseFloat: req.brokerFloat,
    grantedCount: 0,
    grantedCents: 0,
    strongestStrength: null,
  };
  const n = Math.min(req.acceptedSignals ?? limits.maxTradesPerSession, limits.maxTradesPerSession);
  const rank = req.rank ?? book.grantedCount;
  if (book.grantedCount >= limits.maxTradesPerSession || rank >= n) {
    return refuse(req, 'session_trade_limit', `session ${req.session} at ${req.broker}: ${book.grantedCount} granted, rank ${rank}, n ${n}, limit ${limits.maxTradesPerSession}`);
  }
  const strongest = Math.max(book.strongestStrength ?? req.signalStrength, req.signalStrength);
  if (limits.defenseActive && isMarginalSignal(req.signalStrength, strongest, draft.config.defenseRules.marginalStrengthFraction)) {
    return refuse(req, 'marginal_signal', `strength ${req.signalStrength} below ${draft.config.defenseRules.marginalStrengthFraction} x strongest ${strongest} in defense mode`);
  }
  const slot = checkSlots(openCount(draft, req.broker), openCount(draft), limits);
  if (slot === 'broker_concurrency_limit') {
    return refuse(req, slot, `${openCount(draft, req.broker)} open at ${req.broker}, limit ${limits.maxConcurrentPerBroker}`);
  }
  if (slot === 'open_positions_limit') return refuse(req, slot, `${openCount(draft)} open in total, limit ${limits.maxOpenPositions}`);

  const sessionAllocation = sessionAllocationDollars(book.baseFloat, limits.sessionAllocationFraction);
  const remainingCents = toCents(sessionAllocation) - book.grantedCents;
  if (remainingCents <= 0) return refuse(req, 'session_allocation_exhausted', `session allocation ${sessionAllocation} fully granted`);
  const perTradeCap = perTradeCapDollars(req.brokerFloat, limits.maxRiskPerTrade);
  const weight = weightAt(rank, n, draft.config.WEIGHTS);
  const dollars = tradeDollars({ sessionAllocation, weight, perTradeCap, remainingSessionAllocation: remainingCents / 100 });
  const size = sizePosition({
    dollars,
    price: req.price,
    instrument: req.instrument,
    fractionalEnabled: draft.config.FRACTIONAL,
    assetFractionable: req.assetFractionable,
  });
  if (!(size.quantity > 0)) {
    return refuse(req, 'below_one_unit', `${dollars} dollars buy no ${size.unit} at ${req.price}`);
  }
  return {
    granted: true,
    requestId: req.requestId,
    date: req.date,
    session: req.session,
    broker: req.broker,
    symbol: req.symbol,
    side: req.side,
    instrument: req.instrument,
    allocationDollars: dollars,
    quantity: size.quantity,
    unit: size.unit,
    fractional: size.fractional,
    costDollars: size.costDollars,
    rank,
    acceptedSignals: n,
    weight,
    sessionAllocationDollars: sessionAllocation,
    perTradeCapDollars: perTradeCap,
    accountValue: req.brokerFloat,
    tags: limits.defenseActive ? [DEFENSE_TAG] : [],
  };
}

/**
 * Grants or refuses one trade's capacity. Atomic by construction: it runs to completion on one state and
 * returns the next, so two requests can never both see the last free slot (the workflow applies them one
 * after the other).
 */
export function requestCapacity(state: AccountState, req: CapacityRequest): Transition<CapacityDecision> {
  const cached = state.decisions[req.requestId];
  if (cached) return { state, result: cached };
  const draft = draftOf(state);
  rollDate(draft, req.date, req.at);
  if (!(draft.latestDate !== null && req.date < draft.latestDate)) {
    ensureBrokerDay(draft, req.date, req.broker, req.brokerFloat);
    applyDefense(draft, { type: 'float', at: req.at, broker: req.broker, float: req.brokerFloat });
  }
  const decision = decide(draft, req);
  draft.decisions[req.requestId] = decision;
  if (decision.granted) {
    const key = bookKey(req.date, req.session, req.broker);
    const book = draft.sessionBooks[key];
    draft.sessionBooks[key] = {
      date: req.date,
      session: req.session,
      broker: req.broker,
      baseFloat: book?.baseFloat ?? req.brokerFloat,
      grantedCount: (book?.grantedCount ?? 0) + 1,
      grantedCents: (book?.grantedCents ?? 0) + toCents(decision.allocationDollars),
      strongestStrength: Math.max(book?.strongestStrength ?? req.signalStrength, req.signalStrength),
    };
    draft.openGrants[req.requestId] = {
      ...decision,
      openedAt: req.at,
      signalStrength: req.signalStrength,
      notifyWorkflowId: req.notifyWorkflowId ?? null,
    };
    draft.counters.granted += 1;
  } else {
    draft.counters.refused += 1;
  }
  return { state: draft, result: decision };
}

/**
 * Frees a granted slot and records the trade's realised PnL. Crossing the daily loss limit (at or beyond)
 * halts that broker for the day. Idempotent on requestId.
 */
export function releaseCapacity(state: AccountState, rel: ReleaseRequest): Transition<ReleaseResult> {
  const cached = state.releases[rel.requestId];
  if (cached) return { state, result: cached };
  const grant = state.openGrants[rel.requestId];
  if (!grant) {
    const decision = state.decisions[rel.requestId];
    const reason = decision ? 'not_granted' : 'unknown_request';
    return { state, result: { released: false, requestId: rel.requestId, reason, defenseActive: state.defense.active } };
  }
  const draft = draftOf(state);
  delete draft.openGrants[rel.requestId];
  draft.counters.released += 1;
  const key = dayKey(grant.date, grant.broker);
  let day = ensureBrokerDay(draft, grant.date, grant.broker, grant.accountValue);
  const book = draft.sessionBooks[bookKey(grant.date, grant.session, grant.broker)];
  if (!rel.filled && book) {
    // Nothing was bought: the session gets the trade and its dollars back for another signal.
    draft.sessionBooks[bookKey(grant.date, grant.session, grant.broker)] = {
      ...book,
      grantedCount: Math.max(0, book.grantedCount - 1),
      grantedCents: Math.max(0, book.grantedCents - toCents(grant.allocationDollars)),
    };
  }
  if (rel.filled) {
    day = { ...day, realizedPnl: roundCents(day.realizedPnl + rel.realizedPnl), closedTrades: day.closedTrades + 1 };
    draft.brokerDays[key] = day;
    applyDefense(draft, {
      type: 'trade',
      at: rel.at,
      date: grant.date,
      sessionKey: `${grant.date}|${grant.session}`,
      win: rel.realizedPnl > 0,
    });
    if (!day.halted && dailyLossLimitReached(day.realizedPnl, day.startOfDayFloat, draft.config.DAILY_LOSS_LIMIT)) {
      const limit = dailyLossLimitDollars(day.startOfDayFloat, draft.config.DAILY_LOSS_LIMIT);
      haltBroker(draft, grant.date, grant.broker, rel.at, 'daily_loss_limit', `realised PnL ${day.realizedPnl} reached the daily loss limit of -${limit} (DAILY_LOSS_LIMIT ${draft.config.DAILY_LOSS_LIMIT} x float ${day.startOfDayFloat})`);
    }
  }
  const finalDay = draft.brokerDays[key];
  const result: ReleaseResult = {
    released: true,
    requestId: rel.requestId,
    broker: grant.broker,
    date: grant.date,
    realizedPnlToday: finalDay.realizedPnl,
    brokerHalted: finalDay.halted,
    defenseActive: draft.defense.active,
  };
  draft.releases[rel.requestId] = { ...result, date: grant.date };
  return { state: draft, result };
}

/** Halts a broker for the day by hand (operator kill, or an escalated broker error). */
export function brokerKill(state: AccountState, req: BrokerKillRequest): Transition<BrokerKillResult> {
  const existing = state.brokerDays[dayKey(req.date, req.broker)];
  if (existing?.halted) return { state, result: { halted: true, alreadyHalted: true } };
  const draft = draftOf(state);
  rollDate(draft, req.date, req.at);
  haltBroker(draft, req.date, req.broker, req.at, 'manual', req.reason);
  return { state: draft, result: { halted: true, alreadyHalted: false } };
}

export function setDefenseMode(state: AccountState, req: SetDefenseModeRequest): Transition<SetDefenseModeResult> {
  const draft = draftOf(state);
  const change = applyDefense(draft, { type: 'manual', at: req.at, active: req.active, by: req.by, reason: req.reason ?? '' });
  if (!change) return { state, result: { active: state.defense.active, changed: false, source: state.defense.source } };
  return { state: draft, result: { active: draft.defense.active, changed: true, source: draft.defense.source } };
}

/** Applies a new config (sent daily by the trading day). DEFENSE_MODE_ACTIVE acts only when it changes. */
export function configure(state: AccountState, req: ConfigureRequest): Transition<{ readonly defenseActive: boolean }> {
  const draft = draftOf(state);
  draft.config = req.config;
  applyDefense(draft, { type: 'config', at: req.at, active: req.config.DEFENSE_MODE_ACTIVE });
  return { state: draft, result: { defenseActive: draft.defense.active } };
}

/**
 * Imports a history of closed trades, kill-switch firings and starting floats. The trades and kills are
 * replayed, oldest date first, through the same defense state machine the live account uses, so the
 * windows, the minimum trade count and the thresholds are exactly the live ones; if the evidence meets a
 * trigger, defense mode switches on automatically (source `auto`) at the import's time, with the usual
 * disaster-log event. Starting floats only set the base: the next float reading (the first capacity
 * request) checks the drawdown. Idempotent on importId. Call only while defense mode is off (the
 * validator enforces it): imported trades must not count toward an exit.
 */
export function importRiskHistory(state: AccountState, req: ImportRiskHistoryRequest): Transition<ImportRiskHistoryResult> {
  const prior = state.importedHistory?.find((i) => i.importId === req.importId);
  if (prior) return { state, result: { ...prior.result, duplicate: true } };
  const draft = draftOf(state);
  const floats = Object.entries(req.startingFloats ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number');
  if (floats.length > 0) {
    draft.defense = { ...draft.defense, startingFloats: { ...draft.defense.startingFloats, ...Object.fromEntries(floats) } };
  }
  const trades = req.trades ?? [];
  const kills = req.kills ?? [];
  // Oldest date first (stable: a date's trades before its kills), as the account would have seen them.
  const byDate = (a: { date: string }, b: { date: string }) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0);
  const inputs: Extract<DefenseInput, { type: 'trade' | 'kill' }>[] = [
    ...trades.map((t) => ({ type: 'trade' as const, at: req.at, date: t.date, sessionKey: `${t.date}|${t.session}`, win: t.realizedPnl > 0 })),
    ...kills.map((k) => ({ type: 'kill' as const, at: req.at, date: k.date, broker: k.broker })),
  ].sort(byDate);
  for (const input of inputs) applyDefense(draft, input);
  for (const k of [...kills].sort(byDate)) {
    draft.killHistory.push({ at: req.at, date: k.date, broker: k.broker, cause: k.cause ?? 'manual', reason: `imported by ${req.by}${k.reason ? `: ${k.reason}` : ''}` });
  }
  if (draft.killHistory.length > KILL_HISTORY_KEPT) draft.killHistory.splice(0, draft.killHistory.length - KILL_HISTORY_KEPT);
  const result: ImportRiskHistoryResult = {
    importId: req.importId,
    duplicate: false,
    trades: trades.length,
    kills: kills.length,
    startingFloats: floats.length,
    defenseActive: draft.defense.active,
    defenseSource: draft.defense.source,
    trigger: draft.defense.trigger,
  };
  draft.importedHistory = [...(draft.importedHistory ?? []), { importId: req.importId, by: req.by, result }].slice(-IMPORTS_KEPT);
  return { state: draft, result };
}

/** Removes drained events from the outbox (by id, so events added meanwhile stay). */
export function acknowledgeEvents(state: AccountState, ids: readonly string[]): AccountState {
  if (ids.length === 0) return state;
  const done = new Set(ids);
  return { ...state, pendingEvents: state.pendingEvents.filter((e) => !done.has(e.id)) };
}

// ---------------------------------------------------------------- status

export interface BrokerStatus {
  readonly broker: BrokerName;
  readonly date: string;
  readonly startOfDayFloat: number;
  readonly realizedPnlToday: number;
  readonly lossLimitDollars: number;
  readonly closedTrades: number;
  readonly halted: boolean;
  readonly haltReason: string | null;
  readonly openPositions: number;
}

export interface AccountStatus {
  readonly latestDate: string | null;
  readonly tradesDisabled: boolean;
  readonly limits: EffectiveLimits;
  readonly defense: {
    readonly active: boolean;
    readonly source: DefenseSource | null;
    readonly trigger: DefenseTrigger | null;
    readonly since: string | null;
    readonly monthWinRate: { readonly wins: number; readonly trades: number; readonly winRate: number } | null;
    readonly killsInWindow: number;
    readonly startingFloats: Readonly<Record<string, number>>;
    readonly lastFloats: Readonly<Record<string, number>>;
  };
  readonly openPositions: number;
  readonly openByBroker: Readonly<Record<string, number>>;
  readonly grants: readonly OpenGrant[];
  readonly brokers: readonly BrokerStatus[];
  readonly killHistory: readonly KillRecord[];
  readonly pendingEvents: number;
  readonly counters: AccountState['counters'];
}

export function snapshot(state: AccountState): AccountStatus {
  const grants = Object.values(state.openGrants);
  const openByBroker: Record<string, number> = {};
  for (const g of grants) openByBroker[g.broker] = (openByBroker[g.broker] ?? 0) + 1;
  const brokers = Object.values(state.brokerDays)
    .filter((d) => d.date === state.latestDate)
    .map((d): BrokerStatus => ({
      broker: d.broker,
      date: d.date,
      startOfDayFloat: d.startOfDayFloat,
      realizedPnlToday: d.realizedPnl,
      lossLimitDollars: dailyLossLimitDollars(d.startOfDayFloat, state.config.DAILY_LOSS_LIMIT),
      closedTrades: d.closedTrades,
      halted: d.halted,
      haltReason: d.haltReason,
      openPositions: openByBroker[d.broker] ?? 0,
    }));
  return {
    latestDate: state.latestDate,
    tradesDisabled: state.config.DISABLE_ALL_TRADES,
    limits: limitsOf(state),
    defense: {
      active: state.defense.active,
      source: state.defense.source,
      trigger: state.defense.trigger,
      since: state.defense.since,
      monthWinRate: state.latestDate ? monthWinRate(state.defense, state.latestDate) : null,
      killsInWindow: state.defense.kills.length,
      startingFloats: state.defense.startingFloats,
      lastFloats: state.defense.lastFloats,
    },
    openPositions: grants.length,
    openByBroker,
    grants,
    brokers,
    killHistory: state.killHistory,
    pendingEvents: state.pendingEvents.length,
    counters: state.counters,
  };
}

// ---------------------------------------------------------------- input validation (update validators)

const BROKERS: readonly string[] = BROKER_NAMES;
const SESSIONS: readonly string[] = ['open', 'mid', 'close'];
const SIDES: readonly string[] = ['long', 'short'];
const INSTRUMENTS: readonly string[] = ['stock', 'put', 'inverse_etf', 'short_stock'];

const isInstant = (v: unknown) => typeof v === 'string' && v.length >= 10 && !Number.isNaN(Date.parse(v));
const isNonEmpty = (v: unknown) => typeof v === 'string' && v.trim().length > 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Problems with a capacity request's shape, one line each; empty when valid. Refusals are not problems. */
export function capacityRequestProblems(req: CapacityRequest): string[] {
  const p: string[] = [];
  if (!isNonEmpty(req?.requestId)) p.push('requestId: a non-empty string is required');
  if (!isInstant(req?.at)) p.push('at: an ISO 8601 instant is required');
  if (!isIsoDate(req?.date)) p.push('date: YYYY-MM-DD is required');
  if (!SESSIONS.includes(req?.session)) p.push(`session: one of ${SESSIONS.join(', ')}`);
  if (!BROKERS.includes(req?.broker)) p.push(`broker: one of ${BROKERS.join(', ')}`);
  if (!isNonEmpty(req?.symbol)) p.push('symbol: a non-empty string is required');
  if (!SIDES.includes(req?.side)) p.push(`side: one of ${SIDES.join(', ')}`);
  if (!INSTRUMENTS.includes(req?.instrument)) p.push(`instrument: one of ${INSTRUMENTS.join(', ')}`);
  if (!isFiniteNumber(req?.signalStrength)) p.push('signalStrength: a finite number is required');
  if (!isFiniteNumber(req?.price) || req.price <= 0) p.push('price: a positive number is required');
  if (!isFiniteNumber(req?.brokerFloat) || req.brokerFloat < 0) p.push('brokerFloat: a number >= 0 is required');
  if (typeof req?.assetFractionable !== 'boolean') p.push('assetFractionable: true or false');
  if (req?.rank !== undefined && !(Number.isInteger(req.rank) && req.rank >= 0)) p.push('rank: an integer >= 0');
  if (req?.acceptedSignals !== undefined && !(Number.isInteger(req.acceptedSignals) && req.acceptedSignals >= 1)) {
    p.push('acceptedSignals: an integer >= 1');
  }
  if (req?.notifyWorkflowId !== undefined && !isNonEmpty(req.notifyWorkflowId)) p.push('notifyWorkflowId: a non-empty string');
  return p;
}

export function releaseRequestProblems(rel: ReleaseRequest): string[] {
  const p: string[] = [];
  if (!isNonEmpty(rel?.requestId)) p.push('requestId: a non-empty string is required');
  if (!isInstant(rel?.at)) p.push('at: an ISO 8601 instant is required');
  if (!isFiniteNumber(rel?.realizedPnl)) p.push('realizedPnl: a finite number is required');
  if (typeof rel?.filled !== 'boolean') p.push('filled: true or false');
  else if (!rel.filled && rel.realizedPnl !== 0) p.push('realizedPnl: must be 0 when filled is false');
  return p;
}

export function setDefenseModeProblems(req: SetDefenseModeRequest): string[] {
  const p: string[] = [];
  if (typeof req?.active !== 'boolean') p.push('active: true or false');
  if (!isNonEmpty(req?.by)) p.push('by: who is switching (a non-empty string)');
  if (!isInstant(req?.at)) p.push('at: an ISO 8601 instant is required');
  return p;
}

export function brokerKillProblems(req: BrokerKillRequest): string[] {
  const p: string[] = [];
  if (!BROKERS.includes(req?.broker)) p.push(`broker: one of ${BROKERS.join(', ')}`);
  if (!isIsoDate(req?.date)) p.push('date: YYYY-MM-DD is required');
  if (!isNonEmpty(req?.reason)) p.push('reason: a non-empty string is required');
  if (!isInstant(req?.at)) p.push('at: an ISO 8601 instant is required');
  return p;
}

/**
 * Problems with a history import, one line each; empty when valid. Reads the state: a repeated import id
 * is always valid (it returns the first answer), and a new one is refused while defense mode is on.
 */
export function importRiskHistoryProblems(state: AccountState, req: ImportRiskHistoryRequest): string[] {
  const p: string[] = [];
  if (!isNonEmpty(req?.importId)) p.push('importId: a non-empty string is required');
  else if (state.importedHistory?.some((i) => i.importId === req.importId)) return [];
  if (!isInstant(req?.at)) p.push('at: an ISO 8601 instant is required');
  if (!isNonEmpty(req?.by)) p.push('by: who is importing (a non-empty string)');
  const today = isInstant(req?.at) ? new Date(req.at).toISOString().slice(0, 10) : null;
  const pastDate = (d: unknown) => isIsoDate(d) && (today === null || d <= today);
  const trades: unknown = req?.trades ?? [];
  const kills: unknown = req?.kills ?? [];
  const floats: unknown = req?.startingFloats ?? {};
  if (!Array.isArray(trades)) p.push('trades: an array');
  else {
    if (trades.length > IMPORT_MAX_TRADES) p.push(`trades: at most ${IMPORT_MAX_TRADES} per import`);
    (trades as ImportedTrade[]).forEach((t, i) => {
      if (!pastDate(t?.date)) p.push(`trades[${i}].date: YYYY-MM-DD, not after the import date`);
      if (!SESSIONS.includes(t?.session)) p.push(`trades[${i}].session: one of ${SESSIONS.join(', ')}`);
      if (!isFiniteNumber(t?.realizedPnl)) p.push(`trades[${i}].realizedPnl: a finite number is required`);
    });
  }
  if (!Array.isArray(kills)) p.push('kills: an array');
  else {
    if (kills.length > IMPORT_MAX_KILLS) p.push(`kills: at most ${IMPORT_MAX_KILLS} per import`);
    (kills as ImportedKill[]).forEach((k, i) => {
      if (!pastDate(k?.date)) p.push(`kills[${i}].date: YYYY-MM-DD, not after the import date`);
      if (!BROKERS.includes(k?.broker)) p.push(`kills[${i}].broker: one of ${BROKERS.join(', ')}`);
      if (k?.cause !== undefined && k.cause !== 'daily_loss_limit' && k.cause !== 'manual') p.push(`kills[${i}].cause: daily_loss_limit or manual`);
      if (k?.reason !== undefined && typeof k.reason !== 'string') p.push(`kills[${i}].reason: a string`);
    });
  }
  if (typeof floats !== 'object' || floats === null || Array.isArray(floats)) p.push('startingFloats: an object of broker -> float');
  else {
    for (const [broker, value] of Object.entries(floats as Record<string, unknown>)) {
      if (!BROKERS.includes(broker)) p.push(`startingFloats.${broker}: broker must be one of ${BROKERS.join(', ')}`);
      if (!isFiniteNumber(value) || value <= 0) p.push(`startingFloats.${broker}: a positive number is required`);
    }
  }
  const count = (Array.isArray(trades) ? trades.length : 0) + (Array.isArray(kills) ? kills.length : 0) + (typeof floats === 'object' && floats !== null ? Object.keys(floats).length : 0);
  if (p.length === 0 && count === 0) p.push('nothing to import: give trades, kills or startingFloats');
  // Imported trades would count toward the exit criteria of an active mode; history belongs before it.
  if (state.defense.active) p.push(`defense mode is on (source ${state.defense.source ?? 'none'}): import history only while it is off`);
  return p;
}
