// Test helpers for the mechanism suites: key builders, vector loading, and an `openssl` runner used
// as the independent implementation. Must never be imported by src/.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { HsmError, type CkrName } from '../../../src/protocol/errors.js';
import type { MechKey } from '../../../src/hsm/mechanisms/types.js';

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');

export function vectors<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../../vectors/${file}`, import.meta.url), 'utf8')) as T;
}

export function secretKey(raw: Buffer, keyType: 'aes' | 'generic-secret' = 'aes'): MechKey {
  return { class: 'secret-key', keyType, sizeBits: raw.length * 8, key: crypto.createSecretKey(raw) };
}

export interface Pair { priv: MechKey; pub: MechKey }

export function rsaPair(bits = 2048): Pair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    priv: { class: 'private-key', keyType: 'rsa', sizeBits: bits, key: privateKey },
    pub: { class: 'public-key', keyType: 'rsa', sizeBits: bits, key: publicKey },
  };
}

const NODE_CURVE = { secp256r1: 'prime256v1', secp384r1: 'secp384r1', secp521r1: 'secp521r1', secp256k1: 'secp256k1' } as const;
const CURVE_BITS = { secp256r1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256 } as const;
export type Curve = keyof typeof NODE_CURVE;
export const CURVES: Curve[] = ['secp256r1', 'secp384r1', 'secp521r1', 'secp256k1'];

export function ecPair(curve: Curve = 'secp256r1'): Pair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: NODE_CURVE[curve] });
  const base = { keyType: 'ec' as const, sizeBits: CURVE_BITS[curve], curve };
  return { priv: { ...base, class: 'private-key', key: privateKey }, pub: { ...base, class: 'public-key', key: publicKey } };
}

/** Asserts that `fn` throws (or rejects with) an HsmError with this code. */
export async function expectCode(fn: () => unknown, code: CkrName): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(HsmError);
  expect((caught as HsmError).code).toBe(code);
}

/** A scratch directory for openssl's files; call cleanup when done. */
export function scratch(): { dir: string; file: (name: string, data: Buffer | string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-mech-'));
  return {
    dir,
    file(name, data) {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs openssl; returns stdout, or throws with stderr on a non-zero exit. */
export function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** True when openssl exits 0 for these args (verification commands). */
export function opensslOk(args: string[]): boolean {
  try {
    openssl(args);
    return true;
  } catch {
    return false;
  }
}

export const pem = (k: MechKey): string =>
  k.class === 'private-key'
    ? (k.key.export({ format: 'pem', type: 'pkcs8' }) as string)
    : (k.key.export({ format: 'pem', type: 'spki' }) as string);
