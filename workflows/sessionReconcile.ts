import { patched } from '@temporalio/workflow';
import type { AdoptedPosition } from '../activities/broker/protectionActivities';
import { MINUTE_MS } from '../domain/market/bar';
import { isBrokerHalted } from '../domain/session/tradingState';
import type { TradeRecord } from '../domain/trades/tradeRecord';
import { notify, postTradeToLedger, recordTrade, releaseCapacity } from './sessionActivities';
import { bestEffort, type SessionContext } from './sessionContext';
import { grantRequestId } from './sessionPositions';
import { PATCHES } from './patches';
import { marketNowMs } from './workflowClock';

/**
 * The broker's truth (docs/brokers.md, "Ownership and adoption"): real differences are critical; the
 * user's own holdings are one note; a position a bot session left (a crash, a failed or earlier session,
 * yesterday's CLOSE) is exited at once and recorded as `reconciled`, or, outside regular hours, waits for
 * the second call once the market is open. Positions of sessions still running are theirs.
 * Returns whether a position waits for that second call.
 */
export async function reconcileSession(ctx: SessionContext, when: 'start' | 'open', accountValue: number): Promise<boolean> {
  const { input, info, engine } = ctx;
  const nowMs = marketNowMs(input.clock);
  const rec = await ctx.activities.reconcileSessionStart({
    broker: input.broker,
    date: input.date,
    replayFolder: input.replayFolder,
    adopter: { workflowId: info.workflowId, dayWorkflowId: input.dayWorkflowId, mode: input.mode },
    runningSessions: input.runningSessions ?? [],
    marketNowMs: nowMs,
    simFillBarStart: nowMs - (nowMs % MINUTE_MS) - MINUTE_MS,
  });
  for (const d of rec.discrepancies) ctx.note('reconcile', d);
  if (when === 'start' && rec.foreign.length > 0) {
    ctx.note('reconcile', `not the bot's, left alone: ${rec.foreign.map((p) => `${p.qty} ${p.symbol}`).join(', ')}`);
  }
  for (const h of rec.heldBySessions) ctx.note('reconcile', `${h.positionQty} ${h.symbol} held by ${h.ownerWorkflowId}, still running`, h.underlying);
  for (const p of rec.adoptPending) {
    engine.blocked.add(p.underlying);
    ctx.note('warning', `${p.qty} ${p.symbol} left by ${p.ownerWorkflowId}: ${p.reason}; exited once the market is open`, p.underlying);
  }
  for (const a of rec.adopted) await recordAdoption(ctx, a, accountValue);
  if (rec.discrepancies.length > 0) {
    await bestEffort('reconcile alert', () =>
      notify({
        event: 'critical',
        mode: input.mode,
        eventId: `${info.workflowId}:reconcile:${when}`,
        subject: `${input.strategy.toUpperCase()} ${when}: ${rec.discrepancies.length} difference(s) at ${input.broker}`,
        lines: [...rec.discrepancies],
      }),
    );
  }
  return rec.adoptPending.length > 0;
}

/** An adopted position was exited by reconciliation: its trade is written like any other exit. */
async function recordAdoption(ctx: SessionContext, a: AdoptedPosition, accountValue: number): Promise<void> {
  const { input, info, engine } = ctx;
  engine.blocked.add(a.underlying);
  const trade: TradeRecord = { ...a.trade, account_value: a.trade.account_value || accountValue };
  engine.counts.exits += 1;
  engine.counts.realizedPnl += trade.pnl;
  const orderId = a.exitClientOrderId ?? a.tradeId;
  ctx.note('exit', `${trade.exit_reason}: ${a.qty} ${a.symbol} left by ${a.ownerWorkflowId} exited at ${trade.exit_price ?? 'unfilled'} pnl ${trade.pnl}`, a.underlying);
  await ctx.mustWrite('trade record', a.underlying, orderId, () => recordTrade({ mode: input.mode, trade }));
  await ctx.mustWrite('ledger posting', a.underlying, orderId, () => postTradeToLedger({ mode: input.mode, trade }));
  await bestEffort('exit alert', () =>
    notify({
      event: 'exit',
      mode: input.mode,
      eventId: `${info.workflowId}:adopted:${a.tradeId}`,
      subject: `${input.strategy.toUpperCase()} exited ${a.symbol} left by an earlier session (${trade.exit_reason})`,
      lines: [`${a.qty} ${a.symbol} from ${a.ownerWorkflowId} closed at ${trade.exit_price ?? 'unfilled'}, PnL ${trade.pnl}`],
    }),
  );
  // The owner's grant, if the account still holds it (today's crashed session): the loss limit counts
  // the PnL and the slot is free. A grant of another day is unknown to it and nothing changes.
  if (a.filledQty >= a.qty && patched(PATCHES.sessionAdoptionReleasesGrant)) {
    const released = await ctx.mustWrite('capacity release', a.underlying, orderId, () =>
      releaseCapacity({ requestId: grantRequestId(a.ownerWorkflowId, a.underlying), realizedPnl: trade.pnl, filled: true }),
    );
    if (released?.brokerHalted && !isBrokerHalted(engine.trading)) {
      engine.escalate('broker_halted');
      ctx.note('kill', `daily loss limit reached at ${input.broker}: trading halted for the day`);
    }
  }
}
