#!/usr/bin/env node
// A stand-in for `strongroom client-daemon`, for testing libstrongroom-pkcs11.so's framing only
// (docs/pkcs11-daemon-protocol.md). It decodes every request, logs what it decoded as one JSON line
// per request to $FAKE_DAEMON_LOG, and answers from fixed data that smoke.c expects.
//   node fake-daemon.mjs --socket PATH                                  (started by a test)
//   node fake-daemon.mjs client-daemon --config ABS --socket PATH       (started by the library)
// Exits when its last client disconnects, or after 15 s idle. Must never hold PKCS#11 logic
// worth reusing: the real daemon is src/pkcs11d/.

import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

// Function numbers: positions in CK_FUNCTION_LIST (PKCS#11 v2.40 §5), C_Initialize = 1.
const NAMES = ('Initialize Finalize GetInfo GetFunctionList GetSlotList GetSlotInfo GetTokenInfo GetMechanismList ' +
  'GetMechanismInfo InitToken InitPIN SetPIN OpenSession CloseSession CloseAllSessions GetSessionInfo ' +
  'GetOperationState SetOperationState Login Logout CreateObject CopyObject DestroyObject GetObjectSize ' +
  'GetAttributeValue SetAttributeValue FindObjectsInit FindObjects FindObjectsFinal EncryptInit Encrypt ' +
  'EncryptUpdate EncryptFinal DecryptInit Decrypt DecryptUpdate DecryptFinal DigestInit Digest DigestUpdate ' +
  'DigestKey DigestFinal SignInit Sign SignUpdate SignFinal SignRecoverInit SignRecover VerifyInit Verify ' +
  'VerifyUpdate VerifyFinal VerifyRecoverInit VerifyRecover DigestEncryptUpdate DecryptDigestUpdate ' +
  'SignEncryptUpdate DecryptVerifyUpdate GenerateKey GenerateKeyPair WrapKey UnwrapKey DeriveKey SeedRandom ' +
  'GenerateRandom GetFunctionStatus CancelFunction WaitForSlotEvent').split(' ').map((n) => `C_${n}`);

const CKR = { OK: 0n, SLOT_ID_INVALID: 3n, ATTRIBUTE_SENSITIVE: 0x11n, ATTRIBUTE_TYPE_INVALID: 0x12n,
  FUNCTION_NOT_SUPPORTED: 0x54n, PIN_INCORRECT: 0xa0n, SIGNATURE_INVALID: 0xc0n, BUFFER_TOO_SMALL: 0x150n,
  STATE_UNSAVEABLE: 0x180n };
const UNAVAILABLE = 0xffffffffffffffffn;

const argv = process.argv.slice(2);
const arg = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const socketPath = arg('--socket');
const configPath = arg('--config');
if (!socketPath) { process.stderr.write('fake-daemon: --socket is required\n'); process.exit(2); }
const logFile = process.env.FAKE_DAEMON_LOG;
const log = (entry) => { if (logFile) appendFileSync(logFile, `${JSON.stringify(entry, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`); };

/** FNV-1a 64 of a string's UTF-8 bytes, 16 hex digits: the library's socket name. */
function fnv1a64(s) {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s, 'utf8')) { h ^= BigInt(b); h = (h * 0x100000001b3n) & 0xffffffffffffffffn; }
  return h.toString(16).padStart(16, '0');
}
if (argv[0] === 'client-daemon') {
  const expected = path.join(`/tmp/strongroom-pkcs11-${process.getuid?.() ?? 0}`, `${fnv1a64(configPath ?? '')}.sock`);
  log({ started: 'client-daemon', config: configPath, socket: socketPath, socketMatchesHash: socketPath === expected });
}
mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
rmSync(socketPath, { force: true });

class Reader {
  constructor(buf) { this.b = buf; this.o = 0; }
  u8() { const v = this.b.readUInt8(this.o); this.o += 1; return v; }
  u32() { const v = this.b.readUInt32LE(this.o); this.o += 4; return v; }
  u64() { const v = this.b.readBigUInt64LE(this.o); this.o += 8; return v; }
  raw(n) { const v = this.b.subarray(this.o, this.o + n); if (v.length !== n) throw new Error('short'); this.o += n; return v; }
  bytes() { return this.raw(this.u32()); }
  out() { return { present: this.u8() === 1, capacity: this.u64() }; }
  template(withValues) {
    const n = this.u32(); const attrs = [];
    for (let i = 0; i < n; i++) {
      const type = this.u64(); const hasValue = this.u8() === 1; const len = this.u64();
      const a = { type, hasValue, len };
      if (withValues && hasValue) a.value = this.raw(Number(len)).toString('hex');
      attrs.push(a);
    }
    return attrs;
  }
  oaep() { return { hashAlg: this.u64(), mgf: this.u64(), source: this.u64(), sourceData: this.bytes().toString('hex') }; }
  mech() {
    const m = { mechanism: this.u64(), kind: this.u8() };
    switch (m.kind) {
      case 0: break;
      case 1: m.bytes = this.bytes().toString('hex'); break;
      case 2: m.iv = this.bytes().toString('hex'); m.aad = this.bytes().toString('hex'); m.tagBits = this.u64(); break;
      case 3: Object.assign(m, this.oaep()); break;
      case 4: m.hashAlg = this.u64(); m.mgf = this.u64(); m.sLen = this.u64(); break;
      case 5: m.kdf = this.u64(); m.sharedData = this.bytes().toString('hex'); m.publicData = this.bytes().toString('hex'); break;
      case 6: m.counterBits = this.u64(); m.cb = this.bytes().toString('hex'); break;
      case 7: m.aesKeyBits = this.u64(); Object.assign(m, this.oaep()); break;
      default: throw new Error(`unknown mechanism parameter kind ${m.kind}`);
    }
    return m;
  }
  end() { if (this.o !== this.b.length) throw new Error(`${this.b.length - this.o} trailing bytes`); }
}

