import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { METRICS_ADDRESS_ENV } from '../../workers/metrics';
import { installRuntimeLogging } from '../../workers/workerRuntime';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { DAY_METRICS, SESSION_METRICS } from '../../workflows/botMetrics';
import { REPO_ROOT, ROOMY_OPEN_LIMITS, createTestWorker, tempOutputDir, testConfig } from '../helpers/tradingDayHarness';
import { connectTestTemporal, uniqueTaskQueue } from '../helpers/temporalTestServer';

/**
 * The worker's Prometheus endpoint (workers/metrics.ts; docs/temporal.md, "Metrics"): after a TEST_MODE
 * OPEN day on the committed fixture it serves the SDK runtime's series and the bot's. The runtime is
 * installed as the worker process installs it (installRuntimeLogging), with the address in the environment.
 */
const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');
const DATE = '2025-04-09';
const UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];
const SPEED = 600;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One series' samples: `name{labels} value` lines, the value summed over every label set. */
function sampleSum(text: string, name: string): number | null {
  const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (lines.length === 0) return null;
  return lines.reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

test('after a TEST_MODE day the endpoint serves the SDK series and the bot series', { timeout: 240_000 }, async () => {
  const address = `127.0.0.1:${await freePort()}`;
  process.env[METRICS_ADDRESS_ENV] = address;
  installRuntimeLogging('quiet');
  const temporal = await connectTestTemporal();
  const taskQueue = uniqueTaskQueue('metrics');
  const worker = await createTestWorker({ connection: temporal.nativeConnection, client: temporal.client, taskQueue, outputDir: tempOutputDir('metrics'), symbols: UNIVERSE, vixCsvPath: null });
  try {
    const summary = await worker.runUntil(async () => {
      const handle = await temporal.client.workflow.start(tradingDayWorkflow, {
        taskQueue,
        workflowId: `test-metrics-${Date.now()}`,
        args: [{ date: DATE, config: testConfig(ROOMY_OPEN_LIMITS), broker: 'sim', universe: UNIVERSE, replay: { folder: FIXTURE, speed: SPEED, marketStartMs: Date.parse(`${DATE}T14:28:00Z`) } }],
      });
      return handle.result();
    });
    const open = summary.sessions.find((s) => s.strategy === 'open');
    assert.ok(open && open.entries > 0, 'the OPEN session traded');
    // The exporter serves what the runtime last collected; give it a moment after the day.
    let text = '';
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      text = await (await fetch(`http://${address}/metrics`)).text();
      if (sampleSum(text, `${DAY_METRICS.entries}_total`) !== null) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const series = (name: string) => sampleSum(text, name);
    assert.ok((series('temporal_workflow_completed_total') ?? 0) > 0, 'the SDK series are there');
    assert.ok((series('temporal_activity_execution_latency_count') ?? 0) > 0);
    assert.equal(series(`${DAY_METRICS.entries}_total`), open.entries, 'entries as the session counted them');
    assert.equal(series(`${DAY_METRICS.exits}_total`), open.exits);
    assert.equal(series(`${DAY_METRICS.escalations}_total`), open.escalations);
    // A gauge takes no negative value (a negative one failed the day's workflow task): profit and loss apart.
    assert.ok(Math.abs((series(DAY_METRICS.realizedProfit) ?? Number.NaN) - Math.max(0, open.realizedPnl)) < 0.01, 'the realized profit gauge');
    assert.ok(Math.abs((series(DAY_METRICS.realizedLoss) ?? Number.NaN) - Math.max(0, -open.realizedPnl)) < 0.01, 'the realized loss gauge');
    assert.match(text, new RegExp(`${DAY_METRICS.entries}_total\\{[^}]*strategy="open"`));
    // The session's feed and orders: every bar it decided on, the latency of those after the warm-up fetch,
    // the staleness at its last fetch, and one order sent and filled per entry and exit.
    assert.equal(series(`${SESSION_METRICS.barsSeen}_total`), open.barsSeen, 'bars as the session counted them');
    const latencyCount = series(`${SESSION_METRICS.barLatency}_count`) ?? 0;
    assert.ok(latencyCount > 0 && latencyCount < (open.barsSeen ?? 0), `bar latency observed after the warm-up (${latencyCount} of ${open.barsSeen})`);
    const meanLatencyMs = (series(`${SESSION_METRICS.barLatency}_sum`) ?? Number.NaN) / latencyCount;
    // Market time at 600x: a few real tenths of a second are minutes of market time.
    assert.ok(meanLatencyMs >= 0 && meanLatencyMs / SPEED < 5_000, `mean bar latency ${meanLatencyMs} ms of market time (${meanLatencyMs / SPEED} ms real)`);
    const staleness = series(SESSION_METRICS.dataStaleness);
    assert.ok(staleness !== null && staleness >= 0 && staleness / SPEED < 5, `data staleness ${staleness} s of market time`);
    assert.equal(series(`${SESSION_METRICS.ordersSent}_total`), open.entries + open.exits, 'one order per entry and exit');
    assert.equal(series(`${SESSION_METRICS.ordersFilled}_total`), open.entries + open.exits);
    assert.equal(series(`${SESSION_METRICS.ordersRejected}_total`), null, 'none rejected');
    assert.match(text, new RegExp(`${SESSION_METRICS.ordersSent}_total\\{[^}]*purpose="entry"`));
  } finally {
    await temporal.close();
  }
});
