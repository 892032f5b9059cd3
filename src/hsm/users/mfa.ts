// Multi-factor authentication: token-sign (CloudHSM's strategy: the user signs an HSM challenge with
// an RSA key kept off the HSM) and TOTP (RFC 6238, beyond CloudHSM). Challenges, the TOTP seed and
// its last used step, and one-time tickets live in the sealed user record: every HSM sees them.
// Must never return a seed except at enrolment, never log a code, ticket or signature, and never
// let one challenge, ticket or TOTP step be used twice.

import { randomBytes } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { TokenFile } from '../../protocol/operations.js';
import type { UserRecord, UserService } from './users.js';
import { newUnsigned, sameBytes, sha256, tokenFile, verifyToken } from './tokens.js';
import { matchTotp, otpauthUri, timeStep } from './totp.js';

/** Live challenges kept per user (several clients may be logging in at once). */
const MAX_CHALLENGES = 8;
/** How long the one-time tickets for the other HSMs of a cluster live after an MFA login. */
export const TICKET_TTL_MS = 60_000;
const MAX_TICKETS = 32;

export interface MfaOptions {
  /** The HSM's clock (ms); tests shift it with STRONGROOM_TEST_CLOCK_OFFSET_MS. */
  now: () => number;
  /** Lifetime of a challenge (default 10 minutes, as quorum tokens). */
  challengeTtlMs: number;
}

function prune<T extends { expires: number }>(xs: T[] | undefined, now: number): T[] {
  return (xs ?? []).filter((x) => x.expires > now);
}

export class MfaService {
  constructor(private readonly users: UserService, private readonly opts: MfaOptions) {}

  /** Issues a challenge token to sign, kept in the user's record until used or expired. */
  async challenge(username: string, purpose: 'mfa-login' | 'mfa-enrol'): Promise<TokenFile> {
    const unsigned = newUnsigned(purpose);
    const now = this.opts.now();
    await this.users.update(username, (r) => ({
      ...r,
      challenges: [...prune(r.challenges, now), { purpose, unsigned: unsigned.toString('base64'), expires: now + this.opts.challengeTtlMs }].slice(-MAX_CHALLENGES),
    }));
    return tokenFile([{ unsigned }]);
  }

  /**
   * Checks a signed challenge file against pem and consumes the challenge it answers. Returns a
   * reason when it fails (the caller counts it as a failed login), never throws for a bad token.
   */
  async useChallenge(username: string, purpose: 'mfa-login' | 'mfa-enrol', file: TokenFile, pem: string): Promise<string | null> {
    const signed = file.tokens.filter((t) => t.signed !== '');
    if (signed.length === 0) return 'the token file has no signed token';
    const now = this.opts.now();
    let why: string | null = 'the token does not answer a live challenge (expired, already used, or not issued)';
    let matched = false;
    await this.users.update(username, (r) => {
      why = 'the token does not answer a live challenge (expired, already used, or not issued)';
      const all = r.challenges ?? [];
      for (const t of signed) {
        const bytes = Buffer.from(t.unsigned, 'base64');
        const c = all.find((x) => x.purpose === purpose && sameBytes(Buffer.from(x.unsigned, 'base64'), bytes));
        if (!c) continue;
        if (c.expires <= now) {
          why = 'the token has expired; ask for a new one';
          continue;
        }
        if (!verifyToken(pem, bytes, t.signed)) {
          why = 'the token signature does not verify with the MFA public key';
          continue;
        }
        matched = true;
        why = null;
        return { ...r, challenges: prune(all.filter((x) => x !== c), now) };
      }
      // Used-up or expired challenges go either way; a failed signature leaves the challenge alive.
      return { ...r, challenges: prune(all, now) };
    });
    return matched ? null : why;
  }

  /** TOTP: accepts a code of the current step (±1) newer than the last one used, and records its step. */
  async useTotp(username: string, code: string): Promise<string | null> {
    const now = this.opts.now();
    let why: string | null = 'the TOTP code is wrong or stale';
    await this.users.update(username, (r) => {
      if (r.mfa?.strategy !== 'totp') return r;
      const step = matchTotp(Buffer.from(r.mfa.seed, 'base64'), code, now, r.mfa.lastStep);
      if (step === null) return r;
      why = null;
      return { ...r, mfa: { ...r.mfa, lastStep: step } };
    });
    return why;
  }

  /** After an MFA login on one HSM: one-time tickets so the client can open its sessions on the others. */
  async issueTickets(username: string, count: number): Promise<string[]> {
    if (count <= 0) return [];
    const now = this.opts.now();
    const tickets = Array.from({ length: Math.min(count, 16) }, () => randomBytes(32));
    await this.users.update(username, (r) => ({
      ...r,
      tickets: [...prune(r.tickets, now), ...tickets.map((t) => ({ hash: sha256(t).toString('base64'), expires: now + TICKET_TTL_MS }))].slice(-MAX_TICKETS),
    }));
    return tickets.map((t) => t.toString('base64'));
  }

  async useTicket(username: string, ticket: Buffer): Promise<string | null> {
    const now = this.opts.now();
    const h = sha256(ticket);
    let ok = false;
    await this.users.update(username, (r) => {
      const live = prune(r.tickets, now);
      const hit = live.find((t) => sameBytes(Buffer.from(t.hash, 'base64'), h));
      ok = hit !== undefined;
      return { ...r, tickets: live.filter((t) => t !== hit) };
    });
    return ok ? null : 'the login ticket is not valid (expired or already used)';
  }

  /** Enrols TOTP: a fresh 20-byte seed (RFC 4226's recommended length); returns the URI once. */
  async enrolTotp(username: string, issuer: string): Promise<{ uri: string; seed: Buffer }> {
    const seed = randomBytes(20);
    const now = this.opts.now();
    await this.users.update(username, (r) => {
      const next: UserRecord = { ...r, mfa: { strategy: 'totp', seed: seed.toString('base64'), lastStep: timeStep(now) - 2 } };
      if (r.mfa?.strategy === 'token-sign') delete next.quorumKeyPem; // removing token-sign MFA drops its quorum key
      return next;
    });
    return { uri: otpauthUri(issuer, username, seed), seed };
  }
}

export function requireNoKmsUser(username: string): void {
  if (username.toLowerCase() === 'kmsuser') {
    throw new HsmError('CKR_ACTION_PROHIBITED', 'kmsuser must not have MFA: KMS logs in as kmsuser with a password alone');
  }
}
