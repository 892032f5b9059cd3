// Key and object management (PKCS#11 §5.7, §5.13–5.14): C_GenerateKey, C_GenerateKeyPair,
// C_WrapKey, C_UnwrapKey, C_DeriveKey, C_CreateObject, C_CopyObject, C_DestroyObject,
// C_GetObjectSize, C_GenerateRandom. Templates become the HSM's AttributeTemplate through the
// attribute table (CKA_TOKEN=false → a session key). Private keys enter only wrapped; key material
// never passes through here except a secret key the application itself imports.

import { createPublicKey } from 'node:crypto';
import { MAX_DATA, type AttributeTemplate, type KeyDescription, type ObjectDescription } from '../protocol/operations.js';
import type { Mech, Out, TemplateAttr } from './codec.js';
import { CKA, CKC_X_509, CKM, CURVE_OIDS } from './constants.js';
import { deliver, mechParams, withParams, type Reply } from './crypto.js';
import { fail } from './errors.js';
import {
  CLASS_OF, creationAttributes, fromKey, fromObject, KEY_TYPE_OF, parseTemplate, ulongOf, type ObjClass,
} from './objects.js';
import type { Connection, Session } from './sessions.js';
import { mechName } from './slots.js';

type Tmpl = Map<number, Buffer | undefined>;
const CURVE_BY_OID = new Map<string, string>(Object.entries(CURVE_OIDS).map(([c, oid]) => [oid, c]));
const JWK_CRV: Readonly<Record<string, string>> = { secp256r1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521', secp256k1: 'secp256k1' };
const FIELD_BYTES: Readonly<Record<string, number>> = { secp256r1: 32, secp384r1: 48, secp521r1: 66, secp256k1: 32 };

function noParams(m: Mech, what: string): void {
  if (m.kind !== 0) fail('CKR_MECHANISM_PARAM_INVALID', `${what} takes no parameter`);
}

/** CKA_CLASS and CKA_KEY_TYPE of a template must agree with what is being made. */
function expectClass(t: Tmpl, cls: ObjClass): void {
  const v = ulongOf(t, CKA.CLASS, 'CKA_CLASS');
  if (v !== undefined && CLASS_OF.get(v) !== cls) fail('CKR_TEMPLATE_INCONSISTENT', `CKA_CLASS ${v} conflicts with a ${cls}`);
}
function expectKeyType(t: Tmpl, keyType: string): void {
  const v = ulongOf(t, CKA.KEY_TYPE, 'CKA_KEY_TYPE');
  if (v !== undefined && KEY_TYPE_OF.get(v) !== keyType) fail('CKR_TEMPLATE_INCONSISTENT', `CKA_KEY_TYPE ${v} conflicts with a ${keyType} key`);
}
function requiredUlong(t: Tmpl, type: number, what: string): number {
  const v = ulongOf(t, type, what);
  if (v === undefined) fail('CKR_TEMPLATE_INCOMPLETE', `${what} is required`);
  return v;
}

/** The HSM attributes plus where the object lives: CKA_TOKEN (default true) decides. */
function split(attrs: Record<string, string | boolean>): { attributes: AttributeTemplate; token: boolean } {
  const token = attrs['token'] !== false;
  const rest = { ...attrs };
  delete rest['token'];
  return { attributes: rest as AttributeTemplate, token };
}

function writable(s: Session, token: boolean): void {
  if (token && !s.rw) fail('CKR_SESSION_READ_ONLY', 'token objects cannot be created or changed in a read-only session');
}

function curveOf(raw: Buffer | undefined): string {
  if (!raw || raw.length === 0) fail('CKR_TEMPLATE_INCOMPLETE', 'CKA_EC_PARAMS is required');
  const c = CURVE_BY_OID.get(raw.toString('hex'));
  if (c) return c;
  if (raw[0] === 0x06 && raw.length === (raw[1] ?? 0) + 2) fail('CKR_CURVE_NOT_SUPPORTED', 'the curve is not supported (secp256r1, secp384r1, secp521r1, secp256k1)');
  return fail('CKR_ATTRIBUTE_VALUE_INVALID', 'CKA_EC_PARAMS must be the DER OID of a named curve');
}

function sessionOpt(token: boolean): { session?: boolean } {
  return token ? {} : { session: true };
}

export async function generateKey(conn: Connection, session: number, mech: Mech, template: TemplateAttr[]): Promise<number> {
  const s = conn.session(session);
  conn.requireLogin();
  const keyType = mech.type === CKM.AES_KEY_GEN ? 'aes' : mech.type === CKM.GENERIC_SECRET_KEY_GEN ? 'generic-secret' : undefined;
  if (!keyType) fail('CKR_MECHANISM_INVALID', `mechanism 0x${mech.type.toString(16)} does not generate secret keys`);
  noParams(mech, 'key generation');
  const t = parseTemplate(template);
  expectClass(t, 'secret-key');
  expectKeyType(t, keyType);
  if (t.has(CKA.VALUE)) fail('CKR_TEMPLATE_INCONSISTENT', 'CKA_VALUE cannot be given to C_GenerateKey');
  const len = requiredUlong(t, CKA.VALUE_LEN, 'CKA_VALUE_LEN');
  const { attributes, token } = split(creationAttributes(t, 'secret-key', new Set([CKA.CLASS, CKA.KEY_TYPE, CKA.VALUE_LEN])));
  writable(s, token);
  const c = await conn.client();
  const res = await c.call('key.generateSymmetric', { keyType, keyLengthBytes: len, attributes, ...sessionOpt(token) });
  return conn.objects.adopt(fromKey(res.key), token ? undefined : session);
}

export async function generateKeyPair(conn: Connection, session: number, mech: Mech, pubT: TemplateAttr[], privT: TemplateAttr[]): Promise<[number, number]> {
  const s = conn.session(session);
  conn.requireLogin();
  const keyType = mech.type === CKM.RSA_PKCS_KEY_PAIR_GEN ? 'rsa' : mech.type === CKM.EC_KEY_PAIR_GEN ? 'ec' : undefined;
  if (!keyType) fail('CKR_MECHANISM_INVALID', `mechanism 0x${mech.type.toString(16)} does not generate key pairs`);
  noParams(mech, 'key pair generation');
  const pub = parseTemplate(pubT);
  const priv = parseTemplate(privT);
  expectClass(pub, 'public-key');
  expectClass(priv, 'private-key');
  expectKeyType(pub, keyType);
  expectKeyType(priv, keyType);
  const params: { modulusSizeBits?: number; publicExponent?: number; curve?: 'secp256r1' | 'secp384r1' | 'secp521r1' | 'secp256k1' } = {};
  const pubConsumed = new Set<number>([CKA.CLASS, CKA.KEY_TYPE]);
  const privConsumed = new Set<number>([CKA.CLASS, CKA.KEY_TYPE]);
  if (keyType === 'rsa') {
    params.modulusSizeBits = requiredUlong(pub, CKA.MODULUS_BITS, 'CKA_MODULUS_BITS');
    const e = pub.get(CKA.PUBLIC_EXPONENT);
    if (e !== undefined) {
      if (e.length === 0 || e.length > 6) fail('CKR_ATTRIBUTE_VALUE_INVALID', 'CKA_PUBLIC_EXPONENT must be 1 to 6 big-endian bytes');
      params.publicExponent = e.reduce((acc, b) => acc * 256 + b, 0);
    }
    pubConsumed.add(CKA.MODULUS_BITS).add(CKA.PUBLIC_EXPONENT);
  } else {
    const raw = pub.get(CKA.EC_PARAMS) ?? priv.get(CKA.EC_PARAMS);
    params.curve = curveOf(raw) as NonNullable<typeof params.curve>;
    const other = priv.get(CKA.EC_PARAMS);
    if (other && raw && !other.equals(raw)) fail('CKR_TEMPLATE_INCONSISTENT', 'the two templates name different curves');
    pubConsumed.add(CKA.EC_PARAMS);
    privConsumed.add(CKA.EC_PARAMS);
  }
  const p = split(creationAttributes(pub, 'public-key', pubConsumed));
  const q = split(creationAttributes(priv, 'private-key', privConsumed));
  writable(s, p.token || q.token);
  // One HSM call makes both halves in the same place: a session pair only when both ask for it;
  // otherwise token keys, and the half that asked for a session object dies with the session.
  const asSession = !p.token && !q.token;
  const c = await conn.client();
  const res = await c.call('key.generateKeyPair', {
    keyType, ...params, publicAttributes: p.attributes, privateAttributes: q.attributes, ...sessionOpt(!asSession),
  });
  const hp = conn.objects.adopt(fromKey(res.public_key), p.token ? undefined : session, { hsmSession: asSession });
  const hq = conn.objects.adopt(fromKey(res.private_key), q.token ? undefined : session, { hsmSession: asSession });
  return [hp, hq];
}

export async function wrapKey(conn: Connection, session: number, mech: Mech, wrapping: number, key: number, out: Out): Promise<Reply> {
  const s = conn.session(session);
  conn.requireLogin();
  const w = conn.objects.entry(wrapping, 'CKR_WRAPPING_KEY_HANDLE_INVALID');
  const k = conn.objects.entry(key, 'CKR_KEY_HANDLE_INVALID');
  if (w.kind !== 'key') fail('CKR_WRAPPING_KEY_HANDLE_INVALID', `object handle ${wrapping} is not a key`);
  if (k.kind !== 'key') fail('CKR_KEY_HANDLE_INVALID', `object handle ${key} is not a key`);
  const name = mechName(mech.type);
  const params = mechParams(mech, name);
  if (mech.kind === 7 && mech.aesKeyBits !== 256) fail('CKR_MECHANISM_PARAM_INVALID', `${name}: the HSM wraps with a 256-bit AES key (ulAESKeyBits = 256)`);
  const id = `${mech.type}:${w.ref}:${k.ref}:${JSON.stringify(params)}`;
  const keep = (r: Buffer) => (s.keptWrap = { key: id, result: r });
  const end = () => (s.keptWrap = undefined);
  if (s.keptWrap?.key === id) return deliver(s.keptWrap.result, out, keep, end);
  const c = await conn.client();
  const res = await c.call('key.wrap', withParams({ mechanism: name, wrappingRef: w.ref, payloadRef: k.ref }, params));
  return deliver(Buffer.from(res.wrapped_key_data, 'base64'), out, keep, end);
}

export async function unwrapKey(conn: Connection, session: number, mech: Mech, unwrapping: number, wrapped: Buffer, template: TemplateAttr[]): Promise<number> {
  const s = conn.session(session);
  conn.requireLogin();
  const u = conn.objects.entry(unwrapping, 'CKR_UNWRAPPING_KEY_HANDLE_INVALID');
  if (u.kind !== 'key') fail('CKR_UNWRAPPING_KEY_HANDLE_INVALID', `object handle ${unwrapping} is not a key`);
  const name = mechName(mech.type);
  const params = mechParams(mech, name);
  if (wrapped.length === 0 || wrapped.length > 16384) fail('CKR_WRAPPED_KEY_LEN_RANGE', 'wrapped key must be 1 to 16384 bytes');
  const t = parseTemplate(template);
  const cls = CLASS_OF.get(requiredUlong(t, CKA.CLASS, 'CKA_CLASS'));
  if (cls !== 'secret-key' && cls !== 'private-key' && cls !== 'public-key') fail('CKR_TEMPLATE_INCONSISTENT', 'only keys can be unwrapped');
  const keyType = KEY_TYPE_OF.get(requiredUlong(t, CKA.KEY_TYPE, 'CKA_KEY_TYPE'));
  if (keyType === undefined) fail('CKR_ATTRIBUTE_VALUE_INVALID', 'CKA_KEY_TYPE must be CKK_AES, CKK_GENERIC_SECRET, CKK_RSA or CKK_EC');
  const { attributes, token } = split(creationAttributes(t, cls, new Set([CKA.CLASS, CKA.KEY_TYPE, CKA.VALUE_LEN, CKA.EC_PARAMS])));
  writable(s, token);
  const c = await conn.client();
  const res = await c.call('key.unwrap', withParams({
    mechanism: name, unwrappingRef: u.ref, wrapped: wrapped.toString('base64'),
    keyClass: cls, keyType: keyType as 'aes' | 'generic-secret' | 'rsa' | 'ec', attributes, ...sessionOpt(token),
  }, params));
  return conn.objects.adopt(fromKey(res.key), token ? undefined : session);
}

export async function deriveKey(conn: Connection, session: number, mech: Mech, base: number, template: TemplateAttr[]): Promise<number> {
  const s = conn.session(session);
  conn.requireLogin();
  const b = conn.objects.entry(base, 'CKR_KEY_HANDLE_INVALID');
  if (b.kind !== 'key') fail('CKR_KEY_HANDLE_INVALID', `object handle ${base} is not a key`);
  const name = mechName(mech.type);
  const params = mechParams(mech, name);
  const t = parseTemplate(template);
  expectClass(t, 'secret-key');
  const keyType = KEY_TYPE_OF.get(requiredUlong(t, CKA.KEY_TYPE, 'CKA_KEY_TYPE'));
  if (keyType !== 'aes' && keyType !== 'generic-secret') fail('CKR_TEMPLATE_INCONSISTENT', 'derived keys are CKK_AES or CKK_GENERIC_SECRET');
  const len = requiredUlong(t, CKA.VALUE_LEN, 'CKA_VALUE_LEN');
  const { attributes, token } = split(creationAttributes(t, 'secret-key', new Set([CKA.CLASS, CKA.KEY_TYPE, CKA.VALUE_LEN])));
  writable(s, token);
  const c = await conn.client();
  const res = await c.call('key.derive', { mechanism: name, baseRef: b.ref, params, keyType, keyLengthBytes: len, attributes, ...sessionOpt(token) });
  return conn.objects.adopt(fromKey(res.key), token ? undefined : session);
}

/** A public key from its PKCS#11 components, as PEM (through a JWK). */
function publicPem(keyType: string, t: Tmpl): string {
  let jwk: Record<string, string>;
  if (keyType === 'rsa') {
    const n = t.get(CKA.MODULUS);
    const e = t.get(CKA.PUBLIC_EXPONENT);
    if (!n || !e || n.length === 0 || e.length === 0) fail('CKR_TEMPLATE_INCOMPLETE', 'an RSA public key needs CKA_MODULUS and CKA_PUBLIC_EXPONENT');
    jwk = { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') };
  } else if (keyType === 'ec') {
    const curve = curveOf(t.get(CKA.EC_PARAMS));
    let p = t.get(CKA.EC_POINT);
    if (!p) fail('CKR_TEMPLATE_INCOMPLETE', 'an EC public key needs CKA_EC_POINT');
    const n = FIELD_BYTES[curve]!;
    if (p.length === 2 * n + 3 && p[0] === 0x04 && p[1] === 2 * n + 1) p = p.subarray(2);
    else if (p.length === 2 * n + 4 && p[0] === 0x04 && p[1] === 0x81) p = p.subarray(3);
    if (p.length !== 2 * n + 1 || p[0] !== 0x04) fail('CKR_ATTRIBUTE_VALUE_INVALID', 'CKA_EC_POINT must be an uncompressed point (in a DER OCTET STRING)');
    jwk = { kty: 'EC', crv: JWK_CRV[curve]!, x: p.subarray(1, 1 + n).toString('base64url'), y: p.subarray(1 + n).toString('base64url') };
  } else {
    return fail('CKR_TEMPLATE_INCONSISTENT', `a public key cannot be of type ${keyType}`);
  }
  try {
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
  } catch {
    return fail('CKR_ATTRIBUTE_VALUE_INVALID', 'the public key components do not form a valid key');
  }
}

export async function createObject(conn: Connection, session: number, template: TemplateAttr[]): Promise<number> {
  const s = conn.session(session);
  conn.requireLogin();
  const t = parseTemplate(template);
  const cls = CLASS_OF.get(requiredUlong(t, CKA.CLASS, 'CKA_CLASS'));
  if (cls === undefined) fail('CKR_ATTRIBUTE_VALUE_INVALID', 'CKA_CLASS is not a supported object class');
  const c = await conn.client();
  if (cls === 'private-key') fail('CKR_ATTRIBUTE_VALUE_INVALID', 'private keys enter the HSM only wrapped: use C_UnwrapKey');
  if (cls === 'secret-key' || cls === 'public-key') {
    const keyType = KEY_TYPE_OF.get(requiredUlong(t, CKA.KEY_TYPE, 'CKA_KEY_TYPE'));
    if (keyType === undefined) fail('CKR_ATTRIBUTE_VALUE_INVALID', 'CKA_KEY_TYPE is not supported');
    if (cls === 'secret-key') {
      if (keyType !== 'aes' && keyType !== 'generic-secret') fail('CKR_TEMPLATE_INCONSISTENT', 'secret keys are CKK_AES or CKK_GENERIC_SECRET');
      const value = t.get(CKA.VALUE);
      if (!value || value.length === 0) fail('CKR_TEMPLATE_INCOMPLETE', 'CKA_VALUE is required');
      const vlen = ulongOf(t, CKA.VALUE_LEN, 'CKA_VALUE_LEN');
      if (vlen !== undefined && vlen !== value.length) fail('CKR_TEMPLATE_INCONSISTENT', 'CKA_VALUE_LEN does not match CKA_VALUE');
      const { attributes, token } = split(creationAttributes(t, cls, new Set([CKA.CLASS, CKA.KEY_TYPE, CKA.VALUE, CKA.VALUE_LEN])));
      writable(s, token);
      const res = (await c.call('key.importSecret', { keyType, value: value.toString('base64'), attributes, ...sessionOpt(token) })) as unknown as { key: KeyDescription };
      return conn.objects.adopt(fromKey(res.key), token ? undefined : session);
    }
    const pem = publicPem(keyType, t);
    const bits = ulongOf(t, CKA.MODULUS_BITS, 'CKA_MODULUS_BITS');
    if (bits !== undefined && bits !== (t.get(CKA.MODULUS)?.length ?? 0) * 8) fail('CKR_TEMPLATE_INCONSISTENT', 'CKA_MODULUS_BITS does not match CKA_MODULUS');
    const consumed = new Set([CKA.CLASS, CKA.KEY_TYPE, CKA.MODULUS, CKA.PUBLIC_EXPONENT, CKA.MODULUS_BITS, CKA.EC_PARAMS, CKA.EC_POINT]);
    const { attributes, token } = split(creationAttributes(t, cls, consumed));
    writable(s, token);
    const res = await c.call('key.importPublic', { pem, attributes, ...sessionOpt(token) });
    return conn.objects.adopt(fromKey(res.key), token ? undefined : session);
  }
  // Certificates and data objects.
  if (cls === 'certificate') {
    const ct = ulongOf(t, CKA.CERTIFICATE_TYPE, 'CKA_CERTIFICATE_TYPE');
    if (ct === undefined) fail('CKR_TEMPLATE_INCOMPLETE', 'CKA_CERTIFICATE_TYPE is required');
    if (ct !== CKC_X_509) fail('CKR_ATTRIBUTE_VALUE_INVALID', 'only CKC_X_509 certificates are supported');
    if (!t.get(CKA.VALUE)) fail('CKR_TEMPLATE_INCOMPLETE', 'CKA_VALUE (the DER certificate) is required');
  }
  const value = t.get(CKA.VALUE) ?? Buffer.alloc(0);
  if (value.length > 32 * 1024) fail('CKR_ATTRIBUTE_VALUE_INVALID', 'CKA_VALUE is at most 32 KiB');
  const consumed = new Set([CKA.CLASS, CKA.VALUE, CKA.CERTIFICATE_TYPE, CKA.CERTIFICATE_CATEGORY]);
  const { attributes, token } = split(creationAttributes(t, cls, consumed));
  writable(s, token);
  const res = (await c.call('object.create', {
    class: cls, value: value.toString('base64'), attributes: attributes as Record<string, string | boolean>, ...sessionOpt(token),
  })) as unknown as { object: ObjectDescription };
  return conn.objects.adopt(fromObject(res.object), token ? undefined : session);
}

export async function copyObject(conn: Connection, session: number, handle: number, template: TemplateAttr[]): Promise<number> {
  const s = conn.session(session);
  conn.requireLogin();
  const o = await conn.objects.info(handle);
  const t = parseTemplate(template);
  expectClass(t, o.cls);
  if (o.kind === 'key') expectKeyType(t, String(o.attrs['key-type']));
  const { attributes, token } = split(creationAttributes(t, o.cls, new Set([CKA.CLASS, CKA.KEY_TYPE])));
  const tokenWanted = t.has(CKA.TOKEN) ? token : o.attrs['token'] !== false;
  writable(s, tokenWanted);
  const c = await conn.client();
  if (o.kind === 'key') {
    const res = (await c.call('key.copy', { ref: o.ref, attributes, ...sessionOpt(tokenWanted) })) as unknown as { key: KeyDescription };
    return conn.objects.adopt(fromKey(res.key), tokenWanted ? undefined : session);
  }
  await conn.objects.loadValue(o);
  const carried: Record<string, string | boolean> = {};
  for (const k of ['label', 'id', 'subject', 'issuer', 'serial-number', 'application', 'object-id', 'private', 'modifiable']) {
    const v = o.attrs[k];
    if (typeof v === 'string' || typeof v === 'boolean') carried[k] = v;
  }
  const res = (await c.call('object.create', {
    class: o.cls as 'certificate' | 'data', value: (o.value ?? Buffer.alloc(0)).toString('base64'),
    attributes: { ...carried, ...(attributes as Record<string, string | boolean>) }, ...sessionOpt(tokenWanted),
  })) as unknown as { object: ObjectDescription };
  return conn.objects.adopt(fromObject(res.object), tokenWanted ? undefined : session);
}

export async function destroyObject(conn: Connection, session: number, handle: number): Promise<void> {
  const s = conn.session(session);
  conn.requireLogin();
  const o = await conn.objects.info(handle);
  writable(s, o.attrs['token'] !== false);
  await conn.objects.destroy(handle);
}

export function objectSize(conn: Connection, session: number, handle: number): bigint {
  conn.session(session);
  conn.objects.entry(handle);
  return 0xffffffffffffffffn; // CK_UNAVAILABLE_INFORMATION: sizes inside the HSM are not disclosed
}

/** Largest C_GenerateRandom answered (it must fit a response frame). */
const MAX_RANDOM = 512 * 1024;

export async function generateRandom(conn: Connection, session: number, length: number): Promise<Buffer> {
  conn.session(session);
  if (length > MAX_RANDOM) fail('CKR_ARGUMENTS_BAD', `at most ${MAX_RANDOM} random bytes per call`);
  if (length === 0) return Buffer.alloc(0);
  const c = await conn.client();
  const parts: Buffer[] = [];
  for (let left = length; left > 0; left -= MAX_DATA) {
    const r = await c.call('crypto.random', { length: Math.min(left, MAX_DATA) });
    parts.push(Buffer.from(r.data, 'base64'));
  }
  return Buffer.concat(parts);
}

