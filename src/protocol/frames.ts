// Wire framing: a 4-byte big-endian length, then a UTF-8 JSON body. Binary fields travel as base64.
// Requests: {id, op, params}; replies: {id, ok:true, result} | {id, ok:false, error:{code,message}}.
// Imports nothing from the rest of src/ but protocol/. Never logs frame bodies (they hold secrets).

import { HsmError, type CkrName } from './errors.js';

/** Default cap on one frame's body: large enough for a 64 KiB payload in base64 plus envelope. */
export const DEFAULT_MAX_FRAME = 256 * 1024;

export interface RequestFrame {
  id: number;
  op: string;
  params: unknown;
}
export type ReplyFrame =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: CkrName; message: string } };

export function encodeFrame(body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const out = Buffer.allocUnsafe(4 + json.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  return out;
}

/**
 * Incremental frame decoder. push() returns the complete bodies (parsed JSON) received so far.
 * A declared length above the cap throws HsmError(CKR_STRONGROOM_FRAME_TOO_LARGE) before any
 * buffering; invalid JSON yields a ParseFailure entry so the caller can reply and go on.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  constructor(private readonly maxFrame: number = DEFAULT_MAX_FRAME) {}

  push(data: Buffer): Array<{ body: unknown } | { parseError: string }> {
    this.chunks.push(data);
    this.buffered += data.length;
    const out: Array<{ body: unknown } | { parseError: string }> = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const len = head.readUInt32BE(0);
      if (len > this.maxFrame) {
        throw new HsmError('CKR_STRONGROOM_FRAME_TOO_LARGE', `frame of ${len} bytes exceeds the cap of ${this.maxFrame}`);
      }
      if (this.buffered < 4 + len) break;
      const all = this.take(4 + len);
      const text = all.subarray(4);
      try {
        out.push({ body: JSON.parse(text.toString('utf8')) });
      } catch {
        out.push({ parseError: 'frame body is not valid JSON' });
      }
    }
    return out;
  }

  get pendingBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    return Buffer.concat(this.chunks).subarray(0, n);
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const head = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }
}
