// `quorum token-sign set-quorum-value --service user|quorum|cluster --value N [--approval FILE]`:
// sets M (2 to 8; 1 turns quorum off). Guarded by the quorum service itself; the quorum service's
// value must be at least the user service's before the user value is raised.

import type { CommandSpec } from '../../../spec.js';
import { APPROVAL, approvalFrom } from '../../../tokens.js';

export const command: CommandSpec = {
  path: ['quorum', 'token-sign', 'set-quorum-value'],
  summary: 'Set the quorum value for a service',
  flags: [
    { name: 'service', type: 'string', required: true, choices: ['user', 'quorum', 'cluster'], help: 'Service the quorum value applies to' },
    { name: 'value', type: 'int', required: true, help: 'Number of approvals required (1 to 8; 1 turns quorum off)' },
    APPROVAL,
  ],
  async run(ctx, args) {
    return ctx.call('quorum.setValue', { service: args.str('service') as 'user', value: args.int('value'), ...approvalFrom(ctx, args) });
  },
};
