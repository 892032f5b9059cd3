// The client library (SDK): a typed API over the wire protocol, used by the CLI, the PKCS#11
// daemon, benchmarks and applications. One HSM now; membership and balancing build on this.
// Never logs passwords, plaintext or key material.

import { HsmConnection } from './connection.js';
import { loadClientConfig, type ClientConfig } from './config.js';
import type { OpName, OpParams, OpResult } from '../protocol/operations.js';

export class StrongroomClient {
  private constructor(readonly config: ClientConfig, private readonly conns: HsmConnection[]) {}

  /** Connects to the HSMs named in the configuration (an object, or a client.json path). */
  static async connect(config?: ClientConfig | string, opts: { connections?: number } = {}): Promise<StrongroomClient> {
    const cfg = typeof config === 'object' ? config : loadClientConfig(config);
    const first = cfg.hsms[0]!;
    const n = Math.max(1, opts.connections ?? 1);
    const conns: HsmConnection[] = [];
    for (let i = 0; i < n; i++) {
      const o: Parameters<typeof HsmConnection.connect>[0] = { host: first.address, port: first.port, ca: cfg.ca };
      if (cfg.cert && cfg.key) {
        o.cert = cfg.cert;
        o.key = cfg.key;
      }
      conns.push(await HsmConnection.connect(o));
    }
    return new StrongroomClient(cfg, conns);
  }

  /** Sends one operation. Login state is per connection: log in before key operations. */
  call<N extends OpName>(op: N, params: OpParams<N>): Promise<OpResult<N>> {
    return this.pick().call(op, params);
  }

  /** Logs every connection in (each connection is an HSM session). */
  async login(username: string, role: 'admin' | 'crypto-user' | 'appliance' | 'unactivated-admin', password: string): Promise<OpResult<'login'>> {
    const res = await Promise.all(this.conns.map((c) => c.call('login', { username, role, password })));
    return res[0]!;
  }

  close(): void {
    for (const c of this.conns) c.close();
  }

  private pick(): HsmConnection {
    let best = this.conns[0]!;
    for (const c of this.conns) if (c.inFlight < best.inFlight) best = c;
    return best;
  }
}

export { HsmConnection } from './connection.js';
export { loadClientConfig, configPath, type ClientConfig } from './config.js';
