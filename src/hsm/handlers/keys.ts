// Key management handlers: generate, import, list, delete, share, unshare, set-attribute, get-public.
// Checks first (handle → access → attributes), then the action. Never returns key material
// other than public keys.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedParams, OpResults } from '../../protocol/operations.js';
import type { Handler, HsmContext, Request } from '../context.js';
import { buildAttributes, checkModify, type KeyClassName } from '../objects/attributes.js';
import { canSee, describe, matchesFilter, requireOwner, requireVisible } from '../objects/access.js';
import { asymmetricFacts, checkSymmetricLength, generateEc, generateRsa, generateSecret, symmetricFacts } from '../objects/facts.js';
import { newRef, type KeyRecord, type LoadedKey } from '../keystore/keystore.js';
import type { KeyTypeName } from '../mechanisms/types.js';


export interface NewKeyOptions {
  session?: boolean | undefined;
  shareWith?: string[] | undefined;
  manageKeyQuorumValue?: number | undefined;
  useKeyQuorumValue?: number | undefined;
}

/** Checks the users a new key is shared with: existing crypto users, not the owner. */
export async function checkShareList(ctx: HsmContext, owner: string, list: string[] | undefined): Promise<string[]> {
  const out: string[] = [];
  for (const raw of list ?? []) {
    const u = raw.toLowerCase();
    if (u === owner) throw new HsmError('CKR_ARGUMENTS_BAD', `cannot share a key with its owner ${u}`);
    const rec = await ctx.users.get(u);
    if (!rec || rec.rec.role !== 'crypto-user') throw new HsmError('CKR_ARGUMENTS_BAD', `user ${u} is not a crypto user`);
    if (!out.includes(u)) out.push(u);
  }
  return out;
}

function checkQuorum(opts: NewKeyOptions, sharedCount: number): { manage: number; use: number } {
  const manage = opts.manageKeyQuorumValue ?? 0;
  const use = opts.useKeyQuorumValue ?? 0;
  if (manage > sharedCount + 1 || use > sharedCount + 1) {
    throw new HsmError('CKR_ARGUMENTS_BAD', 'key quorum values must not exceed the owner plus the shared users');
  }
  return { manage, use };
}

/** Builds and stores one new key record from its parts; used by generate, import, unwrap, derive. */
export async function storeNewKey(
  ctx: HsmContext,
  req: Request,
  parts: { cls: KeyClassName; keyType: KeyTypeName; material: Buffer; facts: Record<string, string | number | boolean>; local: boolean },
  template: Parameters<typeof buildAttributes>[2],
  opts: NewKeyOptions,
  shared: string[],
): Promise<LoadedKey> {
  const owner = req.session.user!.username;
  const attrs = buildAttributes(parts.cls, parts.keyType, template, { session: opts.session === true, local: parts.local, facts: parts.facts });
  const rec: KeyRecord = {
    ref: newRef(),
    class: parts.cls,
    keyType: parts.keyType,
    attrs,
    owner,
    shared,
    quorum: checkQuorum(opts, shared.length),
    material: parts.material.toString('base64'),
  };
  if (opts.session) rec.sessionOf = req.session.connId;
  const lk = await ctx.keys.create(rec);
  req.keyRefs.push(rec.ref);
  return lk;
}

const generateSymmetric: Handler<ParsedParams<'key.generateSymmetric'>, OpResults['key.generateSymmetric']> = async (ctx, req) => {
  const p = req.params;
  const shared = await checkShareList(ctx, req.session.user!.username, p.shareWith);
  const raw = generateSecret(p.keyType, p.keyLengthBytes);
  const lk = await storeNewKey(ctx, req, { cls: 'secret-key', keyType: p.keyType, material: raw, facts: symmetricFacts(p.keyType, raw), local: true }, p.attributes, p, shared);
  return { key: describe(lk.rec, true) };
};

function pkcs8(k: KeyObject): Buffer {
  return k.export({ format: 'der', type: 'pkcs8' });
}
function spki(k: KeyObject): Buffer {
  return k.export({ format: 'der', type: 'spki' });
}

