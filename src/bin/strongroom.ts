#!/usr/bin/env node
// `strongroom`: the server-side executable. Subcommands: up (a local cluster), hsm (one HSM node
// process), audit verify, iam (AWS accounts, users, keys, policies), events (AWS API history).
// Prints no secrets (iam create-access-key shows the new key once, as AWS does); CA keys stay in
// the data directory.

import { parseArgs } from 'node:util';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { QuotaTable } from '../kms/quotas.js';

const USAGE = `usage:
  strongroom up [--data-dir DIR] [--hsms 3] [--region local-1] [--subnet-base 127.30] [--port 2223] [--no-mtls] [--fips]
                [--api-port 8080 | --no-control-plane] [--kms-quotas aws|aws,NAME=N,…|NAME=N,…]
                [--store sqlite|etcd --etcd-endpoints http://HOST:2379,…]
      start a local cluster in the foreground (Ctrl-C stops it); writes DIR/client.json.
      With the control plane (the default) the default cluster is made and managed through it
      (HSM data in DIR/clusters/<cluster-id>/hsms/); with --no-control-plane (or --store etcd, or a
      data directory holding a standalone cluster) up runs it directly (DIR/hsms/).
      HSM k of zone z (a, b, c…) listens on <subnet-base>.<z>.<10+k>:<port>; --subnet-base defaults
      to 127.20 standalone and 127.30 with the control plane (whose first cluster it is; KMS's own
      store takes the range below it, 127.29)
  strongroom hsm add --data-dir DIR [--availability-zone local-1b]
      a new HSM joins the running cluster (cloned from an active HSM); runs in the foreground
  strongroom hsm tamper --data-dir DIR --hsm-id ID
      simulate the tamper sensor of one HSM (it zeroises and reports DEGRADED)
  strongroom hsm clone --data-dir DIR --hsm-id ID
      clone the domain key into an HSM (new or zeroised) from an active HSM of the cluster
  strongroom hsm --config DIR/hsms/ID/node.json | --data-dir DIR --hsm-id ID [--store sqlite|etcd --etcd-endpoints …]
      run one HSM node process
  strongroom control-plane --data-dir DIR [--port 8080] [--hsm-port 2223] [--subnet-octet 30]
                [--health-interval-ms 2000] [--backup-interval-ms 86400000]
                [--kms-store-hsms 2 | --no-kms] [--kms-quotas aws|aws,NAME=N,…|NAME=N,…]
      the CloudHSMv2 API (AWS CLI / SDK with --endpoint-url) that provisions HSM processes, and
      the KMS API on the same endpoint; writes DIR/endpoints.json and DIR/aws-credentials.
      --kms-quotas turns on KMS request quotas (ThrottlingException beyond them): aws = AWS's
      defaults, NAME=N sets one in requests/s (NAME=off drops it); none by default
  strongroom audit verify --data-dir DIR | FILE [--device-cert CRT]
      check every HSM's audit log under DIR (or one log file); exit 1 naming the first bad record
  strongroom iam create-account|create-user|put-user-policy|create-access-key|delete-access-key|list-users … --data-dir DIR
      accounts, IAM users, inline policies and access keys of the AWS APIs (strongroom iam help)
  strongroom events --data-dir DIR [--event-name N] [--user-name U] [--start-time ISO] [--end-time ISO]
      the event history of the AWS APIs, as CloudTrail-shaped JSON lines`;

/**
 * Every HSM directory under a data directory: DIR/hsms/<id>/ (a standalone cluster) and
 * DIR/clusters/<cluster-id>/hsms/<id>/ (clusters of the control plane, the default one included).
 */
function hsmDirsUnder(dir: string): Array<{ hsmId: string; dir: string }> {
  const parents = [join(dir, 'hsms')];
  if (existsSync(join(dir, 'clusters'))) for (const c of readdirSync(join(dir, 'clusters'))) parents.push(join(dir, 'clusters', c, 'hsms'));
  return parents.filter((p) => existsSync(p)).flatMap((p) => readdirSync(p).map((id) => ({ hsmId: id, dir: join(p, id) })));
}

