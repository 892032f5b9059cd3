// Login, logout and whoami: bind a user to this connection (the HSM session).
// Never echoes or logs the password.

import { HsmError } from '../../protocol/errors.js';
import type { OpParams, OpResults } from '../../protocol/operations.js';
import type { Handler } from '../context.js';

const login: Handler<OpParams<'login'>, OpResults['login']> = async (ctx, req) => {
  const p = req.params;
  req.detail['username'] = p.username.toLowerCase();
  req.detail['role'] = p.role;
  if (ctx.state() !== 'ACTIVE') throw new HsmError('CKR_STRONGROOM_STATE', `the cluster is ${ctx.state()}: activate it before logging in`);
  if (req.session.user) {
    throw new HsmError('CKR_USER_ALREADY_LOGGED_IN', `already logged in as ${req.session.user.username}; log out first`);
  }
  if (p.role === 'appliance' && !req.session.appliance) {
    throw new HsmError('CKR_USER_TYPE_INVALID', 'the appliance user logs in only over an appliance connection');
  }
  const u = await ctx.users.login(p.username, p.role, p.password);
  req.session.user = { username: u.username, role: u.role };
  return { username: u.username, role: u.role };
};

const logout: Handler<OpParams<'logout'>, OpResults['logout']> = (ctx, req) => {
  ctx.keys.dropSession(req.session.connId);
  req.session.user = null;
  return 'Logout successful';
};

const whoami: Handler<OpParams<'whoami'>, OpResults['whoami']> = (_ctx, req) => ({
  username: req.session.user?.username ?? null,
  role: req.session.user?.role ?? (req.session.appliance ? 'appliance' : null),
  mtls: req.session.mtls,
});

export const sessionHandlers = { login, logout, whoami } as Record<string, Handler<never, unknown>>;
