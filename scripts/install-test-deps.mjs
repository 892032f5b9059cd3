#!/usr/bin/env node
// Installs the Debian packages the test suites use, when running as root on Debian (our machines
// and CI). Elsewhere it prints the command and the suites that will be skipped. Runs before `npm test`.
// Never installs anything but the packages listed here.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Package → the command that proves it is installed, and the suites that need it. */
export const PACKAGES = [
  { pkg: 'openssl', bin: 'openssl', suites: 'interop tests (signatures verified by the openssl command line)' },
  { pkg: 'etcd-server', bin: 'etcd', suites: 'etcd store engine and etcd cluster tests' },
];

const missing = PACKAGES.filter((p) => spawnSync('sh', ['-c', `command -v ${p.bin}`]).status !== 0);
if (missing.length === 0) process.exit(0);

const isDebian = existsSync('/etc/debian_version') || /ID(_LIKE)?=.*debian/.test(existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const cmd = `apt-get install -y --no-install-recommends ${missing.map((p) => p.pkg).join(' ')}`;
if (isDebian && isRoot) {
  process.stderr.write(`installing test dependencies: ${cmd}\n`);
  execFileSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${cmd}`], { stdio: 'inherit' });
} else {
  for (const p of missing) process.stderr.write(`missing ${p.bin}: ${p.suites} will be skipped\n`);
  process.stderr.write(`install them with: sudo ${cmd}\n`);
}
