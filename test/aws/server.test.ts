// The awsJson1_1 front end end to end: the real AWS SDK for JavaScript (CloudHSMv2 client) and
// hand-signed requests against startAwsServer with a stub CloudHSMv2 service and a TestService.
// One negative test per authentication check, the policy cases, and the event of every call.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudHSMV2Client, CreateClusterCommand, DeleteClusterCommand, DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { CLUSTER_CREATED, rawCall, startFixture, type Fixture } from './helpers.js';
import { HIDDEN } from '../../src/aws/cloudtrail.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.close();
});

function sdk(creds: { accessKeyId: string; secretAccessKey: string }, extra: { systemClockOffset?: number } = {}): CloudHSMV2Client {
  return new CloudHSMV2Client({ endpoint: fx.server.url, region: 'local-1', credentials: creds, maxAttempts: 1, ...extra });
}

async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

function userWithPolicy(name: string, policy: unknown): { accessKeyId: string; secretAccessKey: string; arn: string } {
  const u = fx.iam.createUser(fx.root.accountId, name);
  if (policy) fx.iam.putUserPolicy(fx.root.accountId, name, 'p', JSON.stringify(policy));
  const k = fx.iam.createAccessKey(fx.root.accountId, name);
  return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey, arn: u.Arn };
}

