// Login, logout and whoami: bind a user to this connection (the HSM session). With MFA, login is two
// calls: the first (password only) answers with the challenge, the second carries the signed token
// or TOTP code; a failed second factor counts towards lockout like a bad password.
// Never echoes or logs the password, a code, a ticket or a signature.

import { HsmError } from '../../protocol/errors.js';
import type { ParsedParams, OpResults } from '../../protocol/operations.js';
import type { Handler } from '../context.js';

const login: Handler<ParsedParams<'login'>, OpResults['login']> = async (ctx, req) => {
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
  let tickets: string[] = [];
  if (u.mfa) {
    const name = u.username;
    let why: string | null;
    if (p.ticket !== undefined) {
      req.detail['mfa'] = 'ticket';
      why = await ctx.mfa.useTicket(name, p.ticket);
    } else if (u.mfa.strategy === 'token-sign') {
      if (!p.mfaToken) {
        req.detail['mfa'] = 'challenge';
        return { username: name, role: u.role, 'mfa-required': 'token-sign', token: await ctx.mfa.challenge(name, 'mfa-login') };
      }
      req.detail['mfa'] = 'token-sign';
      why = await ctx.mfa.useChallenge(name, 'mfa-login', p.mfaToken, u.mfa.publicKeyPem);
    } else {
      if (p.totp === undefined) {
        req.detail['mfa'] = 'challenge';
        return { username: name, role: u.role, 'mfa-required': 'totp' };
      }
      req.detail['mfa'] = 'totp';
      why = await ctx.mfa.useTotp(name, p.totp);
    }
    if (why !== null) {
      req.detail['mfa-result'] = 'failed';
      await ctx.users.loginFailed(name, `MFA failed: ${why}`);
    }
    await ctx.users.loginSucceeded(name);
    // The client opens a session on every HSM: one single-use ticket for each of the others.
    if (p.ticket === undefined) tickets = await ctx.mfa.issueTickets(name, ctx.members().length - 1);
  }
  req.session.user = { username: u.username, role: u.role };
  return tickets.length > 0 ? { username: u.username, role: u.role, tickets } : { username: u.username, role: u.role };
};

const logout: Handler<ParsedParams<'logout'>, OpResults['logout']> = (ctx, req) => {
  ctx.keys.dropSession(req.session.connId);
  req.session.user = null;
  return 'Logout successful';
};

const whoami: Handler<ParsedParams<'whoami'>, OpResults['whoami']> = (_ctx, req) => ({
  username: req.session.user?.username ?? null,
  role: req.session.user?.role ?? (req.session.appliance ? 'appliance' : null),
  mtls: req.session.mtls,
});

export const sessionHandlers = { login, logout, whoami } as Record<string, Handler<never, unknown>>;
