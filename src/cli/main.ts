// The CLI's entry: global flags, help, single-command mode and interactive mode. It maps words to a
// command from the table, runs it against a lazily opened client session and prints JSON.
// Everything it talks to (stdout, stdin, env, the client) is injectable so tests need no server.
// Never prints stack traces or passwords; misuse is a JSON error with exit code 1.

import { readFileSync, writeFileSync } from 'node:fs';
import { StrongroomClient } from '../client/client.js';
import { parseFlags, tokenize } from './args.js';
import { renderCommand, renderGroup, renderTree } from './help.js';
import { LineInput, type InputStream } from './io.js';
import { CliError, fail, ok, render, type CliResult } from './output.js';
import { COMMANDS, lookup, under } from './registry.js';
import type { CliContext, CommandSpec } from './spec.js';

type LoginRole = Parameters<CliContext['login']>[1];

/** What the CLI needs from a client: StrongroomClient satisfies it; tests pass a fake. */
export interface CliSession {
  call: CliContext['call'];
  login: CliContext['login'];
  close(): void;
}

export interface MainDeps {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  stdin: InputStream;
  env: Record<string, string | undefined>;
  connect(configPath: string | undefined): Promise<CliSession>;
  readFile(path: string): Buffer;
  writeFile(path: string, data: Buffer | string): void;
}

export function defaultDeps(): MainDeps {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    connect: (configPath) => StrongroomClient.connect(configPath),
    readFile: (p) => readFileSync(p),
    writeFile: (p, d) => writeFileSync(p, d, { mode: 0o600 }),
  };
}

/** Removes the global flags (--config, --cluster-id) wherever they appear. */
export function extractGlobals(argv: readonly string[]): { words: string[]; config?: string; clusterId?: string } {
  const words: string[] = [];
  const out: { words: string[]; config?: string; clusterId?: string } = { words };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(config|cluster-id)(?:=(.*))?$/.exec(a);
    if (!m) {
      words.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new CliError(`flag --${m[1]} needs a value`);
    if (m[1] === 'config') out.config = value;
    else out.clusterId = value;
  }
  return out;
}

/**
 * extractGlobals, but a command that owns the global flags (configure: --cluster-id names the
 * cluster to bootstrap from, --config the file to write) gets them back as its own flags.
 */
export function splitGlobals(argv: readonly string[]): { words: string[]; config?: string; clusterId?: string } {
  const g = extractGlobals(argv);
  const l = lookup(g.words);
  if (l.kind !== 'command' || !l.command.ownsGlobalFlags) return g;
  const words = [...g.words];
  if (g.config !== undefined) words.push('--config', g.config);
  if (g.clusterId !== undefined) words.push('--cluster-id', g.clusterId);
  return { words };
}

interface RunState {
  deps: MainDeps;
  input: LineInput;
  session(): Promise<CliSession>;
  /** Single-command mode: credentials from CLOUDHSM_ROLE / CLOUDHSM_PIN. */
  autoLogin?: { role: LoginRole; username: string; password: string };
}

function makeContext(state: RunState): CliContext {
  const { deps, input } = state;
  return {
    call: async (op, params) => (await state.session()).call(op, params),
    login: async (u, r, p, proof) => (await state.session()).login(u, r, p, proof),
    async prompt(text) {
      if (input.isTTY) deps.stderr.write(text + ' ');
      return input.nextLine();
    },
    async password(prompt, confirm) {
      if (input.isTTY) deps.stderr.write(prompt + ' ');
      const pw = await input.readSecret();
      if (input.isTTY) deps.stderr.write('\n');
      if (confirm && input.isTTY) {
        deps.stderr.write('Confirm password: ');
        const again = await input.readSecret();
        deps.stderr.write('\n');
        if (again !== pw) throw new CliError('passwords do not match');
      }
      return pw;
    },
    readFile: (p) => deps.readFile(p),
    writeFile: (p, d) => deps.writeFile(p, d),
  };
}

export type Outcome = { text: string; code: number };

function json(r: CliResult): Outcome {
  return { text: render(r), code: r.error_code };
}

/** Help for `help <words>` or `<words> --help`. */
export function helpFor(words: readonly string[]): Outcome {
  if (words.length === 0) return { text: renderTree(), code: 0 };
  const l = lookup(words);
  if (l.kind === 'command') return { text: renderCommand(l.command), code: 0 };
  if (l.kind === 'group') return { text: renderGroup(l.path), code: 0 };
  return json(fail(new CliError(`unrecognized command '${l.path.join(' ')}'. Run 'help' to list commands`)));
}

