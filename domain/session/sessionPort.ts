import type { InstrumentChoice } from '../instruments/bearishInstrument';
import type { OptionChainSnapshot } from '../instruments/putSelection';
import type { CapacityGrant } from '../risk/accountState';
import type { EntrySignal, SymbolTracker } from '../strategies/strategy';
import type { ExitReason } from '../vocabulary';
import type { BrokerClose, ExitOutcome, HeldPosition } from './exitOutcome';

/*
 * The one interface through which the session engine (domain/session/sessionEngine.ts) reaches the
 * world (docs/architecture.md, "The session engine and its port"). The live session answers it with
 * activities (workflows/sessionActivityPort.ts), the backtester with its fill model and the account
 * reducers (domain/backtest/simulatedPort.ts). The engine's flows are generators that yield one call at a
 * time: `runFlow` answers them at once, `runFlowAsync` awaits an answer that is a promise.
 */

/** What a venue's port holds per position and per exit; the engine only passes them through. */
export interface VenueTypes {
  readonly position: { readonly signal: EntrySignal };
  readonly closing: unknown;
}

/** One tracker's entry signal of the current bar, at the engine's slot for its symbol. */
export interface EntryCandidate {
  readonly slot: number;
  readonly symbol: string;
  readonly tracker: SymbolTracker;
  readonly signal: EntrySignal;
}

/** An entry signal whose instrument and price are settled; next it asks the account for a grant. */
export interface PreparedEntry extends EntryCandidate {
  readonly choice: InstrumentChoice;
  readonly price: number;
}

/** A prepared entry the account granted, under its request id. */
export interface GrantedEntry extends PreparedEntry {
  readonly requestId: string;
  readonly grant: CapacityGrant;
}

/** An exit the trackers or the session decided: its reason and the underlying's bar. */
export interface ExitDecision {
  readonly slot: number;
  readonly reason: ExitReason;
  readonly price: number;
  readonly barStart: number;
}

/** Gate facts only the venue knows: a real broker's clock against the signal and the session's end. */
export interface EntryTiming {
  readonly pastSessionEnd: boolean;
  /** The refusal note of a stale signal (its age), or null while the signal is fresh. */
  readonly staleNote: string | null;
}

export interface BearishFactsKnown {
  readonly supportsOptions: boolean;
  readonly supportsShorting: boolean;
  readonly shortable: boolean;
  readonly putChain: OptionChainSnapshot | null;
}

/** Every instrument allowed and no real put chain: what a short needs no facts for, and the simulated broker's answer. */
export const UNRESTRICTED_BEARISH_FACTS: BearishFactsKnown = { supportsOptions: true, supportsShorting: true, shortable: true, putChain: null };

export type BearishFactsAnswer = { readonly ok: true; readonly facts: BearishFactsKnown } | { readonly ok: false; readonly message: string };

/** `not_asked`: the venue does not ask the operator (no TRADE_CONFIRMATION_REQUIRED, or a backtest). */
export type ConfirmAnswer = 'not_asked' | 'approved' | 'rejected' | 'timed_out';

/** The instrument's price; `spread` is the quote to check, null when the venue checks none. */
export type PriceAnswer =
  | { readonly ok: true; readonly price: number; readonly spread: { readonly bid: number | null; readonly ask: number | null } | null }
  | { readonly ok: false; readonly message: string };

export type GrantAnswer =
  | { readonly granted: true; readonly requestId: string; readonly grant: CapacityGrant }
  | { readonly granted: false; readonly code: string; readonly message: string };

/**
 * The entry order's outcome. `failed`: the venue escalated it; the slot is freed only when the broker said
 * it holds no such order. `deadline_passed`: refused as too late to post. `rejected`: the broker or the
 * fill model refused it.
 */
export type SubmitAnswer<P> =
  | { readonly kind: 'filled'; readonly position: P }
  | { readonly kind: 'failed'; readonly releaseSlot: boolean }
  | { readonly kind: 'deadline_passed'; readonly staleNote: string }
  | { readonly kind: 'rejected' };

