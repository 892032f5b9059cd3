#!/usr/bin/env node
// `strongroom`: the server-side executable. Subcommands: up (a local cluster), hsm (one HSM node
// process), audit verify. Prints no secrets; CA keys stay in the data directory.

import { parseArgs } from 'node:util';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';

const USAGE = `usage:
  strongroom up [--data-dir DIR] [--address 127.0.0.1] [--port 2223] [--no-mtls]
      start a local cluster in the foreground (Ctrl-C stops it); writes DIR/client.json
  strongroom hsm --config DIR/hsms/ID/node.json | --data-dir DIR --hsm-id ID
      run one HSM node process
  strongroom audit verify --data-dir DIR | FILE [--device-cert CRT]
      check every HSM's audit log under DIR (or one log file); exit 1 naming the first bad record`;

function fail(msg: string): never {
  process.stderr.write(`strongroom: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

async function cmdUp(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: 'strongroom-data' },
      address: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '2223' },
      'no-mtls': { type: 'boolean', default: false },
    },
  });
  const { up } = await import('../orchestrator/up.js');
  const dataDir = resolve(values['data-dir']);
  const cluster = await up({ dataDir, address: values.address, port: Number(values.port), mtls: !values['no-mtls'] });
  const rel = process.cwd() === dirname(dataDir) ? values['data-dir'] : dataDir;
  process.stdout.write(`
Next steps (CloudHSM CLI syntax; the CLI finds ${rel}/client.json by itself from this directory,
elsewhere pass --config ${cluster.clientConfigPath} or set STRONGROOM_CONFIG):
  npx strongroom-cli cluster activate --password <admin password>
  npx strongroom-cli interactive          # then: login --username admin --role admin
  npx strongroom-cli user create --username alice --role crypto-user --password <password>   (as admin)
Press Ctrl-C to stop the cluster.
`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${sig}: stopping the cluster...\n`);
    void cluster.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  for (const h of cluster.hsms) {
    h.process.on('exit', (code, sig) => {
      if (!stopping) process.stderr.write(`HSM ${h.hsmId} exited (${code ?? sig}); see its hsm.log\n`);
    });
  }
}

async function cmdHsm(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, 'hsm-id': { type: 'string' } } });
  let cfgPath = values.config;
  if (!cfgPath) {
    if (!values['data-dir'] || !values['hsm-id']) fail('hsm needs --config FILE or --data-dir DIR --hsm-id ID');
    cfgPath = join(values['data-dir'], 'hsms', values['hsm-id'], 'node.json');
  }
  const raw = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, string | number>;
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
    ...(raw['fleetCaKeyFile'] && existsSync(String(raw['fleetCaKeyFile'])) ? { fleetCaKeyPem: readFileSync(String(raw['fleetCaKeyFile']), 'utf8') } : {}),
  };
  const node = await HsmNode.start(cfg);
  process.stdout.write(JSON.stringify({ event: 'ready', hsmId: cfg.hsmId, address: cfg.address, port: node.boundPort, state: node.state }) + '\n');
  const stop = () => void node.close().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGUSR2', () => node.tamper('tamper signal (SIGUSR2)'));
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
    const hsmsDir = join(dir, 'hsms');
    if (!existsSync(hsmsDir)) fail(`no HSMs under ${dir}`);
    for (const id of readdirSync(hsmsDir)) {
      const p = join(hsmsDir, id, 'audit.log');
      if (existsSync(p)) logs.push({ path: p, cert: join(hsmsDir, id, 'device.crt') });
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

const [cmd, ...argv] = process.argv.slice(2);
const run = cmd === 'up' ? cmdUp : cmd === 'hsm' ? cmdHsm : cmd === 'audit' ? cmdAudit : undefined;
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
