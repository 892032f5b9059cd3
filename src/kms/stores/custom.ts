// Custom key stores of type AWS_CLOUDHSM: one StrongroomClient per connected store, logged in as
// the crypto user kmsuser of the customer's cluster (found in the control plane's state, trusted
// through the store's trust anchor). Connecting is asynchronous, as in KMS: CONNECTING, then
// CONNECTED or FAILED with a ConnectionErrorCode (reference §10). KMS rotates kmsuser's password on
// every connect; the new one is sealed into kms.sqlite before the HSM is asked to change it, so a
// crash in between never loses the user. Never logs a password.

import { HsmError } from '../../protocol/errors.js';
import { StrongroomClient } from '../../client/client.js';
import type { ControlPlaneState } from '../../control-plane/state.js';
import type { KmsDb, StoreRow } from '../db.js';
import { password } from './internal.js';
import { dropDataKeyPool } from '../data-key-pool.js';

export const KMSUSER = 'kmsuser';

export class CustomStores {
  private readonly clients = new Map<string, StrongroomClient>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly db: KmsDb, private readonly cp: ControlPlaneState, private readonly log: (l: string) => void) {}

  /** The connected client of a store, or undefined while it is not CONNECTED. */
  client(storeId: string): StrongroomClient | undefined {
    return this.clients.get(storeId);
  }

  /** The cluster's HSM endpoints (ACTIVE HSMs only). */
  endpoints(clusterId: string): Array<{ address: string; port: number; zone: string }> {
    return this.cp.hsms(clusterId).filter((h) => h.state === 'ACTIVE').map((h) => ({ address: h.eniIp, port: h.port, zone: h.availabilityZone }));
  }

  /** Reconnects the stores that were connected when KMS last stopped. */
  resume(): void {
    for (const s of this.db.stores()) if (s.wantConnected) this.connect(s.id);
  }

  /** Starts connecting; the outcome is visible through DescribeCustomKeyStores. */
  connect(storeId: string): void {
    this.db.updateStore(storeId, { wantConnected: true, connectionState: 'CONNECTING' });
    const p = this.doConnect(storeId)
      .then(() => {
        if (this.db.store(storeId)?.wantConnected) this.db.updateStore(storeId, { connectionState: 'CONNECTED' });
      })
      .catch((e: unknown) => {
        const code = e instanceof ConnectError ? e.code : 'INTERNAL_ERROR';
        if (!(e instanceof ConnectError)) this.log(`kms: connecting ${storeId} failed: ${(e as Error).message}`);
        if (this.db.store(storeId)) this.db.updateStore(storeId, { connectionState: 'FAILED', connectionErrorCode: code });
      })
      .finally(() => this.pending.delete(storeId));
    this.pending.set(storeId, p);
  }

  async disconnect(storeId: string): Promise<void> {
    this.db.updateStore(storeId, { wantConnected: false, connectionState: 'DISCONNECTING' });
    await this.pending.get(storeId)?.catch(() => undefined);
    const c = this.clients.get(storeId);
    this.clients.delete(storeId);
    if (c) {
      dropDataKeyPool(c);
      await c.call('logout', {}).catch(() => undefined);
      c.close();
    }
    if (this.db.store(storeId)) this.db.updateStore(storeId, { connectionState: 'DISCONNECTED' });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => p.catch(() => undefined)));
    for (const c of this.clients.values()) {
      dropDataKeyPool(c);
      c.close();
    }
    this.clients.clear();
  }

  private async doConnect(storeId: string): Promise<void> {
    const s = this.db.store(storeId) as StoreRow;
    const cluster = this.cp.cluster(s.clusterId);
    if (!cluster || cluster.state === 'DELETED' || cluster.state === 'DELETE_IN_PROGRESS') throw new ConnectError('CLUSTER_NOT_FOUND');
    const hsms = this.endpoints(s.clusterId);
    if (hsms.length === 0) throw new ConnectError('INSUFFICIENT_CLOUDHSM_HSMS');
    let client: StrongroomClient;
    try {
      client = await StrongroomClient.connect({ clusterId: s.clusterId, hsms: hsms.map(({ address, port }) => ({ address, port })), ca: s.trustAnchor, source: `custom key store ${storeId}` }, { failoverWaitMs: 5_000 });
    } catch (e) {
      throw new ConnectError('NETWORK_ERRORS', e);
    }
    try {
      const users = (await client.call('user.list', {})).users;
      const u = users.find((x) => x.username === KMSUSER && x.role === 'crypto-user');
      if (!u) throw new ConnectError('USER_NOT_FOUND');
      if (u.locked === 'true') throw new ConnectError('USER_LOCKED_OUT');
      // kmsuser must not have MFA: KMS cannot answer a second factor.
      if (u.mfa.some((m) => m.status === 'enabled')) throw new ConnectError('INVALID_CREDENTIALS');
      const current = this.db.secret(`${storeId}:password`);
      const pendingPw = this.db.secret(`${storeId}:pending`);
      let used: string | undefined;
      for (const pw of [current, pendingPw]) {
        if (pw === undefined) continue;
        try {
          await client.login(KMSUSER, 'crypto-user', pw);
          used = pw;
          break;
        } catch (e) {
          if (e instanceof HsmError && e.code === 'CKR_PIN_LOCKED') throw new ConnectError('USER_LOCKED_OUT', e);
          if (e instanceof HsmError && e.code === 'CKR_USER_ALREADY_LOGGED_IN') throw new ConnectError('USER_LOGGED_IN', e);
          if (!(e instanceof HsmError) || (e.code !== 'CKR_PIN_INCORRECT' && e.code !== 'CKR_PIN_INVALID')) throw e;
        }
      }
      if (used === undefined) throw new ConnectError('INVALID_CREDENTIALS');
      // Rotate kmsuser's password: seal the new one first, then change it, then log in with it.
      const next = password();
      this.db.putSecret(`${storeId}:pending`, next);
      await client.call('user.changePassword', { username: KMSUSER, role: 'crypto-user', password: next });
      this.db.putSecret(`${storeId}:password`, next);
      this.db.deleteSecret(`${storeId}:pending`);
      await client.call('logout', {});
      await client.login(KMSUSER, 'crypto-user', next);
      if (!this.db.store(storeId)?.wantConnected) throw new ConnectError('INTERNAL_ERROR');
      const old = this.clients.get(storeId);
      if (old) {
        dropDataKeyPool(old);
        old.close();
      }
      this.clients.set(storeId, client);
    } catch (e) {
      client.close();
      throw e;
    }
  }
}

export class ConnectError extends Error {
  constructor(readonly code: string, cause?: unknown) {
    super(code, cause === undefined ? undefined : { cause });
  }
}
