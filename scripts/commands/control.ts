import { WorkflowNotFoundError } from '@temporalio/client';
import { connectClient } from '../temporal/connection';
import {
  confirmTradeSignal,
  dayStatusQuery,
  defenseModeSignal,
  killSignal,
  stopSignal,
  type DayStatus,
} from '../../workflows/tradingDayApi';
import { UsageError, dateFlag, dayIdFor, loadProjectConfig, operator, parseArgs, stringFlag } from './shared';

/** `stop`, `kill`, `defense on|off`, `confirm SYMBOL [--reject]`, `status`: signals and the query of a day's workflow. */
export async function runControlCommand(command: string, argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { flags, positionals } = parseArgs(argv);
  const config = await loadProjectConfig();
  const date = dateFlag(flags);
  const workflowId = stringFlag(flags, 'workflow-id') ?? dayIdFor(config, date);
  const client = await connectClient(config.env);
  try {
    const handle = client.workflow.getHandle(workflowId);
    const by = operator();
    const reason = stringFlag(flags, 'reason');
    switch (command) {
      case 'stop':
        await handle.signal(stopSignal, { by, reason });
        out.write(`stop sent to ${workflowId}\n`);
        return 0;
      case 'kill':
        await handle.signal(killSignal, { by, reason });
        out.write(`kill sent to ${workflowId}: new entries halted, positions being exited\n`);
        return 0;
      case 'defense': {
        const v = positionals[0];
        if (v !== 'on' && v !== 'off') throw new UsageError('defense needs on or off');
        await handle.signal(defenseModeSignal, { active: v === 'on', by, reason });
        out.write(`defense mode ${v} sent to ${workflowId}\n`);
        return 0;
      }
      case 'confirm': {
        const symbol = positionals[0];
        if (!symbol) throw new UsageError('confirm needs a SYMBOL');
        const approve = !flags.has('reject');
        await handle.signal(confirmTradeSignal, { symbol: symbol.toUpperCase(), approve, by });
        out.write(`${approve ? 'approval' : 'rejection'} of ${symbol.toUpperCase()} sent to ${workflowId}\n`);
        return 0;
      }
      case 'status': {
        // A finished day has no worker to answer queries: its result carries the final status.
        const running = (await handle.describe()).status.name === 'RUNNING';
        const status: DayStatus = running
          ? await handle.query(dayStatusQuery)
          : ((await handle.result()) as { finalStatus: DayStatus }).finalStatus;
        out.write(flags.has('json') ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
        return 0;
      }
      default:
        throw new UsageError(`unknown control command ${command}`);
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new Error(`no trading day workflow ${workflowId} (start one with \`day --date ${date}\` or wait for the Schedule)`);
    }
    throw err;
  } finally {
    await client.connection.close();
  }
}

export function formatStatus(s: DayStatus): string {
  const lines = [
    `${s.workflowId}  state=${s.state}  mode=${s.mode}${s.testMode ? ' TEST_MODE' : ''}${s.defenseMode ? ' DEFENSE_MODE' : ''}`,
    `session: ${s.currentSession ?? '-'}   signals ${s.signals}  entries ${s.entries}  exits ${s.exits}`,
    `realized PnL ${s.realizedPnl.toFixed(2)}  unrealized ${s.unrealizedPnl.toFixed(2)}  errors ${s.errors}`,
    `connectivity: ${[...Object.entries(s.brokerConnectivity).map(([b, c]) => `${b} ${c}`), `data ${s.dataConnectivity ?? 'unknown'}`].join(', ')}   retries ${s.retries ?? 0}  escalations ${s.escalations ?? 0}`,
  ];
  for (const [name, at] of Object.entries(s.scheduledStarts)) {
    const sess = s.sessions.find((x) => x.strategy === name);
    lines.push(`  ${name}: scheduled ${at}  actual ${sess?.actualStart ?? '-'}  ${sess?.state ?? 'waiting'}`);
    for (const p of sess?.positions ?? []) {
      lines.push(`    ${p.ticker} (${p.underlying} ${p.side}) size ${p.size} entry ${p.entryPrice} now ${p.currentPrice} uPnL ${p.unrealizedPnl}`);
    }
  }
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  if (s.haltReason) lines.push(`  halted: ${s.haltReason}`);
  return `${lines.join('\n')}\n`;
}