function fail(msg: string): never {
  process.stderr.write(`strongroom: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

/** `--kms-quotas SPEC` (see src/kms/quotas.ts), or undefined when not given. */
async function quotasArg(spec: string | undefined): Promise<QuotaTable | undefined> {
  if (spec === undefined) return undefined;
  const { parseQuotaSpec } = await import('../kms/quotas.js');
  try {
    return parseQuotaSpec(spec);
  } catch (e) {
    return fail((e as Error).message);
  }
}

async function cmdUp(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: 'strongroom-data' },
      hsms: { type: 'string', default: '3' },
      region: { type: 'string', default: 'local-1' },
      'subnet-base': { type: 'string' },
      port: { type: 'string', default: '2223' },
      store: { type: 'string', default: 'sqlite' },
      'etcd-endpoints': { type: 'string' },
      'no-mtls': { type: 'boolean', default: false },
      fips: { type: 'boolean', default: false },
      'api-port': { type: 'string', default: '8080' },
      'no-control-plane': { type: 'boolean', default: false },
      'kms-quotas': { type: 'string' },
    },
  });
  const kmsQuotas = await quotasArg(values['kms-quotas']);
  if (values.store !== 'sqlite' && values.store !== 'etcd') fail('--store is sqlite or etcd');
  const apiPort = Number(values['api-port']);
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) fail('--api-port takes 0 to 65535');
  if (values.store === 'etcd' && !values['etcd-endpoints']) fail('--store etcd needs --etcd-endpoints URL[,URL…]');
  const etcdEndpoints = values.store === 'etcd' ? values['etcd-endpoints']!.split(',') : undefined;
  const hsms = Number(values.hsms);
  if (!Number.isInteger(hsms) || hsms < 1 || hsms > 26) fail('--hsms takes 1 to 26');
  const subnetArg = values['subnet-base'];
  if (subnetArg !== undefined && !/^127\.\d{1,3}$/.test(subnetArg)) fail('--subnet-base is the first two octets of a loopback range, like 127.20');
  const dataDir = resolve(values['data-dir']);
  const { readClusterFile, MANAGED_BY } = await import('../control-plane/default-cluster.js');
  const existing = readClusterFile(dataDir);
  const managed = existing?.managedBy === MANAGED_BY;
  if (values['no-control-plane'] && managed) {
    fail(`the default cluster in ${dataDir} (${existing!.clusterId}) is managed by the control plane: start it without --no-control-plane`);
  }
  // The default cluster goes through the control plane unless asked not to; a data directory that
  // already holds a standalone cluster (made by an earlier `up`), or --store etcd (the control
  // plane's provisioner keeps each cluster's store in SQLite), keeps the standalone path, with the
  // control plane beside it.
  const standalone = values['no-control-plane'] || values.store === 'etcd' || (existing !== undefined && !managed);
  if (!standalone) {
    if (values.region !== 'local-1') fail('--region: the control plane serves region local-1 only (--no-control-plane for a standalone cluster elsewhere)');
    if (subnetArg !== undefined && (Number(subnetArg.split('.')[1]) < 2 || Number(subnetArg.split('.')[1]) > 254)) fail('--subnet-base: 127.2 to 127.254 with the control plane');
    return upThroughControlPlane(values['data-dir'], dataDir, { hsms, port: Number(values.port), apiPort, mtls: !values['no-mtls'], fips: values.fips, ...(subnetArg ? { firstSubnetOctet: Number(subnetArg.split('.')[1]) } : {}), ...(kmsQuotas ? { kmsQuotas } : {}) });
  }
  const { up } = await import('../orchestrator/up.js');
  const cluster = await up({ dataDir, subnetBase: subnetArg ?? '127.20', hsms, region: values.region, port: Number(values.port), mtls: !values['no-mtls'], fips: values.fips, ...(etcdEndpoints ? { etcdEndpoints } : {}) });
  const rel = process.cwd() === dirname(dataDir) ? values['data-dir'] : dataDir;
  // The provider's side: the CloudHSMv2 API (and KMS) for making more clusters, beside the default one.
  const cp = values['no-control-plane']
    ? undefined
    : await (await import('../control-plane/main.js')).startControlPlane({ dataDir, port: apiPort, hsmPort: Number(values.port), ...(kmsQuotas ? { kmsQuotas } : {}) });
  if (cp) {
    process.stdout.write(`
This data directory's default cluster is standalone (${values.store === 'etcd' ? '--store etcd' : 'made before the control plane managed it'}); the control plane runs beside it.`);
    printControlPlane(dataDir, cp);
  }
  printNextSteps(rel, cluster.clientConfigPath);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${sig}: stopping the cluster...\n`);
    void Promise.all([cluster.stop(), cp?.stop()]).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  for (const h of cluster.hsms) {
    h.process.on('exit', (code, sig) => {
      if (!stopping) process.stderr.write(`HSM ${h.hsmId} exited (${code ?? sig}); see its hsm.log\n`);
    });
  }
}

/** `up` with the control plane: it makes (first start) or resumes the default cluster and manages its HSMs. */
async function upThroughControlPlane(
  dataDirArg: string,
  dataDir: string,
  o: { hsms: number; port: number; apiPort: number; mtls: boolean; fips: boolean; firstSubnetOctet?: number; kmsQuotas?: QuotaTable },
): Promise<void> {
  const { startControlPlane } = await import('../control-plane/main.js');
  const { ensureDefaultCluster } = await import('../control-plane/default-cluster.js');
  const cp = await startControlPlane({ dataDir, port: o.apiPort, hsmPort: o.port, ...(o.firstSubnetOctet ? { firstSubnetOctet: o.firstSubnetOctet } : {}), ...(o.kmsQuotas ? { kmsQuotas: o.kmsQuotas } : {}) });
  let cluster: Awaited<ReturnType<typeof ensureDefaultCluster>>;
  try {
    cluster = await ensureDefaultCluster(cp, { dataDir, hsms: o.hsms, mtls: o.mtls, fips: o.fips });
  } catch (e) {
    await cp.stop().catch(() => undefined);
    throw e;
  }
  const rel = process.cwd() === dirname(dataDir) ? dataDirArg : dataDir;
  process.stdout.write(`Strongroom cluster ${cluster.clusterId} is up (${cluster.created ? 'created' : 'resumed'} through the control plane): ${cluster.hsms.length} HSM(s) on ${cluster.hsms.map((h) => `${h.address}:${h.port}`).join(', ')}
  client configuration: ${cluster.clientConfigPath}
  trust anchor (customer CA): ${join(dataDir, 'customerCA.crt')}
  mutual TLS: ${o.mtls ? 'enforced; client certificate ' + join(dataDir, 'client.crt') : 'not enforced'}
  HSM data: ${join(dataDir, 'clusters', cluster.clusterId, 'hsms')}/<hsm-id>/ (the control plane replaces a failed HSM by itself)
`);
  printControlPlane(dataDir, cp);
  printNextSteps(rel, cluster.clientConfigPath);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${sig}: stopping the control plane and the cluster...\n`);
    void cp.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function printControlPlane(dataDir: string, cp: { url: string; consoleUrl: string; kmsUrl?: string; accountId: string; credentialsFile: string; region: string }): void {
  process.stdout.write(`
Control plane (CloudHSMv2 API${cp.kmsUrl ? ' and KMS' : ''}): ${cp.url}   endpoints: ${join(dataDir, 'endpoints.json')}
  web console: ${cp.consoleUrl} (sign in with an access key pair, e.g. the one in ${cp.credentialsFile})
  AWS credentials (root account ${cp.accountId}): ${cp.credentialsFile}
  AWS_SHARED_CREDENTIALS_FILE=${cp.credentialsFile} aws cloudhsmv2 describe-clusters --endpoint-url ${cp.url} --region ${cp.region}
  Prometheus metrics (no authentication): ${cp.url}/metrics
`);
}

