// Barrier and at-rest sealing: round trips, and one negative test per way a sealed blob can be
// altered, moved or misattributed (each must be CKR_STRONGROOM_RECORD_TAMPERED, never plaintext).

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../../../src/hsm/barrier/barrier.js';
import { SEAL_OVERHEAD } from '../../../src/hsm/barrier/format.js';
import { openWithKey, sealWithKey } from '../../../src/hsm/barrier/keyseal.js';
import { HsmError } from '../../../src/protocol/errors.js';

const key = randomBytes(32);
const barrier = new Barrier(key, 'cluster-1');
const plaintext = Buffer.from('a secret key record');

function tampered(fn: () => unknown): HsmError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(HsmError);
  expect((caught as HsmError).code).toBe('CKR_STRONGROOM_RECORD_TAMPERED');
  return caught as HsmError;
}

describe('Barrier', () => {
  it('round-trips, with format byte 0x01 and 29 bytes of overhead', () => {
    const sealed = barrier.seal('key/1', 3, plaintext);
    expect(sealed[0]).toBe(0x01);
    expect(sealed.length).toBe(plaintext.length + SEAL_OVERHEAD);
    expect(barrier.open('key/1', 3, sealed).equals(plaintext)).toBe(true);
    expect(barrier.open('key/1', 3, new Uint8Array(sealed)).equals(plaintext)).toBe(true);
  });

  it('round-trips an empty plaintext and uses a fresh IV each time', () => {
    const a = barrier.seal('r', 1, Buffer.alloc(0));
    const b = barrier.seal('r', 1, Buffer.alloc(0));
    expect(a.equals(b)).toBe(false);
    expect(barrier.open('r', 1, a).length).toBe(0);
  });

  it('a flip of any single byte is CKR_STRONGROOM_RECORD_TAMPERED', () => {
    const sealed = barrier.seal('key/1', 1, plaintext);
    for (let i = 0; i < sealed.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const bad = Buffer.from(sealed);
        bad[i]! ^= mask;
        tampered(() => barrier.open('key/1', 1, bad));
      }
    }
  });

  it('truncated, extended, empty or short blobs are CKR_STRONGROOM_RECORD_TAMPERED', () => {
    const sealed = barrier.seal('key/1', 1, plaintext);
    for (let len = 0; len < sealed.length; len++) tampered(() => barrier.open('key/1', 1, sealed.subarray(0, len)));
    tampered(() => barrier.open('key/1', 1, Buffer.concat([sealed, Buffer.of(0)])));
    expect(tampered(() => barrier.open('key/1', 1, Buffer.alloc(5))).message).toMatch(/too short/);
  });

  it('an unknown format byte is refused by name', () => {
    const sealed = barrier.seal('key/1', 1, plaintext);
    sealed[0] = 0x02;
    expect(tampered(() => barrier.open('key/1', 1, sealed)).message).toBe(
      'sealed record key/1 v1 failed to open: unknown format byte 0x02',
    );
  });

  it('a record moved to another id fails to open', () => {
    const sealed = barrier.seal('key/1', 1, plaintext);
    tampered(() => barrier.open('key/2', 1, sealed));
    tampered(() => barrier.open('user/1', 1, sealed));
  });

  it('a record presented as another version fails to open', () => {
    const sealed = barrier.seal('key/1', 2, plaintext);
    const err = tampered(() => barrier.open('key/1', 3, sealed));
    expect(err.message).toMatch(/^sealed record key\/1 v3 failed to open: /);
    tampered(() => barrier.open('key/1', 1, sealed));
    tampered(() => barrier.open('key/1', 0, sealed));
    tampered(() => barrier.open('key/1', 2 + 2 ** 32, sealed));
  });

  it('length prefixes stop fields shifting between cluster id and record id', () => {
    const a = new Barrier(key, 'ab');
    const b = new Barrier(key, 'a');
    const sealed = a.seal('c', 1, plaintext);
    tampered(() => b.open('bc', 1, sealed));
  });

  it('another cluster (same key, other cluster id) cannot open the record', () => {
    const sealed = barrier.seal('key/1', 1, plaintext);
    tampered(() => new Barrier(key, 'cluster-2').open('key/1', 1, sealed));
  });

  it('another domain key cannot open the record', () => {
    const sealed = barrier.seal('key/1', 1, plaintext);
    tampered(() => new Barrier(randomBytes(32), 'cluster-1').open('key/1', 1, sealed));
  });

  it('keeps its own copy of the domain key', () => {
    const k = randomBytes(32);
    const b = new Barrier(k, 'c');
    const sealed = b.seal('r', 1, plaintext);
    k.fill(0);
    expect(b.open('r', 1, sealed).equals(plaintext)).toBe(true);
  });

  it('destroy() zeroises the key; later use is CKR_STRONGROOM_STATE', () => {
    const b = new Barrier(randomBytes(32), 'c');
    const sealed = b.seal('r', 1, plaintext);
    b.destroy();
    expect(() => b.open('r', 1, sealed)).toThrow(expect.objectContaining({ code: 'CKR_STRONGROOM_STATE' }));
    expect(() => b.seal('r', 1, plaintext)).toThrow(expect.objectContaining({ code: 'CKR_STRONGROOM_STATE' }));
  });

  it('rejects bad constructor and seal arguments with CKR_ARGUMENTS_BAD', () => {
    const bad = expect.objectContaining({ code: 'CKR_ARGUMENTS_BAD' });
    expect(() => new Barrier(randomBytes(16), 'c')).toThrow(bad);
    expect(() => new Barrier(randomBytes(32), '')).toThrow(bad);
    expect(() => barrier.seal('r', 0, plaintext)).toThrow(bad);
    expect(() => barrier.seal('r', 1.5, plaintext)).toThrow(bad);
    expect(() => barrier.seal('', 1, plaintext)).toThrow(bad);
  });

  it('error messages never carry plaintext or key bytes', () => {
    const secret = Buffer.from('TOP-SECRET-PLAINTEXT');
    const sealed = barrier.seal('key/1', 1, secret);
    const err = tampered(() => barrier.open('key/2', 1, sealed));
    expect(err.message).not.toContain('TOP-SECRET');
    expect(err.message).not.toContain(key.toString('hex'));
  });
});

