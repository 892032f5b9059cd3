// The function table: decodes each request body by function number (docs/pkcs11-daemon-protocol.md
// "Functions"), calls the PKCS#11 logic, and encodes the reply. Every throw becomes a CK_RV here
// and nowhere else. Functions the library answers itself are CKR_FUNCTION_NOT_SUPPORTED if they
// arrive. Never logs request bodies (they carry PINs and data).

import { Reader, Writer } from './codec.js';
import { CKR, FN, type RvName } from './constants.js';
import * as crypto from './crypto.js';
import { P11Error, rvName } from './errors.js';
import { findFinal, findInit, findNext } from './find.js';
import * as keys from './keys.js';
import type { Connection } from './sessions.js';
import { checkSlot, mechanismInfo, mechanismList, slotInfo, slotList, tokenInfo, type TokenFacts } from './slots.js';

export interface Reply {
  rv: RvName;
  body?: Buffer | undefined;
}

type Handler = (conn: Connection, r: Reader, facts: TokenFacts) => Promise<Reply> | Reply;

const OK: Reply = { rv: 'CKR_OK' };
const u64 = (v: number | bigint): Buffer => new Writer().u64(v).done();

async function cluster(conn: Connection, facts: TokenFacts): Promise<{ clusterId: string; fw: [number, number] }> {
  try {
    return await facts.cluster(() => conn.client());
  } catch (e) {
    throw new P11Error('CKR_DEVICE_ERROR', 'the cluster cannot be reached', { cause: e });
  }
}

