// Finds the client daemons (`strongroom client-daemon … SOCKET`) serving one socket, through
// /proc, for the benchmark and the tests that start them through libstrongroom-pkcs11.so and must
// stop them afterwards. Only finds: the caller kills by pid. Never matches another socket's daemon.

import { readdirSync, readFileSync } from 'node:fs';

/** Pids of client daemons serving exactly this socket (found through /proc, killed by id). */
export function daemonPids(socket: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv.includes('client-daemon') && argv.includes(socket)) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
