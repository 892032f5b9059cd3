// Key wrapping, unwrapping and derivation. A wrapped key leaves the HSM only encrypted under
// another key; trusted-key rules (wrap-with-trusted) are enforced here. Never returns a key in clear.

import { createPrivateKey, createPublicKey } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedParams, OpResults } from '../../protocol/operations.js';
import type { Handler } from '../context.js';
import { describe, requireAttr, requireOwner, requireUse } from '../objects/access.js';
import { asymmetricFacts, checkSymmetricLength, symmetricFacts } from '../objects/facts.js';
import { checkShareList, storeNewKey } from './keys.js';

const wrap: Handler<ParsedParams<'key.wrap'>, OpResults['key.wrap']> = async (ctx, req) => {
  const p = req.params;
  const wk = await ctx.keys.get(p.wrappingRef, req.session.connId);
  const pk = await ctx.keys.get(p.payloadRef, req.session.connId);
  req.keyRefs.push(wk.rec.ref, pk.rec.ref);
  requireUse(wk, req.session);
  requireAttr(wk, 'wrap', 'wrap');
  requireOwner(pk, req.session, 'wrap');
  if (pk.rec.class === 'public-key') throw new HsmError('CKR_KEY_NOT_WRAPPABLE', 'public keys are exported with key generate-file, not wrapped');
  if (pk.rec.attrs.extractable !== true) throw new HsmError('CKR_KEY_UNEXTRACTABLE', `key ${pk.rec.ref} has extractable=false`);
  if (pk.rec.attrs['wrap-with-trusted'] === true && wk.rec.attrs.trusted !== true) {
    throw new HsmError('CKR_KEY_NOT_WRAPPABLE', `key ${pk.rec.ref} has wrap-with-trusted=true but wrapping key ${wk.rec.ref} is not trusted`);
  }
  const m = ctx.mechs.require(p.mechanism, 'wrap', wk.mech, ctx.cluster().fips);
  const params = p.params ?? {};
  m.checkParams?.('wrap', params, wk.mech);
  const payload = Buffer.from(pk.rec.material, 'base64');
  try {
    const out = await m.wrap!(wk.mech, payload, params);
    return { wrapped_key_data: out.toString('base64') };
  } finally {
    payload.fill(0);
  }
};

const unwrap: Handler<ParsedParams<'key.unwrap'>, OpResults['key.unwrap']> = async (ctx, req) => {
  const p = req.params;
  const uk = await ctx.keys.get(p.unwrappingRef, req.session.connId);
  req.keyRefs.push(uk.rec.ref);
  requireUse(uk, req.session);
  requireAttr(uk, 'unwrap', 'unwrap');
  const m = ctx.mechs.require(p.mechanism, 'unwrap', uk.mech, ctx.cluster().fips);
  const params = p.params ?? {};
  m.checkParams?.('unwrap', params, uk.mech);
  if (p.keyClass === 'public-key') throw new HsmError('CKR_TEMPLATE_INCONSISTENT', 'public keys are imported with key import pem, not unwrapped');
  const shared = await checkShareList(ctx, req.session.user!.username, p.shareWith);
  const raw = await m.unwrap!(uk.mech, p.wrapped, params);
  let parts;
  if (p.keyClass === 'secret-key') {
    if (p.keyType !== 'aes' && p.keyType !== 'generic-secret') throw new HsmError('CKR_TEMPLATE_INCONSISTENT', `a secret key cannot have key type ${p.keyType}`);
    try {
      checkSymmetricLength(p.keyType, raw.length);
    } catch (e) {
      throw new HsmError('CKR_WRAPPED_KEY_INVALID', `unwrapped ${raw.length} bytes, not a valid ${p.keyType} key: ${(e as Error).message}`);
    }
    parts = { cls: 'secret-key' as const, keyType: p.keyType, material: raw, facts: symmetricFacts(p.keyType, raw), local: false };
  } else {
    let priv;
    try {
      priv = createPrivateKey({ key: raw, format: 'der', type: 'pkcs8' });
    } catch {
      throw new HsmError('CKR_WRAPPED_KEY_INVALID', 'the unwrapped data is not a PKCS#8 private key');
    }
    const f = asymmetricFacts(createPublicKey(priv));
    if (f.keyType !== p.keyType) throw new HsmError('CKR_TEMPLATE_INCONSISTENT', `the unwrapped key is ${f.keyType}, not ${p.keyType}`);
    parts = { cls: 'private-key' as const, keyType: f.keyType, material: priv.export({ format: 'der', type: 'pkcs8' }), facts: f.facts, local: false };
  }
  // CKA_UNWRAP_TEMPLATE of trusted keys is not modelled yet: the caller's template applies.
  const lk = await storeNewKey(ctx, req, parts, p.attributes, p, shared);
  return { key: describe(lk.rec, true) };
};


const derive: Handler<ParsedParams<'key.derive'>, OpResults['key.derive']> = async (ctx, req) => {
  const p = req.params;
  const bk = await ctx.keys.get(p.baseRef, req.session.connId);
  req.keyRefs.push(bk.rec.ref);
  requireUse(bk, req.session);
  requireAttr(bk, 'derive', 'derive');
  const m = ctx.mechs.require(p.mechanism, 'derive', bk.mech, ctx.cluster().fips);
  m.checkParams?.('derive', p.params, bk.mech);
  checkSymmetricLength(p.keyType, p.keyLengthBytes);
  const shared = await checkShareList(ctx, req.session.user!.username, p.shareWith);
  const raw = await m.derive!(bk.mech, p.params, p.keyLengthBytes);
  const lk = await storeNewKey(ctx, req, { cls: 'secret-key', keyType: p.keyType, material: raw, facts: symmetricFacts(p.keyType, raw), local: false }, p.attributes, p, shared);
  return { key: describe(lk.rec, true) };
};

export const wrapHandlers = {
  'key.wrap': wrap,
  'key.unwrap': unwrap,
  'key.derive': derive,
} as Record<string, Handler<never, unknown>>;
