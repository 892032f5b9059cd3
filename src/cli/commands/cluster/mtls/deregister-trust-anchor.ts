// `cluster mtls deregister-trust-anchor --certificate-reference R`.

import type { CommandSpec } from '../../../spec.js';
import { APPROVAL, approvalFrom } from '../../../tokens.js';

export const command: CommandSpec = {
  path: ['cluster', 'mtls', 'deregister-trust-anchor'],
  summary: 'Deregister a trust anchor for client mutual TLS',
  flags: [{ name: 'certificate-reference', type: 'string', required: true, help: 'Reference of the trust anchor (from list-trust-anchors)' }, APPROVAL],
  async run(ctx, args) {
    return ctx.call('mtls.deregisterTrustAnchor', { certificateReference: args.str('certificate-reference'), ...approvalFrom(ctx, args) });
  },
};
