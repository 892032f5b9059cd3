// Argument handling: split an interactive line into words (shell-like quotes) and parse the
// words after a command path against that command's flag table. Multi-value flags (--filter,
// --attributes, --share-crypto-users) take every following word up to the next --flag.
// Pure: no I/O, no HSM knowledge.

import { CliError } from './output.js';
import type { CommandSpec, FlagSpec } from './spec.js';

/** Splits a line like a POSIX shell would for words: quotes group, backslash escapes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i]!;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i]!;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new CliError('unterminated quote in command line');
  if (inWord) out.push(cur);
  return out;
}

export type ArgValue = string | number | boolean | string[];

/** Parsed flags with typed accessors that throw CliError on misuse. */
export class ParsedArgs {
  constructor(readonly values: ReadonlyMap<string, ArgValue>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }
  str(name: string): string {
    const v = this.values.get(name);
    if (typeof v !== 'string') throw new CliError(`missing required flag --${name}`);
    return v;
  }
  optStr(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  int(name: string): number {
    const v = this.values.get(name);
    if (typeof v !== 'number') throw new CliError(`missing required flag --${name}`);
    return v;
  }
  optInt(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }
}

export function parseInteger(text: string, flag: string): number {
  const t = text.trim();
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^[0-9]+$/.test(t)) n = parseInt(t, 10);
  else throw new CliError(`--${flag} must be a non-negative integer, got '${text}'`);
  if (!Number.isSafeInteger(n)) throw new CliError(`--${flag} is too large: '${text}'`);
  return n;
}

function isFlagWord(w: string): boolean {
  return /^--?[A-Za-z]/.test(w);
}

/** Parses the words after the command path. Unknown flags, missing values and missing required flags are CliErrors. */
export function parseFlags(cmd: CommandSpec, words: readonly string[]): ParsedArgs {
  const byName = new Map<string, FlagSpec>(cmd.flags.map((f) => [f.name, f]));
  const byShort = new Map<string, FlagSpec>(cmd.flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const values = new Map<string, ArgValue>();
  const where = cmd.path.join(' ');
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    const alias = /^-([A-Za-z])$/.exec(w);
    if (alias) {
      const f = byShort.get(alias[1]!);
      if (!f) throw new CliError(`unknown flag -${alias[1]} for '${where}'. Run 'help ${where}'`);
      w = `--${f.name}`;
    }
    if (!w.startsWith('--')) throw new CliError(`unexpected argument '${w}' for '${where}'. Run 'help ${where}'`);
    let name = w.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq > 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = byName.get(name);
    if (!spec) throw new CliError(`unknown flag --${name} for '${where}'. Run 'help ${where}'`);
    if (values.has(name) && !(spec.type === 'list' && spec.repeatable)) throw new CliError(`flag --${name} given more than once`);
    if (spec.type === 'bool') {
      if (inline !== undefined) {
        if (!/^(true|false)$/i.test(inline)) throw new CliError(`--${name} takes no value`);
        values.set(name, inline.toLowerCase() === 'true');
      } else values.set(name, true);
      continue;
    }
    if (spec.type === 'list') {
      const items: string[] = [...((values.get(name) as string[] | undefined) ?? []), ...(inline !== undefined ? [inline] : [])];
      while (i + 1 < words.length && !isFlagWord(words[i + 1]!)) items.push(words[++i]!);
      values.set(name, items);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = words[i + 1];
      if (next === undefined || (next.startsWith('--') && byName.has(next.slice(2).split('=')[0]!))) {
        throw new CliError(`flag --${name} needs a value`);
      }
      raw = next;
      i++;
    }
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new CliError(`invalid value '${raw}' for --${name} [possible values: ${spec.choices.join(', ')}]`);
    }
    values.set(name, spec.type === 'int' ? parseInteger(raw, name) : raw);
  }
  for (const f of cmd.flags) {
    if (f.required && !values.has(f.name)) throw new CliError(`missing required flag --${f.name} for '${where}'`);
  }
  for (const group of cmd.exactlyOne ?? []) {
    const given = group.filter((g) => values.has(g));
    if (given.length !== 1) {
      throw new CliError(`'${where}' needs exactly one of ${group.map((g) => `--${g}`).join(' | ')}`);
    }
  }
  return new ParsedArgs(values);
}
