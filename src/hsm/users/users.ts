// Users, roles, password login and lockout. Users live in the cluster store as sealed records
// `user/<name>`; passwords are kept only as scrypt hashes inside those records, and MFA state
// (token-sign public key, or the TOTP seed) and the quorum public key live there too, so every HSM
// of the cluster sees them. Must never log, return or audit a password, a hash or a TOTP seed.

import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { HsmError } from '../../protocol/errors.js';
import type { RoleName, UserDescription } from '../../protocol/operations.js';
import type { SealedStore } from '../barrier/sealed-store.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

/** The 5th consecutive failed login locks the account (the issue: "lockout after 5 failed logins"). */
export const MAX_FAILED_LOGINS = 5;
/** Users a cluster may hold (CloudHSM's HsmUsersMax: 1,024); creating one more is refused. */
export const MAX_USERS = 1024;
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export interface UserRecord {
  username: string;
  role: RoleName;
  /** Absent for the unactivated admin. */
  password?: { salt: string; hash: string; N: number; r: number; p: number };
  failedLogins: number;
  locked: boolean;
  /** Second factor: a token-sign public key (SPKI PEM), or a TOTP seed (base64) and the last step used. */
  mfa?: { strategy: 'token-sign'; publicKeyPem: string } | { strategy: 'totp'; seed: string; lastStep: number };
  /** Quorum approver key (token-sign); with token-sign MFA it is the same key. */
  quorumKeyPem?: string;
  /** Live MFA challenges (login or enrolment) issued to this user: the unsigned bytes and expiry (ms). */
  challenges?: Array<{ purpose: 'mfa-login' | 'mfa-enrol'; unsigned: string; expires: number }>;
  /** One-time login tickets for the cluster's other HSMs after an MFA login: SHA-256 hashes and expiry. */
  tickets?: Array<{ hash: string; expires: number }>;
}

export function describeUser(u: UserRecord): UserDescription {
  return {
    username: u.username,
    role: u.role,
    locked: u.locked ? 'true' : 'false',
    mfa: u.mfa ? [{ strategy: u.mfa.strategy, status: 'enabled' }] : [],
    quorum: u.quorumKeyPem ? [{ strategy: 'token-sign', status: 'enabled' }] : [],
    'cluster-coverage': 'full',
  };
}

export function userId(name: string): string {
  return `user/${name.toLowerCase()}`;
}

export async function hashPassword(password: string): Promise<UserRecord['password']> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, SCRYPT);
  return { salt: salt.toString('base64'), hash: hash.toString('base64'), N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p };
}

async function checkPassword(rec: UserRecord, password: string): Promise<boolean> {
  if (!rec.password) return false;
  const { salt, hash, N, r, p } = rec.password;
  const got = await scrypt(password, Buffer.from(salt, 'base64'), 32, { N, r, p, maxmem: 256 * 1024 * 1024 });
  const want = Buffer.from(hash, 'base64');
  return got.length === want.length && timingSafeEqual(got, want);
}

export class UserService {
  constructor(private readonly store: SealedStore) {}

  async get(name: string): Promise<{ rec: UserRecord; version: number } | undefined> {
    const r = await this.store.get(userId(name));
    if (!r) return undefined;
    return { rec: JSON.parse(r.value.toString('utf8')) as UserRecord, version: r.version };
  }

  async require(name: string, role?: RoleName): Promise<{ rec: UserRecord; version: number }> {
    const u = await this.get(name);
    if (!u || (role && u.rec.role !== role && !(role === 'admin' && u.rec.role === 'unactivated-admin'))) {
      throw new HsmError('CKR_STRONGROOM_NOT_FOUND', `user ${name.toLowerCase()}${role ? ` with role ${role}` : ''} does not exist`);
    }
    return u;
  }

  async list(): Promise<UserDescription[]> {
    const out: UserDescription[] = [];
    for (const r of await this.store.list('user/')) {
      if (!('value' in r)) continue; // tampered: reported by the store layer, skipped here
      const u = JSON.parse(r.value.toString('utf8')) as UserRecord;
      out.push(describeUser(u));
    }
    return out;
  }

  /** Users in the store, tampered records included (they hold their place until deleted). */
  async count(): Promise<number> {
    return this.store.count('user/');
  }

