// Frames and value types of the library ↔ daemon protocol (docs/pkcs11-daemon-protocol.md):
// little-endian u32 length-prefixed frames, U64, BYTES, OUT, TEMPLATE and MECH. Pure: no I/O.
// A malformed body is CKR_ARGUMENTS_BAD; must never trust a length it has not checked.

import { P11Error } from './errors.js';

/** Largest request frame accepted (64 KiB of data plus templates and headroom). */
export const MAX_FRAME = 1024 * 1024;

export interface Out {
  /** false: the caller passed NULL (a length query). */
  present: boolean;
  capacity: bigint;
}
export interface TemplateAttr {
  type: number;
  hasValue: boolean;
  /** ulValueLen: the value's length (TEMPLATE_IN) or the caller's capacity (TEMPLATE_QUERY). */
  len: bigint;
  value: Buffer | undefined;
}
export interface Mech {
  type: number;
  kind: number;
  /** Fields by kind (see the protocol's MECH table). */
  bytes?: Buffer;
  iv?: Buffer;
  aad?: Buffer;
  tagBits?: number;
  hashAlg?: number;
  mgf?: number;
  source?: number;
  sourceData?: Buffer;
  sLen?: number;
  kdf?: number;
  sharedData?: Buffer;
  publicData?: Buffer;
  counterBits?: number;
  aesKeyBits?: number;
}

function bad(what: string): never {
  throw new P11Error('CKR_ARGUMENTS_BAD', `malformed request: ${what}`);
}

/** A U64 as a JS number when it fits; larger values become Infinity (never a valid handle or size). */
function toNum(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.POSITIVE_INFINITY;
}

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) bad(`${what} runs past the end of the frame`);
  }
  u8(): number {
    this.need(1, 'u8');
    return this.buf.readUInt8(this.pos++);
  }
  u32(): number {
    this.need(4, 'u32');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64big(): bigint {
    this.need(8, 'U64');
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  u64(): number {
    return toNum(this.u64big());
  }
  bytes(): Buffer {
    const n = this.u32();
    this.need(n, 'BYTES');
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
  out(): Out {
    const present = this.u8() !== 0;
    return { present, capacity: this.u64big() };
  }
  /** TEMPLATE_IN (withValues) or TEMPLATE_QUERY. */
  template(withValues: boolean): TemplateAttr[] {
    const count = this.u32();
    if (count > 4096) bad('template of more than 4096 attributes');
    const out: TemplateAttr[] = [];
    for (let i = 0; i < count; i++) {
      const type = this.u64();
      const hasValue = this.u8() !== 0;
      const len = this.u64big();
      let value: Buffer | undefined;
      if (withValues && hasValue) {
        if (len > BigInt(MAX_FRAME)) bad('attribute value too long');
        const n = Number(len);
        this.need(n, 'attribute value');
        value = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
        this.pos += n;
      }
      out.push({ type, hasValue, len, value });
    }
    return out;
  }
  mech(): Mech {
    const type = this.u64();
    const kind = this.u8();
    const m: Mech = { type, kind };
    switch (kind) {
      case 0: break;
      case 1: m.bytes = this.bytes(); break;
      case 2: m.iv = this.bytes(); m.aad = this.bytes(); m.tagBits = this.u64(); break;
      case 3: this.oaep(m); break;
      case 4: m.hashAlg = this.u64(); m.mgf = this.u64(); m.sLen = this.u64(); break;
      case 5: m.kdf = this.u64(); m.sharedData = this.bytes(); m.publicData = this.bytes(); break;
      case 6: m.counterBits = this.u64(); m.iv = this.bytes(); break;
      case 7: m.aesKeyBits = this.u64(); this.oaep(m); break;
      default: bad(`unknown mechanism parameter kind ${kind}`);
    }
    return m;
  }
  private oaep(m: Mech): void {
    m.hashAlg = this.u64();
    m.mgf = this.u64();
    m.source = this.u64();
    m.sourceData = this.bytes();
  }
  /** Trailing bytes mean the two sides disagree on the body: refuse. */
  end(): void {
    if (this.pos !== this.buf.length) bad(`${this.buf.length - this.pos} unexpected trailing bytes`);
  }
}

export class Writer {
  private readonly parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  u64(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
    this.parts.push(b);
    return this;
  }
  bytes(v: Buffer): this {
    this.u32(v.length);
    this.parts.push(v);
    return this;
  }
  /** Fixed-width blank-padded text (the CK_*_INFO strings), sent as BYTES. */
  padded(s: string, width: number): this {
    const b = Buffer.alloc(width, 0x20);
    Buffer.from(s, 'utf8').copy(b, 0, 0, width);
    return this.bytes(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export interface Request {
  fn: number;
  body: Buffer;
}

/** Splits a byte stream into request frames; returns the frames and keeps the remainder. */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Request[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Request[] = [];
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32LE(0);
      if (n < 4 || n > MAX_FRAME) throw new P11Error('CKR_ARGUMENTS_BAD', `frame length ${n} out of range`);
      if (this.buf.length < 4 + n) break;
      out.push({ fn: this.buf.readUInt32LE(4), body: this.buf.subarray(8, 4 + n) });
      this.buf = this.buf.subarray(4 + n);
    }
    return out;
  }
}

/** response: u32 length-of-rest | u64 CK_RV | body. */
export function encodeResponse(rv: number, body?: Buffer): Buffer {
  const b = body ?? Buffer.alloc(0);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(8 + b.length, 0);
  head.writeBigUInt64LE(BigInt(rv), 4);
  return Buffer.concat([head, b]);
}

/** request: u32 length-of-rest | u32 function | body (used by tests and tools). */
export function encodeRequest(fn: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(4 + body.length, 0);
  head.writeUInt32LE(fn, 4);
  return Buffer.concat([head, body]);
}

/** CK_ULONG attribute values: 8 bytes little-endian (sizeof(CK_ULONG) on LP64); 4 bytes accepted. */
export function ulongValue(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
  return b;
}
export function readUlong(b: Buffer | undefined, what: string): number {
  if (b?.length === 8) {
    const v = b.readBigUInt64LE(0);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.POSITIVE_INFINITY;
  }
  if (b?.length === 4) return b.readUInt32LE(0);
  throw new P11Error('CKR_ATTRIBUTE_VALUE_INVALID', `${what} must be a CK_ULONG`);
}
export function readBool(b: Buffer | undefined, what: string): boolean {
  if (b?.length !== 1) throw new P11Error('CKR_ATTRIBUTE_VALUE_INVALID', `${what} must be a CK_BBOOL (1 byte)`);
  return b[0] !== 0;
}
