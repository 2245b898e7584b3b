// Workflows for the ledger retry test (bundled by the test's worker). Not a test file itself.
import { proxyActivities } from '@temporalio/workflow';
import type { AuditActivities, PostTradeResult } from '../../activities/auditActivities';
import type { TradeRecord } from '../../domain/trades/tradeRecord';

const { postTradeToLedger, exportLedger } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 5 },
});

export async function postTradesWorkflow(input: { trades: TradeRecord[] }): Promise<PostTradeResult[]> {
  const out: PostTradeResult[] = [];
  for (const trade of input.trades) {
    out.push(await postTradeToLedger({ mode: 'paper', trade }));
    await exportLedger({ mode: 'paper', trigger: 'auto', api: true });
  }
  return out;
}
