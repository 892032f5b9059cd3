#!/usr/bin/env node
// Installs the Debian packages the test suites use, when running as root on Debian (our machines
// and CI). Elsewhere it prints the command and the suites that will be skipped. Runs before `npm test`.
// Never installs anything but the packages listed here.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Package → the command that proves it is installed (`check`, else `command -v bin`), and the suites that need it. */
export const PACKAGES = [
  { pkg: 'openssl', bin: 'openssl', suites: 'interop tests (signatures verified by the openssl command line)' },
  { pkg: 'etcd-server', bin: 'etcd', suites: 'etcd store engine and etcd cluster tests' },
  { pkg: 'awscli', bin: '/usr/bin/aws', suites: 'control plane and KMS through Debian\'s AWS CLI v2' },
  { pkg: 'opensc', bin: 'pkcs11-tool', suites: 'PKCS#11 through OpenSC\'s pkcs11-tool (test/pkcs11/pkcs11-tool, openssl-offload)' },
  { pkg: 'gnutls-bin', bin: 'p11tool', suites: 'PKCS#11 through GnuTLS\'s p11tool (test/pkcs11/p11tool)' },
  { pkg: 'libengine-pkcs11-openssl', bin: 'engines-3/pkcs11.so', check: 'test -e "$(openssl version -e | sed \'s/^ENGINESDIR: "\\(.*\\)"$/\\1/\')/pkcs11.so"', suites: 'the OpenSSL TLS offload through the pkcs11 engine (test/pkcs11/openssl-offload)' },
  { pkg: 'curl', bin: 'curl', suites: 'the OpenSSL TLS offload checked by curl (test/pkcs11/openssl-offload)' },
  { pkg: 'openjdk-17-jdk-headless', bin: '/usr/lib/jvm/java-17-openjdk-amd64/bin/javac', check: 'test -x /usr/lib/jvm/java-17-openjdk-amd64/bin/javac', suites: 'Java through SunPKCS11 (test/pkcs11/java)' },
  { pkg: 'softhsm2', bin: 'softhsm2-util', check: 'command -v softhsm2-util && test -e /usr/lib/softhsm/libsofthsm2.so', suites: 'RFC 5649 interop with SoftHSMv2 (test/pkcs11/softhsm) and npm run bench:pkcs11' },
];

const missing = PACKAGES.filter((p) => spawnSync('sh', ['-c', p.check ?? `command -v ${p.bin}`]).status !== 0);
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
