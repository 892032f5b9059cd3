// User management: list, create, delete, change-password, change-mfa, quorum key registration
// (reference §3). Admins manage users; anyone changes their own password and MFA. Never returns
// password material; a TOTP seed is returned once, at enrolment.

import { HsmError } from '../../protocol/errors.js';
import { checkSigningKey } from '../users/tokens.js';
import { requireNoKmsUser } from '../users/mfa.js';
import { base32Encode } from '../users/totp.js';
import type { UserRecord } from '../users/users.js';
import type { ParsedParams, OpResults } from '../../protocol/operations.js';
import type { Handler } from '../context.js';

const list: Handler<ParsedParams<'user.list'>, OpResults['user.list']> = async (ctx) => ({ users: await ctx.users.list() });

const create: Handler<ParsedParams<'user.create'>, OpResults['user.create']> = async (ctx, req) => {
  const { username, role, password } = req.params;
  req.detail['username'] = username.toLowerCase();
  req.detail['role'] = role;
  await ctx.users.create(username, role, password);
  return { username: username.toLowerCase(), role };
};

const del: Handler<ParsedParams<'user.delete'>, OpResults['user.delete']> = async (ctx, req) => {
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

const changePassword: Handler<ParsedParams<'user.changePassword'>, OpResults['user.changePassword']> = async (ctx, req) => {
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
  // An admin resetting an MFA user's password drops that user's quorum registration (reference §3).
  await ctx.users.setPassword(name, password, undefined, name !== me.username && u.rec.mfa !== undefined);
  return { username: name, role };
};

const changeMfa: Handler<ParsedParams<'user.changeMfa'>, OpResults['user.changeMfa']> = async (ctx, req) => {
  const p = req.params;
  const me = req.session.user!;
  const name = p.username.toLowerCase();
  req.detail['username'] = name;
  req.detail['strategy'] = p.strategy;
  if (name !== me.username && me.role !== 'admin') throw new HsmError('CKR_ACTION_PROHIBITED', 'only admins change other users\' MFA');
  const u = await ctx.users.require(name, p.role);
  if (p.strategy === 'none') {
    await ctx.users.update(name, (r) => {
      const next: UserRecord = { ...r };
      delete next.mfa;
      delete next.challenges;
      delete next.quorumKeyPem; // removing MFA drops the quorum registration (one key serves both)
      return next;
    });
    return { username: name, role: p.role, mfa: [] };
  }
  requireNoKmsUser(name);
  if (p.strategy === 'totp') {
    if (p.publicKey !== undefined || p.token !== undefined) throw new HsmError('CKR_ARGUMENTS_BAD', 'TOTP enrolment takes no public key or token');
    const { uri, seed } = await ctx.mfa.enrolTotp(name, `Strongroom ${ctx.id.clusterId}`);
    try {
      return { username: name, role: p.role, 'otpauth-uri': uri, 'totp-seed': base32Encode(seed), mfa: [{ strategy: 'totp', status: 'enabled' }] };
    } finally {
      seed.fill(0);
    }
  }
  if (!p.token) return { username: name, role: p.role, token: await ctx.mfa.challenge(name, 'mfa-enrol') };
  if (p.publicKey === undefined) throw new HsmError('CKR_ARGUMENTS_BAD', 'token-sign enrolment needs the public key that signed the token');
  const pem = checkSigningKey(p.publicKey);
  if (u.rec.quorumKeyPem && u.rec.quorumKeyPem !== pem && p.changeQuorum !== true) {
    throw new HsmError('CKR_ACTION_PROHIBITED', `user ${name} has a different quorum key registered and one key serves MFA and quorum: pass --change-quorum to change both`);
  }
  const why = await ctx.mfa.useChallenge(name, 'mfa-enrol', p.token, pem);
  if (why !== null) throw new HsmError('CKR_SIGNATURE_INVALID', `MFA enrolment refused: ${why}`);
  await ctx.users.update(name, (r) => ({ ...r, mfa: { strategy: 'token-sign', publicKeyPem: pem }, ...(p.changeQuorum === true ? { quorumKeyPem: pem } : {}) }));
  req.detail['quorum'] = p.changeQuorum === true;
  return { username: name, role: p.role, mfa: [{ strategy: 'token-sign', status: 'enabled' }] };
};

const registerQuorum: Handler<ParsedParams<'user.registerQuorum'>, OpResults['user.registerQuorum']> = async (ctx, req) => {
  const me = req.session.user!;
  req.detail['username'] = me.username;
  const pem = checkSigningKey(req.params.publicKey);
  const u = await ctx.users.require(me.username);
  if (u.rec.mfa?.strategy === 'token-sign' && u.rec.mfa.publicKeyPem !== pem) {
    throw new HsmError('CKR_ACTION_PROHIBITED', 'one key serves MFA and quorum: register your MFA public key, or change both with user change-mfa token-sign --change-quorum');
  }
  await ctx.quorum.useRegistration(req.params.token, pem, me);
  await ctx.users.update(me.username, (r) => ({ ...r, quorumKeyPem: pem }));
  return { username: me.username, role: me.role };
};

export const userHandlers = {
  'user.list': list,
  'user.create': create,
  'user.delete': del,
  'user.changePassword': changePassword,
  'user.changeMfa': changeMfa,
  'user.registerQuorum': registerQuorum,
} as Record<string, Handler<never, unknown>>;
