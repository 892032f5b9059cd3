// The service `authorize` hook of the AWS front end: it sees IAM's decision (and may ask IAM about
// other actions), may allow what IAM denied, may deny what IAM allowed with a resource-based
// explicit deny in AWS's wording, and may answer an error of its own; the handler runs only when
// the final decision allows. Real server, IAM store and event log; hand-signed requests.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsError, type AwsAuthorizeRequest, type AwsService } from '../../src/aws/server.js';
import { rawCall, startFixture, type Fixture } from './helpers.js';

const seen: AwsAuthorizeRequest[] = [];
let handled = 0;

function hookService(): AwsService {
  return {
    targetPrefix: 'HookService',
    signingName: 'hooksvc',
    actionPrefix: 'hooksvc',
    eventSource: 'hooksvc.amazonaws.com',
    errors: { invalidRequest: 'HookInvalidRequestException', accessDenied: 'AccessDeniedException', internal: 'HookInternalException' },
    operations: {
      Get: {
        readOnly: true,
        resources: (_ctx, i: Record<string, unknown>) => [String(i['Thing'] ?? '*')],
        handler: async () => {
          handled++;
          return { Ok: true };
        },
      },
    },
    authorize(r) {
      seen.push(r);
      if (r.input['Mode'] === 'grant') return { allowed: true };
      if (r.input['Mode'] === 'deny') return { allowed: false, explicitDeny: true, resource: r.resources[0]!, policyType: 'resource-based' };
      if (r.input['Mode'] === 'nobody') return { allowed: false, explicitDeny: false, resource: r.resources[0]!, action: 'hooksvc:GetFrom', policyType: 'resource-based' };
      if (r.input['Mode'] === 'throw') throw new AwsError('HookTokenException', 'The token is not valid.');
      return r.iam;
    },
  };
}

describe('the authorize hook', () => {
  let fx: Fixture;
  let nobody: { accessKeyId: string; secretAccessKey: string };
  const thing = 'arn:aws:hooksvc:local-1:111122223333:thing/1';
  beforeAll(async () => {
    fx = await startFixture({ services: [hookService()] });
    fx.iam.createUser(fx.root.accountId, 'nobody');
    const k = fx.iam.createAccessKey(fx.root.accountId, 'nobody');
    nobody = { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
  });
  afterAll(async () => {
    await fx?.close();
  });
  const call = (body: unknown, creds: { accessKeyId: string; secretAccessKey: string }) => rawCall(fx.server.url, 'HookService.Get', body, creds, { service: 'hooksvc' });

  it('receives IAM\'s decision and can ask IAM about another action', async () => {
    seen.length = 0;
    const r = await call({ Thing: thing }, nobody);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ __type: 'AccessDeniedException', message: `User: arn:aws:iam::${fx.root.accountId}:user/nobody is not authorized to perform: hooksvc:Get on resource: ${thing} because no identity-based policy allows the hooksvc:Get action` });
    expect(seen[0]).toMatchObject({ operation: 'Get', action: 'hooksvc:Get', resources: [thing], iam: { allowed: false, explicitDeny: false } });
    expect(seen[0]!.iamFor('hooksvc:Other', ['*'])).toMatchObject({ allowed: false });
    expect((await call({ Thing: thing }, fx.root)).status).toBe(200);
    expect(seen[1]!.iam).toEqual({ allowed: true });
  });

  it('may allow what IAM denied, and deny what IAM allowed in AWS wording', async () => {
    const before = handled;
    expect((await call({ Thing: thing, Mode: 'grant' }, nobody)).status).toBe(200);
    expect(handled).toBe(before + 1);
    const d = await call({ Thing: thing, Mode: 'deny' }, fx.root);
    expect(d.json).toEqual({ __type: 'AccessDeniedException', message: `User: arn:aws:iam::${fx.root.accountId}:root is not authorized to perform: hooksvc:Get on resource: ${thing} with an explicit deny in a resource-based policy` });
    const n = await call({ Thing: thing, Mode: 'nobody' }, fx.root);
    expect(n.json.message).toMatch(/perform: hooksvc:GetFrom on resource: .* because no resource-based policy allows the hooksvc:GetFrom action$/);
    const t = await call({ Thing: thing, Mode: 'throw' }, fx.root);
    expect(t.json).toEqual({ __type: 'HookTokenException', message: 'The token is not valid.' });
    expect(handled).toBe(before + 1);
  });
});
