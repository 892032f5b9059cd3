// The unix-socket server. A library instance (one application process) opens one socket per
// thread in a call and names its instance in the first frame (C_Initialize: U64 flags, BYTES
// instance id); all of an instance's sockets share one Connection (sessions, login, one
// StrongroomClient), which ends when its last socket closes. Each socket's requests are answered
// in order; different sockets are served side by side: crypto calls on sessions share the
// instance's lock, calls that change its state hold it alone. A socket that sends no instance id
// is an instance of its own. The daemon exits after an idle period without connections. The
// socket's directory is created 0700. stats() counts connections (instances), sessions and
// pending operations (for leak checks; main.ts dumps it on SIGUSR2). Never logs request or
// response bodies.

import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ClientConfig } from '../client/client.js';
import { encodeResponse, FrameSplitter, Reader } from './codec.js';
import { FN } from './constants.js';
import { handle } from './dispatch.js';
import { RwLock } from './lock.js';
import { Connection } from './sessions.js';
import { TokenFacts } from './slots.js';

/** Calls that touch one session's operation state (or nothing shared): they run side by side. */
const SHARED = new Set<number>([
  FN.C_GetSessionInfo, FN.C_GetObjectSize, FN.C_GetAttributeValue, FN.C_SeedRandom, FN.C_GenerateRandom,
  ...Array.from({ length: FN.C_VerifyRecover - FN.C_EncryptInit + 1 }, (_, i) => FN.C_EncryptInit + i),
]);

/** One library instance: its state, its lock, and how many of its sockets are open. */
interface Instance {
  conn: Connection;
  lock: RwLock;
  sockets: number;
}

/** The instance id in a C_Initialize body (after U64 flags), or undefined when absent or malformed. */
function instanceId(body: Buffer): string | undefined {
  try {
    const r = new Reader(body);
    r.u64();
    const id = r.bytes();
    return id.length >= 8 && id.length <= 64 ? id.toString('hex') : undefined;
  } catch {
    return undefined;
  }
}

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
  const instances = new Map<string, Instance>();
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

  /** The named instance (joined), or a new one of this socket's own when id is undefined. */
  const attach = (id: string | undefined): Instance => {
    const known = id === undefined ? undefined : instances.get(id);
    if (known) {
      known.sockets++;
      return known;
    }
    const inst: Instance = { conn: new Connection(opts.config), lock: new RwLock(), sockets: 1 };
    conns.add(inst.conn);
    if (id !== undefined) instances.set(id, inst);
    return inst;
  };
  /** A socket of inst closed: the last one ends every session of the instance. */
  const detach = async (inst: Instance, id: string | undefined): Promise<void> => {
    if (--inst.sockets > 0) return;
    if (id !== undefined && instances.get(id) === inst) instances.delete(id);
    await inst.conn.shutdown().catch(() => undefined);
    conns.delete(inst.conn);
  };

  const server = createServer((sock) => {
    if (idle) clearTimeout(idle);
    idle = undefined;
    live.add(sock);
    const splitter = new FrameSplitter();
    let inst: Instance | undefined;
    let id: string | undefined;
    let chain = Promise.resolve();
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      live.delete(sock);
      // Requests still queued finish first; then the socket leaves its instance.
      chain = chain.then(() => (inst ? detach(inst, id) : undefined)).catch(() => undefined);
      if (live.size === 0 && !stopping) armIdle();
    };
    const serve = async (fn: number, body: Buffer): Promise<{ rv: number; body?: Buffer | undefined }> => {
      if (!inst) {
        id = fn === FN.C_Initialize ? instanceId(body) : undefined;
        inst = attach(id);
      }
      const conn = inst.conn;
      return SHARED.has(fn)
        ? inst.lock.shared(() => handle(conn, fn, body, facts))
        : inst.lock.exclusive(() => handle(conn, fn, body, facts));
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
            const r = await serve(f.fn, body);
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
