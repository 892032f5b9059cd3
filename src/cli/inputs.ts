// Binary inputs from flags: base64 on the command line (--data) or a binary file (--data-path),
// and the small conversions the commands share (hex IVs, key-type-class words, curve aliases).
// Never prints the data it reads.

import { CliError } from './output.js';
import type { ParsedArgs } from './args.js';
import type { CliContext } from './spec.js';

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes strict base64 (whitespace ignored); misuse is a CliError naming the flag. */
export function decodeB64(text: string, flag: string): Buffer {
  const t = text.replace(/\s+/g, '');
  if (!B64.test(t) || t.length % 4 === 1) throw new CliError(`--${flag} must be base64`);
  return Buffer.from(t, 'base64');
}

/** Reads `--<b64Flag> B64 | --<pathFlag> FILE` (the parser already checked exactly one was given). */
export function readBinary(ctx: CliContext, args: ParsedArgs, b64Flag: string, pathFlag: string): Buffer {
  const b = args.optStr(b64Flag);
  if (b !== undefined) return decodeB64(b, b64Flag);
  const p = args.optStr(pathFlag);
  if (p === undefined) throw new CliError(`one of --${b64Flag} or --${pathFlag} is required`);
  try {
    return ctx.readFile(p);
  } catch (e) {
    throw new CliError(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A hex value (0x optional), as CloudHSM's `key unwrap aes-gcm --iv` takes it, returned as base64. */
export function hexToB64(text: string, flag: string): string {
  const t = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]*$/i.test(t) || t.length % 2) throw new CliError(`--${flag} must be hex (e.g. 0x0102...)`);
  return Buffer.from(t, 'hex').toString('base64');
}

export const KEY_TYPE_CLASSES = ['aes', 'generic-secret', 'rsa-private', 'ec-private'] as const;
export type KeyTypeClass = (typeof KEY_TYPE_CLASSES)[number];

export function keyTypeClass(v: KeyTypeClass): { keyClass: 'secret-key' | 'private-key'; keyType: 'aes' | 'generic-secret' | 'rsa' | 'ec' } {
  switch (v) {
    case 'aes':
      return { keyClass: 'secret-key', keyType: 'aes' };
    case 'generic-secret':
      return { keyClass: 'secret-key', keyType: 'generic-secret' };
    case 'rsa-private':
      return { keyClass: 'private-key', keyType: 'rsa' };
    case 'ec-private':
      return { keyClass: 'private-key', keyType: 'ec' };
  }
}

export const CURVE_WORDS = ['secp256r1', 'prime256v1', 'secp384r1', 'secp521r1', 'secp256k1'] as const;
export function curveName(v: string): 'secp256r1' | 'secp384r1' | 'secp521r1' | 'secp256k1' {
  switch (v) {
    case 'secp256r1':
    case 'prime256v1':
      return 'secp256r1';
    case 'secp384r1':
    case 'secp521r1':
    case 'secp256k1':
      return v;
    default:
      throw new CliError(`unsupported curve '${v}' [possible values: ${CURVE_WORDS.join(', ')}]`);
  }
}

/** Options shared by every command that creates a key (generate, import, unwrap). */
export function newKeyOptions(args: ParsedArgs): {
  session?: boolean;
  shareWith?: string[];
  manageKeyQuorumValue?: number;
  useKeyQuorumValue?: number;
} {
  const out: { session?: boolean; shareWith?: string[]; manageKeyQuorumValue?: number; useKeyQuorumValue?: number } = {};
  if (args.bool('session')) out.session = true;
  const share = args.list('share-crypto-users');
  if (share.length) out.shareWith = share.map((u) => u.toLowerCase());
  const m = args.optInt('manage-key-quorum-value');
  if (m !== undefined) out.manageKeyQuorumValue = m;
  const u = args.optInt('use-key-quorum-value');
  if (u !== undefined) out.useKeyQuorumValue = u;
  return out;
}
