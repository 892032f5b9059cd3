// `key import pem --path P --label L [--key-type-class rsa-public|ec-public] [--attributes ...]`:
// imports a public key. The CLI checks the PEM's type against --key-type-class; the HSM checks the rest.

import { createPublicKey } from 'node:crypto';
import type { CommandSpec } from '../../../spec.js';
import type { OpParams } from '../../../../protocol/operations.js';
import { ATTRIBUTES, LABEL, SESSION } from '../../../flags.js';
import { parseAttributes, withLabel } from '../../../attributes.js';
import { CliError } from '../../../output.js';

export const command: CommandSpec = {
  path: ['key', 'import', 'pem'],
  summary: 'Import a PEM encoded public key into the HSM cluster',
  flags: [
    { name: 'path', type: 'string', required: true, help: 'Path of the PEM file' },
    LABEL,
    { name: 'key-type-class', type: 'string', choices: ['rsa-public', 'ec-public'], help: 'Key type and class of the imported key' },
    ATTRIBUTES('attributes', 'the imported key'),
    SESSION,
  ],
  async run(ctx, args) {
    const path = args.str('path');
    let pem: string;
    try {
      pem = ctx.readFile(path).toString('utf8');
    } catch (e) {
      throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let kind: string | undefined;
    try {
      kind = createPublicKey(pem).asymmetricKeyType;
    } catch (e) {
      throw new CliError(`${path} is not a PEM public key: ${(e as Error).message}`);
    }
    const want = args.optStr('key-type-class');
    if (want && want !== `${kind}-public`) throw new CliError(`${path} holds a ${kind ?? 'unknown'} public key, not ${want}`);
    const params: OpParams<'key.importPublic'> = { pem, attributes: withLabel(parseAttributes(args.list('attributes')), args.str('label')) };
    if (args.bool('session')) params.session = true;
    return ctx.call('key.importPublic', params);
  },
};
