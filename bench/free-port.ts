// Free loopback ports for the listeners that benchmarks and tests start (HSMs, etcd members, the
// control plane). One helper for both, because both had the same flaw: a port from listen(0) lies
// in the kernel's ephemeral range, so once its probe closes, any outgoing connection on the
// machine may take it as a source port. A member restarted on "its" port then fails with
// EADDRINUSE (CI saw an etcd member do exactly that). Ports handed out here lie below that range,
// where the kernel never picks source ports, and are probed before they are returned.

import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port handed out: above the well-known and registered services a machine may run. */
const FLOOR = 15_000;

/** First port of the kernel's ephemeral range (Linux default 32768). */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > FLOOR + 1000) return low;
  } catch {
    // not Linux, or /proc hidden: keep the usual default
  }
  return 32_768;
}

const CEILING = ephemeralStart();
/** Ports this process has handed out already: never twice, even if their listener is down now. */
const given = new Set<number>();

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => res(true)));
  });
}

/** A port below the ephemeral range that nothing listens on at `host` now (default 127.0.0.1). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = randomInt(FLOOR, CEILING);
    if (given.has(port)) continue;
    if (await canListen(port, host)) {
      given.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${FLOOR} and ${CEILING} on ${host}`);
}
