// A small client for the library ↔ daemon protocol, written from docs/pkcs11-daemon-protocol.md
// (not from src/pkcs11d/codec.ts), so the tests check the daemon against the document the C
// library is written from. Also starts the daemon as a real process.

import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { STRONGROOM } from '../integration/harness.js';

export const FN = {
  C_Initialize: 1, C_Finalize: 2, C_GetSlotList: 5, C_GetSlotInfo: 6, C_GetTokenInfo: 7, C_GetMechanismList: 8,
  C_GetMechanismInfo: 9, C_OpenSession: 13, C_CloseSession: 14, C_GetSessionInfo: 16, C_Login: 19, C_Logout: 20,
  C_CreateObject: 21, C_DestroyObject: 23, C_GetAttributeValue: 25, C_SetAttributeValue: 26, C_FindObjectsInit: 27,
  C_FindObjects: 28, C_FindObjectsFinal: 29, C_EncryptInit: 30, C_Encrypt: 31, C_EncryptUpdate: 32,
  C_EncryptFinal: 33, C_DecryptInit: 34, C_Decrypt: 35, C_DecryptUpdate: 36, C_DecryptFinal: 37, C_DigestInit: 38,
  C_Digest: 39, C_DigestUpdate: 40, C_SignInit: 43, C_Sign: 44, C_SignUpdate: 45, C_SignFinal: 46, C_VerifyInit: 49, C_Verify: 50,
  C_VerifyUpdate: 51, C_VerifyFinal: 52, C_GenerateKey: 59, C_GenerateKeyPair: 60, C_WrapKey: 61,
  C_UnwrapKey: 62, C_GenerateRandom: 65,
} as const;

export const RV = {
  OK: 0x0, SLOT_ID_INVALID: 0x3, ARGUMENTS_BAD: 0x7, ATTRIBUTE_READ_ONLY: 0x10, ATTRIBUTE_SENSITIVE: 0x11,
  ATTRIBUTE_TYPE_INVALID: 0x12, ATTRIBUTE_VALUE_INVALID: 0x13, DATA_LEN_RANGE: 0x21, KEY_HANDLE_INVALID: 0x60,
  KEY_TYPE_INCONSISTENT: 0x63, KEY_FUNCTION_NOT_PERMITTED: 0x68, MECHANISM_INVALID: 0x70, OBJECT_HANDLE_INVALID: 0x82,
  OPERATION_ACTIVE: 0x90, OPERATION_NOT_INITIALIZED: 0x91, PIN_INCORRECT: 0xa0, SESSION_HANDLE_INVALID: 0xb3,
  SESSION_PARALLEL_NOT_SUPPORTED: 0xb4, SESSION_READ_ONLY: 0xb5, SIGNATURE_INVALID: 0xc0, TEMPLATE_INCOMPLETE: 0xd0,
  TEMPLATE_INCONSISTENT: 0xd1, USER_ALREADY_LOGGED_IN: 0x100, USER_NOT_LOGGED_IN: 0x101, USER_TYPE_INVALID: 0x103,
  BUFFER_TOO_SMALL: 0x150,
} as const;

export const UNAVAILABLE = 0xffffffffffffffffn;
export const CKF_RW_SESSION = 0x2;
export const CKF_SERIAL_SESSION = 0x4;

// --- encoding ---------------------------------------------------------------------------------

