// The b64 schema's check (a round trip, then the regex) accepts and refuses exactly what the
// regex ^[A-Za-z0-9+/]*={0,2}$ does, with the same message.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { b64, isBase64 } from '../../src/protocol/operations.js';

const RE = /^[A-Za-z0-9+/]*={0,2}$/;
const CASES = [
  '', 'QQ==', 'QQ=', 'QQ', 'QR==', 'Q===', '=', '==', '===', 'a=b', 'A-B_', 'ab c', 'abc\n', '\nabc', 'é', 'ab/+',
  'QQ==QQ==', 'abc=\u0000', randomBytes(1024).toString('base64'), randomBytes(1024).toString('base64url'),
];

describe('b64', () => {
  it('isBase64 agrees with the regex', () => {
    for (const s of CASES) expect(isBase64(s), JSON.stringify(s)).toBe(RE.test(s));
    const alphabet = 'AB+/=-_ \n!é0';
    for (let i = 0; i < 5000; i++) {
      let s = '';
      for (let j = (i * 7) % 23; j > 0; j--) s += alphabet[(i * 31 + j * 17) % alphabet.length];
      expect(isBase64(s), JSON.stringify(s)).toBe(RE.test(s));
    }
  });

  it('refuses bad input with "must be base64", and a long one with the size issue too', () => {
    const r = b64(16).safeParse('ab c');
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual(['must be base64']);
    const long = b64(16).safeParse('x'.repeat(40) + '!');
    expect(long.error?.issues.map((i) => i.message)).toHaveLength(2);
    expect(long.error?.issues[1]?.message).toBe('must be base64');
    expect(b64(16).safeParse('QQ==').success).toBe(true);
  });
});
