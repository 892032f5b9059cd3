// `key unshare --filter ... --username U --role crypto-user`. key.list first, then key.unshare.

import type { CommandSpec } from '../../spec.js';
import { filterFlag, USERNAME } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { APPROVAL, approvalFrom } from '../../tokens.js';

export const command: CommandSpec = {
  path: ['key', 'unshare'],
  summary: 'Unshare a key in the HSM cluster with another crypto user',
  flags: [filterFlag('filter', 'for unsharing'), USERNAME, { name: 'role', type: 'string', required: true, choices: ['crypto-user'], help: 'Role of the user to unshare with' }, APPROVAL],
  async run(ctx, args) {
    const ref = await selectOneKey(ctx, args.list('filter'));
    return ctx.call('key.unshare', { ref, username: args.str('username').toLowerCase(), ...approvalFrom(ctx, args) });
  },
};
