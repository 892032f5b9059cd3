// `crypto decrypt aes-gcm|aes-cbc-pad|rsa-oaep --key-filter ... --data|--data-path [...]` (beyond CloudHSM's CLI).

import type { CommandSpec } from '../../spec.js';
import { CIPHER_MECHANISMS } from '../../mechanisms.js';
import { cipherCommand } from './cipher.js';

export const commands: CommandSpec[] = CIPHER_MECHANISMS.map((m) => cipherCommand('decrypt', m));
