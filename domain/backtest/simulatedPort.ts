import type { BotConfig } from '../config/botConfigSchema';
import type { InstrumentChoice } from '../instruments/bearishInstrument';
import { parseOccSymbol } from '../instruments/occSymbol';
import type { VolatilityInputs } from '../instruments/optionModelInputs';
import { putModelRecord, simulatedPutQuote } from '../instruments/simulatedOptionPrice';
import { MINUTE_MS, type Bar } from '../market/bar';
import { round2 } from '../math/round';
import { clientOrderId } from '../orders/clientOrderId';
import { entryCapacityRequest } from '../risk/entryCapacityRequest';
import { releaseWithTickerRule, requestWithTickerRule } from '../risk/tickerRule';
import type { BrokerClose } from '../session/exitOutcome';
import { UNRESTRICTED_BEARISH_FACTS, type GrantedEntry, type SessionPort } from '../session/sessionPort';
import { closedTradeRecord } from '../trades/closedTradeRecord';
import { closingSide, contractMultiplier } from '../trades/tradeOutcome';
import type { BrokerName, OutputMode, StrategyName } from '../vocabulary';
import { modelFillPrice, priceSymbolOf, type ExecutionModel, type ModelFill } from './executionModel';
import { closeAtOrBefore } from './market';
import { settleAccount, type PortfolioBook, type SimulatedPosition } from './portfolioBook';

/*
 * The backtester's venue for the session engine (docs/architecture.md, "The session engine and its
 * port"): fills from the execution model, cash and positions in the portfolio book, grants and releases
 * from the account's own reducers. It answers every call at once, so the backtest stays synchronous.
 */

export interface SimulatedVenue {
  readonly position: SimulatedPosition;
  /** The exit's model fill; null when the model could not price it. */
  readonly closing: ModelFill | null;
}

/** The date the sessions run on, shared by its sessions. */
export interface SimulatedDay {
  readonly date: string;
  readonly cfg: BotConfig;
  readonly execution: ExecutionModel;
  readonly broker: BrokerName;
  readonly mode: OutputMode;
  readonly book: PortfolioBook;
  barsOf(symbol: string): readonly Bar[];
  /** The put model's volatility inputs for the underlying on the date. */
  putVol(underlying: string): VolatilityInputs;
  /** Seconds from decision to fill, per filled order. */
  readonly executionSeconds: number[];
  tradesToday: number;
  realizedToday: number;
  /** The daily loss limit halted the broker: the day stops every running session. */
  lossLimitReached(realizedPnlToday: number | undefined): void;
}

/** One session of the date: its strategy and the broker's account value at its start. */
export interface SimulatedSession {
  readonly strategy: StrategyName;
  readonly accountValue: number;
}

/** The simulated broker's answer to a market exit the fill model priced: all of it, at that price. */
function simulatedClose(qty: number, price: number, fees: number): BrokerClose {
  return { exit: { rejectReason: null, status: 'filled' }, filledQty: qty, avgPrice: price, fees, closedBy: 'exit', stopKind: null, stopFilledAt: null, closedAt: null };
}

