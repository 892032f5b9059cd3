// Objects (PKCS#11 §5.7 and §4): stable CK_OBJECT_HANDLEs per key or object reference per
// connection, the attribute table CKA_* ↔ the HSM's attribute names (rules as data: which classes
// carry each attribute, how its value is encoded, which HSM attribute sets it), and
// C_GetAttributeValue / C_SetAttributeValue / template parsing. Never returns secret or private
// key material: CKA_VALUE of those keys is CKR_ATTRIBUTE_SENSITIVE.

import type { KeyDescription, ObjectDescription } from '../protocol/operations.js';
import { CK_UNAVAILABLE_INFORMATION, CKA, CKC_X_509, CKK, CKM, CKO, CURVE_OIDS, type RvName } from './constants.js';
import { readBool, readUlong, ulongValue, Writer, type TemplateAttr } from './codec.js';
import { fail, P11Error, renaming, rvName } from './errors.js';
import type { Connection } from './sessions.js';

export type ObjClass = 'secret-key' | 'public-key' | 'private-key' | 'certificate' | 'data';
export type Kind = 'key' | 'object';
type AttrVal = string | number | boolean;

/** What the daemon knows of one object: its HSM attributes by the HSM's names. */
export interface ObjInfo {
  ref: string;
  kind: Kind;
  cls: ObjClass;
  attrs: Record<string, AttrVal>;
  /** CKA_VALUE of a certificate or data object, fetched when asked for. */
  value?: Buffer;
}

export function normRef(ref: string): string {
  return '0x' + BigInt(ref).toString(16).padStart(16, '0');
}

export function fromKey(d: KeyDescription): ObjInfo {
  return { ref: normRef(d['key-reference']), kind: 'key', cls: d.attributes['class'] as ObjClass, attrs: { ...d.attributes } };
}
export function fromObject(d: ObjectDescription): ObjInfo {
  return { ref: normRef(d['object-reference']), kind: 'object', cls: d.class, attrs: { token: !d.session, ...d.attributes } };
}

// --- the attribute table ------------------------------------------------------------------------

const KEYS: readonly ObjClass[] = ['secret-key', 'public-key', 'private-key'];
const ALL: readonly ObjClass[] = [...KEYS, 'certificate', 'data'];
const CLASS_VALUE: Readonly<Record<ObjClass, number>> = {
  data: CKO.DATA, certificate: CKO.CERTIFICATE, 'public-key': CKO.PUBLIC_KEY, 'private-key': CKO.PRIVATE_KEY, 'secret-key': CKO.SECRET_KEY,
};
export const CLASS_OF: ReadonlyMap<number, ObjClass> = new Map(Object.entries(CLASS_VALUE).map(([k, v]) => [v, k as ObjClass]));
const KEY_TYPE_VALUE: Readonly<Record<string, number>> = { rsa: CKK.RSA, ec: CKK.EC, 'generic-secret': CKK.GENERIC_SECRET, aes: CKK.AES };
export const KEY_TYPE_OF: ReadonlyMap<number, string> = new Map(Object.entries(KEY_TYPE_VALUE).map(([k, v]) => [v, k]));
const GEN_MECH: Readonly<Record<string, number>> = { aes: CKM.AES_KEY_GEN, 'generic-secret': CKM.GENERIC_SECRET_KEY_GEN, rsa: CKM.RSA_PKCS_KEY_PAIR_GEN, ec: CKM.EC_KEY_PAIR_GEN };

type Got = Buffer | 'sensitive' | undefined;
type SetKind = 'bool' | 'string' | 'hex';
interface AttrRule {
  classes: readonly ObjClass[];
  get(o: ObjInfo): Got;
  /** The HSM attribute that sets it (creation templates and C_SetAttributeValue). */
  set?: { name: string; kind: SetKind };
}

