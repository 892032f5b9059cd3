// The ciphertext blob of Encrypt / GenerateDataKey (format version 1), and the canonical encoding
// of an encryption context. Written down in docs/kms-ciphertext.md.
//
//   0      1 byte   format version (0x01)
//   1     16 bytes  KMS key id (the UUID's bytes)
//   17     4 bytes  key material version, big-endian (1 = the original material, +1 per rotation)
//   21    12 bytes  IV (chosen by the HSM)
//   33     n bytes  AES-256-GCM ciphertext || 16-byte tag, computed inside the HSM with
//                   AAD = bytes 0..20 (the header without the IV) || canonical(encryption context)
//
// The IV is bound by GCM itself; the header and the context by the AAD. Nothing here touches key
// material: the blob is useless without the HSM key it names.

import { kmsError, K } from './errors.js';

export const FORMAT_V1 = 1;
export const HEADER_BYTES = 21;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export interface ParsedBlob {
  keyId: string;
  version: number;
  header: Buffer;
  iv: Buffer;
  body: Buffer;
}

export function uuidBytes(keyId: string): Buffer {
  return Buffer.from(keyId.replace(/-/g, ''), 'hex');
}

function uuidString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function header(keyId: string, version: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h[0] = FORMAT_V1;
  uuidBytes(keyId).copy(h, 1);
  h.writeUInt32BE(version, 17);
  return h;
}

export function assemble(hdr: Buffer, iv: Buffer, body: Buffer): Buffer {
  return Buffer.concat([hdr, iv, body]);
}

/** Parses without trusting: anything malformed is InvalidCiphertextException. */
export function parseBlob(blob: Buffer): ParsedBlob {
  if (blob.length < HEADER_BYTES + IV_BYTES + TAG_BYTES || blob[0] !== FORMAT_V1) {
    throw kmsError(K.invalidCiphertext, 'The ciphertext is not a ciphertext blob this KMS produced.');
  }
  const version = blob.readUInt32BE(17);
  return {
    keyId: uuidString(blob.subarray(1, 17)),
    version,
    header: blob.subarray(0, HEADER_BYTES),
    iv: blob.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES),
    body: blob.subarray(HEADER_BYTES + IV_BYTES),
  };
}

/**
 * Canonical encryption context: entries sorted by key (UTF-8 byte order), encoded as
 * u16 count, then per entry u16 len || key || u16 len || value. The empty context is 0x0000.
 */
export function canonicalContext(ctx: Record<string, string> | undefined): Buffer {
  const entries = Object.entries(ctx ?? {}).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const);
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  const parts: Buffer[] = [u16(entries.length)];
  for (const [k, v] of entries) parts.push(u16(k.length), k, u16(v.length), v);
  return Buffer.concat(parts);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
