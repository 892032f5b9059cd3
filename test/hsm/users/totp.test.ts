// TOTP against RFC 6238 Appendix B (SHA-1 rows, 8 digits, seed "12345678901234567890"), and the
// one-use rule of matchTotp. Vectors from RFC 6238 §B, quoted in test/vectors/README.md.

import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, timeStep, totp } from '../../../src/hsm/users/totp.js';

const SEED = Buffer.from('12345678901234567890');
const RFC6238_SHA1: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(RFC6238_SHA1)('T=%i gives %s', (t, code) => {
    expect(totp(SEED, t * 1000, 8)).toBe(code);
  });
  it('HOTP matches RFC 4226 Appendix D', () => {
    expect([0, 1, 2, 9].map((c) => hotp(SEED, c))).toEqual(['755224', '287082', '359152', '520489']);
  });
  it('accepts the current step and one either side, once each', () => {
    const now = 1_700_000_000_000;
    const s = timeStep(now);
    expect(matchTotp(SEED, totp(SEED, now), now, 0)).toBe(s);
    expect(matchTotp(SEED, totp(SEED, now - 30_000), now, 0)).toBe(s - 1);
    expect(matchTotp(SEED, totp(SEED, now), now, s)).toBeNull(); // replay
    expect(matchTotp(SEED, totp(SEED, now - 90_000), now, 0)).toBeNull(); // stale
    expect(matchTotp(SEED, totp(SEED, now - 30_000), now, s)).toBeNull(); // older than the last used
  });
  it('base32 round-trips and the otpauth URI carries the seed', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Decode('MZXW6YTBOI').toString()).toBe('foobar');
    expect(otpauthUri('Strongroom', 'alice', SEED)).toMatch(/^otpauth:\/\/totp\/Strongroom%3Aalice\?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Strongroom&algorithm=SHA1&digits=6&period=30$/);
  });
});
