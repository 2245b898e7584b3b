import { condition } from '@temporalio/workflow';
import type { BrokerOrder } from '../activities/broker/brokerTypes';
import { BrokerError, describeError } from '../domain/errors/errorClasses';
import type { InstrumentChoice } from '../domain/instruments/bearishInstrument';
import { MINUTE_MS } from '../domain/market/bar';
import { clientOrderId } from '../domain/orders/clientOrderId';
import { entryDeadlineMs, ORDER_DEADLINE_PASSED } from '../domain/orders/orderDeadline';
import { protectiveStopPlan } from '../domain/orders/protectiveStop';
import { entryCapacityRequest } from '../domain/risk/entryCapacityRequest';
import type { AsyncSessionPort, EntryCandidate, EntryTiming, GrantedEntry, PriceAnswer } from '../domain/session/sessionPort';
import { mayOpen } from '../domain/session/tradingState';
import { imbalanceGate } from '../domain/strategies/enhancements';
import type { EntrySignal } from '../domain/strategies/strategy';
import { closedTradeRecord } from '../domain/trades/closedTradeRecord';
import { closingSide } from '../domain/trades/tradeOutcome';
import { recordOrder } from './botMetrics';
import { closingImbalance, exportLedger, notify, postTradeToLedger, recordTrade, releaseCapacity, requestCapacity } from './sessionActivities';
import { bestEffort, type LiveVenue, type SessionContext } from './sessionContext';
import { grantRequestId, tradeOpeningOf } from './sessionPositions';
import { marketNowMs } from './workflowClock';

/*
 * The live session's venue for the session engine (docs/architecture.md, "The session engine and its
 * port"): each call is the activity or activities the session runs today, in the same order, with the
 * escalation of a failure, the strategy log's notes, metrics and alerts. A call the venue answers at once
 * returns a plain value, so the engine waits exactly where the workflow awaits.
 */

type Submitted = { kind: 'ok'; order: BrokerOrder } | { kind: 'failed'; error: unknown; brokerSaysAbsent: boolean };
type PriceQuote = { readonly bid: number | null; readonly ask: number | null };

const SETTLED: Promise<void> = Promise.resolve();