const HANDLERS: Partial<Record<number, Handler>> = {
  [FN.C_Initialize]: (_c, r) => {
    r.u64();
    return OK;
  },
  [FN.C_Finalize]: async (conn) => {
    for (const h of [...conn.sessions.keys()]) await conn.close(h);
    return OK;
  },
  [FN.C_GetSlotList]: (_c, r) => {
    r.u64();
    return slotList(r.out());
  },
  [FN.C_GetSlotInfo]: async (conn, r, facts) => {
    checkSlot(r.u64());
    const ci = await cluster(conn, facts);
    return { rv: 'CKR_OK', body: slotInfo(ci.clusterId, ci.fw) };
  },
  [FN.C_GetTokenInfo]: async (conn, r, facts) => {
    checkSlot(r.u64());
    const ci = await cluster(conn, facts);
    const all = [...conn.sessions.values()];
    return { rv: 'CKR_OK', body: tokenInfo(ci.clusterId, ci.fw, all.length, all.filter((s) => s.rw).length) };
  },
  [FN.C_GetMechanismList]: async (conn, r, facts) => {
    checkSlot(r.u64());
    const out = r.out();
    return mechanismList(await facts.mechanisms(() => conn.client()), out);
  },
  [FN.C_GetMechanismInfo]: async (conn, r, facts) => {
    checkSlot(r.u64());
    const type = r.u64();
    return { rv: 'CKR_OK', body: mechanismInfo(await facts.mechanisms(() => conn.client()), type) };
  },
  [FN.C_InitToken]: () => ({ rv: 'CKR_FUNCTION_NOT_SUPPORTED' }),
  [FN.C_InitPIN]: () => ({ rv: 'CKR_FUNCTION_NOT_SUPPORTED' }),
  [FN.C_SetPIN]: async (conn, r) => {
    const s = r.u64();
    const oldPin = r.bytes();
    const newPin = r.bytes();
    r.end();
    await conn.setPin(s, oldPin, newPin);
    return OK;
  },
  [FN.C_OpenSession]: (conn, r) => {
    const slot = r.u64();
    const flags = r.u64();
    return { rv: 'CKR_OK', body: u64(conn.open(slot, flags)) };
  },
  [FN.C_CloseSession]: async (conn, r) => {
    await conn.close(r.u64());
    return OK;
  },
  [FN.C_CloseAllSessions]: async (conn, r) => {
    await conn.closeAll(r.u64());
    return OK;
  },
  [FN.C_GetSessionInfo]: (conn, r) => {
    const i = conn.info(r.u64());
    return { rv: 'CKR_OK', body: new Writer().u64(i.slot).u64(i.state).u64(i.flags).u64(0).done() };
  },
  [FN.C_GetOperationState]: (conn, r) => {
    conn.session(r.u64());
    return { rv: 'CKR_STATE_UNSAVEABLE' };
  },
  [FN.C_SetOperationState]: (conn, r) => {
    conn.session(r.u64());
    return { rv: 'CKR_SAVED_STATE_INVALID' };
  },
  [FN.C_Login]: async (conn, r) => {
    const s = r.u64();
    const type = r.u64();
    const pin = r.bytes();
    r.end();
    try {
      await conn.login(s, type, pin);
    } finally {
      pin.fill(0);
    }
    return OK;
  },
  [FN.C_Logout]: async (conn, r) => {
    await conn.logout(r.u64());
    return OK;
  },
  [FN.C_CreateObject]: async (conn, r) => {
    const s = r.u64();
    const t = r.template(true);
    r.end();
    return { rv: 'CKR_OK', body: u64(await keys.createObject(conn, s, t)) };
  },
  [FN.C_CopyObject]: async (conn, r) => {
    const s = r.u64();
    const o = r.u64();
    const t = r.template(true);
    r.end();
    return { rv: 'CKR_OK', body: u64(await keys.copyObject(conn, s, o, t)) };
  },
  [FN.C_DestroyObject]: async (conn, r) => {
    const s = r.u64();
    await keys.destroyObject(conn, s, r.u64());
    return OK;
  },
  [FN.C_GetObjectSize]: (conn, r) => {
    const s = r.u64();
    return { rv: 'CKR_OK', body: u64(keys.objectSize(conn, s, r.u64())) };
  },
  [FN.C_GetAttributeValue]: async (conn, r) => {
    const s = r.u64();
    const o = r.u64();
    const q = r.template(false);
    r.end();
    conn.session(s);
    return conn.objects.getAttributeValue(o, q);
  },
  [FN.C_SetAttributeValue]: async (conn, r) => {
    const s = conn.session(r.u64());
    const o = r.u64();
    const t = r.template(true);
    r.end();
    conn.requireLogin();
    await conn.objects.setAttributeValue(o, s.rw, t);
    return OK;
  },
  [FN.C_FindObjectsInit]: async (conn, r) => {
    const s = r.u64();
    const t = r.template(true);
    r.end();
    await findInit(conn, s, t);
    return OK;
  },
  [FN.C_FindObjects]: (conn, r) => {
    const s = r.u64();
    const found = findNext(conn, s, r.u64());
    const w = new Writer().u64(found.length);
    for (const h of found) w.u64(h);
    return { rv: 'CKR_OK', body: w.done() };
  },
  [FN.C_FindObjectsFinal]: (conn, r) => {
    findFinal(conn, r.u64());
    return OK;
  },
  [FN.C_EncryptInit]: (conn, r) => initOp(conn, r, 'encrypt'),
  [FN.C_DecryptInit]: (conn, r) => initOp(conn, r, 'decrypt'),
  [FN.C_SignInit]: (conn, r) => initOp(conn, r, 'sign'),
  [FN.C_VerifyInit]: (conn, r) => initOp(conn, r, 'verify'),
  [FN.C_DigestInit]: async (conn, r) => {
    const s = r.u64();
    const m = r.mech();
    r.end();
    await crypto.init(conn, s, 'digest', m);
    return OK;
  },
  [FN.C_Encrypt]: (conn, r) => singleOp(conn, r, 'encrypt'),
  [FN.C_Decrypt]: (conn, r) => singleOp(conn, r, 'decrypt'),
  [FN.C_Sign]: (conn, r) => singleOp(conn, r, 'sign'),
  [FN.C_Digest]: (conn, r) => singleOp(conn, r, 'digest'),
  [FN.C_EncryptUpdate]: (conn, r) => updateOp(conn, r, 'encrypt', true),
  [FN.C_DecryptUpdate]: (conn, r) => updateOp(conn, r, 'decrypt', true),
  [FN.C_SignUpdate]: (conn, r) => updateOp(conn, r, 'sign', false),
  [FN.C_VerifyUpdate]: (conn, r) => updateOp(conn, r, 'verify', false),
  [FN.C_DigestUpdate]: (conn, r) => updateOp(conn, r, 'digest', false),
  [FN.C_EncryptFinal]: (conn, r) => finalOp(conn, r, 'encrypt'),
  [FN.C_DecryptFinal]: (conn, r) => finalOp(conn, r, 'decrypt'),
  [FN.C_SignFinal]: (conn, r) => finalOp(conn, r, 'sign'),
  [FN.C_DigestFinal]: (conn, r) => finalOp(conn, r, 'digest'),
  [FN.C_DigestKey]: (conn, r) => {
    const s = r.u64();
    crypto.digestKey(conn, s, r.u64());
    return OK;
  },
  [FN.C_Verify]: async (conn, r) => {
    const s = r.u64();
    const data = r.bytes();
    const sig = r.bytes();
    r.end();
    await crypto.verify(conn, s, data, sig);
    return OK;
  },
  [FN.C_VerifyFinal]: async (conn, r) => {
    const s = r.u64();
    const sig = r.bytes();
    r.end();
    await crypto.verifyFinal(conn, s, sig);
    return OK;
  },
  [FN.C_GenerateKey]: async (conn, r) => {
    const s = r.u64();
    const m = r.mech();
    const t = r.template(true);
    r.end();
    return { rv: 'CKR_OK', body: u64(await keys.generateKey(conn, s, m, t)) };
  },
  [FN.C_GenerateKeyPair]: async (conn, r) => {
    const s = r.u64();
    const m = r.mech();
    const pub = r.template(true);
    const priv = r.template(true);
    r.end();
    const [hp, hq] = await keys.generateKeyPair(conn, s, m, pub, priv);
    return { rv: 'CKR_OK', body: new Writer().u64(hp).u64(hq).done() };
  },
  [FN.C_WrapKey]: async (conn, r) => {
    const s = r.u64();
    const m = r.mech();
    const wrapping = r.u64();
    const key = r.u64();
    const out = r.out();
    r.end();
    return keys.wrapKey(conn, s, m, wrapping, key, out);
  },
  [FN.C_UnwrapKey]: async (conn, r) => {
    const s = r.u64();
    const m = r.mech();
    const unwrapping = r.u64();
    const wrapped = r.bytes();
    const t = r.template(true);
    r.end();
    return { rv: 'CKR_OK', body: u64(await keys.unwrapKey(conn, s, m, unwrapping, wrapped, t)) };
  },
  [FN.C_DeriveKey]: async (conn, r) => {
    const s = r.u64();
    const m = r.mech();
    const base = r.u64();
    const t = r.template(true);
    r.end();
    return { rv: 'CKR_OK', body: u64(await keys.deriveKey(conn, s, m, base, t)) };
  },
  [FN.C_SeedRandom]: (conn, r) => {
    conn.session(r.u64());
    return OK;
  },
  [FN.C_GenerateRandom]: async (conn, r) => {
    const s = r.u64();
    const n = r.u64();
    r.end();
    return { rv: 'CKR_OK', body: new Writer().bytes(await keys.generateRandom(conn, s, n)).done() };
  },
  [FN.C_GetFunctionStatus]: (conn, r) => {
    conn.session(r.u64());
    return { rv: 'CKR_FUNCTION_NOT_PARALLEL' };
  },
  [FN.C_CancelFunction]: (conn, r) => {
    conn.session(r.u64());
    return { rv: 'CKR_FUNCTION_NOT_PARALLEL' };
  },
};

