// `key wrap <mechanism> --payload-filter ... --wrapping-filter ... [--path P]`: one command per
// mechanism, generated from WRAP_MECHANISMS. Output: payload and wrapping key references and the
// wrapped key in base64, or written as binary to --path (then the base64 is left out).

import type { CommandSpec, FlagSpec } from '../../spec.js';
import type { MechParams, OpParams } from '../../../protocol/operations.js';
import { filterFlag, HASH_FN, MGF } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { oaepParams, WRAP_MECHANISMS, type WrapMech } from '../../mechanisms.js';
import { CliError } from '../../output.js';
import { readTokenFile } from '../../tokens.js';

function wrapCommand(m: WrapMech): CommandSpec {
  const flags: FlagSpec[] = [
    filterFlag('payload-filter', 'to select the payload key'),
    filterFlag('wrapping-filter', 'to select the wrapping key'),
    { name: 'path', type: 'string', help: 'Path to the binary file where the wrapped key data will be saved' },
    { name: 'wrapping-approval', type: 'string', valueName: 'WRAPPING_APPROVAL', help: 'Filepath of a signed quorum token file for the wrapping key' },
    { name: 'payload-approval', type: 'string', valueName: 'PAYLOAD_APPROVAL', help: 'Filepath of a signed quorum token file for the payload key' },
  ];
  if (m.oaep) flags.push(HASH_FN(true), MGF);
  if (m.gcm) flags.push({ name: 'tag-length-bits', type: 'int', help: 'Tag length in bits (default 128)' });
  return {
    path: ['key', 'wrap', m.name],
    summary: `Wrap a key with ${m.summary}`,
    flags,
    async run(ctx, args) {
      let params: MechParams | undefined;
      if (m.oaep) params = oaepParams(args.optStr('hash-function'), args.optStr('mgf'));
      const tag = args.optInt('tag-length-bits');
      if (m.gcm && tag !== undefined) params = { ...params, tagBits: tag };
      const payloadRef = await selectOneKey(ctx, args.list('payload-filter'), 'payload-filter');
      const wrappingRef = await selectOneKey(ctx, args.list('wrapping-filter'), 'wrapping-filter');
      const req: OpParams<'key.wrap'> = { mechanism: m.mechanism, wrappingRef, payloadRef };
      if (params) req.params = params;
      const wa = args.optStr('wrapping-approval');
      const pa = args.optStr('payload-approval');
      if (wa !== undefined) req.wrappingApproval = readTokenFile(ctx, wa, 'wrapping-approval');
      if (pa !== undefined) req.payloadApproval = readTokenFile(ctx, pa, 'payload-approval');
      const { wrapped_key_data, ...rest } = await ctx.call('key.wrap', req);
      const out: Record<string, unknown> = { payload_key_reference: payloadRef, wrapping_key_reference: wrappingRef, ...rest };
      const path = args.optStr('path');
      if (path !== undefined) {
        try {
          ctx.writeFile(path, Buffer.from(wrapped_key_data, 'base64'));
        } catch (e) {
          throw new CliError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      } else out['wrapped_key_data'] = wrapped_key_data;
      return out;
    },
  };
}

export const commands: CommandSpec[] = WRAP_MECHANISMS.map(wrapCommand);
