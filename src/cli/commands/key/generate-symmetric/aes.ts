// `key generate-symmetric aes --label L --key-length-bytes 16|24|32 [...]`.

import type { CommandSpec } from '../../../spec.js';
import { generateSymmetric, SYMMETRIC_FLAGS } from './common.js';

export const command: CommandSpec = {
  path: ['key', 'generate-symmetric', 'aes'],
  summary: 'Generate an AES key',
  flags: SYMMETRIC_FLAGS,
  run: (ctx, args) => generateSymmetric(ctx, args, 'aes'),
};
