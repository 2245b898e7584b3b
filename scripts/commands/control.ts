import readline from 'node:readline';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { outputMode, routingFlagsOf } from '../../domain/routing';
import { connectClient } from '../../workers/temporal/connection';
import {
  confirmTradeSignal,
  dayStatusQuery,
  defenseModeSignal,
  killSignal,
  stopSignal,
  type DayStatus,
} from '../../workflows/tradingDayApi';
import { UsageError } from './args';
import { leafCommand, type CommandIo, type Writable } from './command';
import { dateOption, dayIdFor, loadProjectConfig, operator } from './shared';
import type { OutputMode } from '../../domain/vocabulary';
import { COMMAND_SUMMARIES } from './catalog';

/*
 * `status`, `stop`, `kill`, `defense on|off`, `confirm SYMBOL [--reject]`: the query and the signals of a
 * day's workflow. Every signal names the workflow it goes to; `stop` and `kill` on a day holding live
 * positions ask first (README "Operator CLI").
 */

export interface ControlIo extends CommandIo {
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

const DAY_OPTIONS = {
  date: { type: 'string', value: 'YYYY-MM-DD', description: 'the trading day (default: today, UTC)' },
  'workflow-id': { type: 'string', value: 'ID', description: "the day's workflow id (default: from --date and the configured mode)" },
} as const;

const REASON = { type: 'string', value: 'TEXT', description: 'why, for the day\'s log' } as const;
const YES = { type: 'boolean', short: 'y', description: 'do not ask for confirmation when the day holds live positions' } as const;

/** How long the status query may take before the command decides without it. */
const STATUS_TIMEOUT_MS = 10_000;

export interface DayTarget {
  readonly date: string;
  readonly workflowId: string;
  /** The mode the configuration routes to: what the day is taken to be when its status does not answer. */
  readonly configuredMode: OutputMode;
}

/** What a stop or kill needs of the day's workflow handle (a test passes a fake). */
export type StatusHandle = Pick<WorkflowHandle, 'describe' | 'query'>;

/** Loads the configuration, names the day and connects; the caller's `act` runs with the handle, then the connection closes. */
async function withDay(values: { date?: string; 'workflow-id'?: string }, act: (day: DayTarget, handle: WorkflowHandle) => Promise<number>): Promise<number> {
  const date = dateOption(values.date);
  const config = await loadProjectConfig();
  const workflowId = values['workflow-id'] ?? dayIdFor(config, date);
  const client = await connectClient(config.env);
  try {
    return await act({ date, workflowId, configuredMode: outputMode(routingFlagsOf(config.bot)) }, client.workflow.getHandle(workflowId));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new Error(`no trading day workflow ${workflowId} (start one with \`day --date ${date}\` or wait for the Schedule)`, { cause: err });
    }
    throw err;
  } finally {
    await client.connection.close();
  }
}

