// The b64 schemas' check (a round trip, then the regex) accepts and refuses exactly what the
// regex ^[A-Za-z0-9+/]*={0,2}$ does, with the same message; b64 parses to the bytes
// Buffer.from(s, 'base64') makes, b64Text keeps the text.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { b64, b64Text, decodeBase64, isBase64 } from '../../src/protocol/operations.js';

const RE = /^[A-Za-z0-9+/]*={0,2}$/;
const CASES = [
  '', 'QQ==', 'QQ=', 'QQ', 'QR==', 'Q===', '=', '==', '===', 'a=b', 'A-B_', 'ab c', 'abc\n', '\nabc', 'é', 'ab/+',
  'QQ==QQ==', 'abc=\u0000', randomBytes(1024).toString('base64'), randomBytes(1024).toString('base64url'),
];

describe('b64', () => {
  it('isBase64 agrees with the regex', () => {
    for (const s of CASES) agrees(s);
    const alphabet = 'AB+/=-_ \n!é0';
    for (let i = 0; i < 5000; i++) {
      let s = '';
      for (let j = (i * 7) % 23; j > 0; j--) s += alphabet[(i * 31 + j * 17) % alphabet.length];
      agrees(s);
    }
  });

  function agrees(s: string): void {
    const ok = RE.test(s);
    expect(isBase64(s), JSON.stringify(s)).toBe(ok);
    const bytes = decodeBase64(s);
    if (ok) expect(bytes?.equals(Buffer.from(s, 'base64')), JSON.stringify(s)).toBe(true);
    else expect(bytes, JSON.stringify(s)).toBeUndefined();
    const parsed = b64(4096).safeParse(s);
    expect(parsed.success, JSON.stringify(s)).toBe(ok);
    if (parsed.success) expect(Buffer.isBuffer(parsed.data) && parsed.data.equals(Buffer.from(s, 'base64'))).toBe(true);
    const text = b64Text(4096).safeParse(s);
    expect(text.success, JSON.stringify(s)).toBe(ok);
    if (text.success) expect(text.data).toBe(s);
  }

  for (const [name, schema] of [['b64', b64], ['b64Text', b64Text]] as const) {
    it(`${name} refuses bad input with "must be base64", and a long one with the size issue too`, () => {
      const r = schema(16).safeParse('ab c');
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.message)).toEqual(['must be base64']);
      const long = schema(16).safeParse('x'.repeat(40) + '!');
      expect(long.error?.issues.map((i) => i.message)).toHaveLength(2);
      expect(long.error?.issues[0]?.code).toBe('too_big');
      expect(long.error?.issues[1]?.message).toBe('must be base64');
      const nested = z.object({ p: z.object({ q: schema(16) }) }).safeParse({ p: { q: '!!' } });
      expect(nested.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['p.q', 'must be base64']]);
      expect(schema(16).safeParse('QQ==').success).toBe(true);
    });
  }
});
