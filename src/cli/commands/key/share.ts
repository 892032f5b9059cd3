// `key share --filter ... --username U --role crypto-user`. key.list first, then key.share.

import type { CommandSpec } from '../../spec.js';
import { filterFlag, USERNAME } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { APPROVAL, approvalFrom } from '../../tokens.js';

export const command: CommandSpec = {
  path: ['key', 'share'],
  summary: 'Share a key in the HSM cluster with another crypto user',
  flags: [filterFlag('filter', 'for sharing'), USERNAME, { name: 'role', type: 'string', required: true, choices: ['crypto-user'], help: 'Role of the user to share with' }, APPROVAL],
  async run(ctx, args) {
    const ref = await selectOneKey(ctx, args.list('filter'));
    return ctx.call('key.share', { ref, username: args.str('username').toLowerCase(), ...approvalFrom(ctx, args) });
  },
};
