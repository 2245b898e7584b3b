import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { defaultEnvConfig, type EnvConfig } from '../../domain/config/envSchema';
import { standardTemporalVariables, temporalConnectionOptions } from '../../workers/temporal/connection';

/*
 * The connection through @temporalio/envconfig (docs/temporal.md, "Connecting"): `.env` keys become
 * Temporal's standard variables, the earlier certificate names are aliases, and the standard config file
 * and process environment fill in what `.env` leaves unset.
 */

const env = (over: Partial<EnvConfig> = {}): EnvConfig => ({ ...defaultEnvConfig(), ...over });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradebot-tls-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const cert = file('client.pem', 'CLIENT CERT');
const key = file('client.key', 'CLIENT KEY');
const ca = file('ca.pem', 'PRIVATE CA');

test('the dev server default: plain gRPC, no key', () => {
  assert.deepEqual(temporalConnectionOptions(env(), {}), { address: '127.0.0.1:7233', tls: undefined, apiKey: undefined });
});

test('an API key turns TLS on unless TEMPORAL_TLS=false says otherwise', () => {
  const cloud = temporalConnectionOptions(env({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k-123' }), {});
  assert.deepEqual(cloud, { address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'k-123' });
  assert.equal(temporalConnectionOptions(env({ TEMPORAL_API_KEY: 'k-123', TEMPORAL_TLS: false }), {}).tls, false);
});

test('the earlier certificate names are aliases of the standard ones; the standard names win', () => {
  const alias = temporalConnectionOptions(env({ TEMPORAL_TLS_CERT_PATH: cert, TEMPORAL_TLS_KEY_PATH: key }), {});
  const tls = alias.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
  assert.equal(Buffer.from(tls.clientCertPair?.crt ?? []).toString(), 'CLIENT CERT');
  assert.equal(Buffer.from(tls.clientCertPair?.key ?? []).toString(), 'CLIENT KEY');
  const other = file('other.pem', 'OTHER CERT');
  const vars = standardTemporalVariables(env({ TEMPORAL_TLS_CERT_PATH: other, TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_KEY_PATH: key }));
  assert.equal(vars.TEMPORAL_TLS_CLIENT_CERT_PATH, cert);
  assert.equal(vars.TEMPORAL_TLS_CLIENT_KEY_PATH, key);
});

test('a private CA and a server name reach the TLS options', () => {
  const o = temporalConnectionOptions(env({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }), {});
  const tls = o.tls as { serverRootCACertificate?: Uint8Array; serverNameOverride?: string };
  assert.equal(Buffer.from(tls.serverRootCACertificate ?? []).toString(), 'PRIVATE CA');
  assert.equal(tls.serverNameOverride, 'temporal.internal');
});

test('a profile of the standard config file fills in what .env leaves unset; .env wins where both say', () => {
  const toml = file(
    'temporal.toml',
    ['[profile.prod]', 'address = "profile-host:7233"', 'api_key = "from-profile"', '[profile.prod.tls]', 'server_name = "from-profile.internal"', ''].join('\n'),
  );
  const processEnv = { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' };
  const o = temporalConnectionOptions(env({ TEMPORAL_ADDRESS: 'env-host:7233' }), processEnv);
  assert.equal(o.address, 'env-host:7233');
  assert.equal(o.apiKey, 'from-profile');
  assert.equal((o.tls as { serverNameOverride?: string }).serverNameOverride, 'from-profile.internal');
  assert.equal(temporalConnectionOptions(env({ TEMPORAL_API_KEY: 'from-env' }), processEnv).apiKey, 'from-env');
});

test('a missing certificate file is an error naming it', () => {
  assert.throws(() => temporalConnectionOptions(env({ TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'absent.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: key }), {}), /absent\.pem/);
});