class Writer {
  constructor() { this.parts = []; }
  u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.parts.push(b); return this; }
  u64(v) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.parts.push(b); return this; }
  bytes(buf) { this.u32(buf.length); this.parts.push(Buffer.from(buf)); return this; }
  padded(s, n) { return this.bytes(Buffer.from(s.padEnd(n, ' '), 'latin1')); }
  frame(rv) { const body = Buffer.concat(this.parts); const head = Buffer.alloc(12); head.writeUInt32LE(8 + body.length); head.writeBigUInt64LE(rv, 4); return Buffer.concat([head, body]); }
}

/** The output-buffer convention for a result of `data`. */
function outReply(out, data) {
  const w = new Writer();
  if (!out.present) return w.u64(data.length).frame(CKR.OK);
  if (out.capacity < BigInt(data.length)) return w.u64(data.length).frame(CKR.BUFFER_TOO_SMALL);
  return w.u64(data.length).bytes(data).frame(CKR.OK);
}

function listReply(out, items) {
  const w = new Writer().u64(items.length);
  if (!out.present) return w.frame(CKR.OK);
  if (out.capacity < BigInt(items.length)) return w.frame(CKR.BUFFER_TOO_SMALL);
  for (const i of items) w.u64(i);
  return w.frame(CKR.OK);
}

const OBJECT_42 = new Map([[3n, Buffer.from('hello')], [0n, Buffer.from([4, 0, 0, 0, 0, 0, 0, 0])]]); // LABEL, CLASS; VALUE sensitive