function printNextSteps(rel: string, clientConfigPath: string): void {
  process.stdout.write(`
Next steps (CloudHSM CLI syntax; the CLI finds ${rel}/client.json by itself from this directory,
elsewhere pass --config ${clientConfigPath} or set STRONGROOM_CONFIG):
  npx strongroom-cli cluster activate --password <admin password>
  npx strongroom-cli interactive          # then: login --username admin --role admin
  npx strongroom-cli user create --username alice --role crypto-user --password <password>   (as admin)
Press Ctrl-C to stop the cluster.
`);
}

async function cmdHsm(argv: string[]): Promise<void> {
  if (argv[0] === 'tamper' || argv[0] === 'clone') return cmdHsmAction(argv[0], argv.slice(1));
  if (argv[0] === 'add') return cmdHsmAdd(argv.slice(1));
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, 'hsm-id': { type: 'string' }, store: { type: 'string' }, 'etcd-endpoints': { type: 'string' } },
  });
  let cfgPath = values.config;
  if (!cfgPath) {
    if (!values['data-dir'] || !values['hsm-id']) fail('hsm needs --config FILE or --data-dir DIR --hsm-id ID');
    cfgPath = join(values['data-dir'], 'hsms', values['hsm-id'], 'node.json');
  }
  const raw = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, string | number | boolean | string[]>;
  if (values.store === 'sqlite') delete raw['etcdEndpoints'];
  else if (values.store === 'etcd' || values['etcd-endpoints']) {
    if (!values['etcd-endpoints'] && !raw['etcdEndpoints']) fail('--store etcd needs --etcd-endpoints URL[,URL…]');
    if (values['etcd-endpoints']) raw['etcdEndpoints'] = values['etcd-endpoints'].split(',');
  } else if (values.store) fail('--store is sqlite or etcd');
  const { HsmNode } = await import('../hsm/node.js');
  const cfg = {
    hsmId: String(raw['hsmId']),
    clusterId: String(raw['clusterId']),
    availabilityZone: String(raw['availabilityZone']),
    address: String(raw['address']),
    port: Number(raw['port']),
    dir: String(raw['dir']),
    storePath: String(raw['storePath']),
    fleetCaPem: readFileSync(String(raw['fleetCaFile']), 'utf8'),
    ...(Array.isArray(raw['etcdEndpoints']) ? { etcdEndpoints: raw['etcdEndpoints'] } : {}),
    ...(raw['fips'] === true ? { fips: true } : {}),
    ...(raw['fleetCaKeyFile'] && existsSync(String(raw['fleetCaKeyFile'])) ? { fleetCaKeyPem: readFileSync(String(raw['fleetCaKeyFile']), 'utf8') } : {}),
    ...(raw['fleetBackupSecretFile'] && existsSync(String(raw['fleetBackupSecretFile'])) ? { fleetBackupSecret: Buffer.from(readFileSync(String(raw['fleetBackupSecretFile']), 'utf8').trim(), 'hex') } : {}),
    ...(raw['maxFrame'] ? { maxFrame: Number(raw['maxFrame']) } : {}),
    // Test hooks, read only when set: a shifted clock for MFA/quorum, and a short token lifetime.
    ...(process.env['STRONGROOM_TEST_CLOCK_OFFSET_MS'] ? { clockOffsetMs: Number(process.env['STRONGROOM_TEST_CLOCK_OFFSET_MS']) } : {}),
    ...(process.env['STRONGROOM_TOKEN_TTL_MS'] ? { tokenTtlMs: Number(process.env['STRONGROOM_TOKEN_TTL_MS']) } : {}),
  };
  const node = await HsmNode.start(cfg);
  writeFileSync(join(cfg.dir, 'hsm.pid'), String(process.pid));
  process.stdout.write(JSON.stringify({ event: 'ready', hsmId: cfg.hsmId, address: cfg.address, port: node.boundPort, state: node.state }) + '\n');
  const stop = () => void node.close().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGUSR2', () => node.tamper('tamper signal (SIGUSR2)'));
  // An HSM whose directory is gone (its data deleted) has nothing left to serve: stop.
  setInterval(() => {
    if (!existsSync(cfg.dir)) stop();
  }, 5_000).unref();
}

