// Quorum (M of N) authentication, token-sign strategy (reference §3). A requester generates a token
// (`quorum/<id>` sealed in the cluster store, so any HSM of the cluster accepts it); approvers sign
// its unsigned bytes off the HSM with their registered keys; the guarded command carries the signed
// file (`--approval`) and spends the token. Quorum values per service live in `cluster/quorum-values`.
// Must never count an approval it did not verify against a registered key of an eligible user,
// count one approver twice, or let a token be spent twice.

import { randomBytes } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { QuorumServiceName, QuorumTokenDescription, RoleName, TokenFile, TokenServiceName } from '../../protocol/operations.js';
import type { SealedStore } from '../barrier/sealed-store.js';
import type { AuditLog } from '../audit/log.js';
import type { UserRecord, UserService } from './users.js';
import { sha256, tokenFile, verifyToken } from './tokens.js';

export const VALUES_ID = 'cluster/quorum-values';
export const DEFAULT_TOKEN_TTL_MS = 10 * 60_000;
/** An HSM stores at most 1024 tokens (expired ones are purged to make room). */
export const MAX_LIVE_TOKENS = 1024;
/** Services with one active token per user (CloudHSM: the admin services); registration too. */
const ONE_PER_USER = new Set<TokenServiceName>(['user', 'quorum', 'cluster', 'registration']);
export const ADMIN_SERVICES = ['user', 'quorum', 'cluster'] as const;
export type AdminService = (typeof ADMIN_SERVICES)[number];
export type QuorumValues = Record<AdminService, number>;

interface TokenRecord {
  id: string;
  service: TokenServiceName;
  username: string;
  role: RoleName;
  /** base64 of the JSON the approvers sign for (its SHA-256 is `unsigned`). */
  approvalData: string;
  unsigned: string;
  issued: number;
  expires: number;
  /** Approvers whose signature has been verified for this token (each counts once). */
  approvals: string[];
  /** Set while a guarded command that spends the token runs; the token is deleted when it succeeds. */
  spentAt?: number;
}

export interface Requester {
  username: string;
  role: RoleName;
}

/** What authorise() hands back: commit when the command succeeds, release when it fails. */
export interface Grant {
  commit(): Promise<void>;
  release(): Promise<void>;
}
/** What authorise returns when no approval is required: nothing to commit or release. */
export const NO_GRANT: Grant = { commit: async () => undefined, release: async () => undefined };

export interface QuorumOptions {
  clusterId: string;
  now: () => number;
  tokenTtlMs: number;
}

function tokenId(unsigned: Buffer): string {
  return `quorum/${unsigned.toString('hex')}`;
}

export class QuorumService {
  constructor(
    private readonly store: SealedStore,
    private readonly users: UserService,
    private readonly audit: AuditLog,
    private readonly opts: QuorumOptions,
  ) {}

  private log(who: Requester | null, op: string, result: string, detail: Record<string, string | number | boolean>): void {
    try {
      this.audit.append({ user: who?.username ?? null, role: who?.role ?? null, op, result, detail });
    } catch {
      // The request's own audit records report a broken log; a quorum event alone never fails a request.
    }
  }

  async values(): Promise<QuorumValues> {
    const r = await this.store.get(VALUES_ID);
    const v = r ? (JSON.parse(r.value.toString('utf8')) as Partial<QuorumValues>) : {};
    return { user: v.user ?? 1, quorum: v.quorum ?? 1, cluster: v.cluster ?? 1 };
  }

