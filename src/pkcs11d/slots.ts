// Slots, the token and mechanisms (PKCS#11 §5.5): one slot (id 1) for the configured cluster,
// C_GetSlotInfo/C_GetTokenInfo, and C_GetMechanismList/Info from the HSM's 'mechanism.list'
// joined with the PKCS#11 numbers and key-size ranges below (the HSM's list carries names only).
// Must never report a flag the HSM does not honour.

import { createHash } from 'node:crypto';
import type { StrongroomClient } from '../client/client.js';
import { Writer, type Out } from './codec.js';
import { CKF, CKM } from './constants.js';
import { fail } from './errors.js';

export const SLOT_ID = 1;

export function checkSlot(slot: number): void {
  if (slot !== SLOT_ID) fail('CKR_SLOT_ID_INVALID', `slot ${slot} does not exist (the cluster is slot ${SLOT_ID})`);
}

type KeyFamily = 'aes' | 'secret' | 'rsa' | 'ec' | 'none';
/** Key-size units per PKCS#11: bytes for AES and HMAC keys, bits for RSA, EC and generic-secret generation. */
const SIZES: Readonly<Record<KeyFamily, [number, number]>> = {
  aes: [16, 32], secret: [1, 800], rsa: [2048, 4096], ec: [256, 521], none: [0, 0],
};

export interface MechFact {
  value: number;
  family: KeyFamily;
}

/** PKCS#11 values of the HSM's mechanisms (vendor values as in src/hsm/mechanisms/registry.ts). */
export const MECHANISMS: Readonly<Record<string, MechFact>> = {
  CKM_RSA_PKCS: { value: 0x1, family: 'rsa' },
  CKM_RSA_PKCS_OAEP: { value: 0x9, family: 'rsa' },
  CKM_RSA_PKCS_PSS: { value: 0xd, family: 'rsa' },
  CKM_SHA1_RSA_PKCS: { value: 0x6, family: 'rsa' },
  CKM_SHA1_RSA_PKCS_PSS: { value: 0xe, family: 'rsa' },
  CKM_SHA256_RSA_PKCS: { value: 0x40, family: 'rsa' },
  CKM_SHA384_RSA_PKCS: { value: 0x41, family: 'rsa' },
  CKM_SHA512_RSA_PKCS: { value: 0x42, family: 'rsa' },
  CKM_SHA256_RSA_PKCS_PSS: { value: 0x43, family: 'rsa' },
  CKM_SHA384_RSA_PKCS_PSS: { value: 0x44, family: 'rsa' },
  CKM_SHA512_RSA_PKCS_PSS: { value: 0x45, family: 'rsa' },
  CKM_SHA224_RSA_PKCS: { value: 0x46, family: 'rsa' },
  CKM_SHA224_RSA_PKCS_PSS: { value: 0x47, family: 'rsa' },
  CKM_RSA_AES_KEY_WRAP: { value: 0x1054, family: 'rsa' },
  CKM_SHA_1: { value: 0x220, family: 'none' },
  CKM_SHA_1_HMAC: { value: 0x221, family: 'secret' },
  CKM_SHA256: { value: 0x250, family: 'none' },
  CKM_SHA256_HMAC: { value: 0x251, family: 'secret' },
  CKM_SHA224: { value: 0x255, family: 'none' },
  CKM_SHA224_HMAC: { value: 0x256, family: 'secret' },
  CKM_SHA384: { value: 0x260, family: 'none' },
  CKM_SHA384_HMAC: { value: 0x261, family: 'secret' },
  CKM_SHA512: { value: 0x270, family: 'none' },
  CKM_SHA512_HMAC: { value: 0x271, family: 'secret' },
  CKM_ECDSA: { value: 0x1041, family: 'ec' },
  CKM_ECDSA_SHA1: { value: 0x1042, family: 'ec' },
  CKM_ECDSA_SHA224: { value: 0x1043, family: 'ec' },
  CKM_ECDSA_SHA256: { value: 0x1044, family: 'ec' },
  CKM_ECDSA_SHA384: { value: 0x1045, family: 'ec' },
  CKM_ECDSA_SHA512: { value: 0x1046, family: 'ec' },
  CKM_ECDH1_DERIVE: { value: 0x1050, family: 'ec' },
  CKM_AES_ECB: { value: 0x1081, family: 'aes' },
  CKM_AES_CBC: { value: 0x1082, family: 'aes' },
  CKM_AES_CBC_PAD: { value: 0x1085, family: 'aes' },
  CKM_AES_CTR: { value: 0x1086, family: 'aes' },
  CKM_AES_GCM: { value: 0x1087, family: 'aes' },
  CKM_AES_CMAC: { value: 0x108a, family: 'aes' },
  CKM_AES_KEY_WRAP: { value: 0x2109, family: 'aes' },
  CKM_AES_KEY_WRAP_PAD: { value: 0x210a, family: 'aes' },
  CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD: { value: 0x80002109, family: 'aes' },
  CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD: { value: 0x8000210a, family: 'aes' },
  CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD: { value: 0x8000216f, family: 'aes' },
  CKM_CLOUDHSM_AES_GCM: { value: 0x80001087, family: 'aes' },
};
const NAME_OF = new Map<number, string>(Object.entries(MECHANISMS).map(([n, f]) => [f.value, n]));