const bool = (v: unknown): Buffer => Buffer.from([v === true ? 1 : 0]);
const hex = (v: unknown): Buffer => Buffer.from(String(v ?? '').replace(/^0x/, ''), 'hex');
const utf8 = (v: unknown): Buffer => Buffer.from(String(v ?? ''), 'utf8');
const empty = (): Buffer => Buffer.alloc(0);
const isType = (o: ObjInfo, t: string): boolean => o.attrs['key-type'] === t;
const flag = (name: string, set = true) => ({ get: (o: ObjInfo) => bool(o.attrs[name]), ...(set ? { set: { name, kind: 'bool' as const } } : {}) });

/** DER OCTET STRING around the uncompressed point (CKA_EC_POINT). */
function octetString(b: Buffer): Buffer {
  const len = b.length < 0x80 ? Buffer.from([b.length]) : b.length < 0x100 ? Buffer.from([0x81, b.length]) : Buffer.from([0x82, b.length >> 8, b.length & 0xff]);
  return Buffer.concat([Buffer.from([0x04]), len, b]);
}

/**
 * PKCS#11 v2.40 §4 attributes by object class. Secret and private key values never leave the HSM;
 * public RSA/EC keys have no CKA_VALUE in PKCS#11 (CKR_ATTRIBUTE_TYPE_INVALID).
 */
