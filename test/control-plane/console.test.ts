// The web console against a real `strongroom control-plane` process (built dist/, so this also
// proves the build serves the static files from the source tree): the page and its assets with
// the security headers; sign-in with the root keys and the cookie's flags; a wrong secret or an
// unknown key → 401 with one message and no cookie; no session → 401; the overview as the API
// shows it (one cluster, one HSM); an IAM user allowed only DescribeClusters sees clusters but not
// backups; another account sees nothing of them; the page's own script (static/console.js, on a
// small fake DOM built from index.html) signs in, renders the overview and the metrics panel
// (absent /metrics, then rates and sparklines for this identity's HSMs only) and signs out; a POST
// without the console header or from another origin → 403; sign-out and a deactivated key end
// the session; repeated failures are throttled; ConsoleLogin events are recorded; no secret
// appears in any reply or in the events.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { CreateClusterCommand, CreateHsmCommand, DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { STRONGROOM } from '../integration/harness.js';
import { startControlPlaneProcess, waitFor, type RunningControlPlane } from './support.js';
import { FakeDocument } from './console/fake-dom.js';

interface Creds { accessKeyId: string; secretAccessKey: string }
interface Reply { status: number; headers: Headers; text: string; json: any }

const CONSOLE_HEADER = { 'X-Strongroom-Console': '1' };

