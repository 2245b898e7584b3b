import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTradingActivities } from '../../activities/tradingActivities';
import { entryDeadlineMs, ORDER_DEADLINE_PASSED } from '../../domain/orders/orderDeadline';
import type { Emulator } from '../../scripts/emulator';
import { at, brokerFor, emulatorAt } from './emulatorHarness';

// The submit activity's market-time deadline (docs/trading.md, "Stale signals"): a retry after downtime
// must not post an entry decided on an old bar, yet must still settle one an earlier attempt posted.

const order = (clientOrderId: string) => ({ clientOrderId, symbol: 'TQQQ', assetClass: 'us_equity' as const, side: 'buy' as const, qty: 5, type: 'market' as const });

async function withActivities(run: (a: ReturnType<typeof createTradingActivities>, posts: () => number, emu: Emulator) => Promise<void>): Promise<void> {
  const emu = await emulatorAt(at('14:00', 10));
  const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-deadline-'));
  try {
    const b = brokerFor(emu);
    const activities = createTradingActivities({
      outputDir,
      broker: async () => b,
      marketData: async () => {
        throw new Error('not used');
      },
      vixSeries: async () => null,
    });
    const posts = () => emu.journal().filter((e) => e.kind === 'request' && e.method === 'POST' && /\/v2\/orders$/.test(e.path ?? '')).length;
    await run(activities, posts, emu);
  } finally {
    await emu.close();
    fs.rmSync(outputDir, { recursive: true, force: true });
  }
}

test('an entry past its deadline is not posted: it comes back rejected as deadline_passed', async () => {
  await withActivities(async (a, posts, emu) => {
    // Decided on the 13:57 bar with a 90 s bound: the deadline was 13:59:30, the market is at 14:00:10.
    const notAfterMs = entryDeadlineMs({ barStart: at('13:57'), maxSignalAgeMs: 90_000, sessionEndMs: at('19:58') });
    const r = await a.submitOrder({ broker: 'alpaca', replayFolder: null, request: order('tb-late-TQQQ-entry'), deadline: { notAfterMs, clock: emu.clock } });
    assert.equal(r.status, 'rejected');
    assert.equal(r.rejectReason, ORDER_DEADLINE_PASSED);
    assert.equal(posts(), 0, 'nothing reached the broker');
  });
});

test('an entry within its deadline is posted and fills; one an earlier attempt posted is settled even past it', async () => {
  await withActivities(async (a, posts, emu) => {
    const inTime = entryDeadlineMs({ barStart: at('13:59'), maxSignalAgeMs: 90_000, sessionEndMs: at('19:58') });
    const first = await a.submitOrder({ broker: 'alpaca', replayFolder: null, request: order('tb-ok-TQQQ-entry'), deadline: { notAfterMs: inTime, clock: emu.clock } });
    assert.equal(first.status, 'filled');
    assert.equal(posts(), 1);
    // A retry of the same order after its deadline finds it at the broker: the position is the bot's.
    const retried = await a.submitOrder({ broker: 'alpaca', replayFolder: null, request: order('tb-ok-TQQQ-entry'), deadline: { notAfterMs: at('13:00'), clock: emu.clock } });
    assert.equal(retried.id, first.id);
    assert.equal(retried.status, 'filled');
    assert.equal(posts(), 1, 'no second post');
  });
});

test('the deadline never reaches the session end: an entry may not go out in the last instant of a session', () => {
  assert.equal(entryDeadlineMs({ barStart: at('19:57'), maxSignalAgeMs: 90_000, sessionEndMs: at('19:58') }), at('19:58') - 1);
  assert.equal(entryDeadlineMs({ barStart: at('14:00'), maxSignalAgeMs: 30_000, sessionEndMs: at('19:58') }), at('14:01', 30));
});
