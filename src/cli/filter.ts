// Key filters as CloudHSM's CLI writes them: `key-reference=0x...` and `attr.NAME=VALUE` terms,
// space-separated and ANDed, turned into the wire Filter; and the one-key selection that
// commands acting on a single key run first (key.list, then exactly one match or an error).

import { CliError } from './output.js';
import type { Filter } from '../protocol/operations.js';
import type { CliContext } from './spec.js';

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/** Parses filter terms. An empty list gives an empty filter (all visible keys). */
export function parseFilter(terms: readonly string[]): Filter {
  const filter: Filter = {};
  const attributes: Record<string, string> = {};
  for (const term of terms) {
    const eq = term.indexOf('=');
    if (eq <= 0) throw new CliError(`invalid filter '${term}': use key-reference=0x... or attr.KEY_ATTRIBUTE_NAME=KEY_ATTRIBUTE_VALUE`);
    const name = term.slice(0, eq);
    const value = unquote(term.slice(eq + 1));
    if (name === 'key-reference') {
      if (!/^0x[0-9a-f]{1,16}$/i.test(value)) throw new CliError(`invalid key reference '${value}': expected hex like 0x000000000000001a`);
      if (filter['key-reference'] !== undefined) throw new CliError('key-reference given more than once in the filter');
      filter['key-reference'] = value.toLowerCase();
    } else if (name.startsWith('attr.') && name.length > 5) {
      const attr = name.slice(5);
      if (attr in attributes) throw new CliError(`attribute '${attr}' given more than once in the filter`);
      attributes[attr] = value;
    } else {
      throw new CliError(`invalid filter '${term}': use key-reference=0x... or attr.KEY_ATTRIBUTE_NAME=KEY_ATTRIBUTE_VALUE`);
    }
  }
  if (Object.keys(attributes).length > 0) filter.attributes = attributes;
  return filter;
}

/** The message CloudHSM prints when a one-key command's filter matches several keys. */
export function ambiguousMessage(n: number): string {
  return `Key selection criteria matched ${n} keys. Refine selection criteria to select a single key.`;
}

/** CloudHSM's wording for no match was not found; this mirrors the ambiguous-filter message. */
export function noMatchMessage(terms: readonly string[]): string {
  return `Key selection criteria matched no keys (${terms.join(' ')}). Refine selection criteria to select a single key.`;
}

/** Resolves filter terms to exactly one key reference, via key.list. */
export async function selectOneKey(ctx: CliContext, terms: readonly string[], flag = 'filter'): Promise<string> {
  if (terms.length === 0) throw new CliError(`--${flag} needs at least one term (key-reference=0x... or attr.NAME=VALUE)`);
  const filter = parseFilter(terms);
  const res = await ctx.call('key.list', { filter });
  const total = typeof res.total_key_count === 'number' ? res.total_key_count : res.matched_keys.length;
  if (total > 1 || res.matched_keys.length > 1) throw new CliError(ambiguousMessage(Math.max(total, res.matched_keys.length)));
  const key = res.matched_keys[0];
  if (!key) throw new CliError(noMatchMessage(terms));
  return key['key-reference'];
}
