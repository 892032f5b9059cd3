// Quorum token-sign handlers: generate, list, list-quorum-values, set-quorum-value, delete
// (reference §3). Admins ask for tokens of the admin services, crypto users for the key services;
// anyone asks for a registration token. Never returns anything secret: tokens are random bytes.

import { HsmError } from '../../protocol/errors.js';
import type { ParsedParams, OpResults } from '../../protocol/operations.js';
import type { Handler } from '../context.js';

const ADMIN_ONLY = new Set(['user', 'quorum', 'cluster']);
const CU_ONLY = new Set(['key-management', 'key-usage']);

const generate: Handler<ParsedParams<'quorum.generate'>, OpResults['quorum.generate']> = async (ctx, req) => {
  const me = req.session.user!;
  const s = req.params.service;
  req.detail['service'] = s;
  if (ADMIN_ONLY.has(s) && me.role !== 'admin') throw new HsmError('CKR_USER_TYPE_INVALID', `only admins generate tokens for service ${s}`);
  if (CU_ONLY.has(s) && me.role !== 'crypto-user') throw new HsmError('CKR_USER_TYPE_INVALID', `only crypto users generate tokens for service ${s}`);
  const { file, ttlSeconds } = await ctx.quorum.generate(s, me);
  return { service: s, token: file, 'token-timeout-seconds': ttlSeconds };
};

const list: Handler<ParsedParams<'quorum.list'>, OpResults['quorum.list']> = async (ctx) => ({ tokens: await ctx.quorum.list() });

const listValues: Handler<ParsedParams<'quorum.listValues'>, OpResults['quorum.listValues']> = (ctx) => ctx.quorum.values();

const setValue: Handler<ParsedParams<'quorum.setValue'>, OpResults['quorum.setValue']> = async (ctx, req) => {
  const { service, value } = req.params;
  req.detail['service'] = service;
  req.detail['value'] = value;
  await ctx.quorum.setValue(service, value);
  return { service, value };
};

const del: Handler<ParsedParams<'quorum.delete'>, OpResults['quorum.delete']> = async (ctx, req) => {
  req.detail['scope'] = req.params.scope;
  const n = await ctx.quorum.delete(req.params.scope, req.session.user!);
  return { message: `Deleted ${n} token(s)`, deleted: n };
};

export const quorumHandlers = {
  'quorum.generate': generate,
  'quorum.list': list,
  'quorum.listValues': listValues,
  'quorum.setValue': setValue,
  'quorum.delete': del,
} as Record<string, Handler<never, unknown>>;
