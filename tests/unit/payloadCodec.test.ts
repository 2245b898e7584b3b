import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, PayloadKeyError, payloadDataConverter } from '../../workers/temporal/payloadCodec';

const key = () => crypto.randomBytes(32);
const payload = (v: unknown): Payload => defaultPayloadConverter.toPayload(v) as Payload;
const VALUE = { symbol: 'SQQQ', realizedPnl: -12.5, positions: [{ qty: 3, symbol: 'TNA   250417P00018000' }] };

test('encode then decode gives back each payload, metadata and data', async () => {
  const codec = new AesGcmPayloadCodec(key());
  const originals = [payload(VALUE), payload(null), payload('x'.repeat(10_000)), payload(new Uint8Array([0, 1, 255]))];
  const decoded = await codec.decode(await codec.encode(originals));
  assert.deepEqual(decoded.map((p) => defaultPayloadConverter.fromPayload(p)), originals.map((p) => defaultPayloadConverter.fromPayload(p)));
  assert.deepEqual(decoded.map((p) => Object.keys(p.metadata ?? {}).sort()), originals.map((p) => Object.keys(p.metadata ?? {}).sort()));
});

test('the encoded payload says only that it is encrypted, with which key id, and hides its content', async () => {
  const codec = new AesGcmPayloadCodec(key());
  const [a, b] = await codec.encode([payload(VALUE), payload(VALUE)]);
  assert.ok(a && b);
  assert.deepEqual(Object.keys(a.metadata ?? {}).sort(), ['encoding', 'encryption-key-id']);
  assert.equal(new TextDecoder().decode(a.metadata?.encoding), ENCRYPTED_ENCODING);
  assert.equal(new TextDecoder().decode(a.metadata?.['encryption-key-id']), codec.keyId);
  for (const plain of ['SQQQ', 'realizedPnl', 'json/plain', '-12.5']) assert.ok(!Buffer.from(a.data ?? []).includes(plain), plain);
  assert.notDeepEqual(a.data, b.data, 'a fresh nonce per payload: the same value encrypts differently');
});

test('a payload written without encryption decodes as it is (histories from before the key)', async () => {
  const codec = new AesGcmPayloadCodec(key());
  const plain = payload(VALUE);
  assert.deepEqual(await codec.decode([plain]), [plain]);
});

test('another key, an altered payload or a truncated one is a PayloadKeyError naming the problem', async () => {
  const codec = new AesGcmPayloadCodec(key());
  const [sealed] = await codec.encode([payload(VALUE)]);
  assert.ok(sealed?.data);
  const other = new AesGcmPayloadCodec(key());
  await assert.rejects(other.decode([sealed]), (err: unknown) => err instanceof PayloadKeyError && err.name === 'PayloadKeyError' && err.message.includes(codec.keyId) && err.message.includes(other.keyId));
  const altered = new Uint8Array(sealed.data);
  altered[20] = (altered[20] ?? 0) ^ 1;
  await assert.rejects(codec.decode([{ ...sealed, data: altered }]), /failed authentication/);
  await assert.rejects(codec.decode([{ ...sealed, data: sealed.data.subarray(0, 10) }]), /too short/);
});

test('the data converter exists only with a key, and the key must be 32 bytes', () => {
  assert.equal(payloadDataConverter({ TEMPORAL_PAYLOAD_KEY: undefined }), undefined);
  assert.equal(payloadDataConverter({ TEMPORAL_PAYLOAD_KEY: key().toString('base64') })?.payloadCodecs.length, 1);
  assert.throws(() => new AesGcmPayloadCodec(crypto.randomBytes(16)), /32 bytes/);
});
