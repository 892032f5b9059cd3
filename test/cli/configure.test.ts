// `strongroom-cli configure` (CloudHSM's configure tool): -a addresses, --hsm-ca-cert, --port, the
// mTLS client pair, updating an existing file, misuse; and --cluster-id through DescribeClusters,
// against a stub awsJson1_1 endpoint (the compiled bin with AWS credentials in its environment).
// The real control plane path is in test/control-plane/awscli-lifecycle.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, defaultDeps, type MainDeps } from '../../src/cli/main.js';
import { loadClientConfig } from '../../src/client/config.js';
import { createCa, issueCertificate } from '../../src/pki/pki.js';
import { CLI } from '../integration/harness.js';

let dir: string;
let ca: { certPem: string; keyPem: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-configure-'));
  ca = await createCa('configure test CA', { keyType: 'ec', days: 30 });
  writeFileSync(join(dir, 'customerCA.crt'), ca.certPem);
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'client.crt'), await issueCertificate({ issuerCertPem: ca.certPem, issuerKey: ca.keyPem, subjectPublicKey: pair.publicKey, commonName: 'client', kind: 'client' }));
  writeFileSync(join(dir, 'client.key'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'other.key'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  mkdirSync(join(dir, 'sub'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** main() on the real file system, output captured. */
async function run(argv: string[]): Promise<{ code: number; json: { error_code: number; data: any } }> {
  let out = '';
  const deps: MainDeps = { ...defaultDeps(), env: {}, stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, connect: () => Promise.reject(new Error('configure must not connect')) };
  const code = await main(argv, deps);
  return { code, json: JSON.parse(out) as { error_code: number; data: any } };
}

describe('configure -a', () => {
  it('writes a client.json the client reads: addresses, default port 2223, the CA relative to the file', async () => {
    const out = join(dir, 'c1.json');
    const r = await run(['configure', '-a', '127.0.0.5', '-a', '127.0.0.6', '--hsm-ca-cert', join(dir, 'customerCA.crt'), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.json.data).toEqual({ path: out, hsms: [{ address: '127.0.0.5', port: 2223 }, { address: '127.0.0.6', port: 2223 }], caFile: 'customerCA.crt' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ hsms: [{ address: '127.0.0.5', port: 2223 }, { address: '127.0.0.6', port: 2223 }], caFile: 'customerCA.crt' });
    const cfg = loadClientConfig(out);
    expect(cfg.ca).toBe(ca.certPem);
    expect(cfg.cert).toBeUndefined();
  });

  it('takes several addresses after one -a, --port, the mTLS pair; files outside the directory are absolute', async () => {
    const out = join(dir, 'sub', 'c2.json');
    const r = await run(['configure', '-a', '127.0.0.7', '127.0.0.8', '--port', '3000', '--hsm-ca-cert', join(dir, 'customerCA.crt'),
      '--client-cert-hsm-tls-file', join(dir, 'client.crt'), '--client-key-hsm-tls-file', join(dir, 'client.key'), '--out', out]);
    expect(r.json.error_code, JSON.stringify(r.json)).toBe(0);
    const file = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(file).toEqual({ hsms: [{ address: '127.0.0.7', port: 3000 }, { address: '127.0.0.8', port: 3000 }], caFile: join(dir, 'customerCA.crt'), clientCertFile: join(dir, 'client.crt'), clientKeyFile: join(dir, 'client.key') });
    const cfg = loadClientConfig(out);
    expect(cfg.cert).toMatch(/BEGIN CERTIFICATE/);
    expect(cfg.key).toMatch(/PRIVATE KEY/);
  });

  it('updates an existing file in place: new addresses keep the CA, the client pair and the port', async () => {
    const out = join(dir, 'c3.json');
    expect((await run(['configure', '-a', '127.0.0.9', '--port', '4000', '--hsm-ca-cert', join(dir, 'customerCA.crt'),
      '--client-cert-hsm-tls-file', join(dir, 'client.crt'), '--client-key-hsm-tls-file', join(dir, 'client.key'), '--out', out])).code).toBe(0);
    // --config names the file when --out is absent (the global flag is configure's own).
    const r = await run(['--config', out, 'configure', '-a', '127.0.0.10']);
    expect(r.json.error_code, JSON.stringify(r.json)).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ hsms: [{ address: '127.0.0.10', port: 4000 }], caFile: 'customerCA.crt', clientCertFile: 'client.crt', clientKeyFile: 'client.key' });
    // STRONGROOM_CONFIG is the default too (as for every other command).
    process.env['STRONGROOM_CONFIG'] = out;
    const viaEnv = await run(['configure', '--port', '4001']).finally(() => delete process.env['STRONGROOM_CONFIG']);
    expect(viaEnv.json.error_code).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { hsms: unknown }).hsms).toEqual([{ address: '127.0.0.10', port: 4001 }]);
  });

  it.each([
    [['configure', '--hsm-ca-cert', 'customerCA.crt'], /needs HSM addresses/],
    [['configure', '-a', '127.0.0.1'], /needs the trust anchor/],
    [['configure', '-a', 'hsm.example', '--hsm-ca-cert', 'customerCA.crt'], /not an IPv4 or IPv6 address/],
    [['configure', '-a', '127.0.0.1', '--hsm-ca-cert', 'missing.crt'], /no such file/],
    [['configure', '-a', '127.0.0.1', '--hsm-ca-cert', 'client.key'], /not a PEM certificate/],
    [['configure', '-a', '127.0.0.1', '--hsm-ca-cert', 'customerCA.crt', '--port', '70000'], /1 to 65535/],
    [['configure', '-a', '127.0.0.1', '--hsm-ca-cert', 'customerCA.crt', '--client-cert-hsm-tls-file', 'client.crt'], /go together/],
    [['configure', '-a', '127.0.0.1', '--hsm-ca-cert', 'customerCA.crt', '--client-cert-hsm-tls-file', 'client.crt', '--client-key-hsm-tls-file', 'other.key'], /is not the key of/],
    [['configure', '-a', '127.0.0.1', '--cluster-id', 'cluster-abc'], /either -a or --cluster-id/],
    [['configure', '-a', '127.0.0.1', '--hsm-ca-cert', 'customerCA.crt', '--endpoint', 'http://x'], /go with --cluster-id/],
    [['configure', '--cluster-id', 'nope'], /must look like cluster-/],
    [['configure', '-x', '1'], /unknown flag -x/],
  ])('%j fails clearly and writes nothing', async (argv, msg) => {
    const out = join(dir, 'bad.json');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await run([...argv, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.json.data).toMatch(msg);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('is listed in help with -a', async () => {
    let out = '';
    await main(['configure', '--help'], { ...defaultDeps(), stdout: { write: (s: string) => (out += s) } });
    expect(out).toContain('-a, --hsm-ip [<ENI_IP>...]');
    expect(out).toContain('--hsm-ca-cert <FILE>');
  });
});

describe.skipIf(!existsSync(CLI))('configure --cluster-id (compiled bin, stub DescribeClusters)', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ target: string; auth: string; body: any }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const parsed = JSON.parse(body) as { Filters?: { clusterIds?: string[] } };
        seen.push({ target: String(req.headers['x-amz-target']), auth: String(req.headers['authorization']), body: parsed });
        const id = parsed.Filters?.clusterIds?.[0];
        const clusters = id === 'cluster-known'
          ? [{ ClusterId: id, State: 'INITIALIZED', Hsms: [{ HsmId: 'hsm-a', EniIp: '127.44.1.10', State: 'ACTIVE' }, { HsmId: 'hsm-b', EniIp: '127.44.2.10', State: 'ACTIVE' }] }]
          : id === 'cluster-empty' ? [{ ClusterId: id, State: 'UNINITIALIZED', Hsms: [] }] : [];
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ Clusters: clusters }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const bin = (args: string[]) => new Promise<{ code: number; json: { error_code: number; data: any } }>((res) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', AWS_ACCESS_KEY_ID: 'AKIASTUBSTUBSTUBSTUB', AWS_SECRET_ACCESS_KEY: 'stub-secret', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => res({ code: code ?? -1, json: JSON.parse(out) as { error_code: number; data: any } }));
  });

  it('takes every HSM address from DescribeClusters, signed with the environment credentials', async () => {
    const r = await bin(['configure', '--cluster-id', 'cluster-known', '--endpoint', url, '--region', 'local-1', '--hsm-ca-cert', 'customerCA.crt', '--port', '2300', '--out', 'boot.json']);
    expect(r.json.error_code, JSON.stringify(r.json)).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'boot.json'), 'utf8'))).toEqual({ clusterId: 'cluster-known', hsms: [{ address: '127.44.1.10', port: 2300 }, { address: '127.44.2.10', port: 2300 }], caFile: 'customerCA.crt' });
    const call = seen.at(-1)!;
    expect(call.target).toBe('BaldrApiService.DescribeClusters');
    expect(call.auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIASTUBSTUBSTUBSTUB\/\d{8}\/local-1\/cloudhsm\/aws4_request/);
    expect(call.body).toEqual({ Filters: { clusterIds: ['cluster-known'] } });
  });

  it('a cluster not found, or without HSMs, is a clear error', async () => {
    const missing = await bin(['configure', '--cluster-id', 'cluster-gone', '--endpoint', url, '--region', 'local-1', '--hsm-ca-cert', 'customerCA.crt', '--out', 'x.json']);
    expect(missing.code).toBe(1);
    expect(missing.json.data).toMatch(/cluster cluster-gone not found/);
    const empty = await bin(['configure', '--cluster-id', 'cluster-empty', '--endpoint', url, '--region', 'local-1', '--hsm-ca-cert', 'customerCA.crt', '--out', 'x.json']);
    expect(empty.json.data).toMatch(/has no HSMs yet/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });
});
