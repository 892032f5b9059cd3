// CloudHSM-style output: every command prints {"error_code":0,"data":...} or
// {"error_code":1,"data":"message"}, pretty-printed with two spaces. CliError marks misuse.
// Never prints a stack trace, a password or anything from an error's cause.

import { HsmError } from '../protocol/errors.js';

/** A mistake in how the CLI was called (unknown command or flag, bad value); exit code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export interface CliResult {
  error_code: 0 | 1;
  data: unknown;
}

export function ok(data: unknown): CliResult {
  return { error_code: 0, data };
}

/** Maps anything thrown to CloudHSM's error shape: the human message only, no CKR name. */
export function fail(err: unknown): CliResult {
  if (err instanceof HsmError || err instanceof CliError) return { error_code: 1, data: err.message };
  if (err instanceof Error) {
    // zod or node errors: keep the message, never the stack.
    return { error_code: 1, data: err.message.split('\n')[0] ?? 'error' };
  }
  return { error_code: 1, data: String(err) };
}

export function render(result: CliResult): string {
  return JSON.stringify(result, null, 2) + '\n';
}
