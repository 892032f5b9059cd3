// Attribute lists as CloudHSM's CLI takes them (`--attributes encrypt=true decrypt=true label=x`)
// turned into the wire AttributeTemplate, and set-attribute values (true/false become booleans).
// Pure; the HSM still validates every template against its own rules.

import { CliError } from './output.js';
import { BOOL_ATTRS, type AttributeTemplate, type BoolAttr } from '../protocol/operations.js';

const BOOL_SET: ReadonlySet<string> = new Set(BOOL_ATTRS);

function parseBool(name: string, v: string): boolean {
  const l = v.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  throw new CliError(`attribute '${name}' must be true or false, got '${v}'`);
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/** Parses KEY_ATTRIBUTE_NAME=KEY_ATTRIBUTE_VALUE terms into a template. */
export function parseAttributes(terms: readonly string[]): AttributeTemplate {
  const out: Partial<Record<BoolAttr, boolean>> & { label?: string; id?: string } = {};
  const seen = new Set<string>();
  for (const term of terms) {
    const eq = term.indexOf('=');
    if (eq <= 0) throw new CliError(`invalid attribute '${term}': use KEY_ATTRIBUTE_NAME=KEY_ATTRIBUTE_VALUE`);
    const name = term.slice(0, eq).toLowerCase();
    const value = unquote(term.slice(eq + 1));
    if (seen.has(name)) throw new CliError(`attribute '${name}' given more than once`);
    seen.add(name);
    if (BOOL_SET.has(name)) out[name as BoolAttr] = parseBool(name, value);
    else if (name === 'label') out.label = value;
    else if (name === 'id') out.id = normaliseId(value);
    else throw new CliError(`attribute '${name}' cannot be set here (settable: ${[...BOOL_ATTRS, 'label', 'id'].join(', ')})`);
  }
  return out;
}

/** Key ids are hex; accept with or without 0x. */
export function normaliseId(v: string): string {
  if (!/^(0x)?[0-9a-f]*$/i.test(v)) throw new CliError(`id must be hex (e.g. 0x0102), got '${v}'`);
  return v.startsWith('0x') || v.startsWith('0X') ? '0x' + v.slice(2) : '0x' + v;
}

/** `key set-attribute --value`: true/false become booleans, anything else stays a string. */
export function parseSetValue(v: string): boolean | string {
  const l = v.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  return v;
}

/** Merges --label (and --id) into a parsed --attributes template; the flag wins only if the list did not set it. */
export function withLabel(template: AttributeTemplate, label: string, id?: string): AttributeTemplate {
  if (template.label !== undefined && template.label !== label) throw new CliError('label given both in --label and --attributes with different values');
  const out: AttributeTemplate = { ...template, label };
  if (id !== undefined) out.id = normaliseId(id);
  return out;
}
