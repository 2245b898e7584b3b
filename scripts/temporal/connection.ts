import fs from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { EnvConfig } from '../../domain/config/envSchema';
import { payloadDataConverter } from './payloadCodec';

/**
 * Connection settings for the dev server (plain gRPC on 127.0.0.1:7233), a self-hosted cluster
 * (mTLS with TEMPORAL_TLS_CERT_PATH/KEY_PATH) or Temporal Cloud (TEMPORAL_API_KEY, TLS on).
 */
export function temporalConnectionOptions(env: EnvConfig): { address: string; tls?: ConnectionOptions['tls']; apiKey?: string } {
  const cert = env.TEMPORAL_TLS_CERT_PATH;
  const key = env.TEMPORAL_TLS_KEY_PATH;
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  let tls: ConnectionOptions['tls'];
  if (cert && key) tls = { clientCertPair: { crt: fs.readFileSync(cert), key: fs.readFileSync(key) } };
  else if (apiKey) tls = true;
  return { address: env.TEMPORAL_ADDRESS, tls, apiKey };
}

export async function connectClient(env: EnvConfig): Promise<Client> {
  const opts = temporalConnectionOptions(env);
  const connection = await Connection.connect({ address: opts.address, tls: opts.tls, apiKey: opts.apiKey, connectTimeout: '10 seconds' });
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(env) });
}

export async function connectWorkerConnection(env: EnvConfig): Promise<NativeConnection> {
  const opts = temporalConnectionOptions(env);
  return NativeConnection.connect({
    address: opts.address,
    tls: opts.tls as NativeConnectionOptions['tls'],
    apiKey: opts.apiKey,
  });
}
