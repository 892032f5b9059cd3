// `crypto verify-mac hmac --key-filter ... --hash-function H --data|--data-path --mac B64|--mac-path F`
// (beyond CloudHSM's CLI): crypto.verify with the HMAC mechanism; a mismatch is an error.

import type { CommandSpec } from '../../spec.js';
import { DATA, DATA_PATH, filterFlag, HASH_FN } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { hmacMechanism, type Hash } from '../../mechanisms.js';
import { readBinary } from '../../inputs.js';

export const command: CommandSpec = {
  path: ['crypto', 'verify-mac', 'hmac'],
  summary: 'Verify an HMAC',
  flags: [
    filterFlag('key-filter', 'to select a matching key'),
    HASH_FN(true),
    DATA,
    DATA_PATH,
    { name: 'mac', type: 'string', valueName: 'BASE64', help: 'Base64 encoded MAC to verify' },
    { name: 'mac-path', type: 'string', help: 'Path to a binary file holding the MAC' },
  ],
  exactlyOne: [['data', 'data-path'], ['mac', 'mac-path']],
  async run(ctx, args) {
    const data = readBinary(ctx, args, 'data', 'data-path').toString('base64');
    const signature = readBinary(ctx, args, 'mac', 'mac-path').toString('base64');
    const mechanism = hmacMechanism(args.str('hash-function') as Hash);
    const ref = await selectOneKey(ctx, args.list('key-filter'), 'key-filter');
    await ctx.call('crypto.verify', { mechanism, ref, data, signature });
    return { message: 'MAC verified successfully' };
  },
};