/** The CKM_* name the HSM knows for a mechanism number; CKR_MECHANISM_INVALID when none. */
export function mechName(type: number): string {
  const n = NAME_OF.get(type);
  if (n === undefined) fail('CKR_MECHANISM_INVALID', `mechanism 0x${type.toString(16)} is not supported`);
  return n;
}
export function mechFamily(name: string): KeyFamily {
  return MECHANISMS[name]?.family ?? 'none';
}

/** Key generation runs through key.generate*, not the mechanism table: listed here. */
const GENERATION: ReadonlyArray<{ value: number; min: number; max: number; flags: number }> = [
  { value: CKM.AES_KEY_GEN, min: 16, max: 32, flags: CKF.HW | CKF.GENERATE },
  { value: CKM.GENERIC_SECRET_KEY_GEN, min: 8, max: 6400, flags: CKF.HW | CKF.GENERATE },
  { value: CKM.RSA_PKCS_KEY_PAIR_GEN, min: 2048, max: 4096, flags: CKF.HW | CKF.GENERATE_KEY_PAIR },
  { value: CKM.EC_KEY_PAIR_GEN, min: 256, max: 521, flags: CKF.HW | CKF.GENERATE_KEY_PAIR | CKF.EC_F_P | CKF.EC_NAMED_CURVE | CKF.EC_UNCOMPRESS },
];

const OP_FLAGS: Readonly<Record<string, number>> = {
  encrypt: CKF.ENCRYPT, decrypt: CKF.DECRYPT, sign: CKF.SIGN, verify: CKF.VERIFY, digest: CKF.DIGEST,
  wrap: CKF.WRAP, unwrap: CKF.UNWRAP, derive: CKF.DERIVE,
};

export interface MechInfo { value: number; min: number; max: number; flags: number }

/** Cluster facts shared by every connection of this daemon (fetched once). */
export class TokenFacts {
  private mechs: Promise<MechInfo[]> | undefined;
  private info: Promise<{ clusterId: string; fw: [number, number] }> | undefined;

  mechanisms(client: () => Promise<StrongroomClient>): Promise<MechInfo[]> {
    this.mechs ??= (async () => {
      const res = await (await client()).call('mechanism.list', {});
      const out: MechInfo[] = [];
      for (const m of res.mechanisms) {
        const f = MECHANISMS[m.name];
        if (!f) continue; // a mechanism this daemon has no number for is not offered
        let flags = CKF.HW;
        for (const op of m.operations) flags |= OP_FLAGS[op] ?? 0;
        if (f.family === 'ec') flags |= CKF.EC_F_P | CKF.EC_NAMED_CURVE | CKF.EC_UNCOMPRESS;
        const [min, max] = SIZES[f.family];
        out.push({ value: f.value, min, max, flags });
      }
      for (const g of GENERATION) out.push({ ...g });
      return out.sort((a, b) => a.value - b.value);
    })().catch((e: unknown) => {
      this.mechs = undefined;
      throw e;
    });
    return this.mechs;
  }

