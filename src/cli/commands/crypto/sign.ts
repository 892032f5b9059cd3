// `crypto sign rsa-pkcs|rsa-pkcs-pss|ecdsa --key-filter ... --hash-function H --data|--data-path
// [--data-type raw|digest] [--mgf] [--salt-length]`: one command per mechanism. Output:
// {"key-reference", "signature"} with the signature in base64 (ECDSA as r||s, like CloudHSM).

import type { CommandSpec, FlagSpec } from '../../spec.js';
import type { OpParams } from '../../../protocol/operations.js';
import type { ParsedArgs } from '../../args.js';
import { DATA, DATA_PATH, filterFlag, HASH_FN, MGF } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { signPlan, SIGN_MECHANISMS, type Hash, type SignMech, type SignPlan } from '../../mechanisms.js';
import { readBinary } from '../../inputs.js';
import type { CliContext } from '../../spec.js';
import { APPROVAL, approvalFrom } from '../../tokens.js';

const SUMMARY: Record<SignMech, string> = { 'rsa-pkcs': 'RSA-PKCS', 'rsa-pkcs-pss': 'RSA-PKCS-PSS', ecdsa: 'ECDSA' };

export function signFlags(mech: SignMech): FlagSpec[] {
  const flags: FlagSpec[] = [
    filterFlag('key-filter', 'to select a matching key'),
    HASH_FN(true),
    DATA,
    DATA_PATH,
    { name: 'data-type', type: 'string', choices: ['raw', 'digest'], help: 'raw: the HSM hashes the data (default); digest: the data is already a digest' },
  ];
  if (mech === 'rsa-pkcs-pss') flags.push(MGF, { name: 'salt-length', type: 'int', help: 'Salt length in bytes (default: the hash length)' });
  return flags;
}

/** Shared by sign and verify: reads the data and plans mechanism, bytes and parameters. */
export function planFromArgs(ctx: CliContext, args: ParsedArgs, mech: SignMech): SignPlan {
  const data = readBinary(ctx, args, 'data', 'data-path');
  const dataType = (args.optStr('data-type') ?? 'raw') as 'raw' | 'digest';
  return signPlan(mech, args.str('hash-function') as Hash, dataType, data, { mgf: args.optStr('mgf'), saltLength: args.optInt('salt-length') });
}

function signCommand(mech: SignMech): CommandSpec {
  return {
    path: ['crypto', 'sign', mech],
    summary: `Sign with the ${SUMMARY[mech]} mechanism`,
    flags: [...signFlags(mech), APPROVAL],
    exactlyOne: [['data', 'data-path']],
    async run(ctx, args) {
      const approval = approvalFrom(ctx, args);
      const plan = planFromArgs(ctx, args, mech);
      const ref = await selectOneKey(ctx, args.list('key-filter'), 'key-filter');
      const req: OpParams<'crypto.sign'> = { mechanism: plan.mechanism, ref, data: plan.data.toString('base64'), ...approval };
      if (plan.params) req.params = plan.params;
      const res = await ctx.call('crypto.sign', req);
      return { 'key-reference': ref, signature: res.signature };
    },
  };
}

export const commands: CommandSpec[] = SIGN_MECHANISMS.map(signCommand);
export { SUMMARY };
