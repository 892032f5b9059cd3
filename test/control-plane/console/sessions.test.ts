// The console's session table and sign-in throttle with a hand-moved clock: ids are 256-bit and
// unguessable, a session ends after 1 h idle or 12 h in all, deletion ends it; failed sign-ins
// beyond 10 a minute per address wait, other addresses do not; the secret comparison.

import { describe, expect, it } from 'vitest';
import { IDLE_MS, MAX_AGE_MS, SessionTable, SignInThrottle, secretMatches } from '../../../src/control-plane/console/sessions.js';
import type { AwsIdentity } from '../../../src/aws/server.js';

const who: AwsIdentity = { type: 'Root', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:root', userName: 'acme', principalId: '111122223333', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' };

describe('console sessions', () => {
  it('issues random 256-bit ids and looks them up', () => {
    const t = new SessionTable(() => 0);
    const a = t.create(who);
    const b = t.create(who);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect(t.get(a)?.identity).toBe(who);
    expect(t.get(undefined)).toBeUndefined();
    expect(t.get('0'.repeat(64))).toBeUndefined();
    expect(t.get(a.toUpperCase())).toBeUndefined();
  });

  it('ends a session after an hour idle', () => {
    let now = 0;
    const t = new SessionTable(() => now);
    const id = t.create(who);
    now = IDLE_MS - 1;
    expect(t.get(id)).toBeDefined();
    now += IDLE_MS + 1;
    expect(t.get(id)).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('ends a session after 12 hours however busy', () => {
    let now = 0;
    const t = new SessionTable(() => now);
    const id = t.create(who);
    for (now = 0; now < MAX_AGE_MS; now += IDLE_MS / 2) expect(t.get(id)).toBeDefined();
    now = MAX_AGE_MS + 1;
    expect(t.get(id)).toBeUndefined();
  });

  it('ends a session on delete (sign-out)', () => {
    const t = new SessionTable(() => 0);
    const id = t.create(who);
    t.delete(id);
    expect(t.get(id)).toBeUndefined();
  });
});

describe('console sign-in throttle', () => {
  it('lets 10 failures a minute through per address, then asks it to wait', () => {
    let now = 0;
    const th = new SignInThrottle(() => now);
    for (let i = 0; i < 10; i++) {
      expect(th.retryAfter('10.0.0.1')).toBe(0);
      th.fail('10.0.0.1');
      now += 1000;
    }
    expect(th.retryAfter('10.0.0.1')).toBe(50);
    expect(th.retryAfter('10.0.0.2')).toBe(0);
    now = 60_001;
    expect(th.retryAfter('10.0.0.1')).toBe(0);
  });
});

describe('secret comparison', () => {
  it('matches only the exact secret, of any length, and never an unknown key', () => {
    expect(secretMatches('abc', 'abc')).toBe(true);
    expect(secretMatches('abc', 'abd')).toBe(false);
    expect(secretMatches('abc', 'abcd')).toBe(false);
    expect(secretMatches('abc', '')).toBe(false);
    expect(secretMatches(undefined, '\0no-such-key')).toBe(false);
  });
});