export const ATTRIBUTES: ReadonlyMap<number, AttrRule> = new Map<number, AttrRule>([
  [CKA.CLASS, { classes: ALL, get: (o) => ulongValue(CLASS_VALUE[o.cls]) }],
  [CKA.TOKEN, { classes: ALL, ...flag('token') }],
  [CKA.PRIVATE, { classes: ALL, ...flag('private') }],
  [CKA.LABEL, { classes: ALL, get: (o) => utf8(o.attrs['label']), set: { name: 'label', kind: 'string' } }],
  [CKA.MODIFIABLE, { classes: ALL, ...flag('modifiable') }],
  [CKA.DESTROYABLE, { classes: ALL, get: (o) => bool(o.attrs['destroyable'] ?? true), set: { name: 'destroyable', kind: 'bool' } }],
  [CKA.COPYABLE, { classes: ALL, get: () => bool(true) }],
  [CKA.KEY_TYPE, { classes: KEYS, get: (o) => ulongValue(KEY_TYPE_VALUE[String(o.attrs['key-type'])] ?? CK_UNAVAILABLE_INFORMATION) }],
  [CKA.ID, { classes: [...KEYS, 'certificate'], get: (o) => hex(o.attrs['id']), set: { name: 'id', kind: 'hex' } }],
  [CKA.START_DATE, { classes: [...KEYS, 'certificate'], get: empty }],
  [CKA.END_DATE, { classes: [...KEYS, 'certificate'], get: empty }],
  [CKA.DERIVE, { classes: KEYS, ...flag('derive') }],
  [CKA.LOCAL, { classes: KEYS, ...flag('local', false) }],
  [CKA.KEY_GEN_MECHANISM, {
    classes: KEYS,
    get: (o) => ulongValue(o.attrs['local'] === true ? (GEN_MECH[String(o.attrs['key-type'])] ?? CK_UNAVAILABLE_INFORMATION) : CK_UNAVAILABLE_INFORMATION),
  }],
  [CKA.SUBJECT, { classes: ['public-key', 'private-key', 'certificate'], get: (o) => (o.cls === 'certificate' ? hex(o.attrs['subject']) : empty()), set: { name: 'subject', kind: 'hex' } }],
  [CKA.ENCRYPT, { classes: ['secret-key', 'public-key'], ...flag('encrypt') }],
  [CKA.VERIFY, { classes: ['secret-key', 'public-key'], ...flag('verify') }],
  [CKA.WRAP, { classes: ['secret-key', 'public-key'], ...flag('wrap') }],
  [CKA.VERIFY_RECOVER, { classes: ['public-key'], get: () => bool(false) }],
  [CKA.DECRYPT, { classes: ['secret-key', 'private-key'], ...flag('decrypt') }],
  [CKA.SIGN, { classes: ['secret-key', 'private-key'], ...flag('sign') }],
  [CKA.UNWRAP, { classes: ['secret-key', 'private-key'], ...flag('unwrap') }],
  [CKA.SIGN_RECOVER, { classes: ['private-key'], get: () => bool(false) }],
  [CKA.TRUSTED, { classes: ['secret-key', 'public-key', 'certificate'], ...flag('trusted') }],
  [CKA.WRAP_WITH_TRUSTED, { classes: ['secret-key', 'private-key'], ...flag('wrap-with-trusted') }],
  [CKA.SENSITIVE, { classes: ['secret-key', 'private-key'], ...flag('sensitive') }],
  [CKA.EXTRACTABLE, { classes: ['secret-key', 'private-key'], ...flag('extractable') }],
  [CKA.ALWAYS_SENSITIVE, { classes: ['secret-key', 'private-key'], ...flag('always-sensitive', false) }],
  [CKA.NEVER_EXTRACTABLE, { classes: ['secret-key', 'private-key'], ...flag('never-extractable', false) }],
  [CKA.ALWAYS_AUTHENTICATE, { classes: ['private-key'], get: () => bool(false) }],
  [CKA.VALUE, {
    classes: ALL,
    get: (o) => (o.cls === 'secret-key' || o.cls === 'private-key' ? 'sensitive' : o.cls === 'public-key' ? undefined : o.value),
  }],
  [CKA.VALUE_LEN, { classes: ['secret-key'], get: (o) => ulongValue(Number(o.attrs['key-length-bytes'] ?? 0)) }],
  [CKA.CHECK_VALUE, { classes: ['secret-key'], get: (o) => hex(o.attrs['check-value']) }],
  [CKA.MODULUS, { classes: ['public-key', 'private-key'], get: (o) => (isType(o, 'rsa') ? hex(o.attrs['modulus']) : undefined) }],
  [CKA.MODULUS_BITS, { classes: ['public-key'], get: (o) => (isType(o, 'rsa') ? ulongValue(Number(o.attrs['modulus-size-bits'])) : undefined) }],
  [CKA.PUBLIC_EXPONENT, { classes: ['public-key', 'private-key'], get: (o) => (isType(o, 'rsa') ? hex(o.attrs['public-exponent']) : undefined) }],
  ...[CKA.PRIVATE_EXPONENT, CKA.PRIME_1, CKA.PRIME_2, CKA.EXPONENT_1, CKA.EXPONENT_2, CKA.COEFFICIENT].map(
    (t): [number, AttrRule] => [t, { classes: ['private-key'], get: (o) => (isType(o, 'rsa') ? 'sensitive' : undefined) }],
  ),
  [CKA.EC_PARAMS, {
    classes: ['public-key', 'private-key'],
    get: (o) => {
      const oid = isType(o, 'ec') ? CURVE_OIDS[String(o.attrs['curve'])] : undefined;
      return oid === undefined ? undefined : Buffer.from(oid, 'hex');
    },
  }],
  [CKA.EC_POINT, { classes: ['public-key'], get: (o) => (isType(o, 'ec') ? octetString(hex(o.attrs['ec-point'])) : undefined) }],
  [CKA.CERTIFICATE_TYPE, { classes: ['certificate'], get: () => ulongValue(CKC_X_509) }],
  [CKA.CERTIFICATE_CATEGORY, { classes: ['certificate'], get: () => ulongValue(0) }],
  [CKA.ISSUER, { classes: ['certificate'], get: (o) => hex(o.attrs['issuer']), set: { name: 'issuer', kind: 'hex' } }],
  [CKA.SERIAL_NUMBER, { classes: ['certificate'], get: (o) => hex(o.attrs['serial-number']), set: { name: 'serial-number', kind: 'hex' } }],
  [CKA.APPLICATION, { classes: ['data'], get: (o) => utf8(o.attrs['application']), set: { name: 'application', kind: 'string' } }],
  [CKA.OBJECT_ID, { classes: ['data'], get: (o) => hex(o.attrs['object-id']), set: { name: 'object-id', kind: 'hex' } }],
]);

