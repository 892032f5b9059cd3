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
  // The JSON goes straight into the frame: no intermediate Buffer, one copy.
  const json = JSON.stringify(body);
  const len = Buffer.byteLength(json, 'utf8');
  const out = Buffer.allocUnsafe(4 + len);
  out.writeUInt32BE(len, 0);
  out.write(json, 4, len, 'utf8');
  return out;
}

/**
 * Incremental frame decoder. push() returns the complete bodies (parsed JSON) received so far.
 * A declared length above the cap throws HsmError(CKR_STRONGROOM_FRAME_TOO_LARGE) before any
 * buffering; invalid JSON yields a ParseFailure entry so the caller can reply and go on.
 * Bytes of an incomplete frame are kept as received and joined once, when the frame completes.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the frame at the head of the buffer needs in all: 4 until its header is known. */
  private need = 4;
  constructor(private readonly maxFrame: number = DEFAULT_MAX_FRAME) {}

  push(data: Buffer): Array<{ body: unknown } | { parseError: string }> {
    const out: Array<{ body: unknown } | { parseError: string }> = [];
    if (this.buffered + data.length < this.need) {
      this.chunks.push(data);
      this.buffered += data.length;
      return out;
    }
    let buf = data;
    if (this.buffered > 0) {
      this.chunks.push(data);
      buf = Buffer.concat(this.chunks, this.buffered + data.length);
    }
    this.chunks = [];
    this.buffered = 0;
    this.need = 4;
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (len > this.maxFrame) {
        throw new HsmError('CKR_STRONGROOM_FRAME_TOO_LARGE', `frame of ${len} bytes exceeds the cap of ${this.maxFrame}`);
      }
      if (buf.length - off - 4 < len) {
        this.need = 4 + len;
        break;
      }
      const start = off + 4;
      off = start + len;
      try {
        out.push({ body: JSON.parse(buf.toString('utf8', start, off)) });
      } catch {
        out.push({ parseError: 'frame body is not valid JSON' });
      }
    }
    if (off < buf.length) {
      this.chunks.push(off === 0 ? buf : buf.subarray(off));
      this.buffered = buf.length - off;
    }
    return out;
  }

  get pendingBytes(): number {
    return this.buffered;
  }
}