const generateKeyPair: Handler<ParsedParams<'key.generateKeyPair'>, OpResults['key.generateKeyPair']> = async (ctx, req) => {
  const p = req.params;
  const shared = await checkShareList(ctx, req.session.user!.username, p.shareWith);
  let pair;
  if (p.keyType === 'rsa') {
    if (p.modulusSizeBits === undefined) throw new HsmError('CKR_TEMPLATE_INCOMPLETE', 'RSA key pairs need modulus-size-bits');
    pair = await generateRsa(p.modulusSizeBits, p.publicExponent ?? 65537);
  } else {
    if (p.curve === undefined) throw new HsmError('CKR_TEMPLATE_INCOMPLETE', 'EC key pairs need a curve');
    if (ctx.cluster().fips && p.curve === 'secp256k1') throw new HsmError('CKR_KEY_SIZE_RANGE', 'secp256k1 is not allowed in FIPS mode');
    pair = await generateEc(p.curve);
  }
  const f = asymmetricFacts(pair.publicKey);
  const pub = await storeNewKey(ctx, req, { cls: 'public-key', keyType: f.keyType, material: spki(pair.publicKey), facts: f.facts, local: true }, p.publicAttributes, p, shared);
  const priv = await storeNewKey(ctx, req, { cls: 'private-key', keyType: f.keyType, material: pkcs8(pair.privateKey), facts: f.facts, local: true }, p.privateAttributes, p, shared);
  return { public_key: describe(pub.rec, true), private_key: describe(priv.rec, true) };
};

const importPublic: Handler<ParsedParams<'key.importPublic'>, OpResults['key.importPublic']> = async (ctx, req) => {
  let pub: KeyObject;
  try {
    pub = createPublicKey({ key: req.params.pem, format: 'pem' });
  } catch {
    throw new HsmError('CKR_ARGUMENTS_BAD', 'the PEM is not a public key (expected -----BEGIN PUBLIC KEY-----)');
  }
  const f = asymmetricFacts(pub);
  if (f.keyType === 'rsa' && (f.sizeBits < 2048 || f.sizeBits > 4096)) throw new HsmError('CKR_KEY_SIZE_RANGE', `RSA keys must be 2048 to 4096 bits, not ${f.sizeBits}`);
  const opts = req.params.session === undefined ? {} : { session: req.params.session };
  const lk = await storeNewKey(ctx, req, { cls: 'public-key', keyType: f.keyType, material: spki(pub), facts: f.facts, local: false }, req.params.attributes, opts, []);
  return { key: describe(lk.rec, true) };
};

const importSecret: Handler<ParsedParams<'key.importSecret'>, OpResults['key.importSecret']> = async (ctx, req) => {
  const p = req.params;
  const raw = p.value;
  try {
    checkSymmetricLength(p.keyType, raw.length);
    const shared = await checkShareList(ctx, req.session.user!.username, p.shareWith);
    const lk = await storeNewKey(ctx, req, { cls: 'secret-key', keyType: p.keyType, material: raw, facts: symmetricFacts(p.keyType, raw), local: false }, p.attributes, p, shared);
    return { key: describe(lk.rec, true) };
  } finally {
    raw.fill(0);
  }
};

/** C_CopyObject: a new key with the same material; the template may only tighten (PKCS#11 §5.7). */
const copy: Handler<ParsedParams<'key.copy'>, OpResults['key.copy']> = async (ctx, req) => {
  const k = await ctx.keys.get(req.params.ref, req.session.connId);
  req.keyRefs.push(k.rec.ref);
  requireOwner(k, req.session, 'copy');
  if (k.rec.attrs.modifiable === false && req.params.attributes && Object.keys(req.params.attributes).length > 0) {
    throw new HsmError('CKR_ACTION_PROHIBITED', `key ${k.rec.ref} is not modifiable, so its copy cannot change attributes`);
  }
  let attrs = { ...k.rec.attrs };
  for (const [name, value] of Object.entries(req.params.attributes ?? {})) {
    if (value === undefined || name === 'token') continue;
    attrs = { ...attrs, [name]: checkModify(attrs, name, value, false) };
  }
  const session = req.params.session ?? req.params.attributes?.token === false;
  attrs.token = !session;
  const rec: KeyRecord = { ...k.rec, ref: newRef(), attrs, shared: [] };
  delete rec.sessionOf;
  if (session) rec.sessionOf = req.session.connId;
  const lk = await ctx.keys.create(rec);
  req.keyRefs.push(rec.ref);
  return { key: describe(lk.rec, true) };
};

