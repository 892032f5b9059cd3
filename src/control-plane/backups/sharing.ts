// Backup sharing through resource policies (Put/Get/DeleteResourcePolicy): parsing a policy
// document the owner puts on a backup, and deciding whether it lets a principal of another
// account do `cloudhsm:<Operation>` on that backup. IAM semantics: default deny, an explicit Deny
// wins, Action/Resource wildcards as in identity policies. A principal is named by account
// (`"123456789012"` or `arn:aws:iam::123456789012:root`: every identity of that account) or by
// IAM user ARN; `*` (public) and Condition blocks are refused at Put time. Pure: no I/O.

import { actionMatches, resourceMatches, wildcardMatch } from '../iam/policy.js';

export const MAX_RESOURCE_POLICY_CHARS = 20_000;

export interface SharingStatement {
  Effect: 'Allow' | 'Deny';
  /** Account ids or principal ARNs. */
  Principals: string[];
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
}

export class MalformedResourcePolicy extends Error {}

const ACCOUNT_RE = /^\d{12}$/;
const PRINCIPAL_ARN_RE = /^arn:aws:iam::(\d{12}):(root|user\/[\w+=,.@/-]{1,512})$/;

function stringList(v: unknown, what: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string' || x === '')) {
    throw new MalformedResourcePolicy(`${what} must be a non-empty string or array of non-empty strings`);
  }
  return list as string[];
}

/** Parses and validates a resource policy's JSON text; the normalised statements. */
export function parseResourcePolicy(text: string): SharingStatement[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new MalformedResourcePolicy('Policy is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MalformedResourcePolicy('Policy must be a JSON object');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['Version', 'Id', 'Statement'].includes(k)) throw new MalformedResourcePolicy(`Policy has an unknown field ${k.slice(0, 40)}`);
  if (o['Version'] !== '2012-10-17' && o['Version'] !== '2008-10-17') throw new MalformedResourcePolicy('Policy Version must be 2012-10-17 or 2008-10-17');
  const stmts = Array.isArray(o['Statement']) ? o['Statement'] : o['Statement'] === undefined ? [] : [o['Statement']];
  if (stmts.length === 0) throw new MalformedResourcePolicy('Policy must have at least one Statement');
  return stmts.map((s: unknown, i): SharingStatement => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new MalformedResourcePolicy(`Statement ${i} must be an object`);
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) {
      if (k === 'Condition' || k === 'NotPrincipal') throw new MalformedResourcePolicy(`Statement ${i}: ${k} is not supported in a backup's resource policy`);
      if (!['Sid', 'Effect', 'Principal', 'Action', 'NotAction', 'Resource', 'NotResource'].includes(k)) throw new MalformedResourcePolicy(`Statement ${i} has an unknown field ${k.slice(0, 40)}`);
    }
    if (st['Effect'] !== 'Allow' && st['Effect'] !== 'Deny') throw new MalformedResourcePolicy(`Statement ${i}: Effect must be Allow or Deny`);
    const p = st['Principal'];
    if (typeof p !== 'object' || p === null || Array.isArray(p) || Object.keys(p).join() !== 'AWS') {
      throw new MalformedResourcePolicy(`Statement ${i}: Principal must be {"AWS": account id or IAM ARN, or a list of them}`);
    }
    const principals = stringList((p as Record<string, unknown>)['AWS'], `Statement ${i}: Principal.AWS`);
    for (const x of principals) {
      if (!ACCOUNT_RE.test(x) && !PRINCIPAL_ARN_RE.test(x)) throw new MalformedResourcePolicy(`Statement ${i}: principal ${JSON.stringify(x.slice(0, 80))} is not an account id, account root ARN or IAM user ARN (public sharing is not allowed)`);
    }
    if ((st['Action'] === undefined) === (st['NotAction'] === undefined)) throw new MalformedResourcePolicy(`Statement ${i} must have exactly one of Action and NotAction`);
    if (st['Resource'] !== undefined && st['NotResource'] !== undefined) throw new MalformedResourcePolicy(`Statement ${i} may have Resource or NotResource, not both`);
    const out: SharingStatement = { Effect: st['Effect'], Principals: principals };
    for (const f of ['Action', 'NotAction'] as const) {
      if (st[f] === undefined) continue;
      const list = stringList(st[f], `Statement ${i}: ${f}`);
      for (const a of list) if (a !== '*' && !/^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$/.test(a)) throw new MalformedResourcePolicy(`Statement ${i}: action ${a.slice(0, 80)} is not service:Action`);
      out[f] = list;
    }
    for (const f of ['Resource', 'NotResource'] as const) {
      if (st[f] === undefined) continue;
      const list = stringList(st[f], `Statement ${i}: ${f}`);
      for (const r of list) if (r !== '*' && !r.startsWith('arn:')) throw new MalformedResourcePolicy(`Statement ${i}: resource ${r.slice(0, 80)} must be an ARN or *`);
      out[f] = list;
    }
    return out;
  });
}

function principalMatches(p: string, caller: { accountId: string; arn: string }): boolean {
  if (ACCOUNT_RE.test(p)) return p === caller.accountId;
  if (p === `arn:aws:iam::${caller.accountId}:root`) return true;
  return wildcardMatch(p, caller.arn);
}

/**
 * Does the policy allow `caller` to do `action` on `resource`? No statement of it may deny, and
 * one must allow; a statement without Resource covers the backup it is attached to.
 */
export function sharingAllows(statements: readonly SharingStatement[], caller: { accountId: string; arn: string }, action: string, resource: string): boolean {
  let allowed = false;
  for (const s of statements) {
    if (!s.Principals.some((p) => principalMatches(p, caller))) continue;
    const actionOk = s.Action ? s.Action.some((a) => actionMatches(a, action)) : !s.NotAction!.some((a) => actionMatches(a, action));
    const resourceOk = s.Resource ? s.Resource.some((r) => resourceMatches(r, resource)) : s.NotResource ? !s.NotResource.some((r) => resourceMatches(r, resource)) : true;
    if (!actionOk || !resourceOk) continue;
    if (s.Effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}