export const u8 = (v: number): Buffer => Buffer.from([v]);
export const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
export const u64 = (v: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
export const bytes = (b: Buffer | string): Buffer => {
  const v = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([u32(v.length), v]);
};
/** OUT: present (0 = NULL), capacity. */
export const out = (capacity?: number): Buffer => (capacity === undefined ? Buffer.concat([u8(0), u64(0)]) : Buffer.concat([u8(1), u64(capacity)]));
export const bool = (v: boolean): Buffer => Buffer.from([v ? 1 : 0]);
export const ulong = (v: number): Buffer => u64(v);

/** TEMPLATE_IN: [type, value]. */
export function templateIn(attrs: Array<[number, Buffer]>): Buffer {
  return Buffer.concat([u32(attrs.length), ...attrs.map(([t, v]) => Buffer.concat([u64(t), u8(1), u64(v.length), v]))]);
}
/** TEMPLATE_QUERY: [type, capacity or undefined for a NULL pValue]. */
export function templateQuery(attrs: Array<[number, number | undefined]>): Buffer {
  return Buffer.concat([u32(attrs.length), ...attrs.map(([t, cap]) => Buffer.concat([u64(t), u8(cap === undefined ? 0 : 1), u64(cap ?? 0)]))]);
}
export const mechNone = (type: number): Buffer => Buffer.concat([u64(type), u8(0)]);
export const mechGcm = (type: number, iv: Buffer, aad: Buffer, tagBits: number): Buffer =>
  Buffer.concat([u64(type), u8(2), bytes(iv), bytes(aad), u64(tagBits)]);

// --- decoding ---------------------------------------------------------------------------------

export class Body {
  private pos = 0;
  constructor(readonly buf: Buffer) {}
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  n(): number {
    return Number(this.u64());
  }
  bytes(): Buffer {
    const n = this.u32();
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  get rest(): number {
    return this.buf.length - this.pos;
  }
}

export interface Answer {
  rv: number;
  body: Body;
}

export class P11 {
  private buf = Buffer.alloc(0);
  private waiting: Array<(a: Answer) => void> = [];
  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32LE(0)) {
        const n = this.buf.readUInt32LE(0);
        const rv = Number(this.buf.readBigUInt64LE(4));
        const body = new Body(Buffer.from(this.buf.subarray(12, 4 + n)));
        this.buf = this.buf.subarray(4 + n);
        this.waiting.shift()?.({ rv, body });
      }
    });
  }

  static connect(path: string): Promise<P11> {
    return new Promise((res, rej) => {
      const s = createConnection(path);
      s.once('connect', () => res(new P11(s)));
      s.once('error', rej);
    });
  }

  call(fn: number, ...parts: Buffer[]): Promise<Answer> {
    const body = Buffer.concat(parts);
    return new Promise((res) => {
      this.waiting.push(res);
      this.sock.write(Buffer.concat([u32(4 + body.length), u32(fn), body]));
    });
  }

  /** A call that must succeed. */
  async ok(fn: number, ...parts: Buffer[]): Promise<Body> {
    const a = await this.call(fn, ...parts);
    if (a.rv !== 0) throw new Error(`function ${fn} returned CK_RV 0x${a.rv.toString(16)}`);
    return a.body;
  }

  async rv(fn: number, ...parts: Buffer[]): Promise<number> {
    return (await this.call(fn, ...parts)).rv;
  }

  async openSession(flags = CKF_SERIAL_SESSION | CKF_RW_SESSION): Promise<bigint> {
    return (await this.ok(FN.C_OpenSession, u64(1), u64(flags))).u64();
  }

  async login(session: bigint, pin: string): Promise<number> {
    return this.rv(FN.C_Login, u64(session), u64(1), bytes(pin));
  }

  async find(session: bigint, template: Array<[number, Buffer]>): Promise<bigint[]> {
    await this.ok(FN.C_FindObjectsInit, u64(session), templateIn(template));
    const b = await this.ok(FN.C_FindObjects, u64(session), u64(100));
    const n = b.n();
    const hs: bigint[] = [];
    for (let i = 0; i < n; i++) hs.push(b.u64());
    await this.ok(FN.C_FindObjectsFinal, u64(session));
    return hs;
  }

  close(): Promise<void> {
    return new Promise((res) => {
      this.sock.once('close', () => res());
      this.sock.end();
    });
  }
}

export interface DaemonProcess {
  proc: ChildProcess;
  socket: string;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts `strongroom client-daemon` and waits until its socket answers. */
export async function startDaemon(config: string, socket: string, env: Record<string, string> = {}): Promise<DaemonProcess> {
  const proc = spawn(process.execPath, [STRONGROOM, 'client-daemon', '--config', config, '--socket', socket], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`client-daemon exited with ${proc.exitCode}: ${err}`);
    try {
      const p = await P11.connect(socket);
      await p.close();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`client-daemon did not listen in time: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    proc,
    socket,
    stderr: () => err,
    stop: () =>
      new Promise<void>((res) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return res();
        proc.once('exit', () => res());
        proc.kill('SIGTERM');
      }),
  };
}
