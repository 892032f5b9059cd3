// Flag definitions shared by several commands, worded as CloudHSM's help words them.
// Data only.

import type { FlagSpec } from './spec.js';
import { HASHES, MGFS } from './mechanisms.js';

const FILTER_HELP = 'Key reference (e.g. key-reference=0xabc) or space separated list of key attributes in the form of attr.KEY_ATTRIBUTE_NAME=KEY_ATTRIBUTE_VALUE';

export const filterFlag = (name = 'filter', purpose = 'to select a matching key', required = true): FlagSpec => ({
  name,
  type: 'list',
  required,
  valueName: `${name.toUpperCase().replace(/-/g, '_')}...`,
  help: `${FILTER_HELP} ${purpose}`,
});

export const USERNAME: FlagSpec = { name: 'username', type: 'string', required: true, help: 'Username (letters, digits and _; case-insensitive)' };
export const ROLE: FlagSpec = { name: 'role', type: 'string', required: true, choices: ['admin', 'crypto-user'], help: 'Role of the user' };
export const PASSWORD: FlagSpec = { name: 'password', type: 'string', help: 'Password; prompted for without echo when omitted' };
export const LABEL: FlagSpec = { name: 'label', type: 'string', required: true, help: 'Label for the key' };
export const SESSION: FlagSpec = { name: 'session', type: 'bool', help: 'Creates a session key that exists only in the current session' };
export const ATTRIBUTES = (name = 'attributes', what = 'the key'): FlagSpec => ({
  name,
  type: 'list',
  valueName: 'KEY_ATTRIBUTES...',
  help: `Space separated list of key attributes to set for ${what} in the form of KEY_ATTRIBUTE_NAME=KEY_ATTRIBUTE_VALUE`,
});
export const SHARE: FlagSpec = { name: 'share-crypto-users', type: 'list', valueName: 'USERNAMES...', help: 'Space separated list of Crypto User usernames to share the key with' };
export const MANAGE_QUORUM: FlagSpec = { name: 'manage-key-quorum-value', type: 'int', help: 'The quorum value for key management operations (0-8)' };
export const USE_QUORUM: FlagSpec = { name: 'use-key-quorum-value', type: 'int', help: 'The quorum value for key usage operations (0-8)' };
export const NEW_KEY_FLAGS: readonly FlagSpec[] = [SESSION, SHARE, MANAGE_QUORUM, USE_QUORUM];

export const HASH_FN = (required: boolean): FlagSpec => ({ name: 'hash-function', type: 'string', required, choices: HASHES, help: 'Hash function' });
export const MGF: FlagSpec = { name: 'mgf', type: 'string', choices: MGFS, help: 'Mask generation function (defaults to MGF1 with the hash function)' };
export const DATA: FlagSpec = { name: 'data', type: 'string', valueName: 'BASE64', help: 'Base64 encoded data' };
export const DATA_PATH: FlagSpec = { name: 'data-path', type: 'string', valueName: 'PATH', help: 'Path to a binary file holding the data' };
