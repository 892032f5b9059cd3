// Plain-text help rendered from the command table: the whole tree, a group, or one command.
// Help is the one output that is not JSON (as in CloudHSM's CLI).

import type { CommandSpec, FlagSpec } from './spec.js';
import { COMMANDS, under } from './registry.js';

const GLOBAL = `Global options:
      --config <FILE>      Client configuration (default: $STRONGROOM_CONFIG, else ./strongroom-data/client.json)
      --cluster-id <ID>    Accepted for compatibility with CloudHSM's CLI; ignored (one cluster per config),
                           but for configure, where it names the cluster to take the HSM addresses from
  -h, --help               Print help`;

export function renderTree(commands: readonly CommandSpec[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length)) + 2;
  const lines = commands.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`);
  return [
    'strongroom-cli: a CloudHSM-CLI-compatible command line for Strongroom',
    '',
    'Usage: strongroom-cli [--config FILE] <command> [options]   (single-command mode)',
    '       strongroom-cli [--config FILE] interactive           (prompt: aws-cloudhsm > )',
    '',
    'Single-command mode logs in first when CLOUDHSM_ROLE and CLOUDHSM_PIN=<user>:<password> are set.',
    'Every command prints JSON: {"error_code":0,"data":...} or {"error_code":1,"data":"<message>"}.',
    '',
    'Commands:',
    ...lines,
    '',
    "Interactive mode also has: help [command], quit, exit. Run 'help <command>' for its options.",
    '',
    GLOBAL,
    '',
  ].join('\n');
}

export function renderGroup(path: readonly string[], commands: readonly CommandSpec[] = COMMANDS): string {
  const subs = under(path, commands);
  const width = Math.max(...subs.map((c) => c.path.join(' ').length)) + 2;
  return [`Usage: ${path.join(' ')} <COMMAND>`, '', 'Commands:', ...subs.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`), ''].join('\n');
}

function flagUsage(f: FlagSpec): string {
  const v = f.valueName ?? f.name.toUpperCase().replace(/-/g, '_');
  if (f.short) {
    const { short, ...long } = f;
    return `-${short}, ${flagUsage(long)}`;
  }
  if (f.type === 'bool') return `--${f.name}`;
  if (f.type === 'list') return `--${f.name} [<${v.replace(/\.\.\.$/, '')}>...]`;
  return `--${f.name} <${v}>`;
}

export function renderCommand(cmd: CommandSpec): string {
  const inGroup = new Set((cmd.exactlyOne ?? []).flat());
  const req = cmd.flags.filter((f) => f.required).map(flagUsage);
  const groups = (cmd.exactlyOne ?? []).map((g) => `<${g.map((n) => flagUsage(cmd.flags.find((f) => f.name === n)!)).join('|')}>`);
  const hasOptional = cmd.flags.some((f) => !f.required && !inGroup.has(f.name));
  const usage = [cmd.path.join(' '), hasOptional ? '[OPTIONS]' : '', ...req, ...groups].filter(Boolean).join(' ');
  const rows = cmd.flags.map((f) => {
    const extra = [f.required ? '(required)' : '', f.choices ? `[possible values: ${f.choices.join(', ')}]` : ''].filter(Boolean).join(' ');
    return `      ${flagUsage(f)}\n          ${f.help}${extra ? ' ' + extra : ''}`;
  });
  return [cmd.summary, '', `Usage: ${usage}`, '', 'Options:', ...rows, '  -h, --help\n          Print help', ''].join('\n');
}
