// Certificate and data objects (PKCS#11 CKO_CERTIFICATE, CKO_DATA): not keys, kept beside them so
// a TLS server finds its certificate next to its key. Token objects are sealed records
// `object/<ref>`; session objects live with the connection. The owner manages them; objects with
// private=false (certificates by default) are visible to every crypto user.
// Must never hold key material (a certificate holds only a public key).

import { randomBytes } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ObjectDescription, ParsedParams, OpResults } from '../../protocol/operations.js';
import type { Handler, HsmContext, Request, Session } from '../context.js';

interface ObjectRecord {
  ref: string;
  class: 'certificate' | 'data';
  owner: string;
  attrs: Record<string, string | number | boolean>;
  value: string;
  sessionOf?: number;
}

const HEX_ATTRS = new Set(['id', 'subject', 'issuer', 'serial-number', 'object-id']);
const STRING_ATTRS = new Set(['label', 'application', 'certificate-type']);
const BOOL_ATTRS = new Set(['token', 'private', 'modifiable', 'trusted', 'copyable', 'destroyable']);

/** Session objects of every connection, by reference. */
const sessionObjects = new WeakMap<HsmContext, Map<string, ObjectRecord>>();
function sessionMap(ctx: HsmContext): Map<string, ObjectRecord> {
  let m = sessionObjects.get(ctx);
  if (!m) sessionObjects.set(ctx, (m = new Map()));
  return m;
}

function checkAttr(name: string, value: string | boolean): string | boolean {
  if (HEX_ATTRS.has(name)) {
    const h = String(value).replace(/^0x/, '');
    if (typeof value !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(h)) throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', `${name} must be hex bytes`);
    return '0x' + h.toLowerCase();
  }
  if (STRING_ATTRS.has(name)) {
    if (typeof value !== 'string') throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', `${name} must be a string`);
    return value;
  }
  if (BOOL_ATTRS.has(name)) {
    if (typeof value !== 'boolean') throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', `${name} must be true or false`);
    return value;
  }
  throw new HsmError('CKR_ATTRIBUTE_TYPE_INVALID', `unknown object attribute ${name}`);
}

function describeObject(o: ObjectRecord): ObjectDescription {
  return { 'object-reference': o.ref, class: o.class, owner: o.owner, session: o.sessionOf !== undefined, attributes: { ...o.attrs } };
}

function visible(o: ObjectRecord, s: Session): boolean {
  if (o.sessionOf !== undefined && o.sessionOf !== s.connId) return false;
  return o.owner === s.user?.username || o.attrs['private'] === false;
}

async function all(ctx: HsmContext, s: Session): Promise<Array<{ rec: ObjectRecord; version: number }>> {
  const out: Array<{ rec: ObjectRecord; version: number }> = [];
  for (const r of await ctx.store.list('object/')) {
    if ('value' in r) out.push({ rec: JSON.parse(r.value.toString('utf8')) as ObjectRecord, version: r.version });
  }
  for (const o of sessionMap(ctx).values()) if (o.sessionOf === s.connId) out.push({ rec: o, version: 0 });
  return out.filter((o) => visible(o.rec, s));
}

async function find(ctx: HsmContext, req: Request<{ ref: string }>): Promise<{ rec: ObjectRecord; version: number }> {
  const ref = '0x' + BigInt(req.params.ref).toString(16).padStart(16, '0');
  const s = sessionMap(ctx).get(ref);
  if (s && visible(s, req.session)) return { rec: s, version: 0 };
  const r = await ctx.store.get(`object/${ref}`);
  const rec = r ? (JSON.parse(r.value.toString('utf8')) as ObjectRecord) : undefined;
  if (!r || !rec || !visible(rec, req.session)) throw new HsmError('CKR_OBJECT_HANDLE_INVALID', `object ${ref} does not exist`);
  return { rec, version: r.version };
}

