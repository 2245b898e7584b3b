import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultEnvConfig, SECRET_ENV_KEYS, type EnvConfig } from '../../domain/config/envSchema';
import { isSecretName, maskSecrets, redactText, SECRET_MASK, secretValuesOf } from '../../domain/config/secrets';

const FAKE = {
  ALPACA_LIVE_SECRET_KEY: 'FAKE-alpaca-live-secret-5e1f09',
  SMTP_PASS: 'FAKE-smtp-pass-a8c2',
  MANAGER_API_TOKEN: 'FAKE-manager-token-77d0',
};

void test('maskSecrets hides every secret .env key that is set, keeps unset ones visible, never mutates', () => {
  const env: EnvConfig = { ...defaultEnvConfig(), ...FAKE, ALPACA_PAPER_API_KEY: undefined, USERNAME: 'operator' };
  const before = JSON.stringify(env);
  const masked = maskSecrets(env);
  assert.equal(JSON.stringify(env), before);
  assert.equal(masked.ALPACA_LIVE_SECRET_KEY, SECRET_MASK);
  assert.equal(masked.SMTP_PASS, SECRET_MASK);
  assert.equal(masked.ALPACA_PAPER_API_KEY, undefined);
  assert.equal(masked.USERNAME, 'operator');
  assert.equal(masked.LOCAL_PORT, 8080);
  assert.equal(masked.TEMPORAL_TLS_KEY_PATH, undefined);
  for (const v of Object.values(FAKE)) assert.ok(!JSON.stringify(masked).includes(v));
});

void test('maskSecrets works on nested status-like objects by key name, with arrays and cycles', () => {
  const status: Record<string, unknown> = {
    broker: { name: 'alpaca', apiKey: 'k-123456', secret_key: 's-123456', account_value: 1000 },
    list: [{ password: 'p-123456', token: 't-123456', tokens: 3 }],
    smtp: { user: 'me', pass: 'x-123456' },
    TEMPORAL_TLS_KEY_PATH: '/etc/tls/key.pem',
    headers: { Authorization: 'Bearer b-123456' },
    ibkr: { accountNumber: 'U1234567' },
  };
  status.self = status;
  const m = maskSecrets(status) as Record<string, unknown>;
  const text = JSON.stringify({ ...m, self: undefined });
  for (const s of ['k-123456', 's-123456', 'p-123456', 't-123456', 'x-123456', 'b-123456', 'U1234567']) assert.ok(!text.includes(s), s);
  assert.ok(text.includes('/etc/tls/key.pem'));
  assert.ok(text.includes('"account_value":1000'));
  assert.equal(m.self, '<cycle>');
  assert.ok(isSecretName('ENV_BOT_KEY') && isSecretName('encryptionKey') && !isSecretName('ENV_BOT_PATH'));
  for (const k of SECRET_ENV_KEYS) assert.ok(isSecretName(k), k);
});

void test('redactText scrubs every known secret, its URL-encoded form, overlapping secrets whole', () => {
  const secrets = ['abc/def+gh', 'LONGSECRET-abc/def+gh-tail', '', undefined, null];
  const text = `key=abc/def+gh url=https://h/?t=${encodeURIComponent('abc/def+gh')} long=LONGSECRET-abc/def+gh-tail`;
  const out = redactText(text, secrets);
  assert.equal(out, 'key=<hidden> url=https://h/?t=<hidden> long=<hidden>');
  assert.equal(redactText('nothing here', []), 'nothing here');
  assert.equal(redactText('a.b*c a.b*c', ['a.b*c']), '<hidden> <hidden>');
});

void test('property: redactText output never contains a secret', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }), fc.string(), (secrets, noise) => {
      const text = secrets.map((s) => `${noise}${s}${noise}`).join(' | ');
      const out = redactText(text, secrets);
      for (const s of secrets) {
        // Splitting on the mask only works for secrets that share no characters with it.
        if ([...SECRET_MASK].some((c) => s.includes(c))) continue;
        assert.ok(!out.split(SECRET_MASK).some((part) => part.includes(s)), `${JSON.stringify(s)} in ${JSON.stringify(out)}`);
      }
    }),
    { numRuns: 500 },
  );
});

void test('secretValuesOf lists the set secret values of a .env config', () => {
  const env = { ...defaultEnvConfig(), ...FAKE };
  assert.deepEqual(secretValuesOf(env).sort(), Object.values(FAKE).sort());
});