  /** Sets M for an admin service. The `quorum` value must stay at least the `user` value (reference §3). */
  async setValue(service: AdminService, value: number): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await this.store.get(VALUES_ID);
      const cur = await this.values();
      const next = { ...cur, [service]: value };
      if (next.quorum < next.user) {
        throw new HsmError('CKR_ACTION_PROHIBITED', service === 'user'
          ? `set the quorum service's value to at least ${value} before raising the user service's value (it is ${cur.quorum})`
          : `the quorum service's value cannot go below the user service's value (${cur.user})`);
      }
      if (value >= 2) {
        const approvers = (await this.users.all()).filter((u) => u.role === 'admin' && u.quorumKeyPem).length;
        if (approvers < value) {
          throw new HsmError('CKR_ACTION_PROHIBITED', `only ${approvers} admins have a registered quorum key: register at least ${value} before setting the value to ${value}`);
        }
      }
      try {
        await this.store.put(VALUES_ID, Buffer.from(JSON.stringify(next)), r?.version ?? 0);
        return;
      } catch (e) {
        if (!(e instanceof HsmError && e.code === 'CKR_STRONGROOM_CONFLICT')) throw e;
      }
    }
    throw new HsmError('CKR_STRONGROOM_CONFLICT', 'quorum values changed concurrently; try again');
  }

  private async tokens(): Promise<Array<{ rec: TokenRecord; version: number }>> {
    const out: Array<{ rec: TokenRecord; version: number }> = [];
    for (const r of await this.store.list('quorum/')) if ('value' in r) out.push({ rec: JSON.parse(r.value.toString('utf8')) as TokenRecord, version: r.version });
    return out;
  }

  /** Deletes expired tokens (audited as expired). */
  private async purge(): Promise<Array<{ rec: TokenRecord; version: number }>> {
    const now = this.opts.now();
    const live: Array<{ rec: TokenRecord; version: number }> = [];
    for (const t of await this.tokens()) {
      if (t.rec.expires > now) {
        live.push(t);
        continue;
      }
      await this.store.delete(t.rec.id, t.version).catch(() => undefined);
      this.log({ username: t.rec.username, role: t.rec.role }, 'QUORUM_TOKEN_EXPIRED', 'CKR_OK', { service: t.rec.service });
    }
    return live;
  }

  async generate(service: TokenServiceName, who: Requester): Promise<{ file: TokenFile; ttlSeconds: number }> {
    const live = await this.purge();
    if (ONE_PER_USER.has(service) && live.some((t) => t.rec.username === who.username && t.rec.service === service)) {
      throw new HsmError('CKR_ACTION_PROHIBITED', `user ${who.username} already has an active token for service ${service}: use it, let it expire, or quorum token-sign delete`);
    }
    if (live.length >= MAX_LIVE_TOKENS) throw new HsmError('CKR_DEVICE_MEMORY', `the cluster holds ${MAX_LIVE_TOKENS} live quorum tokens; delete some or wait for them to expire`);
    const issued = this.opts.now();
    const expires = issued + this.opts.tokenTtlMs;
    // What the approvers see when they decode approval_data: no secret in it.
    const data = Buffer.from(JSON.stringify({
      version: 1, cluster: this.opts.clusterId, service, username: who.username, role: who.role,
      issued: new Date(issued).toISOString(), expires: new Date(expires).toISOString(), nonce: randomBytes(16).toString('base64'),
    }));
    const unsigned = sha256(data);
    const rec: TokenRecord = { id: tokenId(unsigned), service, username: who.username, role: who.role, approvalData: data.toString('base64'), unsigned: unsigned.toString('base64'), issued, expires, approvals: [] };
    await this.store.put(rec.id, Buffer.from(JSON.stringify(rec)), 0);
    return { file: tokenFile([{ unsigned, approvalData: data }]), ttlSeconds: Math.round(this.opts.tokenTtlMs / 1000) };
  }

  async list(): Promise<QuorumTokenDescription[]> {
    const now = this.opts.now();
    const values = await this.values();
    return (await this.purge()).map(({ rec }) => ({
      username: rec.username,
      service: rec.service,
      'approvals-required': rec.service in values ? values[rec.service as AdminService] : rec.service === 'registration' ? 1 : 0,
      'number-of-approvals': rec.approvals.length,
      'token-timeout-seconds': Math.max(0, Math.round((rec.expires - now) / 1000)),
      'cluster-coverage': 'full' as const,
    }));
  }

  /** scope user: the caller's tokens; scope all: every token (admins only). */
  async delete(scope: 'user' | 'all', who: Requester): Promise<number> {
    if (scope === 'all' && who.role !== 'admin') throw new HsmError('CKR_USER_TYPE_INVALID', 'only admins delete every user\'s tokens (--scope all)');
    let n = 0;
    for (const t of await this.tokens()) {
      if (scope === 'user' && t.rec.username !== who.username) continue;
      await this.store.delete(t.rec.id, t.version);
      n++;
    }
    return n;
  }

  /** Finds the live token an approval file names, checking that it was not altered. */
  private async resolve(file: TokenFile, who: Requester, services: TokenServiceName[]): Promise<{ rec: TokenRecord; version: number; unsigned: Buffer }> {
    const first = file.tokens[0]!;
    const unsigned = Buffer.from(first.unsigned, 'base64');
    if (file.tokens.some((t) => t.unsigned !== first.unsigned)) throw new HsmError('CKR_ARGUMENTS_BAD', 'an approval file carries signatures of one token only');
    for (const t of file.tokens) {
      if (t.approval_data !== undefined && !sha256(Buffer.from(t.approval_data, 'base64')).equals(unsigned)) {
        throw new HsmError('CKR_SIGNATURE_INVALID', 'the approval was tampered with: its approval_data does not hash to its unsigned token');
      }
    }
    const r = unsigned.length === 32 ? await this.store.get(tokenId(unsigned)) : undefined;
    if (!r) throw new HsmError('CKR_SIGNATURE_INVALID', 'the approval does not match a live quorum token (tampered with, deleted, or already used)');
    const rec = JSON.parse(r.value.toString('utf8')) as TokenRecord;
    if (rec.expires <= this.opts.now()) {
      await this.store.delete(rec.id, r.version).catch(() => undefined);
      this.log(who, 'QUORUM_TOKEN_EXPIRED', 'CKR_OK', { service: rec.service });
      throw new HsmError('CKR_ACTION_PROHIBITED', `the quorum token for service ${rec.service} has expired; generate a new one`);
    }
    if (rec.username !== who.username) throw new HsmError('CKR_ACTION_PROHIBITED', `the quorum token belongs to user ${rec.username}`);
    if (!services.includes(rec.service)) throw new HsmError('CKR_ACTION_PROHIBITED', `the quorum token is for service ${rec.service}, not ${services.join(' or ')}`);
    if (rec.spentAt !== undefined) throw new HsmError('CKR_ACTION_PROHIBITED', 'the quorum token is being used by another command');
    return { rec, version: r.version, unsigned };
  }

  /**
   * The authorisation step for a guarded command: `required` approvals for `service` from users the
   * `eligible` test admits, out of the signed file. New verified approvals are recorded on the token
   * (so approvals may arrive in several files); when there are enough, the token is marked spent.
   */
  async authorise(service: QuorumServiceName, required: number, eligible: (u: UserRecord) => boolean, file: TokenFile | undefined, who: Requester): Promise<Grant> {
    if (required <= 0) return NO_GRANT;
    const how = `this needs ${required} approvals for service ${service}: quorum token-sign generate --service ${service}, have it signed, and pass it with --approval`;
    if (!file) throw new HsmError('CKR_ACTION_PROHIBITED', `Quorum approval is required for this operation: ${how}`);
    const { rec, version, unsigned } = await this.resolve(file, who, [service]);
    const approvers = (await this.users.all()).filter((u) => u.quorumKeyPem && eligible(u));
    const found = new Set(rec.approvals);
    for (const [i, t] of file.tokens.entries()) {
      if (t.signed === '') continue;
      const by = approvers.find((u) => verifyToken(u.quorumKeyPem!, unsigned, t.signed));
      if (!by) {
        this.log(who, 'CN_APPROVE_TOKEN', 'CKR_SIGNATURE_INVALID', { service, approval: i });
        throw new HsmError('CKR_SIGNATURE_INVALID', `approval ${i + 1} is not signed by the registered quorum key of a user who may approve service ${service}`);
      }
      if (!found.has(by.username)) {
        found.add(by.username);
        this.log(who, 'CN_APPROVE_TOKEN', 'CKR_OK', { service, approver: by.username });
      }
    }
    const enough = found.size >= required;
    const next: TokenRecord = { ...rec, approvals: [...found] };
    if (enough) next.spentAt = this.opts.now();
    let v: number;
    try {
      v = await this.store.put(rec.id, Buffer.from(JSON.stringify(next)), version);
    } catch (e) {
      if (e instanceof HsmError && e.code === 'CKR_STRONGROOM_CONFLICT') throw new HsmError('CKR_ACTION_PROHIBITED', 'the quorum token was used concurrently; try again');
      throw e;
    }
    if (!enough) throw new HsmError('CKR_ACTION_PROHIBITED', `Quorum approval is required for this operation: ${found.size} of ${required} approvals for service ${service}`);
    return {
      commit: async () => {
        await this.store.delete(rec.id, v).catch(() => undefined);
        this.log(who, 'QUORUM_TOKEN_CONSUMED', 'CKR_OK', { service, approvals: found.size });
      },
      release: async () => {
        const back: TokenRecord = { ...next };
        delete back.spentAt;
        await this.store.put(rec.id, Buffer.from(JSON.stringify(back)), v).catch(() => undefined);
      },
    };
  }

  /** Spends a registration token signed with the key being registered (proof of possession). */
  async useRegistration(file: TokenFile, pem: string, who: Requester): Promise<void> {
    const { rec, version, unsigned } = await this.resolve(file, who, ['registration']);
    if (!file.tokens.some((t) => verifyToken(pem, unsigned, t.signed))) {
      throw new HsmError('CKR_SIGNATURE_INVALID', 'the registration token is not signed with the key being registered');
    }
    await this.store.delete(rec.id, version);
  }
}
