// The command table: every command the CLI knows, in help order, and the lookup of a word list
// to a command (longest path match). Adding a command means adding one import here.

import type { CommandSpec } from './spec.js';
import { command as configure } from './commands/configure.js';
import { command as clusterActivate } from './commands/cluster/activate.js';
import { command as clusterHsmInfo } from './commands/cluster/hsm-info.js';
import { command as mtlsRegister } from './commands/cluster/mtls/register-trust-anchor.js';
import { command as mtlsDeregister } from './commands/cluster/mtls/deregister-trust-anchor.js';
import { command as mtlsList } from './commands/cluster/mtls/list-trust-anchors.js';
import { command as mtlsSet } from './commands/cluster/mtls/set-enforcement.js';
import { command as mtlsGet } from './commands/cluster/mtls/get-enforcement.js';
import { command as login } from './commands/login.js';
import { command as loginMfaTokenSign } from './commands/login/mfa-token-sign.js';
import { command as loginMfaTotp } from './commands/login/mfa-totp.js';
import { command as logout } from './commands/logout.js';
import { command as userChangeMfaTokenSign } from './commands/user/change-mfa/token-sign.js';
import { command as userChangeMfaTotp } from './commands/user/change-mfa/totp.js';
import { command as userChangeQuorumRegister } from './commands/user/change-quorum/token-sign/register.js';
import { command as quorumGenerate } from './commands/quorum/token-sign/generate.js';
import { command as quorumList } from './commands/quorum/token-sign/list.js';
import { command as quorumListValues } from './commands/quorum/token-sign/list-quorum-values.js';
import { command as quorumSetValue } from './commands/quorum/token-sign/set-quorum-value.js';
import { command as quorumDelete } from './commands/quorum/token-sign/delete.js';
import { command as userList } from './commands/user/list.js';
import { command as userCreate } from './commands/user/create.js';
import { command as userDelete } from './commands/user/delete.js';
import { command as userChangePassword } from './commands/user/change-password.js';
import { command as keyList } from './commands/key/list.js';
import { command as keyDelete } from './commands/key/delete.js';
import { command as keyShare } from './commands/key/share.js';
import { command as keyUnshare } from './commands/key/unshare.js';
import { command as keySetAttribute } from './commands/key/set-attribute.js';
import { command as keyGenerateFile } from './commands/key/generate-file.js';
import { command as keyImportPem } from './commands/key/import/pem.js';
import { command as genAes } from './commands/key/generate-symmetric/aes.js';
import { command as genGeneric } from './commands/key/generate-symmetric/generic-secret.js';
import { command as genRsa } from './commands/key/generate-asymmetric-pair/rsa.js';
import { command as genEc } from './commands/key/generate-asymmetric-pair/ec.js';
import { commands as keyWrap } from './commands/key/wrap.js';
import { commands as keyUnwrap } from './commands/key/unwrap.js';
import { commands as cryptoSign } from './commands/crypto/sign.js';
import { commands as cryptoVerify } from './commands/crypto/verify.js';
import { commands as cryptoEncrypt } from './commands/crypto/encrypt.js';
import { commands as cryptoDecrypt } from './commands/crypto/decrypt.js';
import { command as cryptoMac } from './commands/crypto/mac.js';
import { command as cryptoVerifyMac } from './commands/crypto/verify-mac.js';

export const COMMANDS: readonly CommandSpec[] = [
  configure,
  clusterActivate,
  clusterHsmInfo,
  mtlsRegister,
  mtlsDeregister,
  mtlsList,
  mtlsSet,
  mtlsGet,
  login,
  loginMfaTokenSign,
  loginMfaTotp,
  logout,
  userList,
  userCreate,
  userDelete,
  userChangePassword,
  userChangeMfaTokenSign,
  userChangeMfaTotp,
  userChangeQuorumRegister,
  quorumGenerate,
  quorumList,
  quorumListValues,
  quorumSetValue,
  quorumDelete,
  keyList,
  keyDelete,
  keyShare,
  keyUnshare,
  keySetAttribute,
  keyGenerateFile,
  keyImportPem,
  genAes,
  genGeneric,
  genRsa,
  genEc,
  ...keyWrap,
  ...keyUnwrap,
  ...cryptoSign,
  ...cryptoVerify,
  ...cryptoEncrypt,
  ...cryptoDecrypt,
  cryptoMac,
  cryptoVerifyMac,
];

export type Lookup =
  | { kind: 'command'; command: CommandSpec; rest: string[] }
  | { kind: 'group'; path: string[]; rest: string[] }
  | { kind: 'unknown'; path: string[] };

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((w, i) => path[i] === w);
}

/** Finds the command named by the leading words; a prefix of several commands is a group.
 * A command's path is a prefix of another's only for trailing subcommands (see trailing()). */
export function lookup(words: readonly string[], commands: readonly CommandSpec[] = COMMANDS): Lookup {
  const path: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('-')) break;
    const next = [...path, w];
    if (!commands.some((c) => startsWith(c.path, next))) return { kind: 'unknown', path: next };
    path.push(w);
    const exact = commands.find((c) => c.path.length === path.length && startsWith(c.path, path));
    if (exact) return trailing(exact, words.slice(i + 1), commands);
  }
  if (path.length === 0) return { kind: 'unknown', path: [] };
  return { kind: 'group', path, rest: words.slice(i) };
}

/**
 * CloudHSM puts some subcommands after the parent's flags (`login --username U --role R
 * mfa-token-sign --token F`): a bare word among the parent's flags that names a longer command
 * selects it, and the parent's flags go with it.
 */
function trailing(cmd: CommandSpec, rest: string[], commands: readonly CommandSpec[]): Lookup {
  const kids = commands.filter((c) => c.trailing === true && c.path.length === cmd.path.length + 1 && startsWith(c.path, cmd.path));
  if (kids.length === 0) return { kind: 'command', command: cmd, rest };
  const flags = new Map(cmd.flags.map((f) => [f.name, f]));
  for (let j = 0; j < rest.length; j++) {
    const w = rest[j]!;
    if (w.startsWith('--')) {
      const f = flags.get(w.slice(2));
      if (f && f.type !== 'bool' && f.type !== 'list' && !w.includes('=')) j++; // skip its value
      else if (f?.type === 'list') while (j + 1 < rest.length && !rest[j + 1]!.startsWith('-')) j++;
      continue;
    }
    const kid = kids.find((k) => k.path[k.path.length - 1] === w);
    if (kid) return { kind: 'command', command: kid, rest: [...rest.slice(0, j), ...rest.slice(j + 1)] };
  }
  return { kind: 'command', command: cmd, rest };
}

/** Commands under a group path, for help and error messages. */
export function under(path: readonly string[], commands: readonly CommandSpec[] = COMMANDS): CommandSpec[] {
  return commands.filter((c) => startsWith(c.path, path));
}
