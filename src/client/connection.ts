// One pipelined TLS connection to one HSM: many requests in flight, replies matched by id.
// The connection is the HSM session (login state lives on the HSM side of it).
// Never logs request or reply bodies: they hold passwords, plaintext and signatures.

import tls from 'node:tls';
import { encodeFrame, FrameDecoder, type ReplyFrame } from '../protocol/frames.js';
import { HsmError, isCkrName } from '../protocol/errors.js';
import type { OpName, OpParams, OpResult } from '../protocol/operations.js';

export interface ConnectOptions {
  host: string;
  port: number;
  ca: string | string[];
  cert?: string;
  key?: string;
  /** Override the host name checked against the server certificate. */
  servername?: string;
  /**
   * Check the certificate's name against the address (default true). The orchestrator turns it
   * off for appliance connections, where the chain to the fleet or customer CA is what counts.
   */
  checkHostname?: boolean;
  timeoutMs?: number;
  maxFrame?: number;
}

/** Above this many requests in flight, queued frames are flushed once per event-loop turn. */
const BATCH_IN_FLIGHT = 8;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class HsmConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder: FrameDecoder;
  private closedError: HsmError | undefined;
  private queue: Buffer[] = [];
  private flushScheduled = false;

  private constructor(private readonly socket: tls.TLSSocket, maxFrame?: number) {
    this.decoder = new FrameDecoder(maxFrame ?? 64 * 1024 * 1024);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => this.fail(new HsmError('CKR_DEVICE_REMOVED', 'connection to the HSM closed')));
    socket.on('error', (e) => this.fail(new HsmError('CKR_DEVICE_REMOVED', `connection to the HSM failed: ${e.message}`)));
  }

  static connect(opts: ConnectOptions): Promise<HsmConnection> {
    return new Promise((resolve, reject) => {
      const tlsOpts: tls.ConnectionOptions = {
        host: opts.host,
        port: opts.port,
        ca: opts.ca,
        minVersion: 'TLSv1.3',
        ...(opts.servername ? { servername: opts.servername } : /^[0-9.:]+$/.test(opts.host) ? {} : { servername: opts.host }),
        // The HSM certificate names the HSM's IP address; check it like any TLS client.
        checkServerIdentity: (host, cert) => (opts.checkHostname === false ? undefined : tls.checkServerIdentity(host, cert)),
      };
      if (opts.cert && opts.key) {
        tlsOpts.cert = opts.cert;
        tlsOpts.key = opts.key;
      }
      const socket = tls.connect(tlsOpts);
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HsmError('CKR_DEVICE_REMOVED', `timed out connecting to ${opts.host}:${opts.port}`));
      }, opts.timeoutMs ?? 10_000);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(new HsmConnection(socket, opts.maxFrame));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new HsmError('CKR_DEVICE_REMOVED', `cannot connect to HSM ${opts.host}:${opts.port}: ${e.message}`));
      });
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  call<N extends OpName>(op: N, params: OpParams<N>): Promise<OpResult<N>> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<OpResult<N>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.queue.push(encodeFrame({ id, op, params }));
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Busy (many requests in flight): setImmediate, so every frame queued in this turn of the
        // event loop (all the requests whose input arrived in one poll) leaves in one TLS write and
        // a busy caller pays one write(2) per HSM per turn instead of one per request; the HSM
        // batches its replies the same way (hsm/server/server.ts). Quiet (a few in flight, as a
        // PKCS#11 application's threads): a microtask, so the request leaves before the rest of
        // the turn (measured: AES-GCM through the PKCS#11 daemon at 2 threads ~17% faster).
        if (this.pending.size > BATCH_IN_FLIGHT) setImmediate(() => this.flush());
        else queueMicrotask(() => this.flush());
      }
    });
  }

  /** Sends raw bytes (tests of malformed input only). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const buf = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue);
    this.queue = [];
    this.socket.write(buf);
  }

  private onData(d: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(d);
    } catch (e) {
      this.fail(e instanceof HsmError ? e : new HsmError('CKR_STRONGROOM_PROTOCOL', 'bad frame from HSM'));
      this.socket.destroy();
      return;
    }
    for (const f of frames) {
      if (!('body' in f)) continue;
      const reply = f.body as ReplyFrame;
      const p = this.pending.get(reply.id);
      if (!p) continue;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else {
        const code = isCkrName(reply.error?.code) ? reply.error.code : 'CKR_FUNCTION_FAILED';
        p.reject(new HsmError(code, reply.error?.message ?? 'HSM error'));
      }
    }
  }

  private fail(err: HsmError): void {
    if (!this.closedError) this.closedError = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