/** Attributes that can never be set by anyone (PKCS#11 §4.1.2 footnote 2/4). */
const NEVER_SETTABLE = new Set<number>([CKA.LOCAL, CKA.ALWAYS_SENSITIVE, CKA.NEVER_EXTRACTABLE, CKA.KEY_GEN_MECHANISM]);

/** The value of one attribute of one object. */
export function attributeValue(o: ObjInfo, type: number): Got | 'invalid' {
  const rule = ATTRIBUTES.get(type);
  if (!rule || !rule.classes.includes(o.cls)) return 'invalid';
  const v = rule.get(o);
  return v === undefined ? 'invalid' : v;
}

/** Converts one template value to the HSM's value for an attribute it can set. */
export function hsmValue(type: number, raw: Buffer | undefined, what = `attribute 0x${type.toString(16)}`): { name: string; value: string | boolean } {
  const rule = ATTRIBUTES.get(type);
  if (!rule) fail('CKR_ATTRIBUTE_TYPE_INVALID', `${what} is not supported`);
  if (!rule.set) fail('CKR_ATTRIBUTE_READ_ONLY', `${what} is read-only`);
  const { name, kind } = rule.set;
  if (raw === undefined) fail('CKR_ATTRIBUTE_VALUE_INVALID', `${what} has no value`);
  if (kind === 'bool') return { name, value: readBool(raw, what) };
  if (kind === 'hex') return { name, value: '0x' + raw.toString('hex') };
  const s = raw.toString('utf8');
  if (name === 'label' && s.length > 127) fail('CKR_ATTRIBUTE_VALUE_INVALID', 'CKA_LABEL is at most 127 characters');
  return { name, value: s };
}

/** A TEMPLATE_IN as a map; repeated types must agree. */
export function parseTemplate(t: TemplateAttr[]): Map<number, Buffer | undefined> {
  const m = new Map<number, Buffer | undefined>();
  for (const a of t) {
    const prev = m.get(a.type);
    if (m.has(a.type) && !(prev && a.value && prev.equals(a.value))) fail('CKR_TEMPLATE_INCONSISTENT', `attribute 0x${a.type.toString(16)} is given twice`);
    m.set(a.type, a.value);
  }
  return m;
}

/** Booleans that PKCS#11 fixes at false for our keys: false is accepted, true refused. */
const FIXED_FALSE = new Set<number>([CKA.SIGN_RECOVER, CKA.VERIFY_RECOVER, CKA.ALWAYS_AUTHENTICATE]);

/**
 * A creation template → the HSM's attribute set for class `cls`. `consumed` are the attributes
 * the caller has already read (class, key type, sizes …). Unknown → CKR_ATTRIBUTE_TYPE_INVALID,
 * never settable → CKR_ATTRIBUTE_READ_ONLY, not valid for this class or creation →
 * CKR_TEMPLATE_INCONSISTENT, a bad value → CKR_ATTRIBUTE_VALUE_INVALID.
 */