async function cmdHsmAdd(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string', default: 'strongroom-data' }, 'availability-zone': { type: 'string' } } });
  const { readClusterFile, MANAGED_BY } = await import('../control-plane/default-cluster.js');
  const layout = readClusterFile(values['data-dir']);
  if (layout?.managedBy === MANAGED_BY) {
    fail(`the default cluster ${layout.clusterId} is managed by the control plane: restart up with a larger --hsms, or aws cloudhsmv2 create-hsm --cluster-id ${layout.clusterId}`);
  }
  const { addHsm } = await import('../orchestrator/add.js');
  const h = await addHsm(values['data-dir'], values['availability-zone']);
  process.stdout.write(JSON.stringify({ 'hsm-id': h.hsmId, 'availability-zone': h.availabilityZone, address: h.address, port: h.port, state: h.state }) + '\n');
  const stop = () => {
    h.process.once('exit', () => process.exit(0));
    h.process.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  h.process.once('exit', (code) => process.exit(code ?? 1));
}

async function cmdHsmAction(action: 'tamper' | 'clone', argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string', default: 'strongroom-data' }, 'hsm-id': { type: 'string' } } });
  const id = values['hsm-id'];
  if (!id) fail(`hsm ${action} needs --hsm-id ID`);
  const dir = values['data-dir'];
  const found = hsmDirsUnder(dir).find((h) => h.hsmId === id && existsSync(join(h.dir, 'node.json')));
  if (!found) fail(`no HSM ${id} under ${dir}`);
  const nodeDir = found.dir;
  if (action === 'tamper') {
    const pid = Number(readFileSync(join(nodeDir, 'hsm.pid'), 'utf8'));
    process.kill(pid, 'SIGUSR2');
    process.stdout.write(JSON.stringify({ 'hsm-id': id, action: 'tamper', signalled: pid }) + '\n');
    return;
  }
  const { applianceConnect, applianceCreds, cloneFromAnyPeer } = await import('../orchestrator/appliance.js');
  const creds = applianceCreds(dir);
  const me = JSON.parse(readFileSync(join(nodeDir, 'node.json'), 'utf8')) as { address: string; port: number };
  // Peers: the other HSMs of the same cluster (the same hsms/ folder).
  const siblings = dirname(nodeDir);
  const peers = readdirSync(siblings).filter((x) => x !== id && existsSync(join(siblings, x, 'node.json'))).map((x) => {
    const p = JSON.parse(readFileSync(join(siblings, x, 'node.json'), 'utf8')) as { address: string; port: number };
    return { hsmId: x, address: p.address, port: p.port };
  });
  const target = await applianceConnect(creds, me.address, me.port);
  try {
    const done = await cloneFromAnyPeer(creds, target, peers);
    if (!done) fail('no active HSM could clone into this one');
    process.stdout.write(JSON.stringify({ 'hsm-id': id, action: 'clone', from: done.from, state: done.state }) + '\n');
  } finally {
    target.close();
  }
}

async function cmdAudit(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  if (verb !== 'verify') fail('audit takes the verb verify');
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { 'data-dir': { type: 'string' }, 'device-cert': { type: 'string' } } });
  const { verifyAuditLog } = await import('../hsm/audit/verify.js');
  const logs: Array<{ path: string; cert: string | undefined }> = [];
  if (positionals[0]) {
    const p = positionals[0];
    const guess = join(dirname(p), 'device.crt');
    logs.push({ path: p, cert: values['device-cert'] ?? (existsSync(guess) ? guess : undefined) });
  } else {
    const dir = values['data-dir'] ?? 'strongroom-data';
    const hsmDirs = hsmDirsUnder(dir);
    if (hsmDirs.length === 0) fail(`no HSMs under ${dir}`);
    for (const h of hsmDirs) {
      const p = join(h.dir, 'audit.log');
      if (existsSync(p)) logs.push({ path: p, cert: join(h.dir, 'device.crt') });
    }
  }
  if (logs.length === 0) fail('no audit logs found');
  let bad = 0;
  for (const l of logs) {
    const key = l.cert && existsSync(l.cert) ? new X509Certificate(readFileSync(l.cert)).publicKey : null;
    const r = verifyAuditLog(l.path, key);
    process.stdout.write(JSON.stringify({ log: l.path, signatures: key ? 'checked' : 'not checked (no device certificate)', ...r }) + '\n');
    if (!r.ok) bad++;
  }
  process.exit(bad ? 1 : 0);
}