describe('web console', () => {
  let cp: RunningControlPlane;
  let clusterId: string;
  let accountId: string;
  let viewer: Creds;
  let other: Creds;
  /** Every reply the test saw (headers and bodies), to look for secrets at the end. */
  const seen: string[] = [];

  function iam(...args: string[]): any {
    const r = spawnSync(process.execPath, [STRONGROOM, 'iam', ...args, '--data-dir', cp.dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`strongroom iam ${args.join(' ')} → ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  }
  const keyOf = (...args: string[]): Creds => {
    const k = iam('create-access-key', ...args).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
    return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
  };

  async function call(path: string, init: RequestInit = {}): Promise<Reply> {
    const r = await fetch(cp.url + path, { redirect: 'manual', ...init });
    const text = await r.text();
    seen.push(JSON.stringify([...r.headers]), text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, headers: r.headers, text, json };
  }
  const signIn = (c: Creds, headers: Record<string, string> = CONSOLE_HEADER) =>
    call('/console/api/signin', { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(c) });
  const cookieOf = (r: Reply) => /^strongroom_console=([0-9a-f]{64});/.exec(r.headers.get('set-cookie') ?? '')?.[1];
  const overview = (sid: string | undefined) => call('/console/api/overview', sid ? { headers: { Cookie: `strongroom_console=${sid}` } } : {});
  async function session(c: Creds): Promise<string> {
    const r = await signIn(c);
    expect(r.status).toBe(200);
    return cookieOf(r)!;
  }

  beforeAll(async () => {
    cp = await startControlPlaneProcess(['--no-kms', '--backup-interval-ms', '3600000']);
    const c = (await cp.client.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-local-1a'] }))).Cluster!;
    clusterId = c.ClusterId!;
    await cp.client.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'local-1a' }));
    await waitFor(cp.client, clusterId, (x) => x.Hsms?.[0]?.State === 'ACTIVE');

    accountId = (iam('list-accounts').Accounts as Array<{ Id: string }>)[0]!.Id;
    iam('create-user', '--account-id', accountId, '--user-name', 'viewer');
    iam('put-user-policy', '--account-id', accountId, '--user-name', 'viewer', '--policy-name', 'clusters-only',
      '--policy-document', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudhsm:DescribeClusters', Resource: '*' }] }));
    viewer = keyOf('--account-id', accountId, '--user-name', 'viewer');
    const otherAccount = (iam('create-account', '--account-name', 'tenant-b').Account as { Id: string }).Id;
    other = keyOf('--account-id', otherAccount);
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it('serves the page and its assets with the security headers, and nothing else', async () => {
    const redirect = await call('/console');
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/console/');
    const page = await call('/console/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toMatch(/<script type="module" src="\/console\/console.js"><\/script>/);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(page.text).not.toMatch(/\sstyle=|\son[a-z]+=/); // no inline style or handlers
    for (const [path, type] of [['/console/', 'text/html'], ['/console/console.js', 'text/javascript'], ['/console/metrics.js', 'text/javascript'], ['/console/console.css', 'text/css']] as const) {
      const r = await call(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toContain(type);
      expect(r.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
    }
    expect((await call('/console/console.js')).text).toBe(readFileSync(new URL('../../src/control-plane/console/static/console.js', import.meta.url), 'utf8'));
    expect((await call('/console/static.js')).status).toBe(404);
    expect((await call('/console/index.ts')).status).toBe(404);
    const raw = await new Promise<number>((res, rej) => {
      // A raw dot-segment path (fetch would normalise it away).
      const u = new URL(cp.url);
      httpRequest({ host: u.hostname, port: u.port, path: '/console/x/%2e%2e/console.js' }, (r) => res(r.statusCode ?? 0)).on('error', rej).end();
    });
    expect(raw).toBe(404);
    expect((await call('/console/console.js', { method: 'POST' })).status).toBe(405);
  });

  it('signs in with the root keys and sets an HttpOnly, SameSite=Strict cookie for /console', async () => {
    const r = await signIn(cp.credentials);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^strongroom_console=[0-9a-f]{64}; /);
    expect(cookie).toContain('; HttpOnly');
    expect(cookie).toContain('; SameSite=Strict');
    expect(cookie).toContain('; Path=/console');
    expect(cookie).not.toContain('Secure'); // served over plain http
    expect(r.json.identity).toEqual({ type: 'Root', arn: `arn:aws:iam::${accountId}:root`, accountId, userName: 'strongroom', accessKeyId: cp.credentials.accessKeyId });
  });

  it('refuses a wrong secret or an unknown key with 401, one message and no cookie', async () => {
    // The last character changed, always to a different one (a secret may itself end in 'x').
    const secret = cp.credentials.secretAccessKey;
    const wrongSecret = await signIn({ ...cp.credentials, secretAccessKey: secret.slice(0, -1) + (secret.endsWith('x') ? 'y' : 'x') });
    const unknownKey = await signIn({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: cp.credentials.secretAccessKey });
    const empty = await signIn({ accessKeyId: cp.credentials.accessKeyId, secretAccessKey: '' });
    const swapped = await signIn({ accessKeyId: cp.credentials.secretAccessKey, secretAccessKey: cp.credentials.accessKeyId });
    for (const r of [wrongSecret, unknownKey, empty, swapped]) {
      expect(r.status).toBe(401);
      expect(r.headers.get('set-cookie')).toBeNull();
      expect(r.json).toEqual(wrongSecret.json);
    }
    expect((await signIn({ accessKeyId: 1, secretAccessKey: [] } as unknown as Creds)).status).toBe(400);
    expect((await signIn({ accessKeyId: 'A'.repeat(20_000), secretAccessKey: 'x' })).status).toBe(413);
  });

  it('answers the API with 401 without a session', async () => {
    expect((await overview(undefined)).status).toBe(401);
    expect((await overview('0'.repeat(64))).status).toBe(401);
    expect((await overview('not-a-session')).status).toBe(401);
    expect((await call('/console/api/nothing')).status).toBe(404);
  });

  it('shows the root its cluster and HSM as DescribeClusters does, with backups and health', async () => {
    const r = await overview(await session(cp.credentials));
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const api = (await cp.client.send(new DescribeClustersCommand({}))).Clusters!;
    expect(r.json.clusters.map((c: { id: string }) => c.id)).toEqual(api.map((c) => c.ClusterId));
    const c = r.json.clusters[0];
    const h = api[0]!.Hsms![0]!;
    expect(c).toMatchObject({ id: clusterId, state: 'UNINITIALIZED', hsmType: 'hsm2m.medium', certificate: { state: 'CSR_PENDING' } });
    expect(c.hsms).toEqual([{ id: h.HsmId, az: 'local-1a', state: 'ACTIVE', stateMessage: h.StateMessage, eniIp: h.EniIp, processUp: true }]);
    expect(r.json.backups).toEqual([]);
    expect(r.json.health).toMatchObject({ hsms: { total: 1, active: 1, degraded: 0, processDown: 0 }, degraded: [], controlPlane: { region: 'local-1', healthIntervalMs: 500 } });
  });

  it('shows an IAM user allowed only DescribeClusters the clusters, and backups as not authorised', async () => {
    const r = await overview(await session(viewer));
    expect(r.status).toBe(200);
    expect(r.json.identity).toMatchObject({ type: 'IAMUser', userName: 'viewer', accountId });
    expect(r.json.clusters.map((c: { id: string }) => c.id)).toEqual([clusterId]);
    expect(r.json.backups).toEqual({ notAuthorized: 'cloudhsm:DescribeBackups' });
  });

  it('shows another account none of these clusters', async () => {
    const r = await overview(await session(other));
    expect(r.status).toBe(200);
    expect(r.json.identity.accountId).not.toBe(accountId);
    expect(r.json.clusters).toEqual([]);
    expect(r.json.backups).toEqual([]);
    expect(r.json.health.hsms.total).toBe(0);
    expect(r.text).not.toContain(clusterId);
  });

  it('runs the page script against the server: sign-in, overview, metrics panel, sign-out', { timeout: 30_000 }, async () => {
    const html = readFileSync(new URL('../../src/control-plane/console/static/index.html', import.meta.url), 'utf8');
    const doc = new FakeDocument(html);
    const jar = new Map<string, string>();
    const realFetch = globalThis.fetch;
    // /metrics as the page sees it: absent on the first scrape, then a growing counter (the
    // control plane's own /metrics is another part's, tested there).
    let scrapes = 0;
    const hsmId = (await cp.client.send(new DescribeClustersCommand({}))).Clusters![0]!.Hsms![0]!.HsmId!;
    const metricsText = (n: number) => [
      '# TYPE strongroom_hsm_up gauge',
      `strongroom_hsm_up{cluster_id="${clusterId}",hsm_id="${hsmId}",availability_zone="local-1a"} 1`,
      'strongroom_hsm_up{cluster_id="cluster-othertenant",hsm_id="hsm-othertenant",availability_zone="local-1a"} 1',
      `strongroom_hsm_sessions{cluster_id="${clusterId}",hsm_id="${hsmId}",availability_zone="local-1a"} 2`,
      `strongroom_hsm_requests_total{cluster_id="${clusterId}",hsm_id="${hsmId}",command="crypto.sign",result="ok"} ${n * 30}`,
      `strongroom_hsm_requests_total{cluster_id="${clusterId}",hsm_id="${hsmId}",command="crypto.sign",result="CKR_KEY_HANDLE_INVALID"} ${n * 3}`,
      `strongroom_api_requests_total{service="cloudhsmv2",operation="DescribeClusters",error=""} ${n * 9}`,
    ].join('\n') + '\n';
    const pageFetch = async (path: string, init: RequestInit = {}): Promise<Response> => {
      if (path === '/metrics') {
        scrapes++;
        return scrapes === 1 ? new Response('', { status: 404 }) : new Response(metricsText(scrapes), { status: 200 });
      }
      const headers = new Headers(init.headers);
      if (path.startsWith('/console') && jar.size) headers.set('Cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      const { cache: _c, credentials: _cr, ...rest } = init;
      const r = await realFetch(cp.url + path, { ...rest, headers });
      const set = r.headers.get('set-cookie');
      const m = set ? /^([^=]+)=([^;]*)/.exec(set) : null;
      if (m) (m[2] ? jar.set(m[1]!, m[2]) : jar.delete(m[1]!));
      const text = await r.text();
      seen.push(JSON.stringify([...r.headers]), text);
      return new Response(text, { status: r.status, headers: r.headers });
    };
    const until = async (what: string, pred: () => boolean, ms = 5_000) => {
      for (let i = 0; i < ms / 50 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(pred(), what).toBe(true);
    };
    const el = (id: string) => doc.getElementById(id)!;
    const g = globalThis as unknown as Record<string, unknown>;
    g['document'] = doc;
    g['fetch'] = pageFetch;
    try {
      const script = '../../src/control-plane/console/static/console.js';
      await import(script);
      await until('the sign-in form shows', () => !el('signin-view').hidden);
      expect(el('console-view').hidden).toBe(true);

      el('access-key-id').value = cp.credentials.accessKeyId;
      el('secret-access-key').value = 'not-the-secret';
      el('signin').dispatch('submit');
      await until('a failed sign-in says so', () => el('signin-error').textContent !== '');
      expect(el('signin-error').textContent).toMatch(/not valid/);
      expect(el('console-view').hidden).toBe(true);

      el('secret-access-key').value = cp.credentials.secretAccessKey;
      el('signin').dispatch('submit');
      expect(el('secret-access-key').value).toBe(''); // cleared as soon as it is sent
      await until('the console shows', () => !el('console-view').hidden);
      expect(el('signin-view').hidden).toBe(true);
      expect(el('who').textContent).toContain(accountId);
      const clusters = el('clusters').textContent;
      const api = (await cp.client.send(new DescribeClustersCommand({}))).Clusters![0]!;
      expect(clusters).toContain(clusterId);
      expect(clusters).toContain(api.Hsms![0]!.HsmId!);
      expect(clusters).toContain(api.Hsms![0]!.EniIp!);
      expect(clusters).toContain('CSR waiting for InitializeCluster');
      expect(el('backups').textContent).toBe('No backups.');
      expect(el('health').textContent).toContain('Every HSM is healthy.');
      expect([...el('clusters').walk()].some((e) => e.tagName === 'TABLE')).toBe(true);
      await until('the metrics panel says metrics are absent', () => el('metrics').textContent === 'metrics not available');
      await until('the metrics panel shows rates', () => scrapes >= 3 && el('metrics').textContent.includes('/s'), 8_000);
      const metrics = el('metrics').textContent;
      expect(metrics).toContain(hsmId);
      expect(metrics).not.toContain('othertenant'); // only the clusters this identity may see
      expect(metrics).toContain('API (all callers)');
      const lines = [...el('metrics').walk()].filter((e) => e.tagName === 'polyline');
      expect(lines.length).toBeGreaterThanOrEqual(4);
      expect(lines.some((e) => /^[\d.]+,[\d.]+ [\d.]+,[\d.]+/.test(e.getAttribute('points') ?? ''))).toBe(true);

      el('signout').dispatch('click');
      await until('sign-out returns to the form', () => !el('signin-view').hidden);
      expect(el('signin-error').textContent).toBe('Signed out.');
      expect(el('clusters').textContent + el('metrics').textContent).toBe(''); // nothing left for the next person
      expect(jar.size).toBe(0);
    } finally {
      g['fetch'] = realFetch;
      delete g['document'];
    }
  });

  it('refuses a POST without the console header, or from another origin, with 403', async () => {
    const noHeader = await signIn(cp.credentials, {});
    expect(noHeader.status).toBe(403);
    expect(noHeader.headers.get('set-cookie')).toBeNull();
    const crossSite = await signIn(cp.credentials, { ...CONSOLE_HEADER, Origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
    expect((await signIn(cp.credentials, { ...CONSOLE_HEADER, Origin: 'null' })).status).toBe(403);
    expect((await signIn(cp.credentials, { ...CONSOLE_HEADER, Origin: cp.url })).status).toBe(200); // the page itself
    const sid = await session(cp.credentials);
    const out = await call('/console/api/signout', { method: 'POST', headers: { Cookie: `strongroom_console=${sid}` } });
    expect(out.status).toBe(403);
    expect((await overview(sid)).status).toBe(200); // still signed in
    expect((await call('/console/api/overview', { method: 'POST', headers: { ...CONSOLE_HEADER, Cookie: `strongroom_console=${sid}` } })).status).toBe(405);
  });

  it('ends the session on sign-out', async () => {
    const sid = await session(cp.credentials);
    const out = await call('/console/api/signout', { method: 'POST', headers: { ...CONSOLE_HEADER, Cookie: `strongroom_console=${sid}` } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^strongroom_console=; .*Max-Age=0/);
    expect((await overview(sid)).status).toBe(401);
  });

  it('ends the session when its access key is made inactive', async () => {
    const k = keyOf('--account-id', accountId, '--user-name', 'viewer');
    const sid = await session(k);
    expect((await overview(sid)).status).toBe(200);
    iam('update-access-key', '--access-key-id', k.accessKeyId, '--status', 'Inactive');
    expect((await overview(sid)).status).toBe(401);
    expect((await signIn(k)).status).toBe(401);
  });

  it('throttles repeated failed sign-ins from one address, the right key included', async () => {
    let r: Reply | undefined;
    for (let i = 0; i < 12; i++) {
      r = await signIn({ ...viewer, secretAccessKey: 'wrong' });
      if (r.status === 429) break;
      expect(r.status).toBe(401);
    }
    expect(r!.status).toBe(429);
    expect(Number(r!.headers.get('retry-after'))).toBeGreaterThan(0);
    const right = await signIn(viewer);
    expect(right.status).toBe(429);
    expect(right.headers.get('set-cookie')).toBeNull();
  });

  it('records ConsoleLogin events, and no secret reaches a reply or the event history', async () => {
    const events = readFileSync(join(cp.dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const logins = events.filter((e) => e.eventName === 'ConsoleLogin');
    expect(logins.every((e) => e.eventSource === 'signin.amazonaws.com' && e.eventType === 'AwsConsoleSignIn')).toBe(true);
    const ok = logins.find((e) => e.responseElements.ConsoleLogin === 'Success' && e.userIdentity.type === 'Root')!;
    expect(ok.userIdentity).toMatchObject({ accountId, accessKeyId: cp.credentials.accessKeyId });
    const failed = logins.filter((e) => e.responseElements.ConsoleLogin === 'Failure');
    expect(failed.find((e) => e.userIdentity.accessKeyId === cp.credentials.accessKeyId)).toMatchObject({ errorMessage: 'Failed authentication', httpStatus: 401 });
    expect(failed.find((e) => e.userIdentity.accessKeyId === 'AKIAAAAAAAAAAAAAAAAA')).toMatchObject({ userIdentity: { type: 'Unknown' } });
    expect(failed.some((e) => e.httpStatus === 429)).toBe(true);
    const file = readFileSync(join(cp.dir, 'events.jsonl'), 'utf8');
    const replies = seen.join('\n');
    for (const secret of [cp.credentials.secretAccessKey, viewer.secretAccessKey, other.secretAccessKey]) {
      expect(file).not.toContain(secret);
      expect(replies).not.toContain(secret);
    }
  });
});