/** The exit's answer: the position as held, the broker's close (null when the call failed) and the venue's detail. */
export interface CloseAnswer<C> {
  readonly held: HeldPosition;
  readonly closed: BrokerClose | null;
  readonly exitFailure: string | null;
  readonly detail: C;
}

export interface SessionPort<V extends VenueTypes> {
  entryTiming(signal: EntrySignal): EntryTiming;
  /** A signal ended here: the venue notes or counts it (`code` is stable, `message` for people). */
  refused(entry: EntryCandidate, code: string, message: string): void;
  bearishFacts(entry: EntryCandidate, wantPutChain: boolean): BearishFactsAnswer;
  confirm(entry: EntryCandidate, choice: InstrumentChoice): ConfirmAnswer;
  price(entry: EntryCandidate, choice: InstrumentChoice): PriceAnswer;
  /** A refusal message when the closing imbalance opposes the entry, else null. */
  imbalance(entry: EntryCandidate): string | null;
  requestCapacity(prepared: PreparedEntry, counts: { readonly grantsTaken: number; readonly acceptedSignals: number }): GrantAnswer;
  /** A grant that was not used goes back to the account. */
  releaseUnused(granted: GrantedEntry): void;
  submitEntry(granted: GrantedEntry): SubmitAnswer<V['position']>;
  /** A new position is held (the engine already counts it as open). */
  entryFilled(granted: GrantedEntry, position: V['position']): void;
  /** Anything the venue must settle before an exit takes the position (a stop still being placed). */
  settleBeforeExit(slot: number): void;
  close(position: V['position'], exit: ExitDecision): CloseAnswer<V['closing']>;
  /** The broker answered but the position is (partly) still held. */
  exitLeftOpen(position: V['position'], outcome: ExitOutcome, closing: CloseAnswer<V['closing']>): void;
  recordExit(position: V['position'], outcome: ExitOutcome, exit: ExitDecision, closing: CloseAnswer<V['closing']>): void;
  /** A fully closed position's grant goes back with its PnL; `brokerHalted` when that hit the daily loss limit. */
  releaseExit(position: V['position'], outcome: ExitOutcome, exit: ExitDecision): { readonly brokerHalted?: boolean } | null;
  /** The exit's release halted this session's broker for the day. */
  lossLimitHalt(): void;
  /** An exit is done. */
  exited(): void;
}

export type PortMethod = keyof SessionPort<VenueTypes>;
export type PortAnswer<V extends VenueTypes, K extends PortMethod> = ReturnType<SessionPort<V>[K]>;

/** A venue whose answers may be promises (the live session's activities). */
export type AsyncSessionPort<V extends VenueTypes> = {
  readonly [K in PortMethod]: (...args: Parameters<SessionPort<V>[K]>) => PortAnswer<V, K> | Promise<PortAnswer<V, K>>;
};

export interface PortCall {
  readonly method: PortMethod;
  readonly args: readonly unknown[];
}

/** A flow of the engine: it yields port calls and is resumed with each answer. */
export type Flow<R> = Generator<PortCall, R, unknown>;

/** Runs a flow against a port that answers at once (the backtester). */
export function runFlow<V extends VenueTypes, R>(flow: Flow<R>, port: SessionPort<V>): R {
  let step = flow.next();
  while (!step.done) step = flow.next(callPort(port, step.value));
  return step.value;
}

/**
 * Runs a flow against a port whose answers may be promises. An answer that is not a promise resumes the
 * flow at once, so a flow waits exactly where the venue waits (the workflow's order of commands).
 */
export async function runFlowAsync<V extends VenueTypes, R>(flow: Flow<R>, port: AsyncSessionPort<V>): Promise<R> {
  let step = flow.next();
  while (!step.done) {
    const answer = callPort(port, step.value);
    step = flow.next(isPromiseLike(answer) ? await answer : answer);
  }
  return step.value;
}

function callPort(port: object, call: PortCall): unknown {
  const method = (port as Record<PortMethod, (...args: readonly unknown[]) => unknown>)[call.method];
  return method.apply(port, [...call.args]);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
