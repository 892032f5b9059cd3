// `key unwrap <mechanism> --filter ... --data B64 | --data-path F --key-type-class C --label L [...]`:
// one command per mechanism, generated from WRAP_MECHANISMS; creates the key the data holds.

import type { CommandSpec, FlagSpec } from '../../spec.js';
import type { MechParams, OpParams } from '../../../protocol/operations.js';
import { ATTRIBUTES, filterFlag, HASH_FN, LABEL, MGF, NEW_KEY_FLAGS } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { oaepParams, WRAP_MECHANISMS, type WrapMech } from '../../mechanisms.js';
import { hexToB64, KEY_TYPE_CLASSES, keyTypeClass, newKeyOptions, readBinary, type KeyTypeClass } from '../../inputs.js';
import { parseAttributes, withLabel } from '../../attributes.js';
import { APPROVAL, approvalFrom } from '../../tokens.js';

function unwrapCommand(m: WrapMech): CommandSpec {
  const flags: FlagSpec[] = [
    filterFlag('filter', 'to select a key to unwrap with'),
    { name: 'data', type: 'string', valueName: 'BASE64', help: 'Base64 encoded wrapped key data' },
    { name: 'data-path', type: 'string', help: 'Path to the binary file containing the wrapped key data' },
    { name: 'key-type-class', type: 'string', required: true, choices: KEY_TYPE_CLASSES, help: 'Key type and class of the wrapped key' },
    LABEL,
    ATTRIBUTES('attributes', 'the unwrapped key'),
    ...NEW_KEY_FLAGS,
  ];
  flags.push(APPROVAL);
  if (m.oaep) flags.push(HASH_FN(true), MGF);
  if (m.gcm) {
    flags.push({ name: 'tag-length-bits', type: 'int', help: 'Tag length in bits (default 128)' });
    flags.push({ name: 'iv', type: 'string', help: 'Initial value used to wrap the key, in hex (Strongroom carries the IV in the wrapped data, so this is optional)' });
  }
  return {
    path: ['key', 'unwrap', m.name],
    summary: `Unwrap a key with ${m.summary}`,
    flags,
    exactlyOne: [['data', 'data-path']],
    async run(ctx, args) {
      let params: MechParams | undefined;
      if (m.oaep) params = oaepParams(args.optStr('hash-function'), args.optStr('mgf'));
      if (m.gcm) {
        const iv = args.optStr('iv');
        if (iv !== undefined) params = { ...params, iv: hexToB64(iv, 'iv') };
        const tag = args.optInt('tag-length-bits');
        if (tag !== undefined) params = { ...params, tagBits: tag };
      }
      const wrapped = readBinary(ctx, args, 'data', 'data-path').toString('base64');
      const attributes = withLabel(parseAttributes(args.list('attributes')), args.str('label'));
      const unwrappingRef = await selectOneKey(ctx, args.list('filter'));
      const req: OpParams<'key.unwrap'> = {
        mechanism: m.mechanism,
        unwrappingRef,
        wrapped,
        ...keyTypeClass(args.str('key-type-class') as KeyTypeClass),
        attributes,
        ...newKeyOptions(args),
      };
      if (params) req.params = params;
      const approval = approvalFrom(ctx, args).approval;
      if (approval) req.approval = approval;
      return ctx.call('key.unwrap', req);
    },
  };
}

export const commands: CommandSpec[] = WRAP_MECHANISMS.map(unwrapCommand);
