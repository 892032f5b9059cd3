// The unix-socket server: one Connection (and one StrongroomClient) per library connection,
// requests answered strictly in order, sessions closed when the socket closes, and the daemon
// exits after an idle period without connections. The socket's directory is created 0700.
// stats() counts connections, sessions and pending operations (for leak checks; main.ts dumps it
// on SIGUSR2). Never logs request or response bodies.

import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ClientConfig } from '../client/client.js';
import { encodeResponse, FrameSplitter } from './codec.js';
import { handle } from './dispatch.js';
import { Connection } from './sessions.js';
import { TokenFacts } from './slots.js';

export interface DaemonOptions {
  config: ClientConfig;
  socketPath: string;
  idleMs: number;
  log?: (msg: string) => void;
}

/** What the daemon holds right now: a leak shows as sessions or operations that should be gone. */
export interface DaemonStats {
  connections: number;
  sessions: number;
  /** Crypto or find operations still active in those sessions. */
  operations: number;
  /** Session objects (CKA_TOKEN=false) still owned by those sessions. */
  sessionObjects: number;
  /** Requests received and not yet answered. */
  pending: number;
}

export interface Daemon {
  server: Server;
  stats(): DaemonStats;
  /** Resolves when the daemon has stopped (idle or close()). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** True when some process answers on the socket (another daemon already serves it). */
function answering(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const log = opts.log ?? (() => undefined);
  const dir = dirname(opts.socketPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (existsSync(opts.socketPath)) {
    if (!lstatSync(opts.socketPath).isSocket()) throw new Error(`${opts.socketPath} exists and is not a socket`);
    if (await answering(opts.socketPath)) throw new Error(`a daemon already listens on ${opts.socketPath}`);
    unlinkSync(opts.socketPath); // stale: left by a daemon that died
  }

  const facts = new TokenFacts();
  const live = new Set<Socket>();
  const conns = new Set<Connection>();
  let pending = 0;
  let idle: NodeJS.Timeout | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let stopping = false;

  const armIdle = () => {
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => {
      if (live.size === 0) {
        log(`no connection for ${opts.idleMs} ms: exiting`);
        void stop();
      }
    }, opts.idleMs);
  };

  const server = createServer((sock) => {
    if (idle) clearTimeout(idle);
    idle = undefined;
    live.add(sock);
    const conn = new Connection(opts.config);
    conns.add(conn);
    const splitter = new FrameSplitter();
    let chain = Promise.resolve();
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      live.delete(sock);
      // Requests still queued finish first; then every session of this connection ends.
      chain = chain.then(() => conn.shutdown()).catch(() => undefined).then(() => void conns.delete(conn));
      if (live.size === 0 && !stopping) armIdle();
    };
    sock.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = splitter.push(chunk);
      } catch {
        sock.destroy(); // an unframeable stream cannot be answered in order
        return;
      }
      for (const f of frames) {
        const body = Buffer.from(f.body);
        pending++;
        chain = chain.then(async () => {
          try {
            if (ended) return;
            const r = await handle(conn, f.fn, body, facts);
            if (!sock.destroyed) sock.write(encodeResponse(r.rv, r.body));
          } finally {
            pending--;
          }
        });
      }
    });
    sock.on('close', finish);
    sock.on('error', () => sock.destroy());
  });

  async function stop(): Promise<void> {
    if (stopping) return closed;
    stopping = true;
    if (idle) clearTimeout(idle);
    for (const s of live) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    try {
      unlinkSync(opts.socketPath);
    } catch {
      // already gone
    }
    resolveClosed();
    return closed;
  }

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    const old = process.umask(0o077);
    server.listen(opts.socketPath, () => {
      process.umask(old);
      server.off('error', rej);
      res();
    });
  });
  armIdle();
  log(`listening on ${opts.socketPath}`);
  const stats = (): DaemonStats => {
    let sessions = 0;
    let operations = 0;
    let sessionObjects = 0;
    for (const c of conns) {
      sessions += c.sessions.size;
      for (const s of c.sessions.values()) operations += Object.keys(s.ops).length + (s.find ? 1 : 0);
      sessionObjects += c.objects.sessionObjectCount();
    }
    return { connections: conns.size, sessions, operations, sessionObjects, pending };
  };
  return { server, closed, close: stop, stats };
}
