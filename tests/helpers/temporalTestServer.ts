import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

/**
 * The real Temporal dev server that `npm test` (scripts/runTests.js) started for this run.
 * Tests run against it; nothing here downloads or starts a server of its own.
 */
export function testServerAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) {
    throw new Error('TEMPORAL_TEST_ADDRESS is not set: run workflow tests through `npm test`, which starts the dev server');
  }
  return address;
}

export interface TestTemporal {
  readonly address: string;
  readonly client: Client;
  readonly nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectTestTemporal(): Promise<TestTemporal> {
  const address = testServerAddress();
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    address,
    client,
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** A task queue name no other test uses, so parallel or repeated runs never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A namespace of its own on the test server (scripts/runTests.js creates it), for tests that start days
 * under the production ids through the CLI: another test's day of the same date lives in `default`.
 */
export const ISOLATED_NAMESPACE = 'tradebot-isolated';
