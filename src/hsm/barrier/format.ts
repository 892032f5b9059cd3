// Sealed-blob format v1, shared by records (Barrier) and node key material at rest (sealWithKey):
//   0x01 || IV (12 random bytes) || AES-256-GCM ciphertext || tag (16 bytes)
// with associated data built by the caller from length-prefixed fields (docs/sealed-record.md).
// Must never return or keep plaintext from a blob whose tag did not verify, and never log inputs.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const FORMAT_V1 = 0x01;
export const KEY_LEN = 32;
export const IV_LEN = 12;
export const TAG_LEN = 16;
/** Bytes a sealed blob adds to its plaintext. */
export const SEAL_OVERHEAD = 1 + IV_LEN + TAG_LEN;

/** Why a blob failed to open; callers turn it into CKR_STRONGROOM_RECORD_TAMPERED with their own subject. */
export class OpenFailure extends Error {}

/** Associated-data builder: each field is written with its length (or fixed width) first. */
export class AadWriter {
  readonly #parts: Buffer[] = [];
  byte(b: number): this {
    this.#parts.push(Buffer.of(b & 0xff));
    return this;
  }
  /** u32 big-endian byte length, then the UTF-8 bytes. */
  str(s: string): this {
    const bytes = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length, 0);
    this.#parts.push(len, bytes);
    return this;
  }
  /** u64 big-endian. */
  u64(n: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n), 0);
    this.#parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

export function gcmSeal(key: Buffer, aad: Buffer, plaintext: Uint8Array): Buffer {
  const iv = randomBytes(IV_LEN);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_V1), iv, body, cipher.getAuthTag()]);
}

/** The format byte of a blob, checked before the AAD (which includes it) is built. */
export function checkFormat(sealed: Uint8Array): number {
  if (sealed.length < SEAL_OVERHEAD) throw new OpenFailure(`too short (${sealed.length} bytes)`);
  const format = sealed[0];
  if (format !== FORMAT_V1) throw new OpenFailure(`unknown format byte 0x${(format ?? 0).toString(16).padStart(2, '0')}`);
  return format;
}

export function gcmOpen(key: Buffer, aad: Buffer, sealed: Uint8Array): Buffer {
  checkFormat(sealed);
  const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const iv = blob.subarray(1, 1 + IV_LEN);
  const body = blob.subarray(1 + IV_LEN, blob.length - TAG_LEN);
  const tag = blob.subarray(blob.length - TAG_LEN);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const out = decipher.update(body);
  try {
    decipher.final();
  } catch {
    out.fill(0);
    throw new OpenFailure('authentication failed (wrong key, cluster, id or version, or altered bytes)');
  }
  return out;
}
