import crypto from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { EnvConfig } from '../../domain/config/envSchema';

/**
 * Encrypts workflow payloads (inputs, results, signals, queries, activity arguments: positions, PnL,
 * account values) before they leave the process, so the Temporal server, Temporal Cloud included, stores
 * only ciphertext (docs/temporal.md, "Encrypted payloads"). AES-256-GCM with a random 96-bit nonce per
 * payload; the whole payload (metadata and data) is the plaintext, so the server cannot even read its
 * encoding. The key comes from TEMPORAL_PAYLOAD_KEY; its id (the first bytes of its SHA-256) travels with
 * each payload so a wrong key is named instead of failing as corrupt data. Payloads without the encrypted
 * encoding (histories written before the key was set) decode as they are.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class PayloadKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadKeyError';
  }
}

const text = (s: string) => new TextEncoder().encode(s);
const readText = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array());

/** A payload as bytes: its metadata and data, base64 in a small JSON object. */
function serialize(p: Payload): Uint8Array {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return text(JSON.stringify({ metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') }));
}

function deserialize(bytes: Uint8Array): Payload {
  const o = JSON.parse(readText(bytes)) as { metadata: Record<string, string>; data: string };
  const metadata = Object.fromEntries(Object.entries(o.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
  return { metadata, data: new Uint8Array(Buffer.from(o.data, 'base64')) };
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new PayloadKeyError(`TEMPORAL_PAYLOAD_KEY must be 32 bytes (base64 of 32 random bytes), got ${key.length}`);
    this.key = Buffer.from(key);
    this.keyId = crypto.createHash('sha256').update(this.key).digest('hex').slice(0, 16);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const nonce = crypto.randomBytes(NONCE_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', this.key, nonce);
      const sealed = Buffer.concat([nonce, cipher.update(serialize(p)), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: text(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text(this.keyId) }, data: new Uint8Array(sealed) };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (readText(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const keyId = readText(p.metadata?.[KEY_ID_METADATA]);
      if (keyId !== this.keyId) throw new PayloadKeyError(`payload encrypted with key id ${keyId || '(none)'}; this process has TEMPORAL_PAYLOAD_KEY id ${this.keyId}`);
      const sealed = Buffer.from(p.data ?? new Uint8Array());
      if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new PayloadKeyError(`encrypted payload too short (${sealed.length} bytes)`);
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new PayloadKeyError('encrypted payload failed authentication: altered, or encrypted with another key of the same id');
      }
      return deserialize(plain);
    });
  }
}

/** The data converter for clients and workers: the codec when TEMPORAL_PAYLOAD_KEY is set, else none. */
export function payloadDataConverter(env: Pick<EnvConfig, 'TEMPORAL_PAYLOAD_KEY'>): { payloadCodecs: PayloadCodec[] } | undefined {
  const key = env.TEMPORAL_PAYLOAD_KEY;
  if (!key) return undefined;
  return { payloadCodecs: [new AesGcmPayloadCodec(Buffer.from(key, 'base64'))] };
}
