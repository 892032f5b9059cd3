// Web console sessions and sign-in checks: the constant-time comparison of a secret access key,
// the in-memory session table (random 256-bit ids, 1 h idle and 12 h absolute expiry, gone on
// restart), and the per-source-IP throttle on failed sign-ins. Pure bookkeeping with an injected
// clock, no I/O. Never stores or returns a secret access key: a session holds the access key id
// and the identity only.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AwsIdentity } from '../../aws/server.js';

export const IDLE_MS = 60 * 60_000;
export const MAX_AGE_MS = 12 * 60 * 60_000;
/** Failed sign-ins allowed per source IP per window before sign-in answers 429. */
export const FAILURES_PER_WINDOW = 10;
export const FAILURE_WINDOW_MS = 60_000;
/** Bounds on memory: the oldest session (or throttle entry) goes first. */
const MAX_SESSIONS = 10_000;
const MAX_THROTTLED_IPS = 10_000;

/**
 * Whether `given` equals `expected`, in time independent of where they differ and of their
 * lengths: both are hashed to 32 bytes first, so timingSafeEqual always sees equal-length buffers.
 * With `expected` undefined (unknown key id) the same work is done against a dummy.
 */
export function secretMatches(expected: string | undefined, given: string): boolean {
  const a = createHash('sha256').update(expected ?? '\0no-such-key', 'utf8').digest();
  const b = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(a, b) && expected !== undefined;
}

export interface ConsoleSession {
  identity: AwsIdentity;
  createdAt: number;
  lastSeenAt: number;
}

export class SessionTable {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(private readonly now: () => number) {}

  /** A new session for `identity`; returns its id (64 hex digits). */
  create(identity: AwsIdentity): string {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('hex');
    const t = this.now();
    this.sessions.set(id, { identity, createdAt: t, lastSeenAt: t });
    return id;
  }

  /** The live session behind `id` (touching it), or undefined; an expired one is removed. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined || !/^[0-9a-f]{64}$/.test(id)) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.lastSeenAt > IDLE_MS || t - s.createdAt > MAX_AGE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeenAt = t;
    return s;
  }

  delete(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, s] of this.sessions) if (t - s.lastSeenAt > IDLE_MS || t - s.createdAt > MAX_AGE_MS) this.sessions.delete(id);
  }
}

/** Failed sign-ins per source IP in a sliding window. */
export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number, private readonly limit = FAILURES_PER_WINDOW, private readonly windowMs = FAILURE_WINDOW_MS) {}

  /** Seconds until `ip` may try again, or 0 when it may now. */
  retryAfter(ip: string): number {
    const recent = this.recent(ip);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - this.limit]! + this.windowMs - this.now()) / 1000));
  }

  fail(ip: string): void {
    const recent = this.recent(ip);
    recent.push(this.now());
    this.failures.delete(ip);
    this.failures.set(ip, recent);
    if (this.failures.size > MAX_THROTTLED_IPS) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  private recent(ip: string): number[] {
    const t = this.now();
    const list = (this.failures.get(ip) ?? []).filter((x) => t - x < this.windowMs);
    if (list.length === 0) this.failures.delete(ip);
    else this.failures.set(ip, list);
    return list;
  }
}