export function creationAttributes(t: Map<number, Buffer | undefined>, cls: ObjClass, consumed: ReadonlySet<number>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const [type, raw] of t) {
    if (consumed.has(type)) continue;
    const what = `attribute 0x${type.toString(16)}`;
    const rule = ATTRIBUTES.get(type);
    if (!rule) fail('CKR_ATTRIBUTE_TYPE_INVALID', `${what} is not supported`);
    if (NEVER_SETTABLE.has(type)) fail('CKR_ATTRIBUTE_READ_ONLY', `${what} is read-only`);
    if (type === CKA.START_DATE || type === CKA.END_DATE || (type === CKA.SUBJECT && cls !== 'certificate')) {
      if (raw !== undefined && raw.length > 0) fail('CKR_ATTRIBUTE_VALUE_INVALID', `${what}: only an empty value is supported`);
      continue;
    }
    if (type === CKA.COPYABLE || FIXED_FALSE.has(type)) {
      if (readBool(raw, what) !== (type === CKA.COPYABLE)) fail('CKR_ATTRIBUTE_VALUE_INVALID', `${what} cannot take that value here`);
      continue;
    }
    if (!rule.classes.includes(cls) || !rule.set) {
      // A usage flag of another class set to false asks for nothing: accepted.
      if (rule.set?.kind === 'bool' && raw?.length === 1 && raw[0] === 0) continue;
      fail('CKR_TEMPLATE_INCONSISTENT', `${what} cannot be set when creating a ${cls}`);
    }
    const v = hsmValue(type, raw, what);
    if (v.name === 'trusted' && v.value === true) fail('CKR_ATTRIBUTE_READ_ONLY', 'CKA_TRUSTED is set by an admin (security officer) only');
    out[v.name] = v.value;
  }
  return out;
}

/** Reads a required CK_ULONG of a template. */
export function ulongOf(t: Map<number, Buffer | undefined>, type: number, what: string): number | undefined {
  return t.has(type) ? readUlong(t.get(type), what) : undefined;
}

// --- handles and the per-connection table -----------------------------------------------------

interface HandleEntry { ref: string; kind: Kind }
interface Owned { session: number; kind: Kind; hsmSession: boolean }

/** How long C_*Init reuses a key's attributes (see ObjectTable.infoForInit). */
const KEY_INFO_TTL_MS = 1000;

export class ObjectTable {
  private next = 1;
  private readonly byRef = new Map<string, number>();
  private readonly byHandle = new Map<number, HandleEntry>();
  /** Session objects: created with CKA_TOKEN=false by a PKCS#11 session, destroyed when it closes. */
  private readonly owned = new Map<string, Owned>();
  /** Last known description of session objects (a session key lives on one HSM only). */
  private readonly sessionInfo = new Map<string, ObjInfo>();
  /** infoForInit's short-lived cache, by handle. */
  private readonly initCache = new Map<number, { info: ObjInfo; until: number }>();

  constructor(private readonly conn: Connection) {}

  handleFor(info: ObjInfo): number {
    let h = this.byRef.get(info.ref);
    if (h === undefined) {
      h = this.next++;
      this.byRef.set(info.ref, h);
      this.byHandle.set(h, { ref: info.ref, kind: info.kind });
    }
    if (this.owned.has(info.ref)) this.sessionInfo.set(info.ref, info);
    return h;
  }

  entry(handle: number, code: RvName = 'CKR_OBJECT_HANDLE_INVALID'): HandleEntry {
    const e = this.byHandle.get(handle);
    if (!e) fail(code, `object handle ${handle} is not valid`);
    return e;
  }

  /** Records a new object; session objects are tied to the session that made them. */
  adopt(info: ObjInfo, session: number | undefined, opts: { hsmSession: boolean } = { hsmSession: true }): number {
    if (session !== undefined) {
      this.owned.set(info.ref, { session, kind: info.kind, hsmSession: opts.hsmSession });
      if (!opts.hsmSession) info.attrs['token'] = false;
    }
    return this.handleFor(info);
  }

  /** How many session objects this connection still owns (daemon statistics). */
  sessionObjectCount(): number {
    return this.owned.size;
  }

  isSessionObject(ref: string): boolean {
    return this.owned.has(ref);
  }

