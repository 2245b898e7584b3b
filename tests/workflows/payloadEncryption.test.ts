import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { Client } from '@temporalio/client';
import { ENCRYPTED_ENCODING, payloadDataConverter } from '../../workers/temporal/payloadCodec';
import { tradingDayWorkflow } from '../../workflows/tradingDay';
import { REPO_ROOT, ROOMY_OPEN_LIMITS, createTestWorker, quietRuntime, tempOutputDir, testConfig } from '../helpers/tradingDayHarness';
import { connectTestTemporal, uniqueTaskQueue } from '../helpers/temporalTestServer';

/*
 * TEMPORAL_PAYLOAD_KEY (docs/temporal.md, "Encrypted payloads"): a TEST_MODE OPEN day run by a worker and
 * client with the codec; the server's histories of the day, its session and the account hold only
 * ciphertext (every payload encrypted, no symbol or figure readable) apart from search attribute values
 * and patch ids, while the codec client reads the day's result as usual.
 */
const FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'minute');
const DATE = '2025-04-09';
const UNIVERSE = ['SQQQ', 'SVIX', 'TNA', 'TQQQ', 'TZA', 'UVXY'];

interface RawPayload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

/**
 * Every payload in a history event (objects with metadata and data), except the two kinds the server must
 * read: search attribute values (it indexes them) and the SDK's patch markers (patch ids).
 */
function payloadsIn(value: unknown, out: RawPayload[] = []): RawPayload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return out;
  const o = value as Record<string, unknown>;
  if (o.metadata && typeof o.metadata === 'object' && 'data' in o && (o.data === null || o.data instanceof Uint8Array)) {
    out.push(o as RawPayload);
    return out;
  }
  for (const [k, v] of Object.entries(o)) if (k !== 'searchAttributes' && k !== 'patch-data') payloadsIn(v, out);
  return out;
}

async function rawPayloads(client: Client, workflowId: string): Promise<RawPayload[]> {
  const res = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
  return (res.history?.events ?? []).flatMap((e) => payloadsIn(e));
}

test('with TEMPORAL_PAYLOAD_KEY the server stores only ciphertext of a day, its session and the account', { timeout: 240_000 }, async () => {
  quietRuntime();
  const temporal = await connectTestTemporal();
  const dataConverter = payloadDataConverter({ TEMPORAL_PAYLOAD_KEY: crypto.randomBytes(32).toString('base64') });
  assert.ok(dataConverter);
  const codecClient = new Client({ connection: temporal.client.connection, namespace: 'default', dataConverter });
  const taskQueue = uniqueTaskQueue('codec');
  const worker = await createTestWorker({ connection: temporal.nativeConnection, client: codecClient, taskQueue, outputDir: tempOutputDir('codec'), symbols: UNIVERSE, vixCsvPath: null, dataConverter });
  const dayId = `test-codec-${Date.now()}`;
  try {
    const summary = await worker.runUntil(async () => {
      const handle = await codecClient.workflow.start(tradingDayWorkflow, {
        taskQueue,
        workflowId: dayId,
        args: [{ date: DATE, config: testConfig({ ...ROOMY_OPEN_LIMITS, STRATEGY_OVERRIDE: 'open' }), broker: 'sim', universe: UNIVERSE, replay: { folder: FIXTURE, speed: 600, marketStartMs: Date.parse(`${DATE}T14:28:00Z`) } }],
      });
      return handle.result();
    });
    const open = summary.sessions.find((s) => s.strategy === 'open');
    assert.ok(open && open.entries > 0, 'the codec client reads the result: the OPEN session traded');

    for (const id of [dayId, `${dayId}-open`, `account-${taskQueue}`]) {
      const payloads = await rawPayloads(temporal.client, id);
      assert.ok(payloads.length > 10, `${id}: its history has payloads (${payloads.length})`);
      for (const p of payloads) {
        const encoding = new TextDecoder().decode(p.metadata?.encoding ?? new Uint8Array());
        assert.equal(encoding, ENCRYPTED_ENCODING, `${id}: every payload is encrypted`);
        const data = Buffer.from(p.data ?? new Uint8Array());
        for (const plain of [...UNIVERSE, DATE, 'realizedPnl', 'accountValue']) assert.ok(!data.includes(plain), `${id}: "${plain}" is not readable at the server`);
      }
    }
    // A client without the key cannot read the day's result.
    await assert.rejects(temporal.client.workflow.getHandle(dayId).result(), (err: unknown) => err instanceof Error);
  } finally {
    await temporal.close();
  }
});
