// `key generate-asymmetric-pair ec --curve C --public-label --private-label [...]` (prime256v1 = secp256r1).

import type { CommandSpec } from '../../../spec.js';
import { CURVE_WORDS, curveName, newKeyOptions } from '../../../inputs.js';
import { PAIR_FLAGS, pairTemplates } from './common.js';

export const command: CommandSpec = {
  path: ['key', 'generate-asymmetric-pair', 'ec'],
  summary: 'Generate an EC key pair',
  flags: [{ name: 'curve', type: 'string', required: true, choices: CURVE_WORDS, help: 'Elliptic curve' }, ...PAIR_FLAGS],
  async run(ctx, args) {
    return ctx.call('key.generateKeyPair', { keyType: 'ec', curve: curveName(args.str('curve')), ...pairTemplates(args), ...newKeyOptions(args) });
  },
};