  /**
   * Attributes of a key for C_*Init's checks, reused for KEY_INFO_TTL_MS: saves the HSM round trip
   * (key.list) that otherwise doubles every Init + operation. Safe because the HSM checks the key
   * and its usage again on the operation itself; a change made by another application within the
   * TTL only moves the error from Init to the operation. This connection's own changes and
   * destroys drop the entry.
   */
  async infoForInit(handle: number, code: RvName): Promise<ObjInfo> {
    const hit = this.initCache.get(handle);
    if (hit && hit.until > Date.now()) return hit.info;
    const info = await this.info(handle, code);
    this.initCache.set(handle, { info, until: Date.now() + KEY_INFO_TTL_MS });
    return info;
  }

  /** Fresh attributes of one object. */
  async info(handle: number, code: RvName = 'CKR_OBJECT_HANDLE_INVALID'): Promise<ObjInfo> {
    const e = this.entry(handle, code);
    const c = await this.conn.client();
    let found: ObjInfo | undefined;
    if (e.kind === 'key') {
      const res = await renaming('CKR_KEY_HANDLE_INVALID', code, () => c.call('key.list', { filter: { 'key-reference': e.ref }, verbose: true }));
      const d = res.matched_keys[0];
      if (d) found = fromKey(d);
    } else {
      found = (await this.listObjects()).find((o) => o.ref === e.ref);
    }
    found ??= this.sessionInfo.get(e.ref);
    if (!found) fail(code, `object handle ${handle} no longer exists`);
    const own = this.owned.get(found.ref);
    if (own && !own.hsmSession) found.attrs['token'] = false;
    if (own) this.sessionInfo.set(found.ref, found);
    return found;
  }

  async loadValue(o: ObjInfo): Promise<void> {
    if (o.kind !== 'object' || o.value) return;
    const c = await this.conn.client();
    const r = (await c.call('object.getValue', { ref: o.ref })) as unknown as { value: string };
    o.value = Buffer.from(r.value, 'base64');
  }

  /** Every object this connection can see: token and session keys, certificates and data objects. */
  async listAll(): Promise<ObjInfo[]> {
    const c = await this.conn.client();
    const out = new Map<string, ObjInfo>();
    let token: string | undefined;
    do {
      const res = await c.call('key.list', { verbose: true, maxItems: 1000, ...(token ? { startingToken: token } : {}) });
      for (const d of res.matched_keys) {
        const o = fromKey(d);
        out.set(o.ref, o);
      }
      token = res.next_token;
    } while (token);
    for (const o of await this.listObjects()) out.set(o.ref, o);
    for (const [ref, o] of this.sessionInfo) if (!out.has(ref)) out.set(ref, o);
    for (const [ref, own] of this.owned) {
      const o = out.get(ref);
      if (o && !own.hsmSession) o.attrs['token'] = false;
    }
    return [...out.values()];
  }

  private async listObjects(): Promise<ObjInfo[]> {
    const c = await this.conn.client();
    try {
      const r = (await c.call('object.list', {})) as unknown as { objects: ObjectDescription[] };
      return r.objects.map(fromObject);
    } catch (e) {
      // An HSM without certificate/data objects: there are none to list.
      if (rvName(e) === 'CKR_DEVICE_ERROR' || rvName(e) === 'CKR_ARGUMENTS_BAD') return [];
      throw e;
    }
  }

  /** Destroys one object on the HSM and forgets it. */
  async destroy(handle: number): Promise<void> {
    const e = this.entry(handle);
    const c = await this.conn.client();
    await renaming('CKR_KEY_HANDLE_INVALID', 'CKR_OBJECT_HANDLE_INVALID', () =>
      e.kind === 'key' ? c.call('key.delete', { ref: e.ref }) : c.call('object.delete', { ref: e.ref }));
    this.forget(e.ref);
  }

  private forget(ref: string): void {
    const h = this.byRef.get(ref);
    if (h !== undefined) this.byHandle.delete(h);
    if (h !== undefined) this.initCache.delete(h);
    this.byRef.delete(ref);
    this.owned.delete(ref);
    this.sessionInfo.delete(ref);
  }