describe('sealWithKey / openWithKey', () => {
  const storageKey = randomBytes(32);
  const domainKey = randomBytes(32);

  it('round-trips in the v1 format', () => {
    const sealed = sealWithKey(storageKey, 'domain-key:cluster-1', domainKey);
    expect(sealed[0]).toBe(0x01);
    expect(sealed.length).toBe(32 + SEAL_OVERHEAD);
    expect(openWithKey(storageKey, 'domain-key:cluster-1', sealed).equals(domainKey)).toBe(true);
  });

  it('a flip of any byte, a wrong context or a wrong key is CKR_STRONGROOM_RECORD_TAMPERED', () => {
    const sealed = sealWithKey(storageKey, 'device-key', domainKey);
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 0x04;
      tampered(() => openWithKey(storageKey, 'device-key', bad));
    }
    tampered(() => openWithKey(storageKey, 'domain-key:cluster-1', sealed));
    tampered(() => openWithKey(randomBytes(32), 'device-key', sealed));
    tampered(() => openWithKey(storageKey, 'device-key', sealed.subarray(0, 10)));
  });

  it('a record sealed by the barrier does not open as an at-rest blob under the same key, nor the reverse', () => {
    const b = new Barrier(storageKey, 'x');
    tampered(() => openWithKey(storageKey, 'x', b.seal('r', 1, plaintext)));
    tampered(() => b.open('r', 1, sealWithKey(storageKey, 'r', plaintext)));
  });

  it('rejects a key that is not 32 bytes', () => {
    expect(() => sealWithKey(randomBytes(31), 'c', plaintext)).toThrow(
      expect.objectContaining({ code: 'CKR_ARGUMENTS_BAD' }),
    );
  });
});
