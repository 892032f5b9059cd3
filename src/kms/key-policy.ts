// KMS key policies: parsing with KMS's rules and evaluation of one request against one key's
// policy. A statement names its Principal ("*", AWS: account id, account root ARN, user or role
// ARN; Service principals are kept and match no Strongroom caller), Action/NotAction,
// Resource/NotResource (the key's ARN or "*") and Conditions over the operators and keys listed in
// OPERATORS and SINGLE/MULTI below. Anything else (NotPrincipal, an unknown operator or key) makes
// the document malformed: a policy this file does not understand is never evaluated. Pure: no I/O.

import { actionMatches, resourceMatches, wildcardMatch } from '../control-plane/iam/policy.js';

export class MalformedKeyPolicy extends Error {
  override readonly name = 'MalformedKeyPolicy';
}

/** AWS KMS's limit for a key policy document. */
export const MAX_KEY_POLICY_BYTES = 32_768;

type BaseOperator = 'StringEquals' | 'StringNotEquals' | 'StringEqualsIgnoreCase' | 'StringNotEqualsIgnoreCase' | 'StringLike' | 'StringNotLike' | 'Bool' | 'Null';
const OPERATORS: readonly BaseOperator[] = ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike', 'Bool', 'Null'];
const NEGATED = new Set<BaseOperator>(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike']);

/** Single-valued condition keys (lower case: condition key names are case-insensitive). */
const SINGLE = new Set(['kms:calleraccount', 'aws:principalarn', 'aws:principalaccount', 'aws:username', 'kms:granteeprincipal', 'kms:retiringprincipal', 'kms:grantisforawsresource', 'kms:grantconstrainttype']);
/** Multi-valued condition keys (one value per encryption context key or grant operation). */
const MULTI = new Set(['kms:encryptioncontextkeys', 'kms:grantoperations']);
const CONTEXT_PREFIX = 'kms:encryptioncontext:';

export interface KeyPolicyCondition {
  operator: BaseOperator;
  qualifier?: 'ForAllValues' | 'ForAnyValue';
  ifExists: boolean;
  /** Lower case. */
  key: string;
  values: string[];
}

export interface KeyPolicyStatement {
  effect: 'Allow' | 'Deny';
  /** Any principal ("*"). */
  anyone: boolean;
  /** AWS principals as ARNs (an account id becomes arn:aws:iam::<id>:root). */
  principals: string[];
  /** The same, lower case: IAM user names are case-insensitive, so ARNs are compared that way. */
  principalKeys: ReadonlySet<string>;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  conditions: KeyPolicyCondition[];
}

export interface KeyPolicy {
  statements: KeyPolicyStatement[];
}

/** What a request brings to condition evaluation: key (lower case) → value(s). */
export type RequestContext = ReadonlyMap<string, string | readonly string[]>;

export interface KeyPolicyRequest {
  /** The caller's ARN (arn:aws:iam::<acct>:root for the account's root). */
  principalArn: string;
  accountId: string;
  action: string;
  keyArn: string;
  context: RequestContext;
}

/** What the policy says about one request. */
export interface KeyPolicyVerdict {
  /** A Deny statement applies. */
  deny: boolean;
  /** An Allow statement names the caller itself (or "*"): no IAM permission needed. */
  direct: boolean;
  /** An Allow statement names the caller's account: the caller's IAM policies decide. */
  account: boolean;
}

function bad(msg: string): never {
  throw new MalformedKeyPolicy(msg);
}

function strings(v: unknown, what: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string' || x === '')) bad(`${what} must be a non-empty string or array of non-empty strings.`);
  return list as string[];
}

const ACCOUNT_RE = /^\d{12}$/;
const IAM_PRINCIPAL_RE = /^arn:aws:iam::\d{12}:(root|(user|role)\/[\w+=,.@/-]+)$/;

function principals(v: unknown, i: number): { anyone: boolean; principals: string[]; principalKeys: ReadonlySet<string> } {
  if (v === '*') return { anyone: true, principals: [], principalKeys: new Set() };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`Statement ${i}: Principal must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}.`);
  let anyone = false;
  const out: string[] = [];
  for (const [type, value] of Object.entries(v as Record<string, unknown>)) {
    if (type === 'Service') {
      strings(value, `Statement ${i}: Principal Service`); // AWS services never call Strongroom: valid, matches no one
      continue;
    }
    if (type !== 'AWS') bad(`Statement ${i}: principal type ${type} is not supported (only AWS and Service).`);
    for (const p of strings(value, `Statement ${i}: Principal AWS`)) {
      if (p === '*') anyone = true;
      else if (ACCOUNT_RE.test(p)) out.push(`arn:aws:iam::${p}:root`);
      else if (IAM_PRINCIPAL_RE.test(p)) out.push(p);
      else bad(`Policy contains a statement with one or more invalid principals: ${p.slice(0, 200)}.`);
    }
  }
  if (!anyone && out.length === 0 && !('Service' in (v as object))) bad(`Statement ${i}: Principal names no principal.`);
  return { anyone, principals: out, principalKeys: new Set(out.map((a) => a.toLowerCase())) };
}

