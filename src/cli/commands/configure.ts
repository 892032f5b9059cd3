// `configure`: CloudHSM's configure tool. Writes (or updates) a client.json: the HSMs' addresses
// (-a ENI_IP …, or bootstrapped through DescribeClusters with --cluster-id), the trust anchor
// (--hsm-ca-cert) and the mTLS client certificate and key. Paths inside the file are relative to
// it when the files sit under its directory, absolute otherwise. Needs no HSM and no login.
// The AWS SDK is imported only for --cluster-id (signed with the usual AWS credential chain).

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { configPath, type ClientConfigFile } from '../../client/config.js';
import { CliError } from '../output.js';
import type { CliContext, CommandSpec } from '../spec.js';

export const DEFAULT_HSM_PORT = 2223;

/** The part of DescribeClusters that configure reads. */
export interface ClusterView {
  ClusterId?: string;
  Hsms?: Array<{ EniIp?: string; State?: string }>;
}

/** How configure asks the control plane for a cluster; tests may replace it. */
export type DescribeCluster = (clusterId: string, opts: { endpoint?: string; region?: string }) => Promise<ClusterView | undefined>;

export const describeClusterWithSdk: DescribeCluster = async (clusterId, opts) => {
  let sdk: typeof import('@aws-sdk/client-cloudhsm-v2');
  try {
    sdk = await import('@aws-sdk/client-cloudhsm-v2');
  } catch {
    throw new CliError('--cluster-id needs the package @aws-sdk/client-cloudhsm-v2 (npm install @aws-sdk/client-cloudhsm-v2)');
  }
  const client = new sdk.CloudHSMV2Client({ ...(opts.endpoint ? { endpoint: opts.endpoint } : {}), ...(opts.region ? { region: opts.region } : {}), maxAttempts: 2 });
  try {
    const r = await client.send(new sdk.DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
    return r.Clusters?.find((c) => c.ClusterId === clusterId);
  } catch (e) {
    const err = e as { name?: string; message?: string };
    throw new CliError(`DescribeClusters failed: ${err.name ?? 'Error'}: ${err.message ?? String(e)}`);
  } finally {
    client.destroy();
  }
};

let describeCluster: DescribeCluster = describeClusterWithSdk;
/** Tests: answer DescribeClusters without an endpoint. Returns the previous function. */
export function setDescribeCluster(f: DescribeCluster): DescribeCluster {
  const prev = describeCluster;
  describeCluster = f;
  return prev;
}

function readOptional(ctx: CliContext, path: string): string | undefined {
  try {
    return ctx.readFile(path).toString('utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function readRequired(ctx: CliContext, path: string, flag: string): string {
  const text = readOptional(ctx, path);
  if (text === undefined) throw new CliError(`--${flag}: no such file ${path}`);
  return text;
}

/** How the output file names another file: relative when it lies under the output's directory. */
function reference(outDir: string, file: string): string {
  const abs = resolve(file);
  const rel = relative(outDir, abs);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

function checkAddress(a: string): string {
  if (isIP(a) === 0) throw new CliError(`-a: '${a}' is not an IPv4 or IPv6 address (the HSM's EniIp)`);
  return a;
}

export const command: CommandSpec = {
  path: ['configure'],
  summary: "Write the client configuration (CloudHSM's configure tool): HSM addresses, trust anchor, client certificate",
  ownsGlobalFlags: true,
  noAutoLogin: true,
  flags: [
    { name: 'hsm-ip', short: 'a', type: 'list', repeatable: true, valueName: 'ENI_IP', help: "An HSM's EniIp (repeat -a, or list several); replaces the HSMs in the file" },
    { name: 'cluster-id', type: 'string', valueName: 'CLUSTER_ID', help: 'Take the HSM addresses from DescribeClusters (AWS credentials from the environment or the shared credentials file)' },
    { name: 'endpoint', type: 'string', valueName: 'URL', help: 'The CloudHSMv2 endpoint for --cluster-id (DIR/endpoints.json "cloudhsmv2")' },
    { name: 'region', type: 'string', valueName: 'REGION', help: 'The region for --cluster-id (default: AWS_REGION, the AWS config file)' },
    { name: 'hsm-ca-cert', type: 'string', valueName: 'FILE', help: 'The trust anchor: the customer CA certificate that signed the cluster certificate (PEM)' },
    { name: 'port', type: 'int', valueName: 'PORT', help: `The HSMs' port (default ${DEFAULT_HSM_PORT}, or the port already in the file)` },
    { name: 'client-cert-hsm-tls-file', type: 'string', valueName: 'FILE', help: 'Client certificate for mutual TLS with the HSMs (PEM)' },
    { name: 'client-key-hsm-tls-file', type: 'string', valueName: 'FILE', help: 'Private key of that certificate (PEM)' },
    { name: 'out', type: 'string', valueName: 'FILE', help: 'The file to write or update (default: --config, $STRONGROOM_CONFIG, ./strongroom-data/client.json)' },
    { name: 'config', type: 'string', valueName: 'FILE', help: 'Same as --out when --out is absent' },
  ],
  async run(ctx, args) {
    const out = resolve(args.optStr('out') ?? configPath(args.optStr('config')));
    const outDir = dirname(out);
    const ips = args.list('hsm-ip');
    const clusterId = args.optStr('cluster-id');
    if (args.has('hsm-ip') && ips.length === 0) throw new CliError('-a needs at least one address');
    if (ips.length > 0 && clusterId !== undefined) throw new CliError('give either -a or --cluster-id, not both');
    if (clusterId === undefined && (args.has('endpoint') || args.has('region'))) throw new CliError('--endpoint and --region go with --cluster-id');
    if (clusterId !== undefined && !/^cluster-[a-z0-9]+$/.test(clusterId)) throw new CliError(`--cluster-id must look like cluster-…, got '${clusterId}'`);
    const port = args.optInt('port');
    if (port !== undefined && (port < 1 || port > 65535)) throw new CliError(`--port must be 1 to 65535, got ${port}`);
    const certFile = args.optStr('client-cert-hsm-tls-file');
    const keyFile = args.optStr('client-key-hsm-tls-file');
    if ((certFile === undefined) !== (keyFile === undefined)) throw new CliError('--client-cert-hsm-tls-file and --client-key-hsm-tls-file go together');

    // CloudHSM's tool edits the existing configuration: start from the file when there is one.
    const existingText = readOptional(ctx, out);
    let cfg: Partial<ClientConfigFile> = {};
    if (existingText !== undefined) {
      try {
        cfg = JSON.parse(existingText) as Partial<ClientConfigFile>;
      } catch (e) {
        throw new CliError(`${out} is not JSON (${(e as Error).message}); remove it or pick another --out`);
      }
      if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new CliError(`${out} is not a client configuration`);
    }
    const oldPort = cfg.hsms?.[0]?.port;
    const hsmPort = port ?? oldPort ?? DEFAULT_HSM_PORT;

    if (clusterId !== undefined) {
      const endpoint = args.optStr('endpoint');
      const region = args.optStr('region');
      const c = await describeCluster(clusterId, { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) });
      if (!c) throw new CliError(`cluster ${clusterId} not found (DescribeClusters with these credentials and region)`);
      const addrs = (c.Hsms ?? []).map((h) => h.EniIp).filter((a): a is string => typeof a === 'string' && a.length > 0);
      if (addrs.length === 0) throw new CliError(`cluster ${clusterId} has no HSMs yet: create one (aws cloudhsmv2 create-hsm) and run configure again`);
      cfg.clusterId = clusterId;
      cfg.hsms = addrs.map((address) => ({ address, port: hsmPort }));
    } else if (ips.length > 0) {
      cfg.hsms = [...new Set(ips.map(checkAddress))].map((address) => ({ address, port: hsmPort }));
    } else if (port !== undefined && cfg.hsms) {
      cfg.hsms = cfg.hsms.map((h) => ({ ...h, port }));
    }

    const ca = args.optStr('hsm-ca-cert');
    if (ca !== undefined) {
      const pem = readRequired(ctx, ca, 'hsm-ca-cert');
      try {
        new X509Certificate(pem);
      } catch {
        throw new CliError(`--hsm-ca-cert: ${ca} is not a PEM certificate`);
      }
      cfg.caFile = reference(outDir, ca);
    }
    if (certFile !== undefined && keyFile !== undefined) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(readRequired(ctx, certFile, 'client-cert-hsm-tls-file'));
      } catch (e) {
        throw e instanceof CliError ? e : new CliError(`--client-cert-hsm-tls-file: ${certFile} is not a PEM certificate`);
      }
      let key: ReturnType<typeof createPrivateKey>;
      try {
        key = createPrivateKey(readRequired(ctx, keyFile, 'client-key-hsm-tls-file'));
      } catch (e) {
        throw e instanceof CliError ? e : new CliError(`--client-key-hsm-tls-file: ${keyFile} is not a PEM private key`);
      }
      if (!cert.checkPrivateKey(key)) throw new CliError(`--client-key-hsm-tls-file: ${keyFile} is not the key of ${certFile}`);
      cfg.clientCertFile = reference(outDir, certFile);
      cfg.clientKeyFile = reference(outDir, keyFile);
    }

    if (!cfg.hsms || cfg.hsms.length === 0) throw new CliError(`${out} needs HSM addresses: give -a <EniIp> or --cluster-id`);
    if (typeof cfg.caFile !== 'string') throw new CliError(`${out} needs the trust anchor: give --hsm-ca-cert <customerCA.crt>`);
    const written: ClientConfigFile = {
      ...(cfg.clusterId ? { clusterId: cfg.clusterId } : {}),
      hsms: cfg.hsms,
      caFile: cfg.caFile,
      ...(cfg.clientCertFile && cfg.clientKeyFile ? { clientCertFile: cfg.clientCertFile, clientKeyFile: cfg.clientKeyFile } : {}),
    };
    ctx.writeFile(out, JSON.stringify(written, null, 2) + '\n');
    return { path: out, ...written };
  },
};