export function sessionActivityPort(ctx: SessionContext, sessionAccountValue: () => number): AsyncSessionPort<LiveVenue> {
  const { input, engine } = ctx;
  const { config: cfg, strategy, broker, replayFolder, clock, date } = input;
  const workflowId = ctx.info.workflowId;
  const { activities } = ctx;
  const hardEndMs = ctx.end.endMs;
  const maxSignalAgeMs = cfg.MAX_SIGNAL_AGE_SECONDS * 1000;
  const metricTags = { mode: input.mode, broker, strategy };
  /** Stops being placed, by slot: an exit waits for its position's before it cancels anything. */
  const protections = new Map<number, Promise<void>>();

  /**
   * A signal's age since its decision bar closed. A real broker fills at the market, so market time counts
   * (paper, live and the rehearsal); the simulated broker fills at the decision bar, so a TEST_MODE replay
   * counts only the bot's own lag in real time (market age / speed). docs/trading.md, "Stale signals".
   */
  const signalAgeMs = (signal: EntrySignal) => {
    const marketAgeMs = marketNowMs(clock) - (signal.barStart + MINUTE_MS);
    return cfg.TEST_MODE ? marketAgeMs / clock.speed : marketAgeMs;
  };
  const staleNote = (signal: EntrySignal) =>
    `stale signal: its bar closed ${Math.round(signalAgeMs(signal) / 1000)} s ago (MAX_SIGNAL_AGE_SECONDS=${cfg.MAX_SIGNAL_AGE_SECONDS})`;

  /**
   * A submit that failed after its retries may still have reached the broker (the answer was lost): ask by
   * client order id before deciding anything, so the session never acts blind.
   */
  const submitOrSettle = async (orderId: string, submit: () => Promise<BrokerOrder>): Promise<Submitted> => {
    try {
      return { kind: 'ok', order: await submit() };
    } catch (err) {
      ctx.failedCall();
      try {
        const found = await activities.lookupOrder({ broker, clientOrderId: orderId, replayFolder });
        if (found) {
          ctx.note('warning', `order ${orderId} found at the broker after its submit failed: adopted`);
          return { kind: 'ok', order: found };
        }
        return { kind: 'failed', error: err, brokerSaysAbsent: true };
      } catch {
        return { kind: 'failed', error: err, brokerSaysAbsent: false };
      }
    }
  };

  /** The stop a real broker holds for a new position; its failure leaves the bot's own exits in charge. */
  const protect = async (symbol: string, choice: InstrumentChoice, order: BrokerOrder): Promise<{ id: string; kind: 'trailing' | 'stop' } | null> => {
    const fill = order.filledAvgPrice ?? 0;
    const plan = protectiveStopPlan({ strategy, assetClass: choice.assetClass, openSide: choice.openSide, fillPrice: fill });
    if (plan === null) return null;
    const stopId = clientOrderId({ workflowId, session: strategy, ticker: symbol, leg: 'stop' });
    try {
      const r = await activities.placeProtectiveStop({
        broker,
        replayFolder,
        request: { clientOrderId: stopId, symbol: choice.symbol, assetClass: choice.assetClass, side: plan.side, qty: order.filledQty, kind: plan.kind, trailPercent: plan.trailPercent, stopPrice: plan.stopPrice, referencePrice: fill },
      });
      if (!r.placed) return null;
      ctx.note('stop', `${r.kind} stop held at ${broker}${r.note ? ` (${r.note})` : ''}`, symbol);
      return { id: stopId, kind: r.kind };
    } catch (err) {
      ctx.failedCall();
      ctx.errors += 1;
      // An attempt whose answer was lost may have placed it: the id is kept, so the exit looks it up and
      // cancels it first, and the broker's stop never sells what the bot's exit already sold.
      ctx.note('warning', `protective stop not confirmed (${describeError(err).message}); the bot's exits still apply, and each exit looks the stop up first`, symbol);
      return { id: stopId, kind: plan.kind };
    }
  };

  /** The operator's answer (TRADE_CONFIRMATION_REQUIRED); a stop or kill ends the wait at once. */
  const askOperator = async (symbol: string) => {
    ctx.pendingConfirmation = symbol;
    await ctx.report();
    const answered = await condition(() => ctx.confirmations.has(symbol) || !mayOpen(engine.trading), cfg.TRADE_CONFIRMATION_TIMEOUT * 1000);
    ctx.pendingConfirmation = null;
    if (!answered) return 'timed_out' as const;
    return ctx.confirmations.get(symbol) ? ('approved' as const) : ('rejected' as const);
  };

  /** The instrument's price and, where the spread is checked, its two-sided quote (both at once where the session may). */
  const price = async (entry: EntryCandidate, choice: InstrumentChoice): Promise<PriceAnswer> => {
    const quoteInput = { broker, replayFolder, symbol: choice.symbol, assetClass: choice.assetClass, barStart: entry.signal.barStart };
    // Spread before a live entry (TEST_MODE skips it unless TEST_MODE_APPLY_SPREAD_CHECK; docs/screening.md,
    // "Spread check and one-sided quotes").
    const spreadChecked = !cfg.TEST_MODE || cfg.TEST_MODE_APPLY_SPREAD_CHECK;
    const askSpreadQuote = async (): Promise<PriceQuote> => {
      try {
        return await activities.entryQuote(quoteInput);
      } catch (err) {
        ctx.failedCall();
        ctx.note('warning', `no quote for the spread check: ${describeError(err).message}`, entry.symbol);
        return { bid: null, ask: null };
      }
    };
    const spreadQuote = ctx.concurrentOrders && spreadChecked ? askSpreadQuote() : null;
    let quoted: number | null;
    try {
      quoted = await activities.quote(quoteInput);
    } catch (err) {
      await spreadQuote;
      ctx.failedCall();
      await ctx.escalate('quote', entry.symbol, null, err);
      return { ok: false, message: 'broker failed to quote' };
    }
    if (quoted === null || !(quoted > 0)) {
      await spreadQuote;
      return { ok: false, message: `no price for ${choice.symbol}` };
    }
    return { ok: true, price: quoted, spread: spreadChecked ? await (spreadQuote ?? askSpreadQuote()) : null };
  };

  /** IBKR closing-imbalance scanner: live CLOSE entries only, when that broker is enabled (README.md, "Strategies"). */
  const opposingImbalance = async (entry: EntryCandidate): Promise<string | null> => {
    const { symbol, signal } = entry;
    let data: Awaited<ReturnType<typeof closingImbalance>> = null;
    try {
      data = await closingImbalance({ symbols: [symbol] });
    } catch (err) {
      ctx.note('warning', `closing imbalance unavailable: ${describeError(err).message}`, symbol);
    }
    const gate = imbalanceGate(signal.side, data?.[symbol] ?? null, cfg.CLOSE_IMBALANCE_STRONG_RATIO);
    if (gate.warning) ctx.note('warning', gate.warning, symbol);
    return gate.allow ? null : `imbalance: strong opposing closing imbalance (${data?.[symbol]?.imbalance} of ${data?.[symbol]?.auctionVolume} paired)`;
  };

  /** The granted entry's order at the broker; its failure is escalated, never thrown. */
  const submitEntry = async (granted: GrantedEntry) => {
    const { signal, symbol, choice: chosen, requestId, grant } = granted;
    const qty = grant.quantity;
    ctx.note('order', `submitting ${chosen.openSide} ${qty} ${chosen.symbol}`, symbol);
    const entryId = clientOrderId({ workflowId, session: strategy, ticker: symbol, leg: 'entry' });
    // A real broker fills at the market: the submit activity refuses to post past the deadline (a retry
    // after downtime); the simulated broker fills at the decision bar, so a replay has none.
    const deadline = cfg.TEST_MODE ? null : { notAfterMs: entryDeadlineMs({ barStart: signal.barStart, maxSignalAgeMs, sessionEndMs: hardEndMs }), clock };
    const submitted = await submitOrSettle(entryId, () =>
      activities.submitOrder({
        broker,
        replayFolder,
        deadline,
        request: { clientOrderId: entryId, symbol: chosen.symbol, assetClass: chosen.assetClass, side: chosen.openSide, qty, type: 'market', simFillBarStart: signal.barStart, underlying: symbol },
      }),
    );
    if (submitted.kind === 'failed') {
      await ctx.escalate('entry order', symbol, entryId, submitted.error);
      // Free the slot only when the broker confirmed it has no such order; an unknown outcome keeps it taken.
      return { kind: 'failed', releaseSlot: submitted.brokerSaysAbsent } as const;
    }
    const order = submitted.order;
    if (order.rejectReason === ORDER_DEADLINE_PASSED) return { kind: 'deadline_passed', staleNote: staleNote(signal) } as const;
    const filled = order.status === 'filled' || order.status === 'partially_filled';
    recordOrder(metricTags, 'entry', filled);
    if (!filled) {
      ctx.errors += 1;
      ctx.note('rejected', `entry order rejected: ${order.rejectReason ?? order.status}`, symbol, { error_code: order.rejectReason });
      return { kind: 'rejected' } as const;
    }
    ctx.recordExecution(order);
    const position = { requestId, tags: grant.tags, underlying: symbol, choice: chosen, signal, order, stopClientOrderId: null, stopKind: null, allocation: grant.allocationDollars, accountValue: grant.accountValue, lastUnderlying: signal.price };
    return { kind: 'filled', position } as const;
  };

  /** A new position: its protective stop (in the background where the session may), its note and alert. */
  const entryFilled = async (granted: GrantedEntry, trade: LiveVenue['position']) => {
    const { signal, symbol, slot, choice: chosen } = granted;
    const order = trade.order;
    const protectPosition = async () => {
      const stop = await protect(symbol, chosen, order);
      const held = engine.open.get(slot) ?? trade;
      engine.open.set(slot, { ...held, stopClientOrderId: stop?.id ?? null, stopKind: stop?.kind ?? null });
    };
    if (ctx.concurrentOrders) protections.set(slot, protectPosition());
    else await protectPosition();
    ctx.note('entry', `${signal.side} ${order.filledQty} ${chosen.symbol} at ${order.filledAvgPrice}`, symbol, {
      side: signal.side,
      signal_price: signal.price,
      bar: new Date(signal.barStart).toISOString(),
      instrument: chosen.instrument,
    });
    await ctx.report();
    await ctx.afterOrders('fill alert', () =>
      notify({
        event: 'fill',
        mode: input.mode,
        eventId: `${workflowId}:fill:${symbol}`,
        subject: `${strategy.toUpperCase()} entry ${chosen.symbol}`,
        lines: [`${signal.side} ${order.filledQty} ${chosen.symbol} at ${order.filledAvgPrice} (${symbol} signal at ${signal.price})`],
      }),
    );
  };

  return {
    entryTiming: (signal): EntryTiming => ({
      // At a real broker an entry sent at or after the session's end could not be managed (and after the
      // close would sit queued); the simulated broker fills at the decision bar, so a lagging replay still may.
      pastSessionEnd: !cfg.TEST_MODE && marketNowMs(clock) >= hardEndMs,
      staleNote: signalAgeMs(signal) > maxSignalAgeMs ? staleNote(signal) : null,
    }),
    refused: (entry, _code, message) => ctx.note('skipped', message, entry.symbol, { side: entry.signal.side, price: entry.signal.price }),
    bearishFacts: async (entry, wantPutChain) => {
      try {
        return { ok: true, facts: await activities.bearishFacts({ broker, replayFolder, underlying: entry.symbol, price: entry.signal.price, date, wantPutChain }) };
      } catch (err) {
        ctx.failedCall();
        return { ok: false, message: `no instrument facts from ${broker}: ${describeError(err).message}` };
      }
    },
    confirm: (entry) => (cfg.TRADE_CONFIRMATION_REQUIRED ? askOperator(entry.symbol) : 'not_asked'),
    price,
    imbalance: (entry) => (strategy === 'close' && !cfg.TEST_MODE && cfg.IBKR_ENABLED ? opposingImbalance(entry) : null),
    requestCapacity: async (prepared, counts) => {
      const { signal, symbol, choice, price: entryPrice } = prepared;
      const requestId = grantRequestId(workflowId, symbol);
      try {
        const grant = await requestCapacity(
          entryCapacityRequest({ requestId, date, session: strategy, broker, symbol, signal, choice, price: entryPrice, brokerFloat: sessionAccountValue(), fractional: cfg.FRACTIONAL, sessionWorkflowId: workflowId, ...counts }),
        );
        return grant.granted ? { granted: true, requestId, grant } : { granted: false, code: grant.reason, message: `risk: ${grant.reason}` };
      } catch (err) {
        // No risk decision, no entry; the account being out of reach halts this broker's entries.
        ctx.failedCall();
        await ctx.escalate('capacity request', symbol, null, err);
        return { granted: false, code: 'account_unreachable', message: 'the risk account did not answer' };
      }
    },
    releaseUnused: async (granted) => {
      try {
        await releaseCapacity({ requestId: granted.requestId, realizedPnl: 0, filled: false });
      } catch (err) {
        ctx.failedCall();
        await ctx.escalate('capacity release', null, null, err);
      }
    },
    submitEntry,
    entryFilled,
    settleBeforeExit: (slot) => protections.get(slot) ?? SETTLED,
    close: async (t, exit) => {
      const symbol = t.underlying;
      const exitId = ctx.exitOrderId(symbol);
      let closed: Awaited<ReturnType<typeof activities.closePosition>> | null = null;
      let exitFailure: string | null = null;
      try {
        closed = await activities.closePosition({
          broker,
          replayFolder,
          stopClientOrderId: t.stopClientOrderId,
          stopKind: t.stopKind ?? null,
          request: { clientOrderId: exitId, symbol: t.choice.symbol, assetClass: t.choice.assetClass, side: closingSide(t.choice.openSide), qty: t.order.filledQty, type: 'market', simFillBarStart: exit.barStart, underlying: symbol },
        });
        ctx.retries += closed.attempt - 1;
      } catch (err) {
        // The position may still be open at the broker: it is recorded as unresolved, never guessed closed.
        ctx.failedCall();
        const d = describeError(err);
        exitFailure = `${d.errorClass}${d.code ? `:${d.code}` : ''}`;
        await ctx.escalate('exit order', symbol, exitId, err);
      }
      const exitOrder = closed?.exit ?? null;
      if (exitOrder) recordOrder(metricTags, 'exit', exitOrder.filledQty > 0);
      if (exitOrder && exitOrder.filledAt !== null) ctx.recordExecution(exitOrder);
      if (closed?.stop && closed.stop.filledQty > 0) ctx.note('stop', `the broker's stop had filled ${closed.stop.filledQty} at ${closed.stop.filledAvgPrice}`, symbol);
      return {
        held: { openSide: t.choice.openSide, assetClass: t.choice.assetClass, entryPrice: t.order.filledAvgPrice ?? 0, filledQty: t.order.filledQty, entryFees: t.order.fees, stopKind: t.stopKind ?? null },
        closed,
        exitFailure,
        detail: closed === null ? null : { exit: closed.exit ?? null, stop: closed.stop ?? null },
      };
    },
    // The broker answered but the position is (partly) still there, e.g. an order refused as market closed:
    // escalate; the engine keeps its risk grant, since the exposure is real (docs/trading.md).
    exitLeftOpen: async (t, outcome, closing) => {
      const exitOrder = closing.detail?.exit ?? null;
      const left = t.order.filledQty - outcome.closedQty;
      const why = exitOrder?.rejectReason ?? exitOrder?.status ?? 'no order';
      await ctx.escalate('exit order not filled', t.underlying, ctx.exitOrderId(t.underlying), new BrokerError(`exit filled ${outcome.closedQty} of ${t.order.filledQty} (${why}): ${left} ${t.choice.symbol} stay open at ${broker}`));
    },
    recordExit: async (t, outcome, exit, closing) => {
      const symbol = t.underlying;
      const exitId = ctx.exitOrderId(symbol);
      const exitOrder = closing.detail?.exit ?? null;
      const exitOrderIds = [exitOrder, closing.detail?.stop ?? null].filter((o): o is BrokerOrder => o !== null && o.filledQty > 0);
      const trade = closedTradeRecord(tradeOpeningOf(t, { workflowId, strategy }), {
        timestamp: ctx.isoNow(),
        date,
        size: t.order.filledQty,
        exitPrice: outcome.exitPrice,
        exitTime: outcome.exitTime,
        exitReason: outcome.reason,
        pnl: outcome.pnl,
        fees: outcome.fees,
        broker,
        mode: input.mode,
        exitOrderId: exitOrderIds.map((o) => o.id).join(' ') || (exitOrder?.id ?? null),
        // The exit's id only when an exit may have reached the broker (not when the broker's stop closed it all).
        clientOrderIds: [t.order.clientOrderId, ...(outcome.stopClosed && exitOrder === null ? [] : [exitId]), ...(t.stopClientOrderId ? [t.stopClientOrderId] : [])],
        errorCode: outcome.errorCode,
      });
      ctx.note('exit', `${outcome.reason}${outcome.stopClosed ? ` (the stop held at ${broker} filled first)` : ''}: ${t.choice.symbol} at ${outcome.exitPrice ?? 'unfilled'} pnl ${outcome.pnl}`, symbol, {
        reason: outcome.reason,
        underlying_price: exit.price,
        bar: new Date(exit.barStart).toISOString(),
      });
      // The position is already closed at the broker: a record or ledger that cannot be written is escalated
      // (unresolved_orders log, alert, broker halted) and the session goes on exiting (docs/trading.md).
      await ctx.mustWrite('trade record', symbol, exitId, () => recordTrade({ mode: input.mode, trade }));
      await ctx.mustWrite('ledger posting', symbol, exitId, () => postTradeToLedger({ mode: input.mode, trade }));
      await bestEffort('ledger export', () => exportLedger({ mode: input.mode, trigger: 'auto' }));
      await ctx.afterOrders('exit alert', () =>
        notify({
          event: 'exit',
          mode: input.mode,
          eventId: `${workflowId}:exit:${symbol}`,
          subject: `${strategy.toUpperCase()} exit ${t.choice.symbol} (${exit.reason})`,
          lines: [`${t.choice.symbol} closed at ${outcome.exitPrice ?? 'unfilled'}, PnL ${outcome.pnl}`],
        }),
      );
    },
    releaseExit: (t, outcome) =>
      ctx.mustWrite('capacity release', t.underlying, ctx.exitOrderId(t.underlying), () => releaseCapacity({ requestId: t.requestId, realizedPnl: outcome.pnl, filled: true })),
    lossLimitHalt: () => ctx.note('kill', `daily loss limit reached at ${broker}: trading halted for the day`),
    exited: () => ctx.report(),
  };
}
