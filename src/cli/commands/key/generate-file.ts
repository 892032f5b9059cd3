// `key generate-file --encoding pem|reference-pem --path P --filter ...`: writes a public key as
// PEM, or a private key's reference PEM (no key material; format in ../../reference-pem.ts).

import type { CommandSpec } from '../../spec.js';
import { filterFlag } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { CliError } from '../../output.js';
import { publicPemFromAttributes, referencePem } from '../../reference-pem.js';
import { HsmError } from '../../../protocol/errors.js';

export const command: CommandSpec = {
  path: ['key', 'generate-file'],
  summary: 'Generate a key file from a key in the HSM cluster. This command does not export any private key data from the HSM',
  flags: [
    { name: 'encoding', type: 'string', required: true, choices: ['pem', 'reference-pem'], help: 'pem: public key PEM; reference-pem: PEM formatted key reference (private keys)' },
    { name: 'path', type: 'string', required: true, help: 'Filepath where the key file will be written' },
    filterFlag('filter', 'for file generation'),
  ],
  async run(ctx, args) {
    const ref = await selectOneKey(ctx, args.list('filter'));
    const path = args.str('path');
    let text: string;
    if (args.str('encoding') === 'pem') {
      text = (await ctx.call('key.getPublic', { ref })).pem;
    } else {
      const listed = await ctx.call('key.list', { filter: { 'key-reference': ref }, verbose: true });
      const attrs = listed.matched_keys[0]?.attributes ?? {};
      if (attrs['class'] !== undefined && attrs['class'] !== 'private-key') {
        throw new CliError('reference-pem encoding supports private keys only; use --encoding pem for public keys');
      }
      let pub: string | undefined;
      try {
        pub = (await ctx.call('key.getPublic', { ref })).pem;
      } catch (e) {
        if (!(e instanceof HsmError)) throw e;
        pub = publicPemFromAttributes(attrs);
        if (!pub) throw e;
      }
      text = referencePem(ref, pub);
    }
    try {
      ctx.writeFile(path, text);
    } catch (e) {
      throw new CliError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return { message: `Successfully generated key file to ${path}`, 'key-reference': ref };
  },
};
