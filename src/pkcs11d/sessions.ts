// Sessions and login (PKCS#11 §5.6–5.7). One Connection per library socket holds ONE
// StrongroomClient, so HSM login state is per application: its sessions share it, and another
// application's C_Login never logs this one in. Sessions hold operation state (find, crypto,
// kept results). Never keeps a PIN: only a salted digest of the password, for C_SetPIN's check.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { StrongroomClient, type ClientConfig } from '../client/client.js';
import type { MechParams } from '../protocol/operations.js';
import { CKF, CKS, CKU } from './constants.js';
import { fail, rvName } from './errors.js';
import { ObjectTable } from './objects.js';
import { checkSlot, SLOT_ID } from './slots.js';

export type CryptoKind = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'digest';

export interface CryptoOp {
  mech: string;
  params: MechParams;
  ref: string | undefined;
  /** Input accumulated by *Update calls (sent to the HSM in one call at *Final). */
  parts: Buffer[];
  length: number;
  /** Set by the first *Update: a single-part call is then out of sequence. */
  multi: boolean;
  /** The result computed by a size query, returned by the next call (the size-query convention). */
  kept: Buffer | undefined;
}

export interface FindOp {
  handles: number[];
}

export class Session {
  readonly ops: Partial<Record<CryptoKind, CryptoOp>> = {};
  find: FindOp | undefined;
  /** C_WrapKey's kept result, by its arguments. */
  keptWrap: { key: string; result: Buffer } | undefined;
  constructor(readonly handle: number, readonly flags: number) {}
  get rw(): boolean {
    return (this.flags & CKF.RW_SESSION) !== 0;
  }
  clearOps(): void {
    for (const k of Object.keys(this.ops) as CryptoKind[]) delete this.ops[k];
    this.find = undefined;
    this.keptWrap = undefined;
  }
}

const USERNAME_RE = /^[A-Za-z0-9_]{1,31}$/;

/** One library connection (one application process). */
export class Connection {
  readonly sessions = new Map<number, Session>();
  readonly objects = new ObjectTable(this);
  private nextSession = 1;
  private clientP: Promise<StrongroomClient> | undefined;
  private user: { username: string; salt: Buffer; digest: Buffer } | undefined;
  private closed = false;

  constructor(private readonly config: ClientConfig) {}

