// The builder behind `crypto encrypt` and `crypto decrypt` (aes-gcm|aes-cbc-pad|rsa-oaep; beyond
// CloudHSM's CLI): one command per verb and mechanism of CIPHER_MECHANISMS.
// Output {"key-reference", "data", "iv"?}, data in base64. IVs and AAD are base64.

import type { CommandSpec, FlagSpec } from '../../spec.js';
import type { MechParams, OpParams } from '../../../protocol/operations.js';
import { DATA, DATA_PATH, filterFlag, HASH_FN, MGF } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { CIPHER_MECHANISMS, oaepParams, type CipherMech } from '../../mechanisms.js';
import { decodeB64, readBinary } from '../../inputs.js';
import { CliError } from '../../output.js';

export function cipherCommand(verb: 'encrypt' | 'decrypt', m: CipherMech): CommandSpec {
  const flags: FlagSpec[] = [filterFlag('key-filter', 'to select a matching key'), DATA, DATA_PATH];
  if (m.iv !== 'none') flags.push({ name: 'iv', type: 'string', valueName: 'BASE64', help: verb === 'encrypt' ? 'Base64 IV (the HSM generates one when omitted)' : 'Base64 IV used to encrypt' });
  if (m.aad) flags.push({ name: 'aad', type: 'string', valueName: 'BASE64', help: 'Base64 additional authenticated data' });
  if (m.aad) flags.push({ name: 'tag-length-bits', type: 'int', help: 'Tag length in bits (default 128)' });
  if (m.oaep) flags.push(HASH_FN(true), MGF);
  return {
    path: ['crypto', verb, m.name],
    summary: `${verb === 'encrypt' ? 'Encrypt' : 'Decrypt'} with ${m.summary}`,
    flags,
    exactlyOne: [['data', 'data-path']],
    async run(ctx, args) {
      const data = readBinary(ctx, args, 'data', 'data-path').toString('base64');
      let params: MechParams | undefined;
      if (m.oaep) params = oaepParams(args.optStr('hash-function'), args.optStr('mgf'));
      const iv = args.optStr('iv');
      if (iv !== undefined) params = { ...params, iv: decodeB64(iv, 'iv').toString('base64') };
      else if (verb === 'decrypt' && m.iv !== 'none') throw new CliError(`missing required flag --iv for 'crypto decrypt ${m.name}'`);
      const aad = args.optStr('aad');
      if (aad !== undefined) params = { ...params, aad: decodeB64(aad, 'aad').toString('base64') };
      const tag = args.optInt('tag-length-bits');
      if (tag !== undefined) params = { ...params, tagBits: tag };
      const ref = await selectOneKey(ctx, args.list('key-filter'), 'key-filter');
      const req: OpParams<'crypto.encrypt'> = { mechanism: m.mechanism, ref, data };
      if (params) req.params = params;
      if (verb === 'encrypt') {
        const res = await ctx.call('crypto.encrypt', req);
        const out: Record<string, string> = { 'key-reference': ref, data: res.data };
        const outIv = res.iv ?? params?.iv;
        if (outIv !== undefined) out['iv'] = outIv;
        return out;
      }
      const res = await ctx.call('crypto.decrypt', req);
      return { 'key-reference': ref, data: res.data };
    },
  };
}