  /** C_CloseSession: the session's objects are destroyed (best effort; HSM session keys die with the connection anyway). */
  async dropSessionObjects(session: number): Promise<void> {
    const mine = [...this.owned].filter(([, o]) => o.session === session);
    if (mine.length === 0) return;
    const c = await this.conn.client().catch(() => undefined);
    for (const [ref, o] of mine) {
      if (c) await (o.kind === 'key' ? c.call('key.delete', { ref }) : c.call('object.delete', { ref })).catch(() => undefined);
      this.forget(ref);
    }
  }

  /** Logout: the HSM dropped this connection's session keys; what a user could use is for the next login to find out. */
  forgetSessionObjects(): void {
    for (const ref of [...this.owned.keys()]) this.forget(ref);
    this.initCache.clear();
  }

  /** C_GetAttributeValue: the response body and CK_RV as the protocol wants them. */
  async getAttributeValue(handle: number, query: TemplateAttr[]): Promise<{ rv: RvName; body: Buffer }> {
    const o = await this.info(handle);
    if (query.some((q) => q.type === CKA.VALUE)) await this.loadValue(o);
    const w = new Writer().u32(query.length);
    let rv: RvName = 'CKR_OK';
    const note = (r: RvName) => {
      if (rv === 'CKR_OK') rv = r;
    };
    for (const q of query) {
      const v = attributeValue(o, q.type);
      if (v === 'invalid' || v === undefined) {
        note('CKR_ATTRIBUTE_TYPE_INVALID');
        w.u64(CK_UNAVAILABLE_INFORMATION);
      } else if (v === 'sensitive') {
        note('CKR_ATTRIBUTE_SENSITIVE');
        w.u64(CK_UNAVAILABLE_INFORMATION);
      } else if (!q.hasValue) {
        w.u64(v.length);
      } else if (q.len >= BigInt(v.length)) {
        w.u64(v.length).bytes(v);
      } else {
        note('CKR_BUFFER_TOO_SMALL');
        w.u64(CK_UNAVAILABLE_INFORMATION);
      }
    }
    return { rv, body: w.done() };
  }

  /** C_SetAttributeValue through key.setAttribute / object.setAttribute, one attribute at a time. */
  async setAttributeValue(handle: number, rw: boolean, template: TemplateAttr[]): Promise<void> {
    const o = await this.info(handle);
    if (!rw && o.attrs['token'] === true) fail('CKR_SESSION_READ_ONLY', 'a token object cannot be changed in a read-only session');
    const changes: Array<{ name: string; value: string | boolean }> = [];
    for (const a of template) {
      const what = `attribute 0x${a.type.toString(16)}`;
      const rule = ATTRIBUTES.get(a.type);
      if (!rule || !rule.classes.includes(o.cls)) fail('CKR_ATTRIBUTE_TYPE_INVALID', `${what} is not an attribute of a ${o.cls}`);
      const v = hsmValue(a.type, a.value, what);
      changes.push(v);
    }
    const c = await this.conn.client();
    // Dropped before the first change and again after the last: a template the HSM refuses
    // half-way has still changed the attributes before the refused one, and a C_*Init running
    // meanwhile must not keep deciding on the old ones (CKA_DECRYPT read true, C_DecryptInit
    // refused with CKR_KEY_FUNCTION_NOT_PERMITTED).
    this.initCache.delete(handle);
    try {
      for (const ch of changes) {
        if (o.kind === 'key') await c.call('key.setAttribute', { ref: o.ref, name: ch.name, value: ch.value });
        else await c.call('object.setAttribute', { ref: o.ref, name: ch.name, value: ch.value });
        o.attrs[ch.name] = ch.value;
      }
    } finally {
      if (this.owned.has(o.ref)) this.sessionInfo.set(o.ref, o);
      this.initCache.delete(handle);
    }
  }
}

export { P11Error };
