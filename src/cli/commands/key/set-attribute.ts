// `key set-attribute --filter ... --name A --value V`: true/false are sent as booleans.

import type { CommandSpec } from '../../spec.js';
import { filterFlag } from '../../flags.js';
import { selectOneKey } from '../../filter.js';
import { parseSetValue } from '../../attributes.js';
import { APPROVAL, approvalFrom } from '../../tokens.js';

export const command: CommandSpec = {
  path: ['key', 'set-attribute'],
  summary: 'Set an attribute for a key in the HSM cluster',
  flags: [
    filterFlag('filter', 'to modify'),
    { name: 'name', type: 'string', required: true, valueName: 'KEY_ATTRIBUTE', help: 'Name of the attribute to set (e.g. label, decrypt, trusted)' },
    { name: 'value', type: 'string', required: true, help: 'Value to set (true/false for boolean attributes)' },
    APPROVAL,
  ],
  async run(ctx, args) {
    const ref = await selectOneKey(ctx, args.list('filter'));
    return ctx.call('key.setAttribute', { ref, name: args.str('name'), value: parseSetValue(args.str('value')), ...approvalFrom(ctx, args) });
  },
};
