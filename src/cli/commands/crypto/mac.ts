// `crypto mac hmac --key-filter ... --hash-function H --data|--data-path` (beyond CloudHSM's CLI):
// HMAC through crypto.sign with CKM_SHA256_HMAC etc. Output {"key-reference", "mac"}.

import type { CommandSpec } from '../../spec.js';
import { DATA, DATA_PATH, filterFlag, HASH_FN } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { hmacMechanism, type Hash } from '../../mechanisms.js';
import { readBinary } from '../../inputs.js';

export const command: CommandSpec = {
  path: ['crypto', 'mac', 'hmac'],
  summary: 'Compute an HMAC with a generic-secret (or AES) key',
  flags: [filterFlag('key-filter', 'to select a matching key'), HASH_FN(true), DATA, DATA_PATH],
  exactlyOne: [['data', 'data-path']],
  async run(ctx, args) {
    const data = readBinary(ctx, args, 'data', 'data-path').toString('base64');
    const mechanism = hmacMechanism(args.str('hash-function') as Hash);
    const ref = await selectOneKey(ctx, args.list('key-filter'), 'key-filter');
    const res = await ctx.call('crypto.sign', { mechanism, ref, data });
    return { 'key-reference': ref, mac: res.signature };
  },
};
