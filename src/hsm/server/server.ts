// The HSM's TLS 1.3 server: accepts connections, enforces mutual TLS, decodes frames (size cap),
// bounds requests in flight per connection, and hands each frame to the dispatch pipeline.
// Never logs frame contents; a bad frame gets an error reply or a closed connection, never a crash.

import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { encodeFrame, FrameDecoder, DEFAULT_MAX_FRAME, type ReplyFrame } from '../../protocol/frames.js';
import { HsmError } from '../../protocol/errors.js';
import type { HsmContext, Session } from '../context.js';
import { dispatch } from './dispatch.js';
import { dropSessionObjects } from '../handlers/objects.js';

/** Requests one connection may have in flight before the HSM answers busy (CloudHSM's 0xBB). */
export const MAX_IN_FLIGHT = 512;
export const MAX_CONNECTIONS = 900;
/** How long a connection refused for a bad frame may drain input before it is destroyed. */
const LINGER_MS = 2_000;

export interface TlsMaterial {
  key: string;
  /** Server certificate chain, leaf first. */
  certChain: string;
  /** CAs whose client certificates we accept: the fleet CA (appliance) and registered trust anchors. */
  clientCas: string[];
}

export class HsmServer {
  private server: tls.Server | undefined;
  private nextConn = 1;
  private readonly sockets = new Set<tls.TLSSocket>();
  private applianceSockets = 0;

  constructor(private readonly ctx: HsmContext, private readonly maxFrame = DEFAULT_MAX_FRAME) {}

  listen(host: string, port: number, material: TlsMaterial): Promise<number> {
    const server = tls.createServer({
      ...this.secureOptions(material),
      minVersion: 'TLSv1.3',
      requestCert: true,
      rejectUnauthorized: false, // mutual TLS is enforced per cluster setting below
      handshakeTimeout: 10_000,
    });
    server.maxConnections = MAX_CONNECTIONS;
    server.on('secureConnection', (s) => this.onConnection(s));
    server.on('tlsClientError', () => undefined);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** Swaps the certificate (after initialisation) or the accepted client CAs without a restart. */
  updateTls(material: TlsMaterial): void {
    this.server?.setSecureContext(this.secureOptions(material));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Open connections: clients, and the appliance's apart (metrics). */
  connections(): { client: number; appliance: number } {
    return { client: this.sockets.size - this.applianceSockets, appliance: this.applianceSockets };
  }

  /** Closes every connection (tamper response). */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  private secureOptions(m: TlsMaterial): tls.SecureContextOptions {
    return { key: m.key, cert: m.certChain, ca: m.clientCas };
  }

  private classify(socket: tls.TLSSocket): { appliance: boolean; mtls: boolean } {
    const peer = socket.getPeerX509Certificate();
    if (!peer || !socket.authorized) return { appliance: false, mtls: false };
    const now = Date.now();
    if (Date.parse(peer.validFrom) > now || Date.parse(peer.validTo) < now) return { appliance: false, mtls: false };
    const issuedBy = (pem: string): boolean => {
      try {
        const ca = new X509Certificate(pem);
        return peer.checkIssued(ca) && peer.verify(ca.publicKey);
      } catch {
        return false;
      }
    };
    const appliance = issuedBy(this.ctx.id.fleetCa) && /OU=appliance/.test(peer.subject);
    const mtls = this.ctx.mtls().anchors.some((a) => issuedBy(a.pem));
    return { appliance, mtls };
  }

  private onConnection(socket: tls.TLSSocket): void {
    const who = this.classify(socket);
    if (this.ctx.mtls().enforcement === 'cluster' && !who.mtls && !who.appliance) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    if (who.appliance) this.applianceSockets++;
    socket.setNoDelay(true);
    const session: Session = { connId: this.nextConn++, user: null, ...who };
    const decoder = new FrameDecoder(this.maxFrame);
    let inFlight = 0;
    let out: Buffer[] = [];
    let flushing = false;
    const send = (r: ReplyFrame): void => {
      out.push(encodeFrame(r));
      if (!flushing) {
        flushing = true;
        setImmediate(() => {
          flushing = false;
          if (out.length === 0 || socket.destroyed || socket.writableEnded) return;
          const buf = out.length === 1 ? out[0]! : Buffer.concat(out);
          out = [];
          socket.write(buf);
        });
      }
    };
    let refused = false;
    socket.on('data', (chunk: Buffer) => {
      if (refused) return; // draining after a refused frame: read and drop until the close
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        const err = e instanceof HsmError ? e : new HsmError('CKR_STRONGROOM_PROTOCOL', 'malformed frame');
        // End, not destroy: closing with unread input makes the kernel send RST, which can discard
        // the reply before the peer reads it. Input still arriving is dropped; LINGER_MS bounds it.
        refused = true;
        socket.end(encodeFrame({ id: 0, ok: false, error: err.toWire() }));
        setTimeout(() => socket.destroy(), LINGER_MS).unref();
        return;
      }
      for (const f of frames) {
        if ('parseError' in f) {
          send({ id: 0, ok: false, error: { code: 'CKR_STRONGROOM_PROTOCOL', message: f.parseError } });
          continue;
        }
        if (inFlight >= MAX_IN_FLIGHT) {
          const id = typeof (f.body as { id?: unknown })?.id === 'number' ? (f.body as { id: number }).id : 0;
          this.ctx.metrics.count((f.body as { op?: unknown })?.op, 'CKR_STRONGROOM_BUSY');
          send({ id, ok: false, error: { code: 'CKR_STRONGROOM_BUSY', message: 'the HSM could not queue the request for processing; retry' } });
          continue;
        }
        inFlight++;
        dispatch(this.ctx, session, f.body).then(
          (r) => {
            inFlight--;
            send(r);
          },
          () => {
            inFlight--;
          },
        );
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.sockets.delete(socket) && who.appliance) this.applianceSockets--;
      this.ctx.keys.dropSession(session.connId);
      dropSessionObjects(this.ctx, session.connId);
    });
  }
}
