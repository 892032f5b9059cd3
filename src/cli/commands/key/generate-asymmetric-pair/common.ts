// Flags and mapping shared by `key generate-asymmetric-pair rsa` and `... ec`.

import type { FlagSpec } from '../../../spec.js';
import type { ParsedArgs } from '../../../args.js';
import type { AttributeTemplate } from '../../../../protocol/operations.js';
import { ATTRIBUTES, NEW_KEY_FLAGS } from '../../../flags.js';
import { parseAttributes, withLabel } from '../../../attributes.js';

export const PAIR_FLAGS: readonly FlagSpec[] = [
  { name: 'public-label', type: 'string', required: true, help: 'Label for the public key' },
  { name: 'private-label', type: 'string', required: true, help: 'Label for the private key' },
  ATTRIBUTES('public-attributes', 'the generated public key'),
  ATTRIBUTES('private-attributes', 'the generated private key'),
  ...NEW_KEY_FLAGS,
];

export function pairTemplates(args: ParsedArgs): { publicAttributes: AttributeTemplate; privateAttributes: AttributeTemplate } {
  return {
    publicAttributes: withLabel(parseAttributes(args.list('public-attributes')), args.str('public-label')),
    privateAttributes: withLabel(parseAttributes(args.list('private-attributes')), args.str('private-label')),
  };
}
