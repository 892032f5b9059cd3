// `cluster mtls list-trust-anchors` (no login needed).

import type { CommandSpec } from '../../../spec.js';

export const command: CommandSpec = {
  path: ['cluster', 'mtls', 'list-trust-anchors'],
  summary: 'List the trust anchors registered for client mutual TLS',
  flags: [],
  async run(ctx) {
    return ctx.call('mtls.listTrustAnchors', {});
  },
};
