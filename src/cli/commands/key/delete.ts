// `key delete --filter ...`: deletes exactly one key (owner only). key.list first, then key.delete.

import type { CommandSpec } from '../../spec.js';
import { filterFlag } from '../../flags.js';
import { selectOneKey } from '../../filter.js';

export const command: CommandSpec = {
  path: ['key', 'delete'],
  summary: 'Delete a key in the HSM cluster',
  flags: [filterFlag('filter', 'for deletion')],
  async run(ctx, args) {
    const ref = await selectOneKey(ctx, args.list('filter'));
    return ctx.call('key.delete', { ref });
  },
};
