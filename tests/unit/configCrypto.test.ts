import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../domain/config/configError';
import {
  decodeKey,
  decryptEnvBot,
  ENV_BOT_ENC_PREFIX,
  encryptEnvBot,
  generateKey,
  isEncryptedEnvBot,
} from '../../activities/config/envBotCrypto';

const TAMPERED = 'cannot decrypt .env_bot.enc: wrong ENV_BOT_KEY or the file was modified';

function configErrorWith(message: string) {
  return (e: unknown) => e instanceof ConfigError && e.message === message && e.problems.length === 1;
}

void test('generateKey gives 32 random bytes in base64', () => {
  const a = generateKey();
  const b = generateKey();
  assert.notEqual(a, b);
  assert.equal(a.length, 44);
  assert.equal(Buffer.from(a, 'base64').length, 32);
  assert.equal(decodeKey(a).length, 32);
});

void test('round trip, including unicode and empty text; a fresh IV each time', () => {
  const key = generateKey();
  for (const text of ['', 'MAX_TRADES=4\n', 'COMMENT=é ü 中文 \u{1F600}\n'.repeat(50)]) {
    const enc = encryptEnvBot(text, key);
    assert.ok(enc.startsWith(ENV_BOT_ENC_PREFIX));
    assert.ok(isEncryptedEnvBot(enc));
    assert.equal(decryptEnvBot(enc, key), text);
  }
  assert.notEqual(encryptEnvBot('same', key), encryptEnvBot('same', key));
});

void test('property: any text round-trips and never appears in the ciphertext', () => {
  const key = generateKey();
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', minLength: 8, maxLength: 300 }), (text) => {
      const enc = encryptEnvBot(text, key);
      assert.equal(decryptEnvBot(enc, key), text);
      assert.ok(!enc.includes(text));
    }),
    { numRuns: 200 },
  );
});

void test('URL-safe base64 keys are accepted and mean the same key', () => {
  const raw = Buffer.alloc(32, 0xfb);
  const std = raw.toString('base64');
  const url = raw.toString('base64url');
  assert.notEqual(std, url);
  assert.equal(decryptEnvBot(encryptEnvBot('X=1', std), url), 'X=1');
});

void test('wrong key is a clear ConfigError, never garbage', () => {
  const enc = encryptEnvBot('MAX_TRADES=4\n', generateKey());
  assert.throws(() => decryptEnvBot(enc, generateKey()), configErrorWith(TAMPERED));
});

void test('tampering anywhere (iv, tag, ciphertext, truncation, extension, prefix) is detected', () => {
  const key = generateKey();
  const enc = encryptEnvBot('MAX_TRADES=4\nWEIGHTS=0.4,0.2,0.2,0.2\n', key).trim();
  const raw = Buffer.from(enc.slice(ENV_BOT_ENC_PREFIX.length), 'base64');
  const withRaw = (b: Buffer) => `${ENV_BOT_ENC_PREFIX}${b.toString('base64')}`;
  for (const i of [0, 11, 12, 27, 28, raw.length - 1]) {
    const b = Buffer.from(raw);
    b[i] = (b[i] ?? 0) ^ 0x01;
    assert.throws(() => decryptEnvBot(withRaw(b), key), configErrorWith(TAMPERED), `byte ${i}`);
  }
  assert.throws(() => decryptEnvBot(withRaw(raw.subarray(0, raw.length - 1)), key), configErrorWith(TAMPERED));
  assert.throws(() => decryptEnvBot(withRaw(raw.subarray(0, 20)), key), configErrorWith(TAMPERED));
  assert.throws(() => decryptEnvBot(withRaw(Buffer.concat([raw, Buffer.from([0])])), key), configErrorWith(TAMPERED));
  assert.throws(() => decryptEnvBot(`${enc.slice(0, -2)}!!`, key), configErrorWith(TAMPERED));
  assert.throws(() => decryptEnvBot(`${ENV_BOT_ENC_PREFIX}`, key), configErrorWith(TAMPERED));
  assert.throws(
    () => decryptEnvBot(enc.replace('TBOTENC1:', 'TBOTENC2:'), key),
    (e: unknown) => e instanceof ConfigError && /format TBOTENC2 is not supported/.test(e.message),
  );
  assert.throws(
    () => decryptEnvBot('MAX_TRADES=4\n', key),
    (e: unknown) => e instanceof ConfigError && /not an encrypted \.env_bot/.test(e.message),
  );
  // Surrounding whitespace and a BOM are not tampering.
  assert.equal(decryptEnvBot(`\uFEFF  ${enc}\n\n`, key), 'MAX_TRADES=4\nWEIGHTS=0.4,0.2,0.2,0.2\n');
});

void test('property: any single-character change of the file is refused', () => {
  const key = generateKey();
  const enc = encryptEnvBot('TEST_MODE=false\n', key).trim();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=:';
  fc.assert(
    fc.property(fc.nat({ max: enc.length - 1 }), fc.constantFrom(...alphabet), (i, c) => {
      fc.pre(enc[i] !== c);
      const changed = enc.slice(0, i) + c + enc.slice(i + 1);
      assert.throws(() => decryptEnvBot(changed, key), ConfigError);
    }),
    { numRuns: 300 },
  );
});

void test('a malformed key is a ConfigError that does not echo the key', () => {
  const bad = 'FAKE-not-a-key-7c1d';
  assert.throws(
    () => encryptEnvBot('X=1', bad),
    (e: unknown) => e instanceof ConfigError && /ENV_BOT_KEY=<hidden> is invalid/.test(e.message) && !e.message.includes(bad),
  );
  assert.throws(() => decodeKey(Buffer.alloc(16).toString('base64')), ConfigError);
  assert.throws(() => decodeKey(''), ConfigError);
});
