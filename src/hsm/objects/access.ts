// Who may see, use and manage a key (reference §4 "Ownership and sharing"), key descriptions in
// CloudHSM's `key list` shape, and filters. Pure; must never expose key material.

import { HsmError } from '../../protocol/errors.js';
import type { Filter, KeyDescription } from '../../protocol/operations.js';
import type { Session } from '../context.js';
import type { KeyRecord, LoadedKey } from '../keystore/keystore.js';
import { attrMatches, isBoolAttr, READ_ONLY } from './attributes.js';

function who(s: Session): string {
  return s.user?.username ?? '';
}

/** CUs see keys they own or that are shared with them, and every public key; admins see all. */
export function canSee(rec: KeyRecord, s: Session): boolean {
  if (!s.user) return false;
  if (s.user.role === 'admin') return true;
  const u = who(s);
  return rec.owner === u || rec.shared.includes(u) || rec.class === 'public-key';
}

/** A key the caller cannot see does not exist for them (no oracle on other users' handles). */
export function requireVisible(k: LoadedKey, s: Session): void {
  if (!canSee(k.rec, s)) throw new HsmError('CKR_KEY_HANDLE_INVALID', `key ${k.rec.ref} does not exist`);
}

/** Use in crypto operations: the owner and shared users; public keys by any CU. */
export function requireUse(k: LoadedKey, s: Session): void {
  requireVisible(k, s);
  const u = who(s);
  if (k.rec.owner === u || k.rec.shared.includes(u) || k.rec.class === 'public-key') return;
  throw new HsmError('CKR_KEY_FUNCTION_NOT_PERMITTED', `user ${u} may not use key ${k.rec.ref}`);
}

/** Delete, share, unshare, wrap (export), set attributes: the owner only. */
export function requireOwner(k: LoadedKey, s: Session, what: string): void {
  requireVisible(k, s);
  if (k.rec.owner !== who(s)) {
    throw new HsmError('CKR_KEY_FUNCTION_NOT_PERMITTED', `only the owner of key ${k.rec.ref} may ${what} it; user ${who(s)} is ${k.rec.shared.includes(who(s)) ? 'a shared user' : 'not its owner'}`);
  }
}

export function requireAttr(k: LoadedKey, attr: string, op: string): void {
  if (k.rec.attrs[attr] !== true) {
    throw new HsmError('CKR_KEY_FUNCTION_NOT_PERMITTED', `key ${k.rec.ref} does not have ${attr}=true, so it cannot ${op}`);
  }
}

const KNOWN_FILTER_ATTRS = new Set<string>(['label', 'id', ...READ_ONLY]);

export function matchesFilter(rec: KeyRecord, f: Filter | undefined): boolean {
  if (!f) return true;
  if (f['key-reference'] !== undefined && BigInt(f['key-reference']) !== BigInt(rec.ref)) return false;
  for (const [name, value] of Object.entries(f.attributes ?? {})) {
    if (!KNOWN_FILTER_ATTRS.has(name) && !isBoolAttr(name)) {
      throw new HsmError('CKR_ATTRIBUTE_TYPE_INVALID', `unknown key attribute in filter: ${name}`);
    }
    if (!attrMatches(rec.attrs[name], value)) return false;
  }
  return true;
}

/** Attribute order as CloudHSM prints them (alphabetical), so output is stable. */
export function describe(rec: KeyRecord, verbose: boolean): KeyDescription {
  if (!verbose) return { 'key-reference': rec.ref, attributes: { label: String(rec.attrs.label ?? '') } };
  const coverage = rec.sessionOf !== undefined ? 'session' : 'full';
  const attributes: Record<string, string | number | boolean> = {};
  for (const k of Object.keys(rec.attrs).sort()) attributes[k] = rec.attrs[k]!;
  return {
    'key-reference': rec.ref,
    'key-info': {
      'key-owners': [{ username: rec.owner, 'key-coverage': coverage }],
      'shared-users': rec.shared.map((u) => ({ username: u, 'key-coverage': coverage })),
      'key-quorum-values': { 'manage-key-quorum-value': rec.quorum.manage, 'use-key-quorum-value': rec.quorum.use },
      'cluster-coverage': coverage,
    },
    attributes,
  };
}