export function simulatedPort(day: SimulatedDay, session: SimulatedSession): SessionPort<SimulatedVenue> {
  const { date, cfg, execution, book } = day;
  const workflowId = `backtest-${date}-${session.strategy}`;
  /** Request numbers per symbol, so ids stay unique should a symbol ask twice. */
  const requestSeq = new Map<string, number>();
  const grantedAt = (g: { readonly signal: { readonly barStart: number } }) => new Date(g.signal.barStart + MINUTE_MS).toISOString();
  const account = () => {
    if (book.account === null) throw new Error('the account is ensured before the first session of a trading day');
    return book.account;
  };
  const fillOf = (side: 'buy' | 'sell', choice: InstrumentChoice, symbol: string, decisionBarStart: number) =>
    modelFillPrice({ execution, side, choice, bars: day.barsOf(priceSymbolOf(choice, symbol)), decisionBarStart, vol: day.putVol(symbol) });
  const release = (requestId: string, at: string, realizedPnl: number, filled: boolean) => {
    const step = releaseWithTickerRule(account(), book.tickerBook, { requestId, at, realizedPnl, filled });
    settleAccount(book, step.state);
    book.tickerBook = step.book;
    return step.result;
  };
  const settleCash = (price: number, qty: number, choice: InstrumentChoice, side: 'buy' | 'sell') => {
    const notional = qty * price * contractMultiplier(choice.assetClass);
    book.cash += side === 'buy' ? -notional : notional;
    book.cash -= execution.feePerOrder;
  };

  return {
    // A backtest fills at its decision bar, so a signal is never stale nor past the session's end.
    entryTiming: () => ({ pastSessionEnd: false, staleNote: null }),
    refused: (_entry, code) => {
      book.counters.refused[code] = (book.counters.refused[code] ?? 0) + 1;
    },
    bearishFacts: () => ({ ok: true, facts: UNRESTRICTED_BEARISH_FACTS }),
    confirm: () => 'not_asked',
    price: (entry, choice) => {
      const base = closeAtOrBefore(day.barsOf(priceSymbolOf(choice, entry.symbol)), entry.signal.barStart);
      let quote: number | null = base;
      if (base !== null && choice.assetClass === 'us_option') {
        const contract = parseOccSymbol(choice.symbol);
        // Sized at the price the session's quote gives (the simulated broker quotes the model mid); the fill pays the ask.
        quote = contract === null ? null : round2(simulatedPutQuote({ underlying: base, contract, atMs: entry.signal.barStart, ...day.putVol(contract.underlying) }).mid);
      }
      return quote === null || !(quote > 0) ? { ok: false, message: `no price for ${choice.symbol}` } : { ok: true, price: quote, spread: null };
    },
    imbalance: () => null,
    requestCapacity: (prepared, counts) => {
      const seq = (requestSeq.get(prepared.symbol) ?? 0) + 1;
      requestSeq.set(prepared.symbol, seq);
      const requestId = `${workflowId}:${prepared.symbol}:entry${seq > 1 ? `#${seq}` : ''}`;
      const request = entryCapacityRequest({
        requestId,
        date,
        session: session.strategy,
        broker: day.broker,
        symbol: prepared.symbol,
        signal: prepared.signal,
        choice: prepared.choice,
        price: prepared.price,
        brokerFloat: session.accountValue,
        fractional: cfg.FRACTIONAL,
        sessionWorkflowId: workflowId,
        grantsTaken: counts.grantsTaken,
        acceptedSignals: counts.acceptedSignals,
      });
      const step = requestWithTickerRule(account(), book.tickerBook, [], { ...request, at: grantedAt(prepared) });
      settleAccount(book, step.state);
      book.tickerBook = step.book;
      const grant = step.result;
      return grant.granted ? { granted: true, requestId, grant } : { granted: false, code: grant.reason, message: grant.reason };
    },
    releaseUnused: (granted: GrantedEntry) => {
      release(granted.requestId, grantedAt(granted), 0, false);
    },
    submitEntry: (granted) => {
      const { choice, signal, grant } = granted;
      const fill = fillOf(choice.openSide, choice, granted.symbol, signal.barStart);
      if (fill === null) {
        book.counters.rejected += 1;
        return { kind: 'rejected' };
      }
      book.counters.entries += 1;
      day.executionSeconds.push(Math.max(0, fill.fillBarStart - (signal.barStart + MINUTE_MS)) / 1000);
      settleCash(fill.price, grant.quantity, choice, choice.openSide);
      const entryClientId = clientOrderId({ workflowId, session: session.strategy, ticker: granted.symbol, leg: 'entry' });
      const position: SimulatedPosition = {
        requestId: granted.requestId,
        tags: grant.tags,
        symbol: granted.symbol,
        choice,
        signal,
        qty: grant.quantity,
        entryPrice: fill.price,
        entryFee: execution.feePerOrder,
        allocation: grant.allocationDollars,
        accountValue: grant.accountValue,
        entryOrderId: `sim-${entryClientId}`,
        entryClientId,
        entryOptionQuote: fill.optionQuote,
      };
      book.held.add(position);
      return { kind: 'filled', position };
    },
    entryFilled: () => {},
    settleBeforeExit: () => {},
    close: (t, exit) => {
      book.held.delete(t);
      const closeSide = closingSide(t.choice.openSide);
      const fill = fillOf(closeSide, t.choice, t.symbol, exit.barStart);
      if (fill !== null) {
        settleCash(fill.price, t.qty, t.choice, closeSide);
        day.executionSeconds.push(Math.max(0, fill.fillBarStart - (exit.barStart + MINUTE_MS)) / 1000);
      } else {
        book.counters.rejected += 1;
        // The position stays at the broker at cost, as the simulated broker would keep it.
        book.stuckCost += closeSide === 'sell' ? t.qty * t.entryPrice * contractMultiplier(t.choice.assetClass) : 0;
      }
      // The simulated broker holds no stop: the model's fill closes it all, or no price leaves it held.
      return {
        held: { openSide: t.choice.openSide, assetClass: t.choice.assetClass, entryPrice: t.entryPrice, filledQty: t.qty, entryFees: t.entryFee, stopKind: null },
        closed: fill === null ? null : simulatedClose(t.qty, fill.price, execution.feePerOrder),
        exitFailure: fill === null ? 'no_price' : null,
        detail: fill,
      };
    },
    exitLeftOpen: () => {},
    recordExit: (t, outcome, exit, closing) => {
      const exitClientId = clientOrderId({ workflowId, session: session.strategy, ticker: t.symbol, leg: 'exit' });
      const opening = {
        workflowId,
        strategy: session.strategy,
        underlying: t.symbol,
        ticker: t.choice.symbol,
        side: t.signal.side,
        instrument: t.choice.instrument,
        signalPrice: t.signal.price,
        entryPrice: t.entryPrice,
        entryTime: new Date(t.signal.barStart).toISOString(),
        entryOrderId: t.entryOrderId,
        allocation: t.allocation,
        accountValue: t.accountValue,
        tags: t.tags,
      };
      book.trades.push(closedTradeRecord(opening, {
        timestamp: new Date(exit.barStart + MINUTE_MS).toISOString(),
        date,
        size: t.qty,
        exitPrice: outcome.exitPrice,
        exitTime: outcome.exitTime,
        exitReason: outcome.reason,
        pnl: outcome.pnl,
        fees: outcome.fees,
        broker: day.broker,
        mode: day.mode,
        exitOrderId: `sim-${exitClientId}`,
        clientOrderIds: [t.entryClientId, exitClientId],
        errorCode: outcome.errorCode,
        ...(t.entryOptionQuote === null ? {} : { optionModel: putModelRecord(t.entryOptionQuote, closing.detail?.optionQuote ?? null) }),
      }));
      day.tradesToday += 1;
      day.realizedToday += outcome.pnl;
    },
    releaseExit: (t, outcome, exit) => {
      const released = release(t.requestId, new Date(exit.barStart + MINUTE_MS).toISOString(), outcome.pnl, true);
      if (released.brokerHalted) day.lossLimitReached(released.realizedPnlToday);
      return released;
    },
    // The day already stopped every running session when the limit was reached.
    lossLimitHalt: () => {},
    exited: () => {},
  };
}
