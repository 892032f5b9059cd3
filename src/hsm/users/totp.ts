// TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 30-second steps, 6 digits, as authenticator apps
// use. Built on node:crypto's HMAC; pure (the caller passes the time). Also base32 (RFC 4648) for
// the otpauth:// URI. Must never log or return a seed except the one time it is enrolled.

import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Codes of one step before or after the HSM's clock are accepted (clock skew), as RFC 6238 §5.2 suggests. */
export const TOTP_WINDOW = 1;

/** HOTP (RFC 4226 §5.3): dynamic truncation of HMAC-SHA-1(seed, counter). */
export function hotp(seed: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', seed).update(msg).digest();
  const off = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[off]! & 0x7f) << 24) | (mac[off + 1]! << 16) | (mac[off + 2]! << 8) | mac[off + 3]!;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export function timeStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
}

export function totp(seed: Buffer, nowMs: number, digits = TOTP_DIGITS): string {
  return hotp(seed, timeStep(nowMs), digits);
}

/**
 * The time step a code matches within the window, or null. A step at or before lastStep is never
 * accepted, so each code (and any older one) works once (RFC 6238 §5.2).
 */
export function matchTotp(seed: Buffer, code: string, nowMs: number, lastStep: number): number | null {
  const now = timeStep(nowMs);
  for (let s = now - TOTP_WINDOW; s <= now + TOTP_WINDOW; s++) {
    if (s <= lastStep) continue;
    const want = Buffer.from(hotp(seed, s, code.length));
    const got = Buffer.from(code);
    if (want.length === got.length && timingSafeEqual(want, got)) return s;
  }
  return null;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(b: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(s: string): Buffer {
  const clean = s.replace(/=+$/, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const i = B32.indexOf(ch);
    if (i < 0) throw new Error('not base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** Key URI for authenticator apps (Google Authenticator's otpauth:// format). */
export function otpauthUri(issuer: string, account: string, seed: Buffer): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  return `otpauth://totp/${label}?secret=${base32Encode(seed)}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_STEP_SECONDS}`;
}