const create: Handler<ParsedParams<'object.create'>, OpResults['object.create']> = async (ctx, req) => {
  const p = req.params;
  const attrs: Record<string, string | number | boolean> = {
    label: '', id: '0x', token: !p.session, private: p.class === 'data', modifiable: true,
  };
  if (p.class === 'certificate') attrs['certificate-type'] = 'x-509';
  for (const [k, v] of Object.entries(p.attributes ?? {})) attrs[k] = checkAttr(k, v);
  if (p.session && attrs['token'] === true) throw new HsmError('CKR_TEMPLATE_INCONSISTENT', 'token=true conflicts with a session object');
  const value = Buffer.from(p.value, 'base64');
  attrs['value-len'] = value.length;
  const b = randomBytes(8);
  b[0] = 0;
  b[1] = 0x01; // objects and keys never share a reference
  const rec: ObjectRecord = { ref: '0x' + b.toString('hex'), class: p.class, owner: req.session.user!.username, attrs, value: p.value };
  if (attrs['token'] === false) {
    rec.sessionOf = req.session.connId;
    sessionMap(ctx).set(rec.ref, rec);
  } else {
    await ctx.store.put(`object/${rec.ref}`, Buffer.from(JSON.stringify(rec)), 0);
  }
  req.keyRefs.push(rec.ref);
  return { object: describeObject(rec) };
};

const list: Handler<ParsedParams<'object.list'>, OpResults['object.list']> = async (ctx, req) => ({
  objects: (await all(ctx, req.session)).map((o) => describeObject(o.rec)),
});

const getValue: Handler<ParsedParams<'object.getValue'>, OpResults['object.getValue']> = async (ctx, req) => ({
  value: (await find(ctx, req)).rec.value,
});

function requireOwner(o: ObjectRecord, s: Session): void {
  if (o.owner !== s.user?.username) throw new HsmError('CKR_ACTION_PROHIBITED', `only the owner of object ${o.ref} may change it`);
}

const del: Handler<ParsedParams<'object.delete'>, OpResults['object.delete']> = async (ctx, req) => {
  const o = await find(ctx, req);
  req.keyRefs.push(o.rec.ref);
  requireOwner(o.rec, req.session);
  if (o.rec.sessionOf !== undefined) sessionMap(ctx).delete(o.rec.ref);
  else await ctx.store.delete(`object/${o.rec.ref}`, o.version);
  return { message: 'Object deleted successfully' };
};

const setAttribute: Handler<ParsedParams<'object.setAttribute'>, OpResults['object.setAttribute']> = async (ctx, req) => {
  const o = await find(ctx, req);
  req.keyRefs.push(o.rec.ref);
  requireOwner(o.rec, req.session);
  if (o.rec.attrs['modifiable'] === false) throw new HsmError('CKR_ACTION_PROHIBITED', `object ${o.rec.ref} is not modifiable`);
  if (['token', 'value-len', 'certificate-type'].includes(req.params.name)) throw new HsmError('CKR_ATTRIBUTE_READ_ONLY', `${req.params.name} is read-only`);
  const next = { ...o.rec, attrs: { ...o.rec.attrs, [req.params.name]: checkAttr(req.params.name, req.params.value) } };
  if (next.sessionOf !== undefined) sessionMap(ctx).set(next.ref, next);
  else await ctx.store.put(`object/${next.ref}`, Buffer.from(JSON.stringify(next)), o.version);
  return { message: 'Attribute set successfully' };
};

/** Session objects die with their connection. */
export function dropSessionObjects(ctx: HsmContext, connId: number): void {
  const m = sessionMap(ctx);
  for (const [ref, o] of m) if (o.sessionOf === connId) m.delete(ref);
}

export const objectHandlers = {
  'object.create': create,
  'object.list': list,
  'object.getValue': getValue,
  'object.delete': del,
  'object.setAttribute': setAttribute,
} as Record<string, Handler<never, unknown>>;