function handle(fn, r, entry) {
  const ok = () => new Writer().frame(CKR.OK);
  switch (NAMES[fn - 1]) {
    case 'C_Initialize': entry.flags = r.u64(); entry.instance = r.bytes().toString('hex'); r.end(); return ok();
    case 'C_Finalize': r.end(); return ok();
    case 'C_GetSlotList': entry.tokenPresent = r.u64(); entry.out = r.out(); r.end(); return listReply(entry.out, [1n]);
    case 'C_GetSlotInfo': {
      entry.slot = r.u64(); r.end();
      if (entry.slot !== 1n) return new Writer().frame(CKR.SLOT_ID_INVALID);
      return new Writer().padded('Strongroom fake slot', 64).padded('Strongroom', 32).u64(1).u64(0).u64(1).u64(0).u64(1).frame(CKR.OK);
    }
    case 'C_GetTokenInfo': {
      entry.slot = r.u64(); r.end();
      const w = new Writer().padded('fake-cluster', 32).padded('Strongroom', 32).padded('fake', 16).padded('0123456789abcdef', 16)
        .u64(0x1n | 0x4n | 0x8n | 0x400n);
      for (const v of [UNAVAILABLE, 0, UNAVAILABLE, 0, 32, 7, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE]) w.u64(v);
      return w.u64(0).u64(1).u64(0).u64(1).bytes(Buffer.from('2024010112000000')).frame(CKR.OK);
    }
    case 'C_GetMechanismList': entry.slot = r.u64(); entry.out = r.out(); r.end(); return listReply(entry.out, [0x1087n, 0x250n, 0x80001087n]);
    case 'C_GetMechanismInfo': entry.slot = r.u64(); entry.type = r.u64(); r.end(); return new Writer().u64(16).u64(32).u64(0x100 | 0x200 | 0x20000 | 0x40000).frame(CKR.OK);
    case 'C_OpenSession': entry.slot = r.u64(); entry.flags = r.u64(); r.end(); return new Writer().u64(7).frame(CKR.OK);
    case 'C_GetSessionInfo': entry.session = r.u64(); r.end(); return new Writer().u64(1).u64(3).u64(6).u64(0).frame(CKR.OK);
    case 'C_Login': {
      entry.session = r.u64(); entry.userType = r.u64(); const pin = r.bytes().toString(); r.end();
      return new Writer().frame(pin === 'alice:Alice-pass-1' ? CKR.OK : CKR.PIN_INCORRECT);
    }
    case 'C_Logout': case 'C_CloseSession': case 'C_FindObjectsFinal': entry.session = r.u64(); r.end(); return ok();
    case 'C_CreateObject': entry.session = r.u64(); entry.template = r.template(true); r.end(); return new Writer().u64(99).frame(CKR.OK);
    case 'C_GetAttributeValue': {
      entry.session = r.u64(); entry.object = r.u64(); entry.template = r.template(false); r.end();
      const w = new Writer().u32(entry.template.length);
      let sensitive = false, invalid = false, small = false;
      for (const a of entry.template) {
        if (a.type === 0x11n) { sensitive = true; w.u64(UNAVAILABLE); continue; }
        const v = OBJECT_42.get(a.type);
        if (!v) { invalid = true; w.u64(UNAVAILABLE); continue; }
        if (!a.hasValue) { w.u64(v.length); continue; }
        if (a.len < BigInt(v.length)) { small = true; w.u64(UNAVAILABLE); continue; }
        w.u64(v.length).bytes(v);
      }
      return w.frame(sensitive ? CKR.ATTRIBUTE_SENSITIVE : invalid ? CKR.ATTRIBUTE_TYPE_INVALID : small ? CKR.BUFFER_TOO_SMALL : CKR.OK);
    }
    case 'C_FindObjectsInit': entry.session = r.u64(); entry.template = r.template(true); r.end(); return ok();
    case 'C_FindObjects': {
      entry.session = r.u64(); entry.max = r.u64(); r.end();
      const found = [100n, 101n, 102n].slice(0, Number(entry.max));
      const w = new Writer().u64(found.length); for (const h of found) w.u64(h); return w.frame(CKR.OK);
    }
    case 'C_EncryptInit': case 'C_DecryptInit': case 'C_SignInit': case 'C_VerifyInit':
      entry.session = r.u64(); entry.mech = r.mech(); entry.key = r.u64(); r.end(); return ok();
    case 'C_DigestInit': entry.session = r.u64(); entry.mech = r.mech(); r.end(); return ok();
    case 'C_Encrypt': {
      entry.session = r.u64(); const data = r.bytes(); entry.out = r.out(); r.end();
      return outReply(entry.out, Buffer.concat([Buffer.from(data).reverse(), Buffer.alloc(16, 0xaa)]));
    }
    case 'C_Verify': entry.session = r.u64(); r.bytes(); { const sig = r.bytes().toString(); r.end(); return new Writer().frame(sig === 'sig' ? CKR.OK : CKR.SIGNATURE_INVALID); }
    case 'C_GenerateKeyPair': entry.session = r.u64(); entry.mech = r.mech(); entry.pub = r.template(true); entry.priv = r.template(true); r.end(); return new Writer().u64(200).u64(201).frame(CKR.OK);
    case 'C_WrapKey': entry.session = r.u64(); entry.mech = r.mech(); entry.wrappingKey = r.u64(); entry.key = r.u64(); entry.out = r.out(); r.end(); return outReply(entry.out, Buffer.from('WRP'));
    case 'C_DeriveKey': entry.session = r.u64(); entry.mech = r.mech(); entry.baseKey = r.u64(); entry.template = r.template(true); r.end(); return new Writer().u64(300).frame(CKR.OK);
    case 'C_GenerateRandom': {
      entry.session = r.u64(); entry.length = r.u64(); r.end();
      return new Writer().bytes(Buffer.from(Array.from({ length: Number(entry.length) }, (_v, i) => i & 0xff))).frame(CKR.OK);
    }
    case 'C_GetOperationState': entry.session = r.u64(); entry.out = r.out(); r.end(); return new Writer().frame(CKR.STATE_UNSAVEABLE);
    case 'C_SeedRandom': {
      // A seed of "hang" is never answered (the library's reply timeout is tested with it).
      entry.session = r.u64(); const seed = r.bytes().toString(); r.end();
      if (seed === 'hang') { hung = true; return undefined; }
      return ok();
    }
    default: return new Writer().frame(CKR.FUNCTION_NOT_SUPPORTED);
  }
}

let connections = 0, nextConn = 1;
let hung = false; // once a request was left unanswered, the last client leaving does not end us
let idle = setTimeout(() => process.exit(0), 15_000);
const server = net.createServer((sock) => {
  const conn = nextConn++;
  connections++;
  clearTimeout(idle);
  let pending = Buffer.alloc(0);
  sock.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const len = pending.readUInt32LE(0);
      if (pending.length < 4 + len) break;
      const frame = pending.subarray(4, 4 + len);
      pending = pending.subarray(4 + len);
      const fn = frame.readUInt32LE(0);
      const entry = { conn, fn, name: NAMES[fn - 1] ?? `unknown-${fn}` };
      let reply;
      try { reply = handle(fn, new Reader(frame.subarray(4)), entry); } catch (e) { entry.error = String(e); reply = new Writer().frame(0x80000bbbn); }
      log(entry);
      if (reply !== undefined) sock.write(reply);
    }
  });
  sock.on('close', () => {
    log({ conn, closed: true });
    if (connections === 1 && hung) idle = setTimeout(() => process.exit(0), 15_000);
    if (--connections === 0 && !hung) { server.close(); rmSync(socketPath, { force: true }); process.exit(0); }
  });
  sock.on('error', () => {});
});
server.listen(socketPath, () => { if (argv[0] !== 'client-daemon') process.stdout.write('listening\n'); });
