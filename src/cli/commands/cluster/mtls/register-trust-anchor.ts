// `cluster mtls register-trust-anchor --path F`: registers a CA certificate (PEM) for client mTLS.

import type { CommandSpec } from '../../../spec.js';
import { CliError } from '../../../output.js';
import { APPROVAL, approvalFrom } from '../../../tokens.js';

export const command: CommandSpec = {
  path: ['cluster', 'mtls', 'register-trust-anchor'],
  summary: 'Register a trust anchor (CA certificate, PEM) for client mutual TLS',
  flags: [{ name: 'path', type: 'string', required: true, help: 'Filepath of the trust anchor certificate (PEM)' }, APPROVAL],
  async run(ctx, args) {
    const path = args.str('path');
    let pem: string;
    try {
      pem = ctx.readFile(path).toString('utf8');
    } catch (e) {
      throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`${path} is not a PEM certificate`);
    return ctx.call('mtls.registerTrustAnchor', { pem, ...approvalFrom(ctx, args) });
  },
};
