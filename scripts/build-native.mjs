#!/usr/bin/env node
// Builds native/pkcs11 into native/pkcs11/build/libstrongroom-pkcs11.so with the system C
// compiler (C99, pthreads, nothing else). Without a compiler it warns and exits 0 so that
// `npm ci` works on machines that only use the servers; in CI (STRONGROOM_REQUIRE_ALL=1) a missing
// compiler is an error. Must never download or install anything.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const native = path.join(repo, 'native', 'pkcs11');
const outDir = path.join(native, 'build');
const output = path.join(outDir, 'libstrongroom-pkcs11.so');
const required = process.env.STRONGROOM_REQUIRE_ALL === '1';

/** The compiler: $CC, else the first of cc, gcc, clang on PATH. */
function findCompiler() {
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter((c) => typeof c === 'string' && c.length > 0);
  for (const c of candidates) {
    const probe = spawnSync(c, ['--version'], { stdio: 'ignore' });
    if (probe.status === 0) return c;
  }
  return undefined;
}

const cc = findCompiler();
if (cc === undefined) {
  const msg = 'build-native: no C compiler found (cc, gcc, clang or $CC); libstrongroom-pkcs11.so was NOT built.';
  if (required) {
    process.stderr.write(`${msg}\nSTRONGROOM_REQUIRE_ALL=1: failing.\n`);
    process.exit(1);
  }
  process.stderr.write(`warning: ${msg}\nInstall one (e.g. apt-get install gcc) and run: node scripts/build-native.mjs\n`);
  process.exit(0);
}

// The daemon command compiled in: this Node.js and this checkout's CLI entry point.
const daemonCmd = `${process.execPath} ${path.join(repo, 'dist', 'src', 'bin', 'strongroom.js')}`;
const sources = readdirSync(path.join(native, 'src'))
  .filter((f) => f.endsWith('.c'))
  .sort()
  .map((f) => path.join(native, 'src', f));

mkdirSync(outDir, { recursive: true });
const args = [
  '-std=c99', '-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-Werror', '-pthread', '-fvisibility=hidden',
  `-I${path.join(native, 'include')}`,
  `-DSTRONGROOM_DAEMON_CMD=${JSON.stringify(daemonCmd)}`,
  '-o', output, ...sources,
];
const result = spawnSync(cc, args, { stdio: 'inherit' });
if (result.status !== 0) {
  process.stderr.write(`build-native: ${cc} failed (exit ${result.status ?? result.signal ?? 'unknown'})\n`);
  process.exit(1);
}
process.stdout.write(`build-native: ${path.relative(repo, output)}\n`);