/** Resolves words to a command and its parsed flags, or a CliError. */
export function resolve(words: readonly string[]): { command: CommandSpec; args: ReturnType<typeof parseFlags> } {
  const l = lookup(words);
  if (l.kind === 'unknown') {
    throw new CliError(l.path.length ? `unrecognized command '${l.path.join(' ')}'. Run 'help' to list commands` : `expected a command, got '${words[0] ?? ''}'. Run 'help' to list commands`);
  }
  if (l.kind === 'group') {
    const subs = [...new Set(under(l.path).map((c) => c.path[l.path.length]!))];
    throw new CliError(`'${l.path.join(' ')}' needs a subcommand: ${subs.join(', ')}`);
  }
  return { command: l.command, args: parseFlags(l.command, l.rest) };
}

async function runWords(words: string[], state: RunState): Promise<Outcome> {
  if (words.includes('--help') || words.includes('-h')) return helpFor(words.filter((w) => !w.startsWith('-')));
  if (words[0] === 'help') return helpFor(words.slice(1));
  try {
    const { command, args } = resolve(words);
    const ctx = makeContext(state);
    if (state.autoLogin && !command.noAutoLogin) {
      const a = state.autoLogin;
      const r = await ctx.login(a.username, a.role, a.password);
      if (r['mfa-required']) {
        throw new CliError(`user ${a.username} has ${r['mfa-required']} MFA, so CLOUDHSM_PIN alone cannot log in: use interactive mode and login … ${r['mfa-required'] === 'totp' ? 'mfa-totp' : 'mfa-token-sign --token FILE'}`);
      }
    }
    const data = await command.run(ctx, args);
    return json(ok(data));
  } catch (e) {
    return json(fail(e));
  }
}

function parsePin(env: MainDeps['env']): RunState['autoLogin'] {
  const role = env['CLOUDHSM_ROLE'];
  const pin = env['CLOUDHSM_PIN'];
  if (!role || !pin) return undefined;
  if (!['admin', 'crypto-user', 'unactivated-admin', 'appliance'].includes(role)) {
    throw new CliError(`CLOUDHSM_ROLE must be admin or crypto-user, got '${role}'`);
  }
  const i = pin.indexOf(':');
  if (i <= 0) throw new CliError('CLOUDHSM_PIN must be <username>:<password>');
  return { role: role as LoginRole, username: pin.slice(0, i).toLowerCase(), password: pin.slice(i + 1) };
}

async function interactive(state: RunState): Promise<number> {
  const { deps, input } = state;
  for (;;) {
    if (input.isTTY) deps.stdout.write('aws-cloudhsm > ');
    const line = await input.nextLine();
    if (line === null) break;
    let words: string[];
    try {
      words = splitGlobals(tokenize(line)).words;
    } catch (e) {
      deps.stdout.write(render(fail(e)));
      continue;
    }
    if (words.length === 0 || words[0]!.startsWith('#')) continue;
    if (words[0] === 'quit' || words[0] === 'exit') break;
    if (words[0] === 'interactive') {
      deps.stdout.write(render(fail(new CliError('already in interactive mode'))));
      continue;
    }
    const out = await runWords(words, state);
    deps.stdout.write(out.text);
  }
  return 0;
}

/** Runs the CLI with argv (without node and script); returns the exit code. */
export async function main(argv: readonly string[], deps: MainDeps = defaultDeps()): Promise<number> {
  const input = new LineInput(deps.stdin);
  let opened: Promise<CliSession> | undefined;
  try {
    const g = splitGlobals(argv);
    const state: RunState = {
      deps,
      input,
      session: () => {
        if (!opened) {
          opened = deps.connect(g.config);
          opened.catch(() => (opened = undefined));
        }
        return opened;
      },
    };
    const words = g.words;
    if (words.length === 0) {
      deps.stdout.write(renderTree());
      return 0;
    }
    if (words[0] === 'interactive') {
      if (words.length > 1) throw new CliError(`unexpected argument '${words[1]}' for 'interactive'`);
      return await interactive(state);
    }
    const pin = parsePin(deps.env);
    if (pin) state.autoLogin = pin;
    const out = await runWords(words, state);
    deps.stdout.write(out.text);
    return out.code;
  } catch (e) {
    deps.stdout.write(render(fail(e)));
    return 1;
  } finally {
    input.close();
    if (opened) {
      try {
        (await opened).close();
      } catch {
        // connection never opened: nothing to close
      }
    }
  }
}

export { COMMANDS };
