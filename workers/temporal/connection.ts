import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import type { EnvConfig } from '../../domain/config/envSchema';
import { payloadDataConverter } from './payloadCodec';

/**
 * How every client and worker connects (docs/temporal.md, "Connecting"): Temporal's standard environment
 * configuration (@temporalio/envconfig), so the dev server (plain gRPC on 127.0.0.1:7233), a self-hosted
 * cluster (mTLS, a private CA, a server name) and Temporal Cloud (API key or certificates) are set up as in
 * every Temporal SDK and CLI. Sources, later ones winning: a profile of the standard config file
 * (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), the process environment, then `.env`. The earlier names
 * TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH stay as aliases of the standard client certificate keys.
 */

type ConnectEnv = Pick<
  EnvConfig,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_TLS_CERT_PATH'
  | 'TEMPORAL_TLS_KEY_PATH'
>;

/** The standard variables as `.env` sets them, aliases resolved; unset keys are left out. */
export function standardTemporalVariables(env: ConnectEnv): Record<string, string> {
  const set: [string, string | boolean | undefined][] = [
    ['TEMPORAL_ADDRESS', env.TEMPORAL_ADDRESS],
    ['TEMPORAL_NAMESPACE', env.TEMPORAL_NAMESPACE],
    ['TEMPORAL_API_KEY', env.TEMPORAL_API_KEY || undefined],
    ['TEMPORAL_TLS', env.TEMPORAL_TLS],
    ['TEMPORAL_TLS_CLIENT_CERT_PATH', env.TEMPORAL_TLS_CLIENT_CERT_PATH ?? env.TEMPORAL_TLS_CERT_PATH],
    ['TEMPORAL_TLS_CLIENT_KEY_PATH', env.TEMPORAL_TLS_CLIENT_KEY_PATH ?? env.TEMPORAL_TLS_KEY_PATH],
    ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', env.TEMPORAL_TLS_SERVER_CA_CERT_PATH],
    ['TEMPORAL_TLS_SERVER_NAME', env.TEMPORAL_TLS_SERVER_NAME],
  ];
  return Object.fromEntries(set.filter((kv): kv is [string, string | boolean] => kv[1] !== undefined && kv[1] !== '').map(([k, v]) => [k, String(v)]));
}

/** The process environment's strings (envconfig takes a plain map). */
function processVariables(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((kv): kv is [string, string] => kv[1] !== undefined));
}

/** Address, TLS and API key for a connection, from the sources above. */
export function temporalConnectionOptions(
  env: ConnectEnv,
  processEnv: Record<string, string> = processVariables(),
): { address: string; tls?: NativeConnectionOptions['tls']; apiKey?: string } {
  const vars = { ...processEnv, ...standardTemporalVariables(env) };
  const { connectionOptions } = loadClientConnectConfig({ overrideEnvVars: vars, disableFile: !vars.TEMPORAL_CONFIG_FILE });
  return {
    address: connectionOptions.address ?? env.TEMPORAL_ADDRESS,
    tls: connectionOptions.tls,
    apiKey: typeof connectionOptions.apiKey === 'string' ? connectionOptions.apiKey : undefined,
  };
}

export async function connectClient(env: ConnectEnv & Pick<EnvConfig, 'TEMPORAL_PAYLOAD_KEY'>): Promise<Client> {
  const opts = temporalConnectionOptions(env);
  const connection = await Connection.connect({ address: opts.address, tls: opts.tls as ConnectionOptions['tls'], apiKey: opts.apiKey, connectTimeout: '10 seconds' });
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(env) });
}

export async function connectWorkerConnection(env: ConnectEnv): Promise<NativeConnection> {
  // Loaded here, not at the top: the worker package costs a client-only command (status, check) ~0.2 s.
  const { NativeConnection } = await import('@temporalio/worker');
  const opts = temporalConnectionOptions(env);
  return NativeConnection.connect({ address: opts.address, tls: opts.tls, apiKey: opts.apiKey });
}