  async create(username: string, role: RoleName, password: string | undefined): Promise<void> {
    // Two HSMs creating at once may both pass this check: the cap can be overshot by a few, never far.
    if ((await this.count()) >= MAX_USERS) throw new HsmError('CKR_DEVICE_MEMORY', `the cluster already has ${MAX_USERS} users, the most it may hold; delete one first`);
    const rec: UserRecord = { username: username.toLowerCase(), role, failedLogins: 0, locked: false };
    if (password !== undefined) {
      const h = await hashPassword(password);
      if (h) rec.password = h;
    }
    try {
      await this.store.put(userId(username), Buffer.from(JSON.stringify(rec)), 0);
    } catch (e) {
      if (e instanceof HsmError && e.code === 'CKR_STRONGROOM_CONFLICT') {
        throw new HsmError('CKR_STRONGROOM_ALREADY_EXISTS', `user ${rec.username} already exists`);
      }
      throw e;
    }
  }

  async delete(username: string, role: RoleName): Promise<void> {
    const u = await this.require(username, role);
    await this.store.delete(userId(username), u.version);
  }

  /** Every user record (tampered ones skipped: the store layer reports them). */
  async all(): Promise<UserRecord[]> {
    const out: UserRecord[] = [];
    for (const r of await this.store.list('user/')) if ('value' in r) out.push(JSON.parse(r.value.toString('utf8')) as UserRecord);
    return out;
  }

  /** Sets a password; clears lockout (CloudHSM: an admin unlocks with change-password).
   * dropQuorum: an admin reset of an MFA user's password also drops its quorum registration (reference §3). */
  async setPassword(username: string, password: string, newRole?: RoleName, dropQuorum = false): Promise<UserRecord> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const u = await this.require(username);
      const h = await hashPassword(password);
      const rec: UserRecord = { ...u.rec, failedLogins: 0, locked: false };
      if (dropQuorum) delete rec.quorumKeyPem;
      if (h) rec.password = h;
      if (newRole) rec.role = newRole;
      try {
        await this.store.put(userId(username), Buffer.from(JSON.stringify(rec)), u.version);
        return rec;
      } catch (e) {
        if (!(e instanceof HsmError && e.code === 'CKR_STRONGROOM_CONFLICT')) throw e;
      }
    }
    throw new HsmError('CKR_STRONGROOM_CONFLICT', `user ${username} changed concurrently; try again`);
  }

  /** Password login with lockout. Errors never say whether the user exists beyond CloudHSM's wording. */
  async login(username: string, role: RoleName, password: string): Promise<UserRecord> {
    const u = await this.get(username);
    const roleOk = u && (u.rec.role === role || (role === 'admin' && u.rec.role === 'unactivated-admin'));
    if (!u || !roleOk) throw new HsmError('CKR_PIN_INCORRECT', 'Unable to log in: the username, role or password is incorrect');
    if (u.rec.role === 'unactivated-admin') {
      throw new HsmError('CKR_USER_PIN_NOT_INITIALIZED', 'the cluster is not activated: run cluster activate first');
    }
    if (u.rec.locked) throw new HsmError('CKR_PIN_LOCKED', `user ${u.rec.username} is locked after too many failed logins; an admin must change its password`);
    const ok = await checkPassword(u.rec, password);
    if (ok) {
      // With MFA the count is reset only once the second factor passes (loginSucceeded).
      if (u.rec.failedLogins > 0 && !u.rec.mfa) await this.update(username, (r) => ({ ...r, failedLogins: 0 }));
      return u.rec;
    }
    return this.loginFailed(username, 'the username, role or password is incorrect');
  }

  /** A whole login (password and second factor) passed: clears the failure count. */
  async loginSucceeded(username: string): Promise<void> {
    await this.update(username, (r) => (r.failedLogins > 0 ? { ...r, failedLogins: 0 } : r));
  }

  /** Counts one failed login (bad password or bad second factor) and throws; locks at the limit. */
  async loginFailed(username: string, why: string): Promise<never> {
    const after = await this.update(username, (r) => {
      const failed = r.failedLogins + 1;
      return { ...r, failedLogins: failed, locked: failed >= MAX_FAILED_LOGINS };
    });
    if (after.locked) throw new HsmError('CKR_PIN_LOCKED', `Unable to log in: user ${after.username} is now locked after ${after.failedLogins} failed logins`);
    throw new HsmError('CKR_PIN_INCORRECT', `Unable to log in: ${why}`);
  }

  /** Read-modify-write of one user record by compare-and-swap, retried on a lost race. */
  async update(username: string, f: (r: UserRecord) => UserRecord): Promise<UserRecord> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const u = await this.require(username);
      const next = f(u.rec);
      try {
        await this.store.put(userId(username), Buffer.from(JSON.stringify(next)), u.version);
        return next;
      } catch (e) {
        if (!(e instanceof HsmError && e.code === 'CKR_STRONGROOM_CONFLICT')) throw e;
      }
    }
    throw new HsmError('CKR_STRONGROOM_CONFLICT', `user ${username} changed concurrently; try again`);
  }
}
