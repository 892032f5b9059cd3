// `key generate-symmetric generic-secret --label L --key-length-bytes 1..800 [...]`.

import type { CommandSpec } from '../../../spec.js';
import { generateSymmetric, SYMMETRIC_FLAGS } from './common.js';

export const command: CommandSpec = {
  path: ['key', 'generate-symmetric', 'generic-secret'],
  summary: 'Generate a generic secret key',
  flags: SYMMETRIC_FLAGS,
  run: (ctx, args) => generateSymmetric(ctx, args, 'generic-secret'),
};