async function cmdControlPlane(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: 'strongroom-data' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      'hsm-port': { type: 'string', default: '2223' },
      'subnet-octet': { type: 'string', default: '30' },
      'health-interval-ms': { type: 'string', default: '2000' },
      'backup-interval-ms': { type: 'string', default: '86400000' },
      'kms-store-hsms': { type: 'string', default: '2' },
      'kms-quotas': { type: 'string' },
      'no-kms': { type: 'boolean', default: false },
    },
  });
  const kmsQuotas = await quotasArg(values['kms-quotas']);
  const num = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} takes an integer from ${min} to ${max}`);
    return n;
  };
  const { startControlPlane } = await import('../control-plane/main.js');
  const cp = await startControlPlane({
    dataDir: values['data-dir'],
    host: values.host,
    port: num('port', values.port, 0, 65535),
    hsmPort: num('hsm-port', values['hsm-port'], 1, 65535),
    firstSubnetOctet: num('subnet-octet', values['subnet-octet'], 1, 254),
    healthIntervalMs: num('health-interval-ms', values['health-interval-ms'], 50, 3_600_000),
    backupIntervalMs: num('backup-interval-ms', values['backup-interval-ms'], 100, 365 * 86_400_000),
    kms: !values['no-kms'],
    kmsStoreHsms: num('kms-store-hsms', values['kms-store-hsms'], 1, 6),
    ...(kmsQuotas ? { kmsQuotas } : {}),
  });
  const dir = resolve(values['data-dir']);
  process.stdout.write(`Strongroom control plane: ${cp.url} (region ${cp.region})
  web console: ${cp.consoleUrl} (sign in with an access key pair, e.g. the one in the credentials file below)
  endpoints: ${join(dir, 'endpoints.json')}${cp.kmsUrl ? `\nStrongroom KMS: ${cp.kmsUrl} (aws kms ... --endpoint-url ${cp.kmsUrl})` : ''}
  credentials (root of account ${cp.accountId}): ${cp.credentialsFile}
  AWS_SHARED_CREDENTIALS_FILE=${cp.credentialsFile} aws cloudhsmv2 describe-clusters --region ${cp.region} --endpoint-url ${cp.url}
  Prometheus metrics (no authentication): ${cp.url}/metrics
Press Ctrl-C to stop the control plane and its HSMs.
`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void cp.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const [cmd, ...argv] = process.argv.slice(2);
async function cmdClientDaemon(argv: string[]): Promise<void> {
  const { main } = await import('../pkcs11d/main.js');
  await main(argv);
}

async function cmdIam(argv: string[]): Promise<void> {
  const { runIamCommand } = await import('../control-plane/iam/cli.js');
  process.exitCode = runIamCommand(argv);
}

async function cmdEvents(argv: string[]): Promise<void> {
  const { runEventsCommand } = await import('../control-plane/events/cli.js');
  process.exitCode = runEventsCommand(argv);
}

const run = cmd === 'up' ? cmdUp : cmd === 'control-plane' ? cmdControlPlane : cmd === 'hsm' ? cmdHsm : cmd === 'audit' ? cmdAudit : cmd === 'client-daemon' ? cmdClientDaemon : cmd === 'iam' ? cmdIam : cmd === 'events' ? cmdEvents : undefined;
if (!run) {
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  fail(cmd ? `unknown command ${cmd}` : 'a command is needed');
}
run(argv).catch((e: unknown) => {
  process.stderr.write(`strongroom: ${(e as Error).message}\n`);
  process.exit(1);
});
