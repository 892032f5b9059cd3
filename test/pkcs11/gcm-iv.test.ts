// Who picks the AES-GCM IV, through the C library (docs/pkcs11-daemon-protocol.md, "AES-GCM IVs"):
// test/pkcs11/c/gcm_iv.c, compiled here, imports a known AES-256 key into a real cluster and
// prints one line per case; this file asserts each case and opens the ciphertexts it prints with
// node:crypto. CKM_AES_GCM uses a caller IV as given (PKCS#11 v2.40); a zeroed 12-byte pIv makes
// the HSM pick the IV, which C_EncryptInit writes into pIv (CloudHSM's behaviour), fresh each time,
// also for multi-part encryption; no IV at all is CKR_MECHANISM_PARAM_INVALID. The vendor
// CKM_CLOUDHSM_AES_GCM prepends the HSM's IV to the output and refuses a caller IV.

import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTool } from '../integration/harness.js';
import { cases, CC, compileC, MODULE, PIN, startP11Cluster, type P11Cluster } from './p11-cluster.js';

const HAVE = CC !== undefined && haveTool(CC);
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const AAD = Buffer.from('gcm-iv aad');
const MSG = Buffer.from('forty bytes of plaintext for AES-GCM!!!');

const EXPECTED: ReadonlyArray<[string, string]> = [
  ['IMPORT_KEY', '0x0'],
  ['CALLER_IV', '0x0'],
  ['HSM_IV_written_at_init', '0x0'],
  ['HSM_IV_encrypt', '0x0'],
  ['HSM_IV_decrypt', '0x0'],
  ['HSM_IV_fresh', '0x0'],
  ['HSM_IV_multipart', '0x0'],
  ['ZERO_IV_16_as_given', '0x0'],
  ['NO_IV_encrypt', '0x71'],
  ['NO_IV_decrypt', '0x71'],
  ['VENDOR_encrypt', '0x0'],
  ['VENDOR_decrypt', '0x0'],
  ['VENDOR_caller_iv_refused', '0x71'],
];

function open(iv: Buffer, ctTag: Buffer): Buffer {
  const d = crypto.createDecipheriv('aes-256-gcm', KEY, iv);
  d.setAAD(AAD);
  d.setAuthTag(ctTag.subarray(ctTag.length - 16));
  return Buffer.concat([d.update(ctTag.subarray(0, ctTag.length - 16)), d.final()]);
}

describe.skipIf(!HAVE)('AES-GCM IVs through the C library', () => {
  let p: P11Cluster;
  let results = new Map<string, string>();
  const data = new Map<string, { iv: Buffer; out: Buffer }>();
  let stdout = '';

  beforeAll(async () => {
    p = await startP11Cluster('gcm-iv');
    const exe = compileC(p.dir, 'gcm_iv.c');
    const r = p.run(exe, [MODULE, PIN]);
    stdout = `${r.stdout}\n${r.stderr}`;
    results = cases(r.stdout);
    for (const line of r.stdout.split('\n')) {
      const g = /^DATA (\S+) (\S+) (\S+)$/.exec(line);
      if (g) data.set(g[1]!, { iv: Buffer.from(g[2] === '-' ? '' : g[2]!, 'hex'), out: Buffer.from(g[3]!, 'hex') });
    }
  }, 120_000);
  afterAll(async () => {
    await p?.cleanup();
  });

  it.each(EXPECTED)('%s returns %s', (name, rv) => {
    const line = results.get(name);
    expect(line, `${name} missing:\n${stdout}`).toBeDefined();
    expect(line, line).toMatch(new RegExp(`^ok rv=${rv} `));
  });

  it('node:crypto opens what the HSM sealed, with the IV the library reported or wrote back', () => {
    const caller = data.get('caller')!;
    expect(caller.iv).toEqual(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    expect(open(caller.iv, caller.out)).toEqual(MSG);
    const hsm = data.get('hsm')!;
    expect(hsm.iv.length).toBe(12);
    expect(hsm.iv.equals(Buffer.alloc(12))).toBe(false);
    expect(open(hsm.iv, hsm.out)).toEqual(MSG);
    const zero16 = data.get('zero16')!;
    expect(zero16.iv).toEqual(Buffer.alloc(16));
    expect(open(zero16.iv, zero16.out)).toEqual(MSG);
    const vendor = data.get('vendor')!;
    expect(vendor.out.length).toBe(12 + MSG.length + 16);
    expect(open(vendor.out.subarray(0, 12), vendor.out.subarray(12))).toEqual(MSG);
  });

  it('the program reports no failure', () => {
    expect(stdout).toMatch(/^DONE 0$/m);
  });
});