  /** The connection's own client, connected on first use. */
  client(): Promise<StrongroomClient> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    this.clientP ??= StrongroomClient.connect(this.config).catch((e: unknown) => {
      this.clientP = undefined;
      throw e;
    });
    return this.clientP;
  }
  get loggedIn(): boolean {
    return this.user !== undefined;
  }
  get username(): string | undefined {
    return this.user?.username;
  }

  session(handle: number): Session {
    const s = this.sessions.get(handle);
    if (!s) fail('CKR_SESSION_HANDLE_INVALID', `session ${handle} does not exist`);
    return s;
  }
  requireLogin(): void {
    if (!this.user) fail('CKR_USER_NOT_LOGGED_IN', 'log in first (C_Login with CKU_USER and the PIN "user:password")');
  }

  open(slot: number, flags: number): number {
    checkSlot(slot);
    if ((flags & CKF.SERIAL_SESSION) === 0) fail('CKR_SESSION_PARALLEL_NOT_SUPPORTED', 'CKF_SERIAL_SESSION must be set');
    const h = this.nextSession++;
    this.sessions.set(h, new Session(h, flags & (CKF.RW_SESSION | CKF.SERIAL_SESSION)));
    return h;
  }

  async close(handle: number): Promise<void> {
    this.session(handle);
    this.sessions.delete(handle);
    await this.objects.dropSessionObjects(handle);
    // PKCS#11 §5.6: closing the application's last session returns it to the public state.
    if (this.sessions.size === 0 && this.user) await this.logoutHsm();
  }

  async closeAll(slot: number): Promise<void> {
    checkSlot(slot);
    for (const h of [...this.sessions.keys()]) await this.close(h);
  }

  info(handle: number): { slot: number; state: number; flags: number } {
    const s = this.session(handle);
    const state = this.user
      ? s.rw ? CKS.RW_USER_FUNCTIONS : CKS.RO_USER_FUNCTIONS
      : s.rw ? CKS.RW_PUBLIC_SESSION : CKS.RO_PUBLIC_SESSION;
    return { slot: SLOT_ID, state, flags: s.flags };
  }

  async login(handle: number, userType: number, pin: Buffer): Promise<void> {
    this.session(handle);
    if (userType === CKU.SO) fail('CKR_USER_TYPE_INVALID', 'CKU_SO is not supported: admins do not use keys; log in as a crypto user (CKU_USER)');
    if (userType === CKU.CONTEXT_SPECIFIC) {
      if (!this.user) fail('CKR_USER_NOT_LOGGED_IN', 'CKU_CONTEXT_SPECIFIC needs a logged-in user');
      fail('CKR_OPERATION_NOT_INITIALIZED', 'no key needs CKA_ALWAYS_AUTHENTICATE');
    }
    if (userType !== CKU.USER) fail('CKR_USER_TYPE_INVALID', `user type ${userType} is not CKU_USER`);
    if (this.user) fail('CKR_USER_ALREADY_LOGGED_IN', `already logged in as ${this.user.username}`);
    const text = pin.toString('utf8');
    const colon = text.indexOf(':');
    const username = colon < 0 ? '' : text.slice(0, colon);
    const password = colon < 0 ? '' : text.slice(colon + 1);
    if (!USERNAME_RE.test(username) || password.length < 1 || password.length > 128) {
      fail('CKR_PIN_INCORRECT', 'the PIN must be "<crypto user>:<password>"');
    }
    const c = await this.client();
    try {
      await c.login(username, 'crypto-user', password);
    } catch (e) {
      // The HSM refuses unknown fields as CKR_ARGUMENTS_BAD; to the application that is a bad PIN.
      if (rvName(e) === 'CKR_ARGUMENTS_BAD') fail('CKR_PIN_INCORRECT', 'the PIN is not a valid "<crypto user>:<password>"');
      throw e;
    }
    const salt = randomBytes(16);
    this.user = { username: username.toLowerCase(), salt, digest: digest(salt, password) };
  }

  async logout(handle: number): Promise<void> {
    this.session(handle);
    if (!this.user) fail('CKR_USER_NOT_LOGGED_IN', 'not logged in');
    await this.logoutHsm();
  }

  /** C_SetPIN: changes the logged-in crypto user's own password. */
  async setPin(handle: number, oldPin: Buffer, newPin: Buffer): Promise<void> {
    const s = this.session(handle);
    this.requireLogin();
    if (!s.rw) fail('CKR_SESSION_READ_ONLY', 'C_SetPIN needs a read/write session');
    const pw = (b: Buffer) => {
      const t = b.toString('utf8');
      const i = t.indexOf(':');
      return i < 0 ? t : t.slice(i + 1);
    };
    const u = this.user!;
    const given = digest(u.salt, pw(oldPin));
    if (!timingSafeEqual(given, u.digest)) fail('CKR_PIN_INCORRECT', 'the old PIN is not correct');
    const next = pw(newPin);
    if (next.length < 8 || next.length > 32) fail('CKR_PIN_LEN_RANGE', 'passwords are 8 to 32 characters');
    await (await this.client()).call('user.changePassword', { username: u.username, role: 'crypto-user', password: next });
    this.user = { username: u.username, salt: u.salt, digest: digest(u.salt, next) };
  }

  private async logoutHsm(): Promise<void> {
    this.user = undefined;
    for (const s of this.sessions.values()) s.clearOps();
    this.objects.forgetSessionObjects();
    const c = await this.client();
    await c.call('logout', {});
  }

  /** The socket closed: every session ends and the HSM connections close (their login with them). */
  async shutdown(): Promise<void> {
    this.sessions.clear();
    const p = this.clientP;
    this.closed = true;
    this.clientP = undefined;
    this.user = undefined;
    if (!p) return;
    const c = await p.catch(() => undefined);
    c?.close();
  }
}

function digest(salt: Buffer, password: string): Buffer {
  return createHash('sha256').update(salt).update(password, 'utf8').digest();
}
