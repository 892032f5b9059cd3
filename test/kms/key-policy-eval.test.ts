// key-policy.ts on its own: principal forms, Deny naming the account covering its users, Resource
// and NotAction, and the condition semantics (absent keys, negated operators, IfExists, Null,
// ForAllValues/ForAnyValue over multi-valued keys, case-insensitive key names).

import { describe, expect, it } from 'vitest';
import { conditionHolds, evaluateKeyPolicy, MalformedKeyPolicy, parseKeyPolicy, requestContext, type KeyPolicyCondition } from '../../src/kms/key-policy.js';

const ACCT = '111122223333';
const KEY = `arn:aws:kms:local-1:${ACCT}:key/00000000-0000-4000-8000-000000000001`;
const alice = { arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT, userName: 'alice' };
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const ask = (policy: string, action: string, ectx?: Record<string, string>) =>
  evaluateKeyPolicy(parseKeyPolicy(policy), { principalArn: alice.arn, accountId: ACCT, action, keyArn: KEY, context: requestContext(alice, ectx) });
const cond = (operator: KeyPolicyCondition['operator'], key: string, values: string[], o: Partial<KeyPolicyCondition> = {}): KeyPolicyCondition => ({ operator, key, values, ifExists: false, ...o });

describe('key policy evaluation', () => {
  it('tells a direct Allow from an account Allow, and a Deny naming the account covers its users', () => {
    expect(ask(doc({ Effect: 'Allow', Principal: { AWS: ACCT }, Action: 'kms:*', Resource: '*' }), 'kms:Encrypt')).toEqual({ deny: false, direct: false, account: true });
    expect(ask(doc({ Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:Encrypt', Resource: KEY }), 'kms:encrypt')).toEqual({ deny: false, direct: true, account: false });
    expect(ask(doc({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }), 'kms:Decrypt').direct).toBe(true);
    expect(ask(doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:user/Alice` }, Action: 'kms:*', Resource: '*' }), 'kms:Decrypt').direct).toBe(true); // IAM user names ignore case
    expect(ask(doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:user/bob` }, Action: 'kms:*', Resource: '*' }), 'kms:Decrypt')).toEqual({ deny: false, direct: false, account: false });
    expect(ask(doc({ Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:*', Resource: '*' }, { Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'kms:Decrypt', Resource: '*' }), 'kms:Decrypt').deny).toBe(true);
    expect(ask(doc({ Effect: 'Allow', Principal: { AWS: alice.arn }, NotAction: 'kms:Decrypt', Resource: '*' }), 'kms:Decrypt').direct).toBe(false);
    expect(ask(doc({ Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:*', Resource: `arn:aws:kms:local-1:${ACCT}:key/other` }), 'kms:Decrypt').direct).toBe(false);
    expect(ask(doc({ Effect: 'Allow', Principal: { Service: 'logs.amazonaws.com' }, Action: 'kms:*', Resource: '*' }), 'kms:Decrypt')).toEqual({ deny: false, direct: false, account: false });
  });

  it('conditions follow IAM semantics', () => {
    const none = requestContext(alice);
    const ctx = requestContext(alice, { App: 'billing', team: 'ops' });
    expect(conditionHolds(cond('StringEquals', 'kms:encryptioncontext:app', ['billing']), ctx)).toBe(true); // key names case-insensitive
    expect(conditionHolds(cond('StringEquals', 'kms:encryptioncontext:app', ['Billing']), ctx)).toBe(false); // values not
    expect(conditionHolds(cond('StringEqualsIgnoreCase', 'kms:encryptioncontext:app', ['Billing']), ctx)).toBe(true);
    expect(conditionHolds(cond('StringEquals', 'kms:encryptioncontext:app', ['billing']), none)).toBe(false);
    expect(conditionHolds(cond('StringNotEquals', 'kms:encryptioncontext:app', ['billing']), none)).toBe(true);
    expect(conditionHolds(cond('StringEquals', 'kms:encryptioncontext:app', ['x'], { ifExists: true }), none)).toBe(true);
    expect(conditionHolds(cond('Null', 'kms:encryptioncontext:app', ['true']), none)).toBe(true);
    expect(conditionHolds(cond('Null', 'kms:encryptioncontext:app', ['true']), ctx)).toBe(false);
    expect(conditionHolds(cond('StringEquals', 'kms:encryptioncontextkeys', ['App', 'team'], { qualifier: 'ForAllValues' }), ctx)).toBe(true);
    expect(conditionHolds(cond('StringEquals', 'kms:encryptioncontextkeys', ['App'], { qualifier: 'ForAllValues' }), ctx)).toBe(false);
    expect(conditionHolds(cond('StringEquals', 'kms:encryptioncontextkeys', ['App'], { qualifier: 'ForAllValues' }), none)).toBe(true);
    expect(conditionHolds(cond('StringEquals', 'kms:encryptioncontextkeys', ['team'], { qualifier: 'ForAnyValue' }), ctx)).toBe(true);
    expect(conditionHolds(cond('StringEquals', 'kms:encryptioncontextkeys', ['team'], { qualifier: 'ForAnyValue' }), none)).toBe(false);
    expect(conditionHolds(cond('StringLike', 'aws:principalarn', [`arn:aws:iam::${ACCT}:user/a*`]), ctx)).toBe(true);
    expect(conditionHolds(cond('StringNotLike', 'aws:principalarn', [`arn:aws:iam::${ACCT}:user/a*`]), ctx)).toBe(false);
    expect(conditionHolds(cond('Bool', 'kms:grantisforawsresource', ['true']), ctx)).toBe(false);
    expect(conditionHolds(cond('StringEquals', 'kms:calleraccount', [ACCT]), ctx)).toBe(true);
  });

  it('refuses what it does not understand', () => {
    const refused = (policy: string, msg: RegExp) => expect(() => parseKeyPolicy(policy)).toThrow(msg);
    const ok = { Effect: 'Allow', Principal: { AWS: ACCT }, Action: 'kms:*', Resource: '*' };
    refused('[]', /must be a JSON object/);
    refused(JSON.stringify({ Statement: [] }), /at least one Statement/);
    refused(JSON.stringify({ Version: '2020-01-01', Statement: [ok] }), /Version/);
    refused(doc({ ...ok, Extra: 1 }), /unknown field Extra/);
    refused(doc({ ...ok, Principal: { Federated: 'x' } }), /principal type Federated/);
    refused(doc({ ...ok, Principal: { AWS: 'arn:aws:iam::*:root' } }), /invalid principals/);
    refused(doc({ ...ok, Action: 'Encrypt' }), /not service:Action/);
    refused(doc({ ...ok, Resource: 'key/1' }), /must be "\*" or an ARN/);
    refused(doc({ ...ok, Condition: { 'ForAllValues:Bool': { 'kms:GrantIsForAWSResource': 'true' } } }), /applies to String operators only/);
    refused(doc({ ...ok, Condition: { Bool: { 'kms:GrantIsForAWSResource': 'yes' } } }), /true or false/);
    refused(doc({ ...ok, Condition: { StringEquals: { 'kms:EncryptionContext:': 'x' } } }), /condition key/);
    refused(doc({ ...ok, Condition: { StringEquals: { 'kms:CallerAccount': [] } } }), /values must be strings/);
    refused(JSON.stringify({ Statement: [ok], pad: 'x'.repeat(40_000) }), /exceeds 32768 bytes/);
    expect(() => parseKeyPolicy('{')).toThrow(MalformedKeyPolicy);
    expect(parseKeyPolicy(doc({ ...ok, Condition: { 'StringEqualsIfExists': { 'kms:EncryptionContext:a': 'b' }, Bool: { 'kms:GrantIsForAWSResource': true } } })).statements).toHaveLength(1);
  });
});
