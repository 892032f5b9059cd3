// Crypto handlers: sign, verify, encrypt, decrypt, digest, random. Order of checks: handle →
// access → usage attribute → mechanism (registry: op, key type, size, FIPS) → parameters → work.
// Never logs or keeps inputs or outputs.

import { randomBytes } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { MechParams, OpParams, OpResults } from '../../protocol/operations.js';
import type { Handler, HsmContext, Request } from '../context.js';
import { requireAttr, requireUse } from '../objects/access.js';
import type { LoadedKey } from '../keystore/keystore.js';
import type { MechanismEntry, MechOperation } from '../mechanisms/types.js';

function b(s: string | undefined): Buffer {
  return Buffer.from(s ?? '', 'base64');
}

async function prepare(
  ctx: HsmContext,
  req: Request<{ ref: string; mechanism: string; params?: MechParams | undefined }>,
  op: MechOperation,
  attr: string,
): Promise<{ k: LoadedKey; m: MechanismEntry; params: MechParams }> {
  const k = await ctx.keys.get(req.params.ref, req.session.connId);
  requireUse(k, req.session);
  requireAttr(k, attr, op);
  const m = ctx.mechs.require(req.params.mechanism, op, k.mech, ctx.cluster().fips);
  const params = req.params.params ?? {};
  m.checkParams?.(op, params, k.mech);
  return { k, m, params };
}

const sign: Handler<OpParams<'crypto.sign'>, OpResults['crypto.sign']> = async (ctx, req) => {
  const { k, m, params } = await prepare(ctx, req, 'sign', 'sign');
  const sig = await m.sign!(k.mech, b(req.params.data), params);
  return { signature: sig.toString('base64') };
};

const verify: Handler<OpParams<'crypto.verify'>, OpResults['crypto.verify']> = async (ctx, req) => {
  const { k, m, params } = await prepare(ctx, req, 'verify', 'verify');
  const ok = await m.verify!(k.mech, b(req.params.data), b(req.params.signature), params);
  if (!ok) throw new HsmError('CKR_SIGNATURE_INVALID', 'Signature verification failed');
  return { message: 'Signature verified successfully' };
};

const encrypt: Handler<OpParams<'crypto.encrypt'>, OpResults['crypto.encrypt']> = async (ctx, req) => {
  const { k, m, params } = await prepare(ctx, req, 'encrypt', 'encrypt');
  const out = await m.encrypt!(k.mech, b(req.params.data), params);
  const res: OpResults['crypto.encrypt'] = { data: out.data.toString('base64') };
  if (out.iv) res.iv = out.iv.toString('base64');
  return res;
};

const decrypt: Handler<OpParams<'crypto.decrypt'>, OpResults['crypto.decrypt']> = async (ctx, req) => {
  const { k, m, params } = await prepare(ctx, req, 'decrypt', 'decrypt');
  const out = await m.decrypt!(k.mech, b(req.params.data), params);
  return { data: out.toString('base64') };
};

const digest: Handler<OpParams<'crypto.digest'>, OpResults['crypto.digest']> = async (ctx, req) => {
  const m = ctx.mechs.require(req.params.mechanism, 'digest', undefined, ctx.cluster().fips);
  return { digest: (await m.digest!(b(req.params.data))).toString('base64') };
};

const random: Handler<OpParams<'crypto.random'>, OpResults['crypto.random']> = (_ctx, req) => ({
  data: randomBytes(req.params.length).toString('base64'),
});

export const cryptoHandlers = {
  'crypto.sign': sign,
  'crypto.verify': verify,
  'crypto.encrypt': encrypt,
  'crypto.decrypt': decrypt,
  'crypto.digest': digest,
  'crypto.random': random,
} as Record<string, Handler<never, unknown>>;