  cluster(client: () => Promise<StrongroomClient>): Promise<{ clusterId: string; fw: [number, number] }> {
    this.info ??= (async () => {
      const c = await client();
      const ci = await c.call('cluster.info', {});
      const fwText = ci.hsms[0]?.['firmware-version'] ?? '0.1';
      const [maj, min] = fwText.split('.').map((x) => Number.parseInt(x, 10));
      return { clusterId: c.config.clusterId ?? ci['cluster-id'], fw: [Number.isFinite(maj) ? maj! : 0, Number.isFinite(min) ? min! : 0] as [number, number] };
    })().catch((e: unknown) => {
      this.info = undefined;
      throw e;
    });
    return this.info;
  }
}

export function slotList(out: Out): { rv: 'CKR_OK' | 'CKR_BUFFER_TOO_SMALL'; body: Buffer } {
  const w = new Writer().u64(1);
  if (!out.present) return { rv: 'CKR_OK', body: w.done() };
  if (out.capacity < 1n) return { rv: 'CKR_BUFFER_TOO_SMALL', body: w.done() };
  return { rv: 'CKR_OK', body: w.u64(SLOT_ID).done() };
}

export function slotInfo(clusterId: string, fw: [number, number]): Buffer {
  return new Writer()
    .padded(`Strongroom cluster ${clusterId}`, 64)
    .padded('Strongroom', 32)
    .u64(CKF.TOKEN_PRESENT)
    .u64(0).u64(1).u64(fw[0]).u64(fw[1])
    .done();
}

export function tokenInfo(clusterId: string, fw: [number, number], sessions: number, rwSessions: number): Buffer {
  const serial = createHash('sha256').update(clusterId).digest('hex').slice(0, 16);
  const now = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14) + '00';
  const unavailable = 0xffffffffffffffffn;
  return new Writer()
    .padded(clusterId, 32)
    .padded('Strongroom', 32)
    .padded('Strongroom HSM', 16)
    .padded(serial, 16)
    .u64(CKF.RNG | CKF.LOGIN_REQUIRED | CKF.USER_PIN_INITIALIZED | CKF.TOKEN_INITIALIZED)
    .u64(0).u64(sessions).u64(0).u64(rwSessions) // max counts: CK_EFFECTIVELY_INFINITE
    .u64(31 + 1 + 32).u64(1 + 1 + 8) // PIN "user:password": name ≤ 31, password 8–32
    .u64(unavailable).u64(unavailable).u64(unavailable).u64(unavailable)
    .u64(0).u64(1).u64(fw[0]).u64(fw[1])
    .padded(now, 16)
    .done();
}

export function mechanismList(mechs: MechInfo[], out: Out): { rv: 'CKR_OK' | 'CKR_BUFFER_TOO_SMALL'; body: Buffer } {
  const w = new Writer().u64(mechs.length);
  if (!out.present) return { rv: 'CKR_OK', body: w.done() };
  if (out.capacity < BigInt(mechs.length)) return { rv: 'CKR_BUFFER_TOO_SMALL', body: w.done() };
  for (const m of mechs) w.u64(m.value);
  return { rv: 'CKR_OK', body: w.done() };
}

export function mechanismInfo(mechs: MechInfo[], type: number): Buffer {
  const m = mechs.find((x) => x.value === type);
  if (!m) fail('CKR_MECHANISM_INVALID', `mechanism 0x${type.toString(16)} is not supported`);
  return new Writer().u64(m.min).u64(m.max).u64(m.flags).done();
}
