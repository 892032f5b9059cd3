// IAM identity-policy documents: parsing/validation (MalformedPolicyDocument) and evaluation of
// one action on one resource. Semantics as IAM's for identity policies: default deny, an explicit
// Deny wins over any Allow, an Allow is needed. Action matching is case-insensitive with * and ?;
// resource ARNs match segment by segment (partition, service, region, account, then the rest),
// case-sensitive. Condition blocks are not evaluated: they fail closed (an Allow with a Condition
// never applies, a Deny with a Condition always applies). Pure: no I/O, no secrets.
//
// Why not @cloud-copilot/iam-simulate: it validates actions against AWS's own service catalogue
// (a large, daily-updated data package), which knows nothing of Strongroom-only actions, and we
// only need identity policies without conditions.

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: unknown;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export class MalformedPolicyError extends Error {
  override readonly name = 'MalformedPolicyDocument';
}

/** IAM's limit for a role's inline policies; users get the same here (AWS: 2 048 for users). */
export const MAX_POLICY_CHARS = 10_240;

function stringList(v: unknown, field: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string' || x === '')) {
    throw new MalformedPolicyError(`${field} must be a non-empty string or array of non-empty strings.`);
  }
  return list as string[];
}

/** Parses and validates a policy document (JSON text or object); returns a normalised copy. */
export function parsePolicyDocument(doc: string | unknown): PolicyDocument {
  let raw: unknown = doc;
  if (typeof doc === 'string') {
    if (doc.replace(/\s/g, '').length > MAX_POLICY_CHARS) throw new MalformedPolicyError(`Policy document exceeds ${MAX_POLICY_CHARS} characters.`);
    try {
      raw = JSON.parse(doc);
    } catch {
      throw new MalformedPolicyError('Syntax errors in policy.');
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MalformedPolicyError('Policy document must be a JSON object.');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['Version', 'Id', 'Statement'].includes(k)) throw new MalformedPolicyError(`Policy document has an unknown field ${k}.`);
  const version = o['Version'] ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') throw new MalformedPolicyError(`The policy failed legacy parsing: Version must be 2012-10-17 or 2008-10-17.`);
  const stmts = Array.isArray(o['Statement']) ? o['Statement'] : o['Statement'] === undefined ? [] : [o['Statement']];
  if (stmts.length === 0) throw new MalformedPolicyError('Policy document must have at least one Statement.');
  const out: PolicyStatement[] = stmts.map((s: unknown, i) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new MalformedPolicyError(`Statement ${i} must be an object.`);
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) {
      if (k === 'Principal' || k === 'NotPrincipal') throw new MalformedPolicyError('Policy document should not specify a principal.');
      if (!['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'].includes(k)) throw new MalformedPolicyError(`Statement ${i} has an unknown field ${k}.`);
    }
    if (st['Effect'] !== 'Allow' && st['Effect'] !== 'Deny') throw new MalformedPolicyError(`Statement ${i}: Effect must be Allow or Deny.`);
    if ((st['Action'] === undefined) === (st['NotAction'] === undefined)) throw new MalformedPolicyError(`Statement ${i} must have exactly one of Action and NotAction.`);
    if ((st['Resource'] === undefined) === (st['NotResource'] === undefined)) throw new MalformedPolicyError(`Statement ${i} must have exactly one of Resource and NotResource.`);
    const stmt: PolicyStatement = { Effect: st['Effect'] };
    if (typeof st['Sid'] === 'string') stmt.Sid = st['Sid'];
    for (const f of ['Action', 'NotAction'] as const) {
      if (st[f] === undefined) continue;
      const list = stringList(st[f], `Statement ${i}: ${f}`);
      for (const a of list) if (a !== '*' && !/^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$/.test(a)) throw new MalformedPolicyError(`Statement ${i}: action ${a} is not service:Action.`);
      stmt[f] = list;
    }
    for (const f of ['Resource', 'NotResource'] as const) {
      if (st[f] === undefined) continue;
      const list = stringList(st[f], `Statement ${i}: ${f}`);
      for (const r of list) if (r !== '*' && !r.startsWith('arn:')) throw new MalformedPolicyError(`Statement ${i}: resource ${r} must be an ARN or *.`);
      stmt[f] = list;
    }
    if (st['Condition'] !== undefined) {
      if (typeof st['Condition'] !== 'object' || st['Condition'] === null) throw new MalformedPolicyError(`Statement ${i}: Condition must be an object.`);
      stmt.Condition = st['Condition'];
    }
    return stmt;
  });
  return { Version: version, Statement: out };
}

const regexCache = new Map<string, RegExp>();

/** `*` matches any run of characters, `?` exactly one; everything else literally. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!/[*?]/.test(pattern)) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const key = (ignoreCase ? 'i' : 's') + pattern;
  let re = regexCache.get(key);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(key, re);
  }
  return re.test(value);
}

function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

export function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatch(pattern, action, true);
}

/** Resource patterns match ARN segment by segment; a wildcard never spans the first five colons. */
export function resourceMatches(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  if (resource === '*') return false; // only a '*' pattern covers "all resources"
  const p = splitArn(pattern);
  const r = splitArn(resource);
  if (!p || !r) return !p && !r && wildcardMatch(pattern, resource); // an ARN pattern with fewer than six segments matches nothing
  return p.every((seg, i) => wildcardMatch(seg, r[i]!));
}

function statementApplies(s: PolicyStatement, action: string, resource: string): boolean {
  const actionOk = s.Action ? s.Action.some((a) => actionMatches(a, action)) : !s.NotAction!.some((a) => actionMatches(a, action));
  if (!actionOk) return false;
  return s.Resource ? s.Resource.some((p) => resourceMatches(p, resource)) : !s.NotResource!.some((p) => resourceMatches(p, resource));
}

/** Evaluates identity policies for one action on one resource. */
export function evaluate(policies: readonly PolicyDocument[], action: string, resource: string): Decision {
  let allowed = false;
  for (const p of policies) {
    for (const s of p.Statement) {
      const conditional = s.Condition !== undefined && Object.keys(s.Condition as object).length > 0;
      if (s.Effect === 'Deny') {
        if (statementApplies(s, action, resource)) return 'ExplicitDeny'; // a Condition fails closed: the Deny applies
      } else if (!conditional && statementApplies(s, action, resource)) {
        allowed = true;
      }
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}

/** Evaluates every resource; the first one denied (explicit denies first) is reported. */
export function evaluateAll(policies: readonly PolicyDocument[], action: string, resources: readonly string[]): { decision: Decision; resource: string } {
  let implicit: string | undefined;
  for (const r of resources) {
    const d = evaluate(policies, action, r);
    if (d === 'ExplicitDeny') return { decision: d, resource: r };
    if (d === 'ImplicitDeny' && implicit === undefined) implicit = r;
  }
  return implicit !== undefined ? { decision: 'ImplicitDeny', resource: implicit } : { decision: 'Allow', resource: resources[0] ?? '*' };
}
