import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { ConfigError } from '../../domain/config/configError';
import { identityHost, pollersFromOtherHosts, refuseSecondTradingHost } from '../../workers/singleTradingWorker';
import { quietRuntime } from '../helpers/tradingDayHarness';
import { connectTestTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporalTestServer';

/*
 * One trading worker per deployment (docs/temporal.md, "More than one machine"): a worker polling the task
 * queue from another host makes the next one refuse to start; one from this host (a restart) does not.
 * Real pollers on the dev server, told apart by their SDK identity.
 */

let temporal: TestTemporal;
before(async () => {
  quietRuntime();
  temporal = await connectTestTemporal();
});
after(async () => {
  await temporal.close();
});

/** Runs an activity-only worker with `identity` on `taskQueue` until `body` returns. */
async function whilePolling<T>(taskQueue: string, identity: string, body: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({ connection: temporal.nativeConnection, namespace: 'default', taskQueue, identity, activities: { noop: async () => undefined } });
  return worker.runUntil(async () => {
    // The server lists a poller once its first long poll has arrived.
    for (let i = 0; i < 50; i++) {
      const res = await temporal.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 2 });
      if ((res.pollers ?? []).some((p) => p.identity === identity)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return body();
  });
}

test('identityHost reads the host of an SDK identity', () => {
  assert.equal(identityHost('4242@trader-box'), 'trader-box');
  assert.equal(identityHost('4242@user@trader-box'), 'trader-box');
  assert.equal(identityHost('no-at-sign'), 'no-at-sign');
});

test('a trading worker polling from another host makes the next one refuse to start, naming it', async () => {
  const taskQueue = uniqueTaskQueue('single');
  const other = `4242@another-host-${process.pid}`;
  await whilePolling(taskQueue, other, async () => {
    assert.deepEqual(await pollersFromOtherHosts(temporal.client, { namespace: 'default', taskQueue }), [other]);
    await assert.rejects(refuseSecondTradingHost(temporal.client, { namespace: 'default', taskQueue }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`task queue ${taskQueue} is already polled from another host \\(${other}\\)`));
      return true;
    });
  });
});

test('a worker on this host (a restart) and an idle queue let the trading worker start', async () => {
  const taskQueue = uniqueTaskQueue('single');
  await refuseSecondTradingHost(temporal.client, { namespace: 'default', taskQueue });
  await whilePolling(taskQueue, `${process.pid + 1}@${os.hostname()}`, async () => {
    assert.deepEqual(await pollersFromOtherHosts(temporal.client, { namespace: 'default', taskQueue }), []);
    await refuseSecondTradingHost(temporal.client, { namespace: 'default', taskQueue });
  });
});
