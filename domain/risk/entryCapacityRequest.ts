import type { InstrumentChoice } from '../instruments/bearishInstrument';
import type { BrokerName, Side, StrategyName } from '../vocabulary';
import type { CapacityRequest } from './accountState';

/*
 * The capacity request of one entry signal, built the same way by the session workflow and the
 * backtester: the account decides limits and size from it (docs/risk.md; docs/trading.md, "Allocation:
 * n is the signals the session has accepted").
 */

export interface EntryCapacityFacts {
  readonly requestId: string;
  readonly date: string;
  readonly session: StrategyName;
  readonly broker: BrokerName;
  readonly symbol: string;
  readonly signal: { readonly side: Side; readonly strength: number };
  readonly choice: Pick<InstrumentChoice, 'instrument' | 'assetClass'>;
  /** The instrument's price the session sizes at (a put: its premium per share). */
  readonly price: number;
  readonly brokerFloat: number;
  /** FRACTIONAL: only stock may then be sized in fractions. */
  readonly fractional: boolean;
  /** The session workflow the account signals should it halt this broker while the grant is open. */
  readonly sessionWorkflowId: string;
  /** The grants the session already holds: its place among its accepted signals. */
  readonly grantsTaken: number;
  /** n of the weights table (entryRanking.ts, acceptedSignalCount). */
  readonly acceptedSignals: number;
}

export function entryCapacityRequest(f: EntryCapacityFacts): Omit<CapacityRequest, 'at'> {
  return {
    requestId: f.requestId,
    date: f.date,
    session: f.session,
    broker: f.broker,
    symbol: f.symbol,
    side: f.signal.side,
    instrument: f.choice.instrument,
    signalStrength: f.signal.strength,
    price: f.price,
    brokerFloat: f.brokerFloat,
    assetFractionable: f.fractional && f.choice.assetClass === 'us_equity',
    notifyWorkflowId: f.sessionWorkflowId,
    acceptedSignals: f.acceptedSignals,
    // Its place among this session's accepted signals (the account's book may hold an earlier run's).
    rank: f.grantsTaken,
  };
}
