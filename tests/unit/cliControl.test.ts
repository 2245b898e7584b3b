import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import test from 'node:test';
import { UsageError } from '../../scripts/commands/args';
import { confirmLiquidation, type DayTarget, type StatusHandle } from '../../scripts/commands/control';

// `stop` and `kill` name the workflow and, on a live day holding positions, never act without a yes.

const LIVE_DAY: DayTarget = { date: '2025-04-09', workflowId: 'tradebot-day-live-2025-04-09', configuredMode: 'live' };

function handle(status: { mode: string; tickers: string[] } | 'no answer' | 'finished'): StatusHandle {
  return {
    describe: async () => ({ status: { name: status === 'finished' ? 'COMPLETED' : 'RUNNING' } }),
    query: async () => {
      if (status === 'no answer' || status === 'finished') throw new Error('no worker');
      return { mode: status.mode, sessions: [{ positions: status.tickers.map((ticker) => ({ ticker, size: 10 })) }] };
    },
  } as unknown as StatusHandle;
}

function io(stdin: { isTTY?: boolean; answer?: string } = {}) {
  let out = '';
  let err = '';
  const input = Object.assign(new PassThrough(), { isTTY: stdin.isTTY });
  if (stdin.answer !== undefined) input.end(`${stdin.answer}\n`);
  return { io: { stdin: input, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } }, out: () => out, err: () => err };
}

test('a live day with open positions and no terminal: refused (exit 2) unless --yes', async () => {
  const t = io({ isTTY: false });
  await assert.rejects(confirmLiquidation('kill', LIVE_DAY, handle({ mode: 'live', tickers: ['TQQQ'] }), false, t.io), (e: unknown) => e instanceof UsageError && /refusing to kill it without a terminal to confirm \(add --yes\)/.test(e.message) && /TQQQ 10/.test(e.message));
  assert.match(t.out(), /^signalling tradebot-day-live-2025-04-09\n/);
  await confirmLiquidation('kill', LIVE_DAY, handle({ mode: 'live', tickers: ['TQQQ'] }), true, io().io);
});

test('a live day whose status does not answer counts as holding positions', async () => {
  await assert.rejects(confirmLiquidation('stop', LIVE_DAY, handle('no answer'), false, io({ isTTY: false }).io), /may hold positions\); refusing to stop it/);
});

test('paper days, flat live days and finished days go ahead without a question', async () => {
  await confirmLiquidation('kill', LIVE_DAY, handle({ mode: 'paper', tickers: ['TQQQ'] }), false, io({ isTTY: false }).io);
  await confirmLiquidation('kill', LIVE_DAY, handle({ mode: 'live', tickers: [] }), false, io({ isTTY: false }).io);
  await confirmLiquidation('stop', LIVE_DAY, handle('finished'), false, io({ isTTY: false }).io);
  await confirmLiquidation('stop', { ...LIVE_DAY, configuredMode: 'paper' }, handle('no answer'), false, io({ isTTY: false }).io);
});

test('at a terminal it asks: yes goes ahead, anything else stops', async () => {
  const yes = io({ isTTY: true, answer: 'yes' });
  await confirmLiquidation('kill', LIVE_DAY, handle({ mode: 'live', tickers: ['TQQQ', 'SQQQ'] }), false, yes.io);
  assert.match(yes.err(), /holding 2 position\(s\): TQQQ 10, SQQQ 10\. kill it\? Type yes/);
  await assert.rejects(confirmLiquidation('kill', LIVE_DAY, handle({ mode: 'live', tickers: ['TQQQ'] }), false, io({ isTTY: true, answer: 'y' }).io), /kill not sent: not confirmed/);
});
