// What `key generate-symmetric aes` and `... generic-secret` share: flags and the mapping to
// key.generateSymmetric. Key lengths are checked here too so misuse fails before any connection.

import type { CliContext, FlagSpec } from '../../../spec.js';
import type { ParsedArgs } from '../../../args.js';
import { ATTRIBUTES, LABEL, NEW_KEY_FLAGS } from '../../../flags.js';
import { parseAttributes, withLabel } from '../../../attributes.js';
import { newKeyOptions } from '../../../inputs.js';
import { CliError } from '../../../output.js';

export const SYMMETRIC_FLAGS: readonly FlagSpec[] = [
  LABEL,
  { name: 'key-length-bytes', type: 'int', required: true, help: 'Key length in bytes' },
  { name: 'id', type: 'string', help: 'Key id (hex)' },
  ATTRIBUTES('attributes', 'the generated key'),
  ...NEW_KEY_FLAGS,
];

export function checkLength(keyType: 'aes' | 'generic-secret', n: number): void {
  if (keyType === 'aes' && ![16, 24, 32].includes(n)) throw new CliError(`invalid --key-length-bytes ${n} for aes: must be 16, 24 or 32`);
  if (keyType === 'generic-secret' && (n < 1 || n > 800)) throw new CliError(`invalid --key-length-bytes ${n} for generic-secret: must be 1 to 800`);
}

export async function generateSymmetric(ctx: CliContext, args: ParsedArgs, keyType: 'aes' | 'generic-secret'): Promise<unknown> {
  const keyLengthBytes = args.int('key-length-bytes');
  checkLength(keyType, keyLengthBytes);
  const attributes = withLabel(parseAttributes(args.list('attributes')), args.str('label'), args.optStr('id'));
  return ctx.call('key.generateSymmetric', { keyType, keyLengthBytes, attributes, ...newKeyOptions(args) });
}
