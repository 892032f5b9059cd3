// Alias name rules shared by CreateAlias, UpdateAlias and DeleteAlias.

import { K, kmsError } from '../errors.js';
import { req, type In } from './common.js';

export function aliasName(i: In): string {
  const name = req(i, 'AliasName', { min: 1, max: 256 });
  if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(name)) throw kmsError(K.invalidAliasName, `Alias ${name.slice(0, 80)} must begin with alias/ followed by letters, digits, /, _ or -.`);
  if (name.startsWith('alias/aws/')) throw kmsError(K.invalidAliasName, 'Aliases beginning with alias/aws/ are reserved.');
  return name;
}
