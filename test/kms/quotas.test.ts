// KMS request quotas. The token buckets on an injected clock (burst of one second, continuous
// refill, all-or-nothing across the quotas a request draws on, separate per account and per key
// store, fractional rates), the `--kms-quotas` grammar, and then a real `strongroom control-plane`
// with quotas on: @aws-sdk/client-kms sees ThrottlingException beyond a quota (per operation, the
// shared symmetric quota, a CloudHSM key store's quota), the event history records it, and the
// SDK's own retry strategy gets through once the bucket refills.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, GenerateRandomCommand, KMSClient } from '@aws-sdk/client-kms';
import { AWS_QUOTAS, RequestQuotas, keyTypeQuota, parseQuotaSpec } from '../../src/kms/quotas.js';
import { startKmsPlane, STRONGROOM_BIN, type KmsPlane } from '../../bench/kms-setup.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

async function errorName(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(() => undefined, (e: unknown) => (e as Error).name);
}

describe('request quotas (token buckets)', () => {
  it('lets a second of requests through at once, then refills at the rate', () => {
    const c = clock();
    const q = new RequestQuotas({ symmetric: 4 }, c.now);
    const d = q.draws('Encrypt', '111111111111', { keySpec: 'SYMMETRIC_DEFAULT' });
    for (let i = 0; i < 4; i++) q.take(d);
    expect(() => q.take(d)).toThrow(/exceeded the rate at which you may call KMS/);
    c.advance(249);
    expect(() => q.take(d)).toThrow(expect.objectContaining({ type: 'ThrottlingException' }));
    c.advance(1);
    q.take(d);
    c.advance(10_000); // never more than one second's worth saved up
    for (let i = 0; i < 4; i++) q.take(d);
    expect(() => q.take(d)).toThrow();
  });

  it('keeps accounts, key types and key stores apart', () => {
    const c = clock();
    const q = new RequestQuotas({ symmetric: 1, rsa: 1, 'cloudhsm-key-store': 1 }, c.now);
    q.take(q.draws('Encrypt', 'a', { keySpec: 'SYMMETRIC_DEFAULT' }));
    q.take(q.draws('Encrypt', 'b', { keySpec: 'SYMMETRIC_DEFAULT' }));
    q.take(q.draws('Sign', 'a', { keySpec: 'RSA_2048' }));
    expect(() => q.take(q.draws('Decrypt', 'a', { keySpec: 'SYMMETRIC_DEFAULT' }))).toThrow();
    // A key store request draws on the store and the account's symmetric quota: both must have room.
    const store = new RequestQuotas({ symmetric: 2, 'cloudhsm-key-store': 1 }, c.now);
    const inStore = store.draws('Encrypt', 'a', { keySpec: 'SYMMETRIC_DEFAULT', customKeyStoreId: 'cks-1' });
    expect(inStore).toEqual([{ quota: 'symmetric', scope: 'a' }, { quota: 'cloudhsm-key-store', scope: 'cks-1' }]);
    store.take(inStore);
    expect(() => store.take(inStore)).toThrow(/CloudHSM key store/);
    // Refused as a whole: the symmetric token the refused request would have used is still there.
    store.take(store.draws('Encrypt', 'a', { keySpec: 'SYMMETRIC_DEFAULT' }));
    expect(() => store.take(store.draws('Encrypt', 'a', { keySpec: 'SYMMETRIC_DEFAULT' }))).toThrow();
    store.take(store.draws('Encrypt', 'a', { keySpec: 'SYMMETRIC_DEFAULT', customKeyStoreId: 'cks-2' }).filter((x) => x.quota !== 'symmetric'));
  });

  it('meters operations by name, data key pairs by spec, and skips what the table lacks', () => {
    const c = clock();
    const q = new RequestQuotas({ CreateKey: 2, 'data-key-pair:RSA_4096': 0.1 }, c.now);
    expect(q.draws('DescribeKey', 'a')).toEqual([]);
    q.take(q.draws('CreateKey', 'a'));
    q.take(q.draws('CreateKey', 'a'));
    expect(() => q.take(q.draws('CreateKey', 'a'))).toThrow();
    const pair = q.draws('GenerateDataKeyPair', 'a', { keySpec: 'SYMMETRIC_DEFAULT' }, { keyPairSpec: 'RSA_4096' });
    expect(pair).toEqual([{ quota: 'data-key-pair:RSA_4096', scope: 'a' }]);
    q.take(pair);
    c.advance(9_999);
    expect(() => q.take(pair)).toThrow();
    c.advance(1);
    q.take(pair);
    expect(keyTypeQuota('ECC_NIST_P384')).toBe('ecc');
    expect(keyTypeQuota('HMAC_256')).toBe('symmetric');
  });

  it('parses --kms-quotas and refuses what it does not know', () => {
    expect(parseQuotaSpec('aws')).toEqual(AWS_QUOTAS);
    const t = parseQuotaSpec('aws,symmetric=50,CreateKey=off');
    expect(t['symmetric']).toBe(50);
    expect(t['CreateKey']).toBeUndefined();
    expect(t['cloudhsm-key-store']).toBe(1800);
    expect(parseQuotaSpec('rsa=2.5')).toEqual({ rsa: 2.5 });
    expect(() => parseQuotaSpec('')).toThrow(/give aws/);
    expect(() => parseQuotaSpec('Encrypt=5')).toThrow(/unknown quota "Encrypt=5"/);
    expect(() => parseQuotaSpec('symmetric=0')).toThrow(/above 0/);
    expect(() => parseQuotaSpec('symmetric=lots')).toThrow(/above 0/);
    expect(() => parseQuotaSpec('rsa=1,aws')).toThrow(/aws comes first/);
  });

  it('strongroom control-plane refuses a bad --kms-quotas before starting anything', () => {
    const r = spawnSync(process.execPath, [STRONGROOM_BIN, 'control-plane', '--data-dir', '/nonexistent/never-made', '--kms-quotas', 'symetric=5'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown quota "symetric=5"/);
  });
});

describe('KMS with request quotas on', () => {
  let p: KmsPlane;
  let keyId: string;

  beforeAll(async () => {
    p = await startKmsPlane(['--kms-store-hsms', '1', '--kms-quotas', 'CreateKey=2,symmetric=3,cloudhsm-key-store=0.2']);
    keyId = (await p.kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('answers ThrottlingException beyond an operation quota and the shared symmetric quota', async () => {
    // Requests sent together, so that even a slow machine cannot refill the bucket between them.
    // CreateKey (2/s): one was made in beforeAll; of five more at once some are throttled.
    const names = await Promise.all(Array.from({ length: 5 }, () => errorName(p.kms.send(new CreateKeyCommand({})))));
    expect(names).toContain('ThrottlingException');
    expect(names).toContain(undefined);
    await new Promise((r) => setTimeout(r, 1100));
    // Symmetric (3/s): Encrypt and Decrypt share one bucket.
    const blob = (await p.kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }))).CiphertextBlob!;
    const results = await Promise.all(Array.from({ length: 10 }, () => errorName(p.kms.send(new DecryptCommand({ CiphertextBlob: blob })))));
    expect(results.filter((n) => n === 'ThrottlingException').length).toBeGreaterThanOrEqual(3);
    expect(results.filter((n) => n !== 'ThrottlingException')).toEqual(results.filter((n) => n === undefined));
    const events = spawnSync(process.execPath, [STRONGROOM_BIN, 'events', '--data-dir', p.dir, '--event-name', 'Decrypt'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { errorCode?: string });
    expect(events.some((e) => e.errorCode === 'ThrottlingException')).toBe(true);
  }, 60_000);

  it('meters a CloudHSM key store on its own quota', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    // No such store: the first request is metered and then refused by the handler; the second
    // (within the 5 s a 0.2/s bucket takes to refill) is throttled first.
    expect(await errorName(p.kms.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: 'cks-0123456789abcdef0' })))).toBe('CustomKeyStoreNotFoundException');
    expect(await errorName(p.kms.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: 'cks-0123456789abcdef0' })))).toBe('ThrottlingException');
    // Another store id has a bucket of its own.
    expect(await errorName(p.kms.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: 'cks-0123456789abcdef1' })))).toBe('CustomKeyStoreNotFoundException');
  }, 60_000);

  it("the SDK's standard retry strategy backs off and gets through", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const retrying = new KMSClient({ endpoint: p.url, region: 'local-1', credentials: p.credentials, maxAttempts: 6 });
    const sent = await Promise.all(Array.from({ length: 6 }, () => retrying.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('y') }))));
    expect(sent).toHaveLength(6);
    const retried = sent.reduce((n, r) => n + (r.$metadata.attempts ?? 1) - 1, 0);
    expect(retried).toBeGreaterThanOrEqual(1);
    retrying.destroy();
  }, 60_000);
});
