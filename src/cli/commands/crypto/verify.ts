// `crypto verify rsa-pkcs|rsa-pkcs-pss|ecdsa ... --signature B64 | --signature-path F`: one
// command per mechanism. A signature that does not verify is an error (error_code 1).

import type { CommandSpec } from '../../spec.js';
import type { OpParams } from '../../../protocol/operations.js';
import { selectOneKey } from '../../filter.js';
import { SIGN_MECHANISMS, type SignMech } from '../../mechanisms.js';
import { readBinary } from '../../inputs.js';
import { planFromArgs, signFlags, SUMMARY } from './sign.js';

function verifyCommand(mech: SignMech): CommandSpec {
  return {
    path: ['crypto', 'verify', mech],
    summary: `Verify with the ${SUMMARY[mech]} mechanism`,
    flags: [
      ...signFlags(mech),
      { name: 'signature', type: 'string', valueName: 'BASE64', help: 'Base64 encoded signature to be verified' },
      { name: 'signature-path', type: 'string', help: 'The path to where the signature is located' },
    ],
    exactlyOne: [['data', 'data-path'], ['signature', 'signature-path']],
    async run(ctx, args) {
      const plan = planFromArgs(ctx, args, mech);
      const signature = readBinary(ctx, args, 'signature', 'signature-path').toString('base64');
      const ref = await selectOneKey(ctx, args.list('key-filter'), 'key-filter');
      const req: OpParams<'crypto.verify'> = { mechanism: plan.mechanism, ref, data: plan.data.toString('base64'), signature };
      if (plan.params) req.params = plan.params;
      await ctx.call('crypto.verify', req);
      return { message: 'Signature verified successfully' };
    },
  };
}

export const commands: CommandSpec[] = SIGN_MECHANISMS.map(verifyCommand);
