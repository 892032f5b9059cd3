// Token keys: sealed records `key/<ref>` in the cluster store, an in-memory index of their
// metadata and a bounded cache of unsealed KeyObjects, kept current by following store.watch.
// Session keys live here too, per connection, never in the store.
// Must never write key material anywhere but a sealed record; never return it unwrapped.

import { createPrivateKey, createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { SealedStore } from '../barrier/sealed-store.js';
import type { Attributes, KeyClassName } from '../objects/attributes.js';
import type { MechKey, KeyTypeName } from '../mechanisms/types.js';

export interface KeyRecord {
  ref: string;
  class: KeyClassName;
  keyType: KeyTypeName;
  attrs: Attributes;
  owner: string;
  shared: string[];
  quorum: { manage: number; use: number };
  /** Raw secret bytes, PKCS#8 DER (private) or SPKI DER (public), base64; only inside sealed records. */
  material: string;
  /** Set for session keys: the connection that owns them. */
  sessionOf?: number;
}

export interface LoadedKey {
  rec: KeyRecord;
  version: number;
  mech: MechKey;
}

export function keyId(ref: string): string {
  return `key/${ref}`;
}

/** A fresh 64-bit key reference, formatted as CloudHSM prints them (0x + 16 hex digits). */
export function newRef(): string {
  const b = randomBytes(8);
  b[0] = 0; // keep references positive and short-looking, as CloudHSM's are
  b[1] = 0;
  return '0x' + b.toString('hex');
}

const NORMAL_REF = /^0x[0-9a-f]{16}$/;

/** 0x + 16 lower-case hex digits; a reference already in that form (the usual case) is returned as is. */
export function normaliseRef(ref: string): string {
  if (ref.length === 18 && NORMAL_REF.test(ref)) return ref;
  return '0x' + BigInt(ref).toString(16).padStart(16, '0');
}

export function toMechKey(rec: KeyRecord): MechKey {
  const raw = Buffer.from(rec.material, 'base64');
  let key: KeyObject;
  if (rec.class === 'secret-key') key = createSecretKey(raw);
  else if (rec.class === 'private-key') key = createPrivateKey({ key: raw, format: 'der', type: 'pkcs8' });
  else key = createPublicKey({ key: raw, format: 'der', type: 'spki' });
  const sizeBits = rec.keyType === 'rsa'
    ? Number(rec.attrs['modulus-size-bits'])
    : rec.keyType === 'ec'
      ? curveBits(String(rec.attrs.curve))
      : raw.length * 8;
  const m: MechKey = { class: rec.class, keyType: rec.keyType, sizeBits, key };
  if (rec.keyType === 'ec') m.curve = String(rec.attrs.curve);
  return m;
}

export function curveBits(curve: string): number {
  switch (curve) {
    case 'secp256r1': case 'secp256k1': return 256;
    case 'secp384r1': return 384;
    case 'secp521r1': return 521;
    default: return 0;
  }
}

const CACHE_MAX = 20_000;

export class KeyStore {
  /** Token keys by ref: version and metadata; material unsealed lazily into `loaded`. */
  private readonly cache = new Map<string, LoadedKey>();
  private readonly tampered = new Map<string, HsmError>();
  private readonly session = new Map<string, LoadedKey>();
  private stopWatch: (() => void) | undefined;

  constructor(private readonly store: SealedStore, private readonly onTamper: (id: string, err: HsmError) => void) {}

  /** Loads the index of every token key and follows the change feed. */
  async start(): Promise<void> {
    const head = await this.store.head();
    for (const r of await this.store.list('key/')) {
      const ref = r.id.slice(4);
      if ('error' in r) {
        this.tampered.set(ref, r.error);
        this.onTamper(r.id, r.error);
        continue;
      }
      this.remember(JSON.parse(r.value.toString('utf8')) as KeyRecord, r.version);
    }
    this.stopWatch = this.store.watch('key/', head, (ev) => {
      const ref = ev.id.slice(4);
      const cur = this.cache.get(ref);
      if (ev.kind === 'delete') {
        this.cache.delete(ref);
        this.tampered.delete(ref);
      } else if (!cur || cur.version < ev.version) {
        this.cache.delete(ref);
        void this.readThrough(ref).catch(() => undefined);
      }
    });
  }

  stop(): void {
    this.stopWatch?.();
  }

  get tokenCount(): number {
    return this.cache.size;
  }

  /** Session keys of every open connection. */
  get sessionCount(): number {
    return this.session.size;
  }

  /** Every visible-to-someone key: token keys plus this connection's session keys. */
  all(connId: number): LoadedKey[] {
    const out = [...this.cache.values()];
    for (const k of this.session.values()) if (k.rec.sessionOf === connId) out.push(k);
    return out;
  }

  /** A key by reference: session key of this connection, cached token key, or read-through. */
  async get(ref: string, connId: number): Promise<LoadedKey> {
    const r = normaliseRef(ref);
    const s = this.session.get(r);
    if (s) {
      if (s.rec.sessionOf !== connId) throw new HsmError('CKR_KEY_HANDLE_INVALID', `key ${r} does not exist`);
      return s;
    }
    const t = this.tampered.get(r);
    if (t) throw t;
    const c = this.cache.get(r);
    if (c) return c;
    const loaded = await this.readThrough(r);
    if (!loaded) throw new HsmError('CKR_KEY_HANDLE_INVALID', `key ${r} does not exist`);
    return loaded;
  }

  async create(rec: KeyRecord): Promise<LoadedKey> {
    if (rec.sessionOf !== undefined) {
      const lk: LoadedKey = { rec, version: 0, mech: toMechKey(rec) };
      this.session.set(rec.ref, lk);
      return lk;
    }
    const version = await this.store.put(keyId(rec.ref), Buffer.from(JSON.stringify(rec)), 0);
    return this.remember(rec, version);
  }

  /** Compare-and-swap update of a token key's record (or in-place for a session key). */
  async update(cur: LoadedKey, next: KeyRecord): Promise<LoadedKey> {
    if (cur.rec.sessionOf !== undefined) {
      const lk: LoadedKey = { rec: next, version: 0, mech: cur.mech };
      this.session.set(next.ref, lk);
      return lk;
    }
    const version = await this.store.put(keyId(next.ref), Buffer.from(JSON.stringify(next)), cur.version);
    const lk: LoadedKey = { rec: next, version, mech: cur.mech };
    this.cache.set(next.ref, lk);
    return lk;
  }

  async delete(cur: LoadedKey): Promise<void> {
    if (cur.rec.sessionOf !== undefined) {
      this.session.delete(cur.rec.ref);
      return;
    }
    await this.store.delete(keyId(cur.rec.ref), cur.version);
    this.cache.delete(cur.rec.ref);
  }

  /** Drops every session key of a closed connection. */
  dropSession(connId: number): void {
    for (const [ref, k] of this.session) if (k.rec.sessionOf === connId) this.session.delete(ref);
  }

  /** Forgets every key (tamper response). */
  zeroise(): void {
    this.cache.clear();
    this.session.clear();
    this.tampered.clear();
  }

  private async readThrough(ref: string): Promise<LoadedKey | undefined> {
    try {
      const r = await this.store.get(keyId(ref));
      if (!r) return undefined;
      return this.remember(JSON.parse(r.value.toString('utf8')) as KeyRecord, r.version);
    } catch (e) {
      if (e instanceof HsmError && e.code === 'CKR_STRONGROOM_RECORD_TAMPERED') {
        this.tampered.set(ref, e);
        this.onTamper(keyId(ref), e);
      }
      throw e;
    }
  }

  private remember(rec: KeyRecord, version: number): LoadedKey {
    if (this.cache.size >= CACHE_MAX) {
      const first = this.cache.keys().next().value;
      if (first !== undefined) this.cache.delete(first);
    }
    const lk: LoadedKey = { rec, version, mech: toMechKey(rec) };
    this.cache.set(rec.ref, lk);
    return lk;
  }
}
