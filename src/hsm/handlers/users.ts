// User management: list, create, delete, change-password (reference §3).
// Admins manage users; anyone changes their own password. Never returns password material.

import { HsmError } from '../../protocol/errors.js';
import type { OpParams, OpResults } from '../../protocol/operations.js';
import type { Handler } from '../context.js';

const list: Handler<OpParams<'user.list'>, OpResults['user.list']> = async (ctx) => ({ users: await ctx.users.list() });

const create: Handler<OpParams<'user.create'>, OpResults['user.create']> = async (ctx, req) => {
  const { username, role, password } = req.params;
  req.detail['username'] = username.toLowerCase();
  req.detail['role'] = role;
  await ctx.users.create(username, role, password);
  return { username: username.toLowerCase(), role };
};

const del: Handler<OpParams<'user.delete'>, OpResults['user.delete']> = async (ctx, req) => {
  const { username, role } = req.params;
  const name = username.toLowerCase();
  req.detail['username'] = name;
  if (name === req.session.user!.username) throw new HsmError('CKR_ACTION_PROHIBITED', 'you cannot delete the user you are logged in as');
  if (role === 'crypto-user') {
    const owned = ctx.keys.all(-1).filter((k) => k.rec.owner === name);
    if (owned.length > 0) throw new HsmError('CKR_ACTION_PROHIBITED', `user ${name} owns ${owned.length} keys; delete them first`);
  }
  await ctx.users.delete(name, role);
  return { username: name, role };
};

const changePassword: Handler<OpParams<'user.changePassword'>, OpResults['user.changePassword']> = async (ctx, req) => {
  const { username, role, password } = req.params;
  const me = req.session.user!;
  const name = username.toLowerCase();
  req.detail['username'] = name;
  if (name !== me.username && me.role !== 'admin') {
    throw new HsmError('CKR_ACTION_PROHIBITED', 'only admins change other users\' passwords');
  }
  const u = await ctx.users.require(name);
  if (u.rec.role !== role && !(u.rec.role === 'unactivated-admin' && role === 'admin')) {
    throw new HsmError('CKR_STRONGROOM_NOT_FOUND', `user ${name} with role ${role} does not exist`);
  }
  await ctx.users.setPassword(name, password);
  return { username: name, role };
};

export const userHandlers = {
  'user.list': list,
  'user.create': create,
  'user.delete': del,
  'user.changePassword': changePassword,
} as Record<string, Handler<never, unknown>>;
