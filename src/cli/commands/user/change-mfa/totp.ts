// `user change-mfa totp --username U --role R [--deregister] [--approval FILE]`: enrols TOTP MFA
// (RFC 6238; beyond CloudHSM). Prints the otpauth:// URI (for a QR code) and the base32 seed once.

import type { CommandSpec } from '../../../spec.js';
import { USERNAME } from '../../../flags.js';
import { APPROVAL, approvalFrom } from '../../../tokens.js';

export const command: CommandSpec = {
  path: ['user', 'change-mfa', 'totp'],
  summary: 'Register or deregister a TOTP authenticator (RFC 6238)',
  flags: [
    USERNAME,
    { name: 'role', type: 'string', required: true, choices: ['admin', 'crypto-user'], help: 'Role the user has in the cluster' },
    { name: 'deregister', type: 'bool', help: 'Remove the user\'s MFA' },
    APPROVAL,
  ],
  async run(ctx, args) {
    const base = { username: args.str('username').toLowerCase(), role: args.str('role') as 'admin' | 'crypto-user', ...approvalFrom(ctx, args) };
    return ctx.call('user.changeMfa', { ...base, strategy: args.bool('deregister') ? 'none' : 'totp' });
  },
};