async function initOp(conn: Connection, r: Reader, kind: 'encrypt' | 'decrypt' | 'sign' | 'verify'): Promise<Reply> {
  const s = r.u64();
  const m = r.mech();
  const key = r.u64();
  r.end();
  // C_EncryptInit answers BYTES iv when the HSM picked an AES-GCM IV for the library to write back.
  const iv = await crypto.init(conn, s, kind, m, key);
  return iv ? { rv: 'CKR_OK', body: new Writer().bytes(iv).done() } : OK;
}

async function singleOp(conn: Connection, r: Reader, kind: 'encrypt' | 'decrypt' | 'sign' | 'digest'): Promise<Reply> {
  const s = r.u64();
  const data = r.bytes();
  const out = r.out();
  r.end();
  try {
    return await crypto.single(conn, s, kind, data, out);
  } finally {
    data.fill(0);
  }
}

async function updateOp(conn: Connection, r: Reader, kind: 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'digest', hasOut: boolean): Promise<Reply> {
  const s = r.u64();
  const data = r.bytes();
  const out = hasOut ? r.out() : undefined;
  r.end();
  return crypto.update(conn, s, kind, data, out);
}

async function finalOp(conn: Connection, r: Reader, kind: 'encrypt' | 'decrypt' | 'sign' | 'digest'): Promise<Reply> {
  const s = r.u64();
  const out = r.out();
  r.end();
  return crypto.final(conn, s, kind, out);
}

/** One request → (CK_RV value, body). Bodies go out only with the CK_RVs the protocol allows. */
export async function handle(conn: Connection, fn: number, body: Buffer, facts: TokenFacts): Promise<{ rv: number; body?: Buffer | undefined }> {
  const h = HANDLERS[fn];
  if (!h) return { rv: CKR.CKR_FUNCTION_NOT_SUPPORTED };
  try {
    const reply = await h(conn, new Reader(body), facts);
    return { rv: CKR[reply.rv], body: reply.body };
  } catch (e) {
    return { rv: CKR[rvName(e)] };
  }
}