export const statusCommand = leafCommand(
  { name: 'status', summary: COMMAND_SUMMARIES.status, options: { ...DAY_OPTIONS, json: { type: 'boolean', description: 'print the status as JSON' } } },
  async ({ values }, io: ControlIo) =>
    withDay(values, async (_day, handle) => {
      // A finished day has no worker to answer queries: its result carries the final status.
      const running = (await handle.describe()).status.name === 'RUNNING';
      const status: DayStatus = running ? await handle.query(dayStatusQuery) : ((await handle.result()) as { finalStatus: DayStatus }).finalStatus;
      (io.stdout ?? process.stdout).write(values.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      return 0;
    }),
);

export const stopCommand = leafCommand(
  { name: 'stop', summary: COMMAND_SUMMARIES.stop, options: { ...DAY_OPTIONS, reason: REASON, yes: YES } },
  async ({ values }, io: ControlIo) =>
    withDay(values, async (day, handle) => {
      await confirmLiquidation('stop', day, handle, values.yes === true, io);
      await handle.signal(stopSignal, { by: operator(), reason: values.reason });
      (io.stdout ?? process.stdout).write(`stop sent to ${day.workflowId}\n`);
      return 0;
    }),
);

export const killCommand = leafCommand(
  { name: 'kill', summary: COMMAND_SUMMARIES.kill, options: { ...DAY_OPTIONS, reason: REASON, yes: YES } },
  async ({ values }, io: ControlIo) =>
    withDay(values, async (day, handle) => {
      await confirmLiquidation('kill', day, handle, values.yes === true, io);
      await handle.signal(killSignal, { by: operator(), reason: values.reason });
      (io.stdout ?? process.stdout).write(`kill sent to ${day.workflowId}: new entries halted, positions being exited\n`);
      return 0;
    }),
);

export const defenseCommand = leafCommand(
  {
    name: 'defense',
    summary: COMMAND_SUMMARIES.defense,
    options: { ...DAY_OPTIONS, reason: REASON },
    positionals: [{ name: 'STATE', choices: ['on', 'off'], description: 'on or off' }],
  },
  async ({ values, positionals }, io: ControlIo) =>
    withDay(values, async (day, handle) => {
      const on = positionals[0] === 'on';
      const out = io.stdout ?? process.stdout;
      out.write(`signalling ${day.workflowId}\n`);
      await handle.signal(defenseModeSignal, { active: on, by: operator(), reason: values.reason });
      out.write(`defense mode ${on ? 'on' : 'off'} sent to ${day.workflowId}\n`);
      return 0;
    }),
);

export const confirmCommand = leafCommand(
  {
    name: 'confirm',
    summary: COMMAND_SUMMARIES.confirm,
    options: { ...DAY_OPTIONS, reject: { type: 'boolean', description: 'reject the trade instead of approving it' } },
    positionals: [{ name: 'SYMBOL', description: 'the pending trade\'s symbol' }],
  },
  async ({ values, positionals }, io: ControlIo) =>
    withDay(values, async (day, handle) => {
      const symbol = (positionals[0] ?? '').toUpperCase();
      const approve = values.reject !== true;
      const out = io.stdout ?? process.stdout;
      out.write(`signalling ${day.workflowId}\n`);
      await handle.signal(confirmTradeSignal, { symbol, approve, by: operator() });
      out.write(`${approve ? 'approval' : 'rejection'} of ${symbol} sent to ${day.workflowId}\n`);
      return 0;
    }),
);

/** What a stop or kill would liquidate: the day's mode and open positions, from its status query. */
async function openPositions(handle: StatusHandle): Promise<{ mode: string; positions: string[] } | null> {
  try {
    if ((await handle.describe()).status.name !== 'RUNNING') return { mode: 'finished', positions: [] };
    const status = await Promise.race([
      handle.query(dayStatusQuery),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer')), STATUS_TIMEOUT_MS).unref()),
    ]);
    const positions = status.sessions.flatMap((s) => s.positions.map((p) => `${p.ticker} ${p.size}`));
    return { mode: status.mode, positions };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw err;
    return null;
  }
}

/**
 * Before a stop or kill: names the workflow, and on a live day with open positions (or one whose status
 * cannot be read) asks at a terminal, or refuses without one, unless --yes was given. Never acts silently.
 */
export async function confirmLiquidation(what: 'stop' | 'kill', day: DayTarget, handle: StatusHandle, yes: boolean, io: ControlIo): Promise<void> {
  const out = io.stdout ?? process.stdout;
  out.write(`signalling ${day.workflowId}\n`);
  if (yes) return;
  const seen = await openPositions(handle);
  const live = seen === null ? day.configuredMode === 'live' : seen.mode === 'live';
  if (!live || (seen !== null && seen.positions.length === 0)) return;
  const state = seen === null ? 'a live day whose status did not answer (it may hold positions)' : `a live day holding ${seen.positions.length} position(s): ${seen.positions.join(', ')}`;
  const stdin = io.stdin ?? process.stdin;
  if (!stdin.isTTY) throw new UsageError(`${day.workflowId} is ${state}; refusing to ${what} it without a terminal to confirm (add --yes)`);
  const answer = await ask(stdin, io.stderr ?? process.stderr, `${day.workflowId} is ${state}. ${what} it? Type yes to continue: `);
  if (answer.trim().toLowerCase() !== 'yes') throw new Error(`${what} not sent: not confirmed`);
}

function ask(stdin: NodeJS.ReadableStream, prompt: Writable, question: string): Promise<string> {
  return new Promise((resolve) => {
    prompt.write(question);
    const rl = readline.createInterface({ input: stdin, terminal: false });
    rl.once('line', (line) => {
      // Before close(): closing emits 'close' at once, whose empty answer would win.
      resolve(line);
      rl.close();
    });
    rl.once('close', () => resolve(''));
  });
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
      lines.push(`    ${p.ticker} (${p.underlying} ${p.side}) size ${p.size} entry ${p.entryPrice} now ${p.currentPrice}${p.currentPriceEstimated ? ' (estimated)' : ''} uPnL ${p.unrealizedPnl}${p.underlyingPrice !== undefined && p.ticker !== p.underlying ? `; ${p.underlying} at ${p.underlyingPrice}` : ''}`);
    }
  }
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  if (s.haltReason) lines.push(`  halted: ${s.haltReason}`);
  return `${lines.join('\n')}\n`;
}
