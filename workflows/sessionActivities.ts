import { proxyActivities } from '@temporalio/workflow';
import type { AccountActivities } from '../activities/accountClient';
import type { AuditActivities } from '../activities/auditActivities';
import type { ProtectionActivities } from '../activities/broker/protectionActivities';
import type { EntryCheckActivities } from '../activities/entryCheckActivities';
import type { ScreenerActivities } from '../activities/screening/screenerActivities';
import type { TradingActivities } from '../activities/tradingActivities';
import type { BotConfig } from '../domain/config/botConfigSchema';
import { RETRY_POLICIES, activityOptionsFor } from '../domain/errors/retryPolicy';

/**
 * The activities a session calls, each with the retry policy its failure deserves. Calls to the broker
 * and the bar feed follow API_RETRY_LIMIT and API_TIMEOUT (apiActivities); the rest are fixed here.
 */

export const { screenCandidates } = proxyActivities<ScreenerActivities>({
  // The TEST_MODE scan is capped at one minute; a live provider scan takes seconds per symbol.
  startToCloseTimeout: '10 minutes',
  retry: RETRY_POLICIES.screening,
});
export const { vixPreviousClose } = proxyActivities<TradingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.vixLookup,
});
// Optional facts (imbalance, build): a failure means "no data", which the enhancement rule handles.
export const { closingImbalance, buildInfo } = proxyActivities<EntryCheckActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.optionalFacts,
});
export const { requestCapacity, releaseCapacity, killAccountBroker } = proxyActivities<AccountActivities>({
  startToCloseTimeout: '30 seconds',
  // Updates carry the request id as their update id: a retry gets the first answer, never a second slot.
  retry: RETRY_POLICIES.sessionAccountUpdates,
});
export const { postTradeToLedger, recordUnresolvedOrder } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.auditRecords,
});
// Export and alerts must never block trading: short timeouts, bounded retries, then the session goes on.
export const { exportLedger, notify } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.sessionAlertsAndExport,
});
export const { backupOutputs } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '5 minutes',
  retry: RETRY_POLICIES.backup,
});
export const { recordTrade, writeStrategyLog } = proxyActivities<TradingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: RETRY_POLICIES.outputRecords,
});

/**
 * Broker and data calls under API_RETRY_LIMIT and API_TIMEOUT (docs/brokers.md, "Errors and retry policies").
 * Orders are safe to retry: they carry deterministic client order ids and every submit looks its id up first.
 */
export function apiActivities(cfg: Pick<BotConfig, 'API_RETRY_LIMIT' | 'API_TIMEOUT'>) {
  const broker = proxyActivities<TradingActivities & ProtectionActivities & EntryCheckActivities>(activityOptionsFor(cfg, 'broker'));
  const data = proxyActivities<TradingActivities>(activityOptionsFor(cfg, 'marketData'));
  // Settling a lost answer and cancelling at a failing broker: a few quick tries, then the outcome is unknown.
  const settle = proxyActivities<ProtectionActivities>({
    startToCloseTimeout: Math.round(cfg.API_TIMEOUT * 1000),
    retry: RETRY_POLICIES.settleAtBroker,
  });
  return {
    submitOrder: broker.submitOrder,
    quote: broker.quote,
    brokerAccount: broker.brokerAccount,
    placeProtectiveStop: broker.placeProtectiveStop,
    closePosition: broker.closePosition,
    brokerHeartbeat: broker.brokerHeartbeat,
    reconcileSessionStart: broker.reconcileSessionStart,
    entryQuote: broker.entryQuote,
    bearishFacts: broker.bearishFacts,
    fetchBars: data.fetchBars,
    lookupOrder: settle.lookupOrder,
    cancelBotOrders: settle.cancelBotOrders,
  };
}
