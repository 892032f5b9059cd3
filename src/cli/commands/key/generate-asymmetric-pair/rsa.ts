// `key generate-asymmetric-pair rsa --public-label --private-label --modulus-size-bits N --public-exponent E [...]`.

import type { CommandSpec } from '../../../spec.js';
import { newKeyOptions } from '../../../inputs.js';
import { CliError } from '../../../output.js';
import { PAIR_FLAGS, pairTemplates } from './common.js';

export const command: CommandSpec = {
  path: ['key', 'generate-asymmetric-pair', 'rsa'],
  summary: 'Generate an RSA key pair',
  flags: [
    { name: 'modulus-size-bits', type: 'int', required: true, help: 'Modulus size in bits (2048 to 4096 in steps of 256)' },
    { name: 'public-exponent', type: 'int', required: true, help: 'Public exponent (odd, at least 65537), decimal or 0x hex' },
    ...PAIR_FLAGS,
  ],
  async run(ctx, args) {
    const modulusSizeBits = args.int('modulus-size-bits');
    const publicExponent = args.int('public-exponent');
    if (publicExponent % 2 === 0) throw new CliError('--public-exponent must be odd');
    return ctx.call('key.generateKeyPair', { keyType: 'rsa', modulusSizeBits, publicExponent, ...pairTemplates(args), ...newKeyOptions(args) });
  },
};
