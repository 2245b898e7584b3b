import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError } from '../../domain/config/configError';
import { base64DecodedLength } from '../../domain/config/fieldTypes';

/*
 * `.env_bot.enc` format, version 1 (README.md, "Configuration", encrypted `.env_bot`):
 *
 *   TBOTENC1:<base64( iv[12] | tag[16] | ciphertext )>\n
 *
 * AES-256-GCM with a random 96-bit IV per encryption; the prefix is bound in as associated data, so a
 * file whose version prefix was altered fails authentication too. A later format gets a new prefix
 * (TBOTENC2:) and this reader rejects it by name instead of guessing.
 */

export const ENV_BOT_ENC_PREFIX = 'TBOTENC1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A new random 256-bit key, base64 (44 characters): what ENV_BOT_KEY / ENCRYPTION_KEY hold. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** Decodes a base64 (or base64url) 32-byte key; the key itself never appears in the error. */
export function decodeKey(keyB64: string, keyName = 'ENV_BOT_KEY'): Buffer {
  const t = keyB64.trim();
  if (base64DecodedLength(t) !== KEY_BYTES) {
    throw new ConfigError(`${keyName}=<hidden> is invalid (allowed: 32 random bytes in base64, 44 characters; make one with \`config genkey\`)`);
  }
  const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== KEY_BYTES) throw new ConfigError(`${keyName}=<hidden> is invalid (allowed: 32 random bytes in base64)`);
  return key;
}

/** True when `text` is an encrypted `.env_bot` of a format this reader knows or recognises as ours. */
export function isEncryptedEnvBot(text: string): boolean {
  return /^TBOTENC\d+:/.test(text.replace(/^\uFEFF/, '').trimStart());
}

export function encryptEnvBot(plaintext: string, keyB64: string): string {
  const key = decodeKey(keyB64);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(ENV_BOT_ENC_PREFIX, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${ENV_BOT_ENC_PREFIX}${Buffer.concat([iv, tag, ct]).toString('base64')}\n`;
}

/**
 * The plaintext of an encrypted `.env_bot`. A wrong key and a modified file are indistinguishable by
 * design of GCM; either way a ConfigError, never garbage. `label` names the file in messages.
 */
export function decryptEnvBot(fileText: string, keyB64: string, label = '.env_bot.enc'): string {
  const key = decodeKey(keyB64);
  const t = fileText.replace(/^\uFEFF/, '').trim();
  const version = /^(TBOTENC\d+):/.exec(t)?.[1];
  if (version === undefined) {
    throw new ConfigError(`cannot decrypt ${label}: not an encrypted .env_bot (it should start with ${ENV_BOT_ENC_PREFIX})`);
  }
  if (`${version}:` !== ENV_BOT_ENC_PREFIX) {
    throw new ConfigError(`cannot decrypt ${label}: format ${version} is not supported by this version (allowed: ${ENV_BOT_ENC_PREFIX.slice(0, -1)})`);
  }
  const body = t.slice(ENV_BOT_ENC_PREFIX.length);
  const tampered = new ConfigError(`cannot decrypt ${label}: wrong ENV_BOT_KEY or the file was modified`);
  // Strict base64: Buffer.from would silently skip stray characters, which hides tampering.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw tampered;
  const raw = Buffer.from(body, 'base64');
  // Canonical form only: a change in the unused low bits of the last character decodes to the same bytes.
  if (raw.toString('base64') !== body) throw tampered;
  if (raw.length < IV_BYTES + TAG_BYTES) throw tampered;
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const ct = raw.subarray(IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(ENV_BOT_ENC_PREFIX, 'utf8'));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(ct), decipher.final()]);
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw tampered;
  }
}