describe('the AWS SDK for JavaScript', () => {
  it('calls DescribeClusters with the root keys and parses the reply (timestamps as epoch seconds)', async () => {
    const out = await sdk(fx.root).send(new DescribeClustersCommand({}));
    expect(out.Clusters?.[0]?.ClusterId).toBe('cluster-abcdefghijk');
    expect(out.Clusters?.[0]?.CreateTimestamp?.toISOString()).toBe(CLUSTER_CREATED.toISOString());
    expect(out.Clusters?.[0]?.SubnetMapping).toEqual({ 'local-1a': 'subnet-local-1a' });
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gets a service error with its __type and message', async () => {
    const e = await sdkError(sdk(fx.root).send(new CreateClusterCommand({ SubnetIds: ['subnet-local-1a'] } as never)));
    expect(e.name).toBe('CloudHsmInvalidRequestException');
    expect(e.message).toBe('HsmType is required.');
    expect(e.status).toBe(400);
  });

  it('is rejected with a wrong secret: InvalidSignatureException', async () => {
    const e = await sdkError(sdk({ accessKeyId: fx.root.accessKeyId, secretAccessKey: 'x'.repeat(40) }).send(new DescribeClustersCommand({})));
    expect(e.name).toBe('InvalidSignatureException');
    expect(e.message).toMatch(/signature we calculated does not match/);
  });

  it('is rejected with an unknown access key: UnrecognizedClientException', async () => {
    const e = await sdkError(sdk({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: fx.root.secretAccessKey }).send(new DescribeClustersCommand({})));
    expect(e.name).toBe('UnrecognizedClientException');
  });

  it('is rejected when its clock is 20 minutes behind: Signature expired', async () => {
    const e = await sdkError(sdk(fx.root, { systemClockOffset: -20 * 60_000 }).send(new DescribeClustersCommand({})));
    expect(e.name).toBe('InvalidSignatureException');
    expect(e.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  });
});

describe('SigV4 checks (hand-signed requests)', () => {
  const url = () => fx.server.url;

  it('accepts a good signature (with a signed x-amz-content-sha256) and reports the scope region', async () => {
    const r = await rawCall(url(), 'TestService.Echo', { Hello: 'world' }, fx.root, { service: 'testsvc', region: 'eu-test-7' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ Input: { Hello: 'world' }, Region: 'eu-test-7', Caller: `arn:aws:iam::${fx.root.accountId}:root`, Bytes: 'AQID' });
    expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects a tampered signature', async () => {
    const r = await rawCall(url(), 'TestService.Echo', {}, fx.root, {
      service: 'testsvc',
      mutate: (q) => (q.headers['authorization'] = q.headers['authorization']!.replace(/Signature=([0-9a-f])/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`)),
    });
    expect(r.status).toBe(400);
    expect(r.json['__type']).toBe('InvalidSignatureException');
  });

  it('rejects a body changed after signing', async () => {
    const r = await rawCall(url(), 'TestService.Echo', { Amount: 1 }, fx.root, { service: 'testsvc', mutate: (q) => (q.body = JSON.stringify({ Amount: 1000 })) });
    expect(r.json['__type']).toBe('InvalidSignatureException');
  });

  it('rejects a signed header changed after signing', async () => {
    const r = await rawCall(url(), 'TestService.Echo', {}, fx.root, { service: 'testsvc', mutate: (q) => (q.headers['x-amz-target'] = 'TestService.Boom') });
    expect(r.json['__type']).toBe('InvalidSignatureException');
  });

  it('rejects a request dated 20 minutes ago and one dated 20 minutes ahead', async () => {
    const past = await rawCall(url(), 'TestService.Echo', {}, fx.root, { service: 'testsvc', date: new Date(Date.now() - 20 * 60_000) });
    expect(past.json).toMatchObject({ __type: 'InvalidSignatureException', message: expect.stringMatching(/^Signature expired/) });
    const future = await rawCall(url(), 'TestService.Echo', {}, fx.root, { service: 'testsvc', date: new Date(Date.now() + 20 * 60_000) });
    expect(future.json).toMatchObject({ __type: 'InvalidSignatureException', message: expect.stringMatching(/^Signature not yet current/) });
  });

  it('accepts a request dated 10 minutes off', async () => {
    const r = await rawCall(url(), 'TestService.Echo', {}, fx.root, { service: 'testsvc', date: new Date(Date.now() - 10 * 60_000) });
    expect(r.status).toBe(200);
  });

  it('rejects a credential scoped to another service', async () => {
    const r = await rawCall(url(), 'TestService.Echo', {}, fx.root, { service: 'kms' });
    expect(r.json).toMatchObject({ __type: 'InvalidSignatureException', message: "Credential should be scoped to correct service: 'testsvc'." });
  });

  it('rejects an unknown access key', async () => {
    const r = await rawCall(url(), 'TestService.Echo', {}, { accessKeyId: 'AKIAZZZZZZZZZZZZZZZZ', secretAccessKey: 'y'.repeat(40) }, { service: 'testsvc' });
    expect(r.json['__type']).toBe('UnrecognizedClientException');
  });

  it('rejects a deleted or inactive key', async () => {
    const k = fx.iam.createAccessKey(fx.root.accountId);
    const creds = { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
    expect((await rawCall(url(), 'TestService.Echo', {}, creds, { service: 'testsvc' })).status).toBe(200);
    fx.iam.updateAccessKey(k.AccessKeyId, 'Inactive');
    expect((await rawCall(url(), 'TestService.Echo', {}, creds, { service: 'testsvc' })).json['__type']).toBe('UnrecognizedClientException');
    fx.iam.deleteAccessKey(k.AccessKeyId);
    expect((await rawCall(url(), 'TestService.Echo', {}, creds, { service: 'testsvc' })).json['__type']).toBe('UnrecognizedClientException');
  });

  it('rejects a request without Authorization: MissingAuthenticationTokenException', async () => {
    const r = await rawCall(url(), 'TestService.Echo', {}, fx.root, { unsigned: true });
    expect(r.json['__type']).toBe('MissingAuthenticationTokenException');
  });

  it('rejects a malformed Authorization header: IncompleteSignatureException', async () => {
    const r = await rawCall(url(), 'TestService.Echo', {}, fx.root, { service: 'testsvc', mutate: (q) => (q.headers['authorization'] = 'AWS4-HMAC-SHA256 Credential=AKIA/x') });
    expect(r.json['__type']).toBe('IncompleteSignatureException');
  });
});

describe('routing and encoding', () => {
  const url = () => fx.server.url;

  it('answers UnknownOperationException for an unknown operation or prefix', async () => {
    for (const target of ['TestService.Nope', 'Nobody.Echo', 'TestService.constructor', 'TestService.__proto__']) {
      const r = await rawCall(url(), target, {}, fx.root, { service: 'testsvc' });
      expect(r.status).toBe(400);
      expect(r.json['__type']).toBe('UnknownOperationException');
    }
  });

  it("answers the service's invalid-request type for a body that is not a JSON object", async () => {
    for (const body of ['{not json', '[1,2]', '"s"']) {
      const r = await rawCall(url(), 'TestService.Echo', body, fx.root, { service: 'testsvc' });
      expect(r.json['__type']).toBe('TestInvalidRequestException');
    }
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const r = await rawCall(url(), 'TestService.Echo', { Big: 'a'.repeat(1024 * 1024 + 10) }, fx.root, { service: 'testsvc' });
    expect(r.status).toBe(413);
    expect(r.json['__type']).toBe('TestInvalidRequestException');
  });

  it('turns a handler bug into a 500 internal error without its details', async () => {
    const r = await rawCall(url(), 'TestService.Boom', {}, fx.root, { service: 'testsvc' });
    expect(r.status).toBe(500);
    expect(r.json['__type']).toBe('TestInternalException');
    expect(JSON.stringify(r.json)).not.toMatch(/handler bug/);
  });
});

describe('IAM policies', () => {
  it('a user with only cloudhsm:Describe* can describe and is denied create, in AWS wording', async () => {
    const u = userWithPolicy('reader', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudhsm:Describe*', Resource: '*' }] });
    const c = sdk(u);
    expect((await c.send(new DescribeClustersCommand({}))).Clusters).toHaveLength(1);
    const e = await sdkError(c.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'] })));
    expect(e.name).toBe('CloudHsmAccessDeniedException');
    expect(e.message).toBe(`User: ${u.arn} is not authorized to perform: cloudhsm:CreateCluster on resource: * because no identity-based policy allows the cloudhsm:CreateCluster action`);
  });

  it('a user without any policy is denied everything', async () => {
    const u = userWithPolicy('nobody', null);
    const e = await sdkError(sdk(u).send(new DescribeClustersCommand({})));
    expect(e.name).toBe('CloudHsmAccessDeniedException');
  });

  it('an explicit deny beats an allow', async () => {
    const u = userWithPolicy('denied', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'cloudhsm:*', Resource: '*' },
        { Effect: 'Deny', Action: 'cloudhsm:CreateCluster', Resource: '*' },
      ],
    });
    const c = sdk(u);
    await c.send(new DescribeClustersCommand({}));
    const e = await sdkError(c.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'] })));
    expect(e.name).toBe('CloudHsmAccessDeniedException');
    expect(e.message).toMatch(/with an explicit deny in an identity-based policy$/);
  });

  it('wildcard resources select clusters by ARN', async () => {
    const acct = fx.root.accountId;
    const u = userWithPolicy('team', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['cloudhsm:DeleteCluster'], Resource: `arn:aws:cloudhsm:*:${acct}:cluster/cluster-team*` }] });
    const c = sdk(u);
    const ok = await c.send(new DeleteClusterCommand({ ClusterId: 'cluster-teamabcdefg' }));
    expect(ok.Cluster?.State).toBe('DELETE_IN_PROGRESS');
    const e = await sdkError(c.send(new DeleteClusterCommand({ ClusterId: 'cluster-otherabcdef' })));
    expect(e.name).toBe('CloudHsmAccessDeniedException');
    expect(e.message).toContain(`on resource: arn:aws:cloudhsm:local-1:${acct}:cluster/cluster-otherabcdef`);
  });

  it('the root of the account is allowed everything', async () => {
    const out = await sdk(fx.root).send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'] }));
    expect(out.Cluster?.ClusterId).toBe('cluster-newnewnewnew');
    await sdk(fx.root).send(new DeleteClusterCommand({ ClusterId: 'cluster-anything123' }));
  });
});

describe('event history', () => {
  it('records every call with its identity and outcome, secrets hidden', async () => {
    const before = fx.events.query().length;
    const u = userWithPolicy('audited', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudhsm:DescribeClusters', Resource: '*' }] });
    await sdk(u).send(new DescribeClustersCommand({}));
    await sdkError(sdk(u).send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['s'] })));
    await rawCall(fx.server.url, 'TestService.Echo', { Secret: 'do-not-log', Nested: { Secret: 'nor-this' }, Visible: 1 }, fx.root, { service: 'testsvc' });
    await sdkError(sdk({ accessKeyId: u.accessKeyId, secretAccessKey: 'z'.repeat(40) }).send(new DescribeClustersCommand({})));

    const all = fx.events.query();
    expect(all.length - before).toBe(4);
    const [describe, create, echo, forged] = all.slice(before);

    expect(describe).toMatchObject({
      eventVersion: '1.08',
      eventSource: 'cloudhsmv2.amazonaws.com',
      eventName: 'DescribeClusters',
      awsRegion: 'local-1',
      sourceIPAddress: '127.0.0.1',
      readOnly: true,
      eventType: 'AwsApiCall',
      responseElements: null,
      recipientAccountId: fx.root.accountId,
      userIdentity: { type: 'IAMUser', userName: 'audited', arn: u.arn, accountId: fx.root.accountId, accessKeyId: u.accessKeyId, principalId: expect.stringMatching(/^AIDA/) },
    });
    expect(describe!.userAgent).toMatch(/aws-sdk-js/);
    expect(describe!.errorCode).toBeUndefined();
    expect(describe!.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    expect(create).toMatchObject({ eventName: 'CreateCluster', errorCode: 'CloudHsmAccessDeniedException', readOnly: false, requestParameters: { HsmType: 'hsm2m.medium' } });
    expect(create!.errorMessage).toMatch(/is not authorized to perform: cloudhsm:CreateCluster/);

    expect(echo).toMatchObject({
      eventSource: 'testsvc.amazonaws.com',
      userIdentity: { type: 'Root', arn: `arn:aws:iam::${fx.root.accountId}:root`, principalId: fx.root.accountId },
      requestParameters: { Secret: HIDDEN, Nested: { Secret: HIDDEN }, Visible: 1 },
      responseElements: { Secret: HIDDEN, Bytes: 'AQID' },
    });

    expect(forged).toMatchObject({ eventName: 'DescribeClusters', errorCode: 'InvalidSignatureException', userIdentity: { type: 'Unknown', accessKeyId: u.accessKeyId } });

    const raw = JSON.stringify(all);
    for (const secret of ['do-not-log', 'nor-this', 'echoed', u.secretAccessKey, fx.root.secretAccessKey]) expect(raw).not.toContain(secret);
  });

  it('hides secret fields of a successful create in the response too', async () => {
    await sdk(fx.root).send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'] }));
    const last = fx.events.query({ eventName: 'CreateCluster' }).at(-1)!;
    expect(last.errorCode).toBeUndefined();
    expect(last.responseElements).toMatchObject({ Cluster: { ClusterId: 'cluster-newnewnewnew', PreCoPassword: HIDDEN } });
  });
});

describe('plain HTTP routes beside the API', () => {
  let routed: Fixture;
  beforeAll(async () => {
    const reply = (text: string) => async (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`${text} ${req.method} ${req.url}`);
    };
    routed = await startFixture({ routes: { '/metrics': reply('metrics'), '/console': reply('console'), '/console/api': reply('api'), '/broken': async () => { throw new Error('route bug'); } } });
  });
  afterAll(async () => {
    await routed?.close();
  });

  it('serves a route at its path and below it, the longest prefix winning', async () => {
    const get = async (path: string) => (await fetch(routed.server.url + path)).text();
    expect(await get('/metrics')).toBe('metrics GET /metrics');
    expect(await get('/metrics?x=1')).toBe('metrics GET /metrics?x=1');
    expect(await get('/console/app.js')).toBe('console GET /console/app.js');
    expect(await get('/console/api/clusters')).toBe('api GET /console/api/clusters');
  });

  it('leaves / and unknown paths to the AWS API, which signs and answers as before', async () => {
    expect((await fetch(routed.server.url + '/metricsx')).status).toBe(400);
    expect((await fetch(routed.server.url + '/', { method: 'POST' })).status).toBe(400);
    const r = await rawCall(routed.server.url, 'TestService.Echo', { A: 1 }, routed.root, { service: 'testsvc' });
    expect(r.status).toBe(200);
  });

  it('turns a failing route into a bare 500', async () => {
    expect((await fetch(routed.server.url + '/broken')).status).toBe(500);
  });
});

describe('the call hook (metrics)', () => {
  let hooked: Fixture;
  const calls: Array<{ service: string | undefined; operation: string | undefined; errorType: string; seconds: number }> = [];
  beforeAll(async () => {
    hooked = await startFixture({
      onCall: (c) => {
        calls.push({ service: c.service?.targetPrefix, operation: c.operation, errorType: c.errorType, seconds: c.seconds });
        if (c.operation === 'Boom') throw new Error('a hook bug must not break the reply');
      },
    });
  });
  afterAll(async () => {
    await hooked?.close();
  });

  it('sees every call once: its service, operation, error type ("" when ok) and duration', async () => {
    expect((await rawCall(hooked.server.url, 'TestService.Echo', { A: 1 }, hooked.root, { service: 'testsvc' })).status).toBe(200);
    expect((await rawCall(hooked.server.url, 'BaldrApiService.CreateCluster', {}, hooked.root)).status).toBe(400);
    expect((await rawCall(hooked.server.url, 'BaldrApiService.DescribeClusters', {}, { ...hooked.root, secretAccessKey: 'wrong' })).json['__type']).toBe('InvalidSignatureException');
    expect((await rawCall(hooked.server.url, 'TestService.Boom', {}, hooked.root, { service: 'testsvc' })).status).toBe(500);
    expect(calls.map(({ seconds: _, ...c }) => c)).toEqual([
      { service: 'TestService', operation: 'Echo', errorType: '' },
      { service: 'BaldrApiService', operation: 'CreateCluster', errorType: 'CloudHsmInvalidRequestException' },
      { service: 'BaldrApiService', operation: 'DescribeClusters', errorType: 'InvalidSignatureException' },
      { service: 'TestService', operation: 'Boom', errorType: 'TestInternalException' },
    ]);
    for (const c of calls) expect(c.seconds).toBeGreaterThan(0);
  });

  it('names no operation a service lacks, nor a service nobody serves: callers cannot mint label values', async () => {
    calls.length = 0;
    await rawCall(hooked.server.url, 'BaldrApiService.NoSuchOperation' + 'x'.repeat(20), {}, hooked.root);
    await rawCall(hooked.server.url, 'Nobody.Anything', {}, hooked.root);
    expect(calls.map(({ seconds: _, ...c }) => c)).toEqual([
      { service: 'BaldrApiService', operation: undefined, errorType: 'UnknownOperationException' },
      { service: undefined, operation: undefined, errorType: 'UnknownOperationException' },
    ]);
  });
});
