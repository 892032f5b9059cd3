// Crypto handlers: sign, verify, encrypt, decrypt, digest, random. Order of checks: handle →
// access → usage attribute → mechanism (registry: op, key type, size, FIPS) → parameters → work.
// Never logs or keeps inputs or outputs.

import { randomBytes } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams, ParsedParams, OpResults } from '../../protocol/operations.js';
import type { Handler, HsmContext, Request } from '../context.js';
import { requireAttr, requireUse } from '../objects/access.js';
import type { LoadedKey } from '../keystore/keystore.js';
import type { MechanismEntry, MechOperation } from '../mechanisms/types.js';

async function prepare(
  ctx: HsmContext,
  req: Request<{ ref: string; mechanism: string; params?: ParsedMechParams | undefined }>,
  op: MechOperation,
  attr: string,
): Promise<{ k: LoadedKey; m: MechanismEntry; params: ParsedMechParams }> {
  const k = await ctx.keys.get(req.params.ref, req.session.connId);
  requireUse(k, req.session);
  requireAttr(k, attr, op);
  const m = ctx.mechs.require(req.params.mechanism, op, k.mech, ctx.cluster().fips);
  const params = req.params.params ?? {};
  m.checkParams?.(op, params, k.mech);
  return { k, m, params };
}

const sign: Handler<ParsedParams<'crypto.sign'>, OpResults['crypto.sign']> = async (ctx, req) => {
  const { k, m, params } = await prepare(ctx, req, 'sign', 'sign');
  const sig = await m.sign!(k.mech, req.params.data, params);
  return { signature: sig.toString('base64') };
};

const verify: Handler<ParsedParams<'crypto.verify'>, OpResults['crypto.verify']> = async (ctx, req) => {
  const { k, m, params } = await prepare(ctx, req, 'verify', 'verify');
  const ok = await m.verify!(k.mech, req.params.data, req.params.signature, params);
  if (!ok) throw new HsmError('CKR_SIGNATURE_INVALID', 'Signature verification failed');
  return { message: 'Signature verified successfully' };
};

const encrypt: Handler<ParsedParams<'crypto.encrypt'>, OpResults['crypto.encrypt']> = async (ctx, req) => {
  const { k, m, params } = await prepare(ctx, req, 'encrypt', 'encrypt');
  const out = await m.encrypt!(k.mech, req.params.data, params);
  const res: OpResults['crypto.encrypt'] = { data: out.data.toString('base64') };
  if (out.iv) res.iv = out.iv.toString('base64');
  return res;
};

const decrypt: Handler<ParsedParams<'crypto.decrypt'>, OpResults['crypto.decrypt']> = async (ctx, req) => {
  const { k, m, params } = await prepare(ctx, req, 'decrypt', 'decrypt');
  const out = await m.decrypt!(k.mech, req.params.data, params);
  return { data: out.toString('base64') };
};

const digest: Handler<ParsedParams<'crypto.digest'>, OpResults['crypto.digest']> = async (ctx, req) => {
  const m = ctx.mechs.require(req.params.mechanism, 'digest', undefined, ctx.cluster().fips);
  return { digest: (await m.digest!(req.params.data)).toString('base64') };
};

const random: Handler<ParsedParams<'crypto.random'>, OpResults['crypto.random']> = (_ctx, req) => ({
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
