// The shape of one CLI command as data: its path (CloudHSM's words), its flags and its run().
// The registry, the parser and `help` all read these; a command never parses argv itself.
// Holds no HSM logic and no I/O.

import type { OpName, OpParams, OpResult } from '../protocol/operations.js';

/** The second factor of an MFA login: a signed token file or a TOTP code. */
export type LoginProof = Pick<OpParams<'login'>, 'mfaToken' | 'totp'>;
import type { ParsedArgs } from './args.js';

export type FlagType = 'string' | 'int' | 'bool' | 'list';

export interface FlagSpec {
  /** The flag without its leading dashes, as CloudHSM spells it (`key-length-bytes`). */
  name: string;
  type: FlagType;
  help: string;
  required?: boolean;
  choices?: readonly string[];
  /** Shown in help as the value placeholder. */
  valueName?: string;
  /** A one-letter alias written with one dash (`-a`), as CloudHSM's configure tool has. */
  short?: string;
  /** A list flag that may be given several times; the values add up (`-a IP1 -a IP2`). */
  repeatable?: boolean;
}

export interface CommandSpec {
  path: readonly string[];
  summary: string;
  flags: readonly FlagSpec[];
  /** Groups of flags of which exactly one must be given (e.g. --data | --data-path). */
  exactlyOne?: ReadonlyArray<readonly string[]>;
  /** Do not log in from CLOUDHSM_ROLE/CLOUDHSM_PIN before this command (login, cluster activate). */
  noAutoLogin?: boolean;
  /** Written after its parent's flags, as CloudHSM's `login --username U --role R mfa-token-sign --token F`;
   * it takes its parent's flags too. The only case where one command's path is a prefix of another's. */
  trailing?: boolean;
  /** The global flags (--config, --cluster-id) are this command's own flags (configure). */
  ownsGlobalFlags?: boolean;
  run(ctx: CliContext, args: ParsedArgs): Promise<unknown>;
}

/** What a command may do: call the HSM, ask for a password, read and write files. */
export interface CliContext {
  call<N extends OpName>(op: N, params: OpParams<N>): Promise<OpResult<N>>;
  login(username: string, role: 'admin' | 'crypto-user' | 'unactivated-admin' | 'appliance', password: string, proof?: LoginProof): Promise<OpResult<'login'>>;
  /** Asks for a secret on the terminal without echo (or reads a line when stdin is not a TTY). */
  password(prompt: string, confirm?: boolean): Promise<string>;
  /** Asks for one line (a file path, a code); null at the end of input (non-interactive use). */
  prompt(text: string): Promise<string | null>;
  readFile(path: string): Buffer;
  writeFile(path: string, data: Buffer | string): void;
}
