// Key attribute rules as data: defaults per class (CloudHSM CLI key attribute table, reference §4),
// read-only facts, and the modifiability rule of each attribute. Pure: no I/O, no crypto.
// Must never decide on ownership or roles (that is users/permissions.ts).

import { HsmError } from '../../protocol/errors.js';
import { BOOL_ATTRS, type AttributeTemplate, type BoolAttr } from '../../protocol/operations.js';

export type KeyClassName = 'secret-key' | 'public-key' | 'private-key';
export type AttrValue = string | number | boolean;
export type Attributes = Record<string, AttrValue>;

/**
 * Defaults per class. CloudHSM (reference §4): encrypt/decrypt false, derive false, destroyable true,
 * id and label empty, private true, sensitive true for AES and private keys and false for public keys,
 * sign true for AES and false for RSA/EC, extractable true, modifiable true. Where CloudHSM's
 * defaults were not captured (token, trusted, unwrap, verify, wrap, wrap-with-trusted) we follow
 * PKCS#11: false, except token (true unless --session) and verify (true for secret keys, like sign).
 */
export const DEFAULTS: Record<KeyClassName, Record<BoolAttr, boolean>> = {
  'secret-key': {
    decrypt: false, derive: false, destroyable: true, encrypt: false, extractable: true, modifiable: true,
    private: true, sensitive: true, sign: true, token: true, trusted: false, unwrap: false, verify: true,
    wrap: false, 'wrap-with-trusted': false,
  },
  'private-key': {
    decrypt: false, derive: false, destroyable: true, encrypt: false, extractable: true, modifiable: true,
    private: true, sensitive: true, sign: false, token: true, trusted: false, unwrap: false, verify: false,
    wrap: false, 'wrap-with-trusted': false,
  },
  'public-key': {
    decrypt: false, derive: false, destroyable: true, encrypt: false, extractable: true, modifiable: true,
    private: true, sensitive: false, sign: false, token: true, trusted: false, unwrap: false, verify: false,
    wrap: false, 'wrap-with-trusted': false,
  },
};

/** Usage attributes that make no sense for a class are refused at creation (PKCS#11 §4). */
const NOT_FOR_CLASS: Record<KeyClassName, BoolAttr[]> = {
  'secret-key': [],
  'private-key': ['encrypt', 'verify', 'wrap'],
  'public-key': ['decrypt', 'sign', 'unwrap', 'sensitive'],
};

/** Facts the HSM computes; never settable. */
export const READ_ONLY = new Set([
  'class', 'key-type', 'always-sensitive', 'never-extractable', 'local', 'check-value', 'key-length-bytes',
  'modulus', 'modulus-size-bits', 'public-exponent', 'curve', 'ec-point',
]);

export type ModRule = 'free' | 'never' | 'only-false-to-true' | 'only-true-to-false' | 'admin-only';
/** How `key set-attribute` may change each attribute (CloudHSM table plus PKCS#11 §4.4 rules). */
export const MODIFY_RULES: Record<string, ModRule> = {
  label: 'free', id: 'free',
  encrypt: 'free', decrypt: 'free', sign: 'free', verify: 'free', wrap: 'free', unwrap: 'free', derive: 'free',
  destroyable: 'free', private: 'never', token: 'never',
  extractable: 'never', // CloudHSM: extractable is not modifiable
  sensitive: 'only-false-to-true', // PKCS#11: once sensitive, always sensitive
  modifiable: 'only-true-to-false',
  'wrap-with-trusted': 'only-false-to-true', // read-only once true
  trusted: 'admin-only',
};

export function isBoolAttr(name: string): name is BoolAttr {
  return (BOOL_ATTRS as readonly string[]).includes(name);
}