function conditions(v: unknown, i: number): KeyPolicyCondition[] {
  if (v === undefined) return [];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`Statement ${i}: Condition must be an object.`);
  const out: KeyPolicyCondition[] = [];
  for (const [name, block] of Object.entries(v as Record<string, unknown>)) {
    const m = /^(?:(ForAllValues|ForAnyValue):)?([A-Za-z]+?)(IfExists)?$/.exec(name);
    const operator = m?.[2] as BaseOperator | undefined;
    if (!m || !operator || !OPERATORS.includes(operator)) bad(`Statement ${i}: condition operator ${name.slice(0, 100)} is not supported (supported: ${OPERATORS.join(', ')}, with ForAllValues:/ForAnyValue: and IfExists).`);
    if (m[1] && !operator.startsWith('String')) bad(`Statement ${i}: ${m[1]}: applies to String operators only.`);
    if (m[3] && operator === 'Null') bad(`Statement ${i}: NullIfExists is not an operator.`);
    if (typeof block !== 'object' || block === null || Array.isArray(block)) bad(`Statement ${i}: Condition ${name} must be an object of condition keys.`);
    for (const [rawKey, rawValue] of Object.entries(block as Record<string, unknown>)) {
      const key = rawKey.toLowerCase();
      const known = SINGLE.has(key) || MULTI.has(key) || (key.startsWith(CONTEXT_PREFIX) && key.length > CONTEXT_PREFIX.length);
      if (!known) bad(`Statement ${i}: condition key ${rawKey.slice(0, 100)} is not supported (supported: kms:CallerAccount, kms:EncryptionContext:<key>, kms:EncryptionContextKeys, kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal, kms:GrantIsForAWSResource, kms:GrantConstraintType, aws:PrincipalArn, aws:PrincipalAccount, aws:username).`);
      const list = (Array.isArray(rawValue) ? rawValue : [rawValue]).map((x) => (typeof x === 'boolean' ? String(x) : x));
      if (list.length === 0 || list.some((x) => typeof x !== 'string')) bad(`Statement ${i}: Condition ${name} ${rawKey}: values must be strings.`);
      const values = list as string[];
      if ((operator === 'Bool' || operator === 'Null') && values.some((x) => x !== 'true' && x !== 'false')) bad(`Statement ${i}: Condition ${name} ${rawKey}: values must be true or false.`);
      out.push({ operator, ...(m[1] ? { qualifier: m[1] as 'ForAllValues' | 'ForAnyValue' } : {}), ifExists: m[3] !== undefined, key, values });
    }
  }
  return out;
}

