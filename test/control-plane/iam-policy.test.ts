// The IAM policy evaluator and validator: wildcard matching, Allow/Deny precedence, NotAction and
// NotResource, segment-wise ARN matching, conditions failing closed, and malformed documents.

import { describe, expect, it } from 'vitest';
import { evaluate, evaluateAll, parsePolicyDocument, resourceMatches, wildcardMatch, actionMatches, MalformedPolicyError } from '../../src/control-plane/iam/policy.js';

const doc = (...Statement: unknown[]) => parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement }));
const ARN = 'arn:aws:cloudhsm:local-1:111122223333:cluster/cluster-abcdefghijk';

describe('wildcards', () => {
  it.each([
    ['*', 'anything', true],
    ['cluster-*', 'cluster-abc', true],
    ['cluster-*', 'backup-abc', false],
    ['cluster-???', 'cluster-abc', true],
    ['cluster-???', 'cluster-abcd', false],
    ['a.b', 'axb', false],
    ['a+b(c)', 'a+b(c)', true],
    ['', '', true],
  ])('%s vs %s → %s', (p, v, want) => expect(wildcardMatch(p, v)).toBe(want));

  it('actions match case-insensitively', () => {
    expect(actionMatches('cloudhsm:describe*', 'cloudhsm:DescribeClusters')).toBe(true);
    expect(actionMatches('CloudHSM:DescribeClusters', 'cloudhsm:DescribeClusters')).toBe(true);
    expect(actionMatches('cloudhsm:Describe*', 'kms:DescribeKey')).toBe(false);
    expect(actionMatches('*', 'kms:Decrypt')).toBe(true);
  });

  it('resources match case-sensitively and segment by segment', () => {
    expect(resourceMatches(ARN, ARN)).toBe(true);
    expect(resourceMatches(ARN.replace('cluster-abc', 'cluster-ABC'), ARN)).toBe(false);
    expect(resourceMatches('arn:aws:cloudhsm:*:111122223333:cluster/*', ARN)).toBe(true);
    expect(resourceMatches('arn:aws:cloudhsm:*:*:*', ARN)).toBe(true);
    expect(resourceMatches('arn:aws:cloudhsm:*:999999999999:cluster/*', ARN)).toBe(false);
    // a wildcard in the region segment never swallows the account segment
    expect(resourceMatches('arn:aws:cloudhsm:*cluster/*', ARN)).toBe(false);
    expect(resourceMatches('arn:aws:*', ARN)).toBe(false);
    expect(resourceMatches('arn:aws:kms:*:111122223333:key/*', ARN)).toBe(false);
    // only '*' covers a call on "all resources"
    expect(resourceMatches('arn:aws:cloudhsm:*:*:*', '*')).toBe(false);
    expect(resourceMatches('*', '*')).toBe(true);
  });
});

describe('evaluation', () => {
  it('denies by default', () => {
    expect(evaluate([], 'cloudhsm:DescribeClusters', '*')).toBe('ImplicitDeny');
    expect(evaluate([doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' })], 'cloudhsm:DescribeClusters', '*')).toBe('ImplicitDeny');
  });

  it('allows what an Allow names', () => {
    const p = [doc({ Effect: 'Allow', Action: ['cloudhsm:Describe*', 'cloudhsm:ListTags'], Resource: '*' })];
    expect(evaluate(p, 'cloudhsm:DescribeClusters', '*')).toBe('Allow');
    expect(evaluate(p, 'cloudhsm:ListTags', ARN)).toBe('Allow');
    expect(evaluate(p, 'cloudhsm:CreateCluster', '*')).toBe('ImplicitDeny');
  });

  it('an explicit deny wins over an allow, in the same or another policy', () => {
    const allow = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    const deny = doc({ Effect: 'Deny', Action: 'cloudhsm:DeleteCluster', Resource: ARN });
    expect(evaluate([allow, deny], 'cloudhsm:DeleteCluster', ARN)).toBe('ExplicitDeny');
    expect(evaluate([deny, allow], 'cloudhsm:DeleteCluster', ARN)).toBe('ExplicitDeny');
    expect(evaluate([allow, deny], 'cloudhsm:DeleteCluster', ARN.replace('abcdefghijk', 'zzzzzzzzzzz'))).toBe('Allow');
  });

  it('NotAction and NotResource', () => {
    const p = [doc({ Effect: 'Allow', NotAction: 'cloudhsm:Delete*', Resource: '*' }), doc({ Effect: 'Deny', Action: '*', NotResource: 'arn:aws:cloudhsm:*:111122223333:*' })];
    expect(evaluate(p, 'cloudhsm:CreateHsm', ARN)).toBe('Allow');
    expect(evaluate(p, 'cloudhsm:DeleteHsm', ARN)).toBe('ImplicitDeny');
    expect(evaluate(p, 'cloudhsm:CreateHsm', ARN.replace('111122223333', '444455556666'))).toBe('ExplicitDeny');
  });

  it('conditions fail closed: a conditional Allow never applies, a conditional Deny always does', () => {
    const cond = { StringEquals: { 'aws:RequestedRegion': 'local-1' } };
    expect(evaluate([doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: cond })], 'cloudhsm:DescribeClusters', '*')).toBe('ImplicitDeny');
    const p = [doc({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 'cloudhsm:*', Resource: '*', Condition: cond })];
    expect(evaluate(p, 'cloudhsm:DescribeClusters', '*')).toBe('ExplicitDeny');
    expect(evaluate(p, 'kms:Decrypt', '*')).toBe('Allow');
  });

  it('every resource must be allowed; an explicit deny is reported first', () => {
    const other = ARN.replace('abcdefghijk', 'otherotherx');
    const p = [doc({ Effect: 'Allow', Action: '*', Resource: ARN }, { Effect: 'Deny', Action: '*', Resource: other })];
    expect(evaluateAll(p, 'cloudhsm:TagResource', [ARN])).toEqual({ decision: 'Allow', resource: ARN });
    expect(evaluateAll(p, 'cloudhsm:TagResource', [ARN, '*', other])).toEqual({ decision: 'ExplicitDeny', resource: other });
    expect(evaluateAll(p, 'cloudhsm:TagResource', [ARN, '*'])).toEqual({ decision: 'ImplicitDeny', resource: '*' });
  });
});

describe('malformed documents', () => {
  it.each([
    ['not json', '{'],
    ['no statement', '{"Version":"2012-10-17"}'],
    ['bad version', '{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'],
    ['bad effect', '{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}'],
    ['no action', '{"Statement":[{"Effect":"Allow","Resource":"*"}]}'],
    ['action and notaction', '{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"a:b","Resource":"*"}]}'],
    ['no resource', '{"Statement":[{"Effect":"Allow","Action":"*"}]}'],
    ['principal', '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'],
    ['action without service', '{"Statement":[{"Effect":"Allow","Action":"DescribeClusters","Resource":"*"}]}'],
    ['resource not an ARN', '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"cluster-abc"}]}'],
    ['empty action list', '{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}'],
    ['unknown field', '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}]}'],
  ])('%s', (_name, text) => {
    expect(() => parsePolicyDocument(text)).toThrow(MalformedPolicyError);
  });

  it('accepts a single statement object and string fields, normalising them to lists', () => {
    const p = parsePolicyDocument('{"Version":"2012-10-17","Statement":{"Sid":"s","Effect":"Allow","Action":"cloudhsm:*","Resource":"*"}}');
    expect(p.Statement).toEqual([{ Sid: 's', Effect: 'Allow', Action: ['cloudhsm:*'], Resource: ['*'] }]);
  });
});