const list: Handler<ParsedParams<'key.list'>, OpResults['key.list']> = (ctx, req) => {
  const p = req.params;
  const visible = ctx.keys.all(req.session.connId)
    .filter((k) => canSee(k.rec, req.session) && matchesFilter(k.rec, p.filter))
    .sort((a, b) => (BigInt(a.rec.ref) < BigInt(b.rec.ref) ? -1 : 1));
  const start = p.startingToken ? Number.parseInt(p.startingToken, 10) : 0;
  if (!Number.isInteger(start) || start < 0) throw new HsmError('CKR_ARGUMENTS_BAD', 'starting-token is not valid');
  const page = p.maxItems ? visible.slice(start, start + p.maxItems) : visible.slice(start);
  const res: OpResults['key.list'] = {
    matched_keys: page.map((k) => describe(k.rec, p.verbose === true)),
    total_key_count: visible.length,
    returned_key_count: page.length,
  };
  if (start + page.length < visible.length) res.next_token = String(start + page.length);
  return res;
};

async function ownedKey(ctx: HsmContext, req: Request<{ ref: string }>, what: string): Promise<LoadedKey> {
  const k = await ctx.keys.get(req.params.ref, req.session.connId);
  req.keyRefs.push(k.rec.ref);
  requireOwner(k, req.session, what);
  return k;
}

const del: Handler<ParsedParams<'key.delete'>, OpResults['key.delete']> = async (ctx, req) => {
  const k = await ownedKey(ctx, req, 'delete');
  if (k.rec.attrs.destroyable === false) throw new HsmError('CKR_ACTION_PROHIBITED', `key ${k.rec.ref} has destroyable=false`);
  await ctx.keys.delete(k);
  return { message: 'Key deleted successfully' };
};

const share: Handler<ParsedParams<'key.share'>, OpResults['key.share']> = async (ctx, req) => {
  const k = await ownedKey(ctx, req, 'share');
  const [u] = await checkShareList(ctx, k.rec.owner, [req.params.username]);
  if (k.rec.shared.includes(u!)) throw new HsmError('CKR_ARGUMENTS_BAD', `key ${k.rec.ref} is already shared with ${u}`);
  await ctx.keys.update(k, { ...k.rec, shared: [...k.rec.shared, u!] });
  req.detail['user'] = u!;
  return { message: 'Key shared successfully' };
};

const unshare: Handler<ParsedParams<'key.unshare'>, OpResults['key.unshare']> = async (ctx, req) => {
  const k = await ownedKey(ctx, req, 'unshare');
  const u = req.params.username.toLowerCase();
  if (!k.rec.shared.includes(u)) throw new HsmError('CKR_ARGUMENTS_BAD', `key ${k.rec.ref} is not shared with ${u}`);
  await ctx.keys.update(k, { ...k.rec, shared: k.rec.shared.filter((x) => x !== u) });
  req.detail['user'] = u;
  return { message: 'Key unshared successfully' };
};

const setAttribute: Handler<ParsedParams<'key.setAttribute'>, OpResults['key.setAttribute']> = async (ctx, req) => {
  const k = await ctx.keys.get(req.params.ref, req.session.connId);
  req.keyRefs.push(k.rec.ref);
  const isAdmin = req.session.user!.role === 'admin';
  if (isAdmin) requireVisible(k, req.session);
  else requireOwner(k, req.session, 'change attributes of');
  const v = checkModify(k.rec.attrs, req.params.name, req.params.value, isAdmin);
  if (req.params.name === 'trusted' && v === true && k.rec.class === 'private-key') {
    throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', 'only secret and public keys can be trusted wrapping keys');
  }
  await ctx.keys.update(k, { ...k.rec, attrs: { ...k.rec.attrs, [req.params.name]: v } });
  req.detail['attribute'] = req.params.name;
  return { message: 'Attribute set successfully' };
};

const getPublic: Handler<ParsedParams<'key.getPublic'>, OpResults['key.getPublic']> = async (ctx, req) => {
  const k = await ctx.keys.get(req.params.ref, req.session.connId);
  requireVisible(k, req.session);
  if (k.rec.class === 'secret-key') throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', `key ${k.rec.ref} is a secret key and has no public part`);
  const pub = k.rec.class === 'public-key' ? k.mech.key : createPublicKey(k.mech.key);
  return { pem: pub.export({ format: 'pem', type: 'spki' }).toString() };
};

export const keyHandlers = {
  'key.generateSymmetric': generateSymmetric,
  'key.generateKeyPair': generateKeyPair,
  'key.importPublic': importPublic,
  'key.importSecret': importSecret,
  'key.copy': copy,
  'key.list': list,
  'key.delete': del,
  'key.share': share,
  'key.unshare': unshare,
  'key.setAttribute': setAttribute,
  'key.getPublic': getPublic,
} as Record<string, Handler<never, unknown>>;