const STATEMENT_FIELDS = ['Sid', 'Effect', 'Principal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];

/** Parses and validates a key policy document; throws MalformedKeyPolicy naming the fault. */
export function parseKeyPolicy(text: string): KeyPolicy {
  if (Buffer.byteLength(text) > MAX_KEY_POLICY_BYTES) bad(`The key policy exceeds ${MAX_KEY_POLICY_BYTES} bytes.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    bad('The key policy is not valid JSON.');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('The key policy must be a JSON object.');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['Version', 'Id', 'Statement'].includes(k)) bad(`The key policy has an unknown field ${k.slice(0, 100)}.`);
  if (o['Version'] !== undefined && o['Version'] !== '2012-10-17' && o['Version'] !== '2008-10-17') bad('Version must be 2012-10-17 or 2008-10-17.');
  const list = Array.isArray(o['Statement']) ? o['Statement'] : o['Statement'] === undefined ? [] : [o['Statement']];
  if (list.length === 0) bad('The key policy must have at least one Statement.');
  const statements = list.map((s: unknown, i): KeyPolicyStatement => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) bad(`Statement ${i} must be an object.`);
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) {
      if (k === 'NotPrincipal') bad(`Statement ${i}: NotPrincipal is not supported in key policies; name the principals in Principal.`);
      if (!STATEMENT_FIELDS.includes(k)) bad(`Statement ${i} has an unknown field ${k.slice(0, 100)}.`);
    }
    if (st['Effect'] !== 'Allow' && st['Effect'] !== 'Deny') bad(`Statement ${i}: Effect must be Allow or Deny.`);
    if (st['Principal'] === undefined) bad(`Statement ${i}: a key policy statement must have a Principal.`);
    if ((st['Action'] === undefined) === (st['NotAction'] === undefined)) bad(`Statement ${i} must have exactly one of Action and NotAction.`);
    if ((st['Resource'] === undefined) === (st['NotResource'] === undefined)) bad(`Statement ${i} must have exactly one of Resource and NotResource.`);
    const out: KeyPolicyStatement = { effect: st['Effect'], ...principals(st['Principal'], i), conditions: conditions(st['Condition'], i) };
    for (const f of ['Action', 'NotAction'] as const) {
      if (st[f] === undefined) continue;
      const actions = strings(st[f], `Statement ${i}: ${f}`);
      for (const a of actions) if (a !== '*' && !/^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$/.test(a)) bad(`Statement ${i}: action ${a.slice(0, 100)} is not service:Action.`);
      out[f === 'Action' ? 'actions' : 'notActions'] = actions;
    }
    for (const f of ['Resource', 'NotResource'] as const) {
      if (st[f] === undefined) continue;
      const resources = strings(st[f], `Statement ${i}: ${f}`);
      for (const r of resources) if (r !== '*' && !r.startsWith('arn:')) bad(`Statement ${i}: resource ${r.slice(0, 100)} must be "*" or an ARN.`);
      out[f === 'Resource' ? 'resources' : 'notResources'] = resources;
    }
    return out;
  });
  return { statements };
}

function matchValue(op: BaseOperator, actual: string, pattern: string): boolean {
  switch (op) {
    case 'StringEquals':
    case 'StringNotEquals':
      return actual === pattern;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return actual.toLowerCase() === pattern.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
      return wildcardMatch(pattern, actual);
    case 'Bool':
      return actual.toLowerCase() === pattern;
    case 'Null':
      return false; // handled by the caller
  }
}

/** IAM's condition semantics: an absent key fails positive operators and satisfies negated ones. */
export function conditionHolds(c: KeyPolicyCondition, context: RequestContext): boolean {
  const v = context.get(c.key);
  const present = v !== undefined && !(Array.isArray(v) && v.length === 0);
  if (c.operator === 'Null') return c.values.some((x) => (x === 'true') !== present);
  const negated = NEGATED.has(c.operator);
  if (!present) {
    if (c.ifExists || c.qualifier === 'ForAllValues') return true;
    if (c.qualifier === 'ForAnyValue') return false;
    return negated;
  }
  const list: readonly string[] = typeof v === 'string' ? [v] : (v as readonly string[]);
  const hit = (x: string) => c.values.some((p) => matchValue(c.operator, x, p));
  const ok = (x: string) => (negated ? !hit(x) : hit(x));
  if (c.qualifier === 'ForAllValues') return list.every(ok);
  if (c.qualifier === 'ForAnyValue') return list.some(ok);
  return negated ? !list.some(hit) : list.some(hit);
}

function applies(s: KeyPolicyStatement, r: KeyPolicyRequest): boolean {
  const actionOk = s.actions ? s.actions.some((a) => actionMatches(a, r.action)) : !s.notActions!.some((a) => actionMatches(a, r.action));
  if (!actionOk) return false;
  const resourceOk = s.resources ? s.resources.some((p) => resourceMatches(p, r.keyArn)) : !s.notResources!.some((p) => resourceMatches(p, r.keyArn));
  return resourceOk && s.conditions.every((c) => conditionHolds(c, r.context));
}

/** How the policy treats one request. */
export function evaluateKeyPolicy(p: KeyPolicy, r: KeyPolicyRequest): KeyPolicyVerdict {
  const root = `arn:aws:iam::${r.accountId}:root`;
  const caller = r.principalArn.toLowerCase();
  const out: KeyPolicyVerdict = { deny: false, direct: false, account: false };
  for (const s of p.statements) {
    const direct = s.anyone || s.principalKeys.has(caller);
    const account = s.principalKeys.has(root);
    if (!direct && !account) continue;
    if (!applies(s, r)) continue;
    if (s.effect === 'Deny') {
      out.deny = true; // a Deny naming the account covers every principal of it
      return out;
    }
    if (direct) out.direct = true;
    if (account) out.account = true;
  }
  return out;
}

/** The request context of a call: caller keys, the encryption context, grant parameters. */
export function requestContext(caller: { arn: string; accountId: string; userName?: string | undefined }, ectx?: Record<string, string>, grant?: { grantee?: string; retiring?: string; operations?: string[]; constraintType?: string }): Map<string, string | readonly string[]> {
  const m = new Map<string, string | readonly string[]>([
    ['kms:calleraccount', caller.accountId],
    ['aws:principalarn', caller.arn],
    ['aws:principalaccount', caller.accountId],
    ['kms:grantisforawsresource', 'false'],
  ]);
  if (caller.userName !== undefined) m.set('aws:username', caller.userName);
  if (ectx) {
    m.set('kms:encryptioncontextkeys', Object.keys(ectx));
    for (const [k, v] of Object.entries(ectx)) if (!m.has(CONTEXT_PREFIX + k.toLowerCase())) m.set(CONTEXT_PREFIX + k.toLowerCase(), v);
  }
  if (grant?.grantee !== undefined) m.set('kms:granteeprincipal', grant.grantee);
  if (grant?.retiring !== undefined) m.set('kms:retiringprincipal', grant.retiring);
  if (grant?.operations !== undefined) m.set('kms:grantoperations', grant.operations);
  if (grant?.constraintType !== undefined) m.set('kms:grantconstrainttype', grant.constraintType);
  return m;
}
