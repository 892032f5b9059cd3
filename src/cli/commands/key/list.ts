// `key list [--filter ...] [--verbose] [--max-items N] [--starting-token T]`. Maps to key.list.

import type { CommandSpec } from '../../spec.js';
import type { OpParams } from '../../../protocol/operations.js';
import { filterFlag } from '../../flags.js';
import { parseFilter } from '../../filter.js';
import { CliError } from '../../output.js';

export const command: CommandSpec = {
  path: ['key', 'list'],
  summary: 'List the keys for the current user (owned, shared, and all public keys)',
  flags: [
    filterFlag('filter', 'to select matching keys', false),
    { name: 'verbose', type: 'bool', help: 'Include all attributes and key information in the output' },
    { name: 'max-items', type: 'int', help: 'The total number of items to return' },
    { name: 'starting-token', type: 'string', help: 'A token to specify where to start paginating (next_token of a previous call)' },
  ],
  async run(ctx, args) {
    const params: OpParams<'key.list'> = {};
    const terms = args.list('filter');
    if (terms.length) params.filter = parseFilter(terms);
    if (args.bool('verbose')) params.verbose = true;
    const max = args.optInt('max-items');
    if (max !== undefined) {
      if (max < 1) throw new CliError('--max-items must be at least 1');
      params.maxItems = max;
    }
    const token = args.optStr('starting-token');
    if (token !== undefined) params.startingToken = token;
    return ctx.call('key.list', params);
  },
};
