// Token files for MFA and quorum, as CloudHSM's CLI writes them:
// {"version":"2.0","tokens":[{"unsigned":"<base64>","signed":""}]} (quorum tokens add approval_data).
// Reading, writing and the --approval flag every guarded command takes. Never prints a signature.

import type { TokenFile } from '../protocol/operations.js';
import type { ParsedArgs } from './args.js';
import { CliError } from './output.js';
import type { CliContext, FlagSpec } from './spec.js';

export const APPROVAL: FlagSpec = { name: 'approval', type: 'string', valueName: 'APPROVAL', help: 'Filepath of a signed quorum token file, for quorum-guarded operations' };

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reads and shape-checks a token file; the HSM checks the rest. */
export function readTokenFile(ctx: CliContext, path: string, flag = 'token'): TokenFile {
  let text: string;
  try {
    text = ctx.readFile(path).toString('utf8');
  } catch (e) {
    throw new CliError(`cannot read --${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new CliError(`--${flag} ${path} is not JSON`);
  }
  const f = j as { version?: unknown; tokens?: unknown };
  if (f.version !== '2.0' || !Array.isArray(f.tokens) || f.tokens.length === 0) {
    throw new CliError(`--${flag} ${path} is not a token file ({"version":"2.0","tokens":[…]})`);
  }
  const tokens = f.tokens.map((t: unknown, i: number) => {
    const e = t as { unsigned?: unknown; signed?: unknown; approval_data?: unknown };
    const signed = typeof e.signed === 'string' ? e.signed.replace(/\s+/g, '') : '';
    if (typeof e.unsigned !== 'string' || !B64.test(e.unsigned) || !B64.test(signed)) throw new CliError(`--${flag} ${path}: token ${i + 1} needs base64 "unsigned" and "signed"`);
    return typeof e.approval_data === 'string' ? { approval_data: e.approval_data, unsigned: e.unsigned, signed } : { unsigned: e.unsigned, signed };
  });
  return { version: '2.0', tokens };
}

export function writeTokenFile(ctx: CliContext, path: string, file: TokenFile): void {
  try {
    ctx.writeFile(path, JSON.stringify(file, null, 2) + '\n');
  } catch (e) {
    throw new CliError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** True when every token of the file carries a signature. */
export function allSigned(f: TokenFile): boolean {
  return f.tokens.every((t) => t.signed !== '');
}

/** The file at path when it exists and is fully signed (the non-interactive second run), else undefined. */
export function signedIfPresent(ctx: CliContext, path: string): TokenFile | undefined {
  let f: TokenFile;
  try {
    ctx.readFile(path);
  } catch {
    return undefined;
  }
  try {
    f = readTokenFile(ctx, path);
  } catch {
    return undefined;
  }
  return allSigned(f) ? f : undefined;
}

/** `--approval FILE` (or another approval flag) as the op's approval field. */
export function approvalFrom(ctx: CliContext, args: ParsedArgs, flag = 'approval'): { approval?: TokenFile } {
  const p = args.optStr(flag);
  return p === undefined ? {} : { approval: readTokenFile(ctx, p, flag) };
}

/**
 * After writing unsigned tokens to path: asks for the signed file (Enter = the same file), as
 * CloudHSM's CLI does. At the end of input (scripts) it stops with what to do next.
 */
export async function askSigned(ctx: CliContext, path: string, rerun: string): Promise<TokenFile> {
  const answer = await ctx.prompt('Enter signed token file path (press enter if same as the unsigned token file):');
  if (answer === null) {
    throw new CliError(`unsigned token written to ${path}: sign each token (openssl pkeyutl -sign -inkey KEY -pkeyopt digest:sha256 over the base64-decoded "unsigned"), put the base64 signature in "signed", then ${rerun}`);
  }
  const f = readTokenFile(ctx, answer.trim() === '' ? path : answer.trim());
  if (!allSigned(f)) throw new CliError('the token file has unsigned tokens');
  return f;
}