/** Builds the full attribute set for a new key from its class defaults and the caller's template. */
export function buildAttributes(
  cls: KeyClassName,
  keyType: string,
  template: AttributeTemplate | undefined,
  opts: { session: boolean; local: boolean; facts: Attributes; callerIsAdmin?: boolean },
): Attributes {
  const t = template ?? {};
  const out: Attributes = { 'key-type': keyType, class: cls, label: '', id: '0x' };
  const d = DEFAULTS[cls];
  for (const name of BOOL_ATTRS) out[name] = d[name];
  for (const [k, v] of Object.entries(t)) {
    if (v === undefined) continue;
    if (k === 'label') out.label = String(v);
    else if (k === 'id') out.id = normaliseHex(String(v));
    else if (isBoolAttr(k)) {
      if (v === true && NOT_FOR_CLASS[cls].includes(k)) {
        throw new HsmError('CKR_TEMPLATE_INCONSISTENT', `attribute ${k}=true is not valid for a ${cls}`);
      }
      if (k === 'trusted' && v === true && !opts.callerIsAdmin) {
        throw new HsmError('CKR_ATTRIBUTE_READ_ONLY', 'only an admin can set the trusted attribute');
      }
      out[k] = v as boolean;
    }
  }
  out.token = !opts.session;
  if (template?.token === true && opts.session) {
    throw new HsmError('CKR_TEMPLATE_INCONSISTENT', 'token=true conflicts with --session');
  }
  out.local = opts.local;
  out['always-sensitive'] = opts.local ? out.sensitive === true : false;
  out['never-extractable'] = opts.local ? out.extractable === false : false;
  Object.assign(out, opts.facts);
  return out;
}

/** Checks a set-attribute request against the rules; returns the coerced value. */
export function checkModify(attrs: Attributes, name: string, value: AttrValue, isAdmin: boolean): AttrValue {
  if (READ_ONLY.has(name)) throw new HsmError('CKR_ATTRIBUTE_READ_ONLY', `attribute ${name} is read-only`);
  const rule = MODIFY_RULES[name];
  if (!rule) throw new HsmError('CKR_ATTRIBUTE_TYPE_INVALID', `unknown attribute ${name}`);
  if (rule === 'admin-only') {
    if (!isAdmin) throw new HsmError('CKR_ATTRIBUTE_READ_ONLY', 'only an admin can set the trusted attribute');
  } else if (isAdmin) {
    throw new HsmError('CKR_USER_TYPE_INVALID', `admins can set only the trusted attribute, not ${name}`);
  }
  if (attrs.modifiable === false && name !== 'trusted') {
    throw new HsmError('CKR_ACTION_PROHIBITED', 'the key is not modifiable (modifiable=false)');
  }
  let v: AttrValue = value;
  if (isBoolAttr(name)) {
    if (typeof v === 'string') {
      if (v === 'true') v = true;
      else if (v === 'false') v = false;
      else throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', `attribute ${name} takes true or false`);
    }
    if (typeof v !== 'boolean') throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', `attribute ${name} takes true or false`);
    const cls = attrs.class as KeyClassName;
    if (v && NOT_FOR_CLASS[cls]?.includes(name)) {
      throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', `attribute ${name}=true is not valid for a ${cls}`);
    }
  } else {
    v = String(v);
    if (name === 'id') v = normaliseHex(v);
    if (name === 'label' && v.length > 127) throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', 'label is at most 127 characters');
  }
  const cur = attrs[name];
  if (rule === 'never' && cur !== v) throw new HsmError('CKR_ATTRIBUTE_READ_ONLY', `attribute ${name} cannot be changed after creation`);
  if (rule === 'only-false-to-true' && cur === true && v === false) {
    throw new HsmError('CKR_ATTRIBUTE_READ_ONLY', `attribute ${name} cannot go from true to false`);
  }
  if (rule === 'only-true-to-false' && cur === false && v === true) {
    throw new HsmError('CKR_ATTRIBUTE_READ_ONLY', `attribute ${name} cannot go from false to true`);
  }
  return v;
}

function normaliseHex(s: string): string {
  const h = s.startsWith('0x') ? s.slice(2) : s;
  if (!/^[0-9a-fA-F]*$/.test(h) || h.length % 2 !== 0) {
    throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', 'id must be hex bytes, e.g. 0x0102');
  }
  return '0x' + h.toLowerCase();
}

/** True when a filter value (string from the CLI) equals an attribute value. */
export function attrMatches(actual: AttrValue | undefined, wanted: string): boolean {
  if (actual === undefined) return false;
  if (typeof actual === 'boolean') return String(actual) === wanted.toLowerCase();
  if (typeof actual === 'number') return String(actual) === wanted;
  if (actual.startsWith('0x') && wanted.startsWith('0x')) return actual.toLowerCase() === wanted.toLowerCase();
  return actual === wanted;
}
