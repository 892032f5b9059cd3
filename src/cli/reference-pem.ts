// The "reference PEM" that `key generate-file --encoding reference-pem` writes for a private key:
// a PEM that OpenSSL parses as a private key but that holds no private key material, only the
// public half and a marker plus the HSM key reference, so an engine can route the key to the HSM.
//
// Format, version 1 (Strongroom's own; CloudHSM's exact layout is not published):
//   RSA -> "RSA PRIVATE KEY" (PKCS #1 RSAPrivateKey): version 0, the real modulus n and public
//          exponent e; privateExponent = 1; prime1 = the marker integer 0x5354524f4e47524f4f4d01
//          ("STRONGROOM" then format version 1); prime2 = the 64-bit key reference; exponent1 =
//          exponent2 = coefficient = 1.
//   EC  -> "EC PRIVATE KEY" (SEC 1 ECPrivateKey): version 1; privateKey = an octet string of the
//          curve's field length holding zeros, then "STRONGROOM", 0x01 and the 8-byte key
//          reference (big-endian) at its end; [0] the named-curve OID; [1] the real public point.
// Never put key material here: the inputs are a key reference and a public key.

import { createPublicKey } from 'node:crypto';
import { CliError } from './output.js';

export const MARKER = Buffer.concat([Buffer.from('STRONGROOM', 'ascii'), Buffer.from([1])]);

function derLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLen(body.length), body]);
}
function derUInt(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = bytes.subarray(i);
  if (b.length === 0) b = Buffer.from([0]);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}
const ONE = derUInt(Buffer.from([1]));

function refBytes(ref: string): Buffer {
  const hex = ref.replace(/^0x/i, '').padStart(16, '0');
  if (!/^[0-9a-f]{16}$/i.test(hex)) throw new CliError(`bad key reference ${ref}`);
  return Buffer.from(hex, 'hex');
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

const CURVES: Record<string, { oid: string; fieldLen: number }> = {
  'P-256': { oid: '06082a8648ce3d030107', fieldLen: 32 },
  'P-384': { oid: '06052b81040022', fieldLen: 48 },
  'P-521': { oid: '06052b81040023', fieldLen: 66 },
  secp256k1: { oid: '06052b8104000a', fieldLen: 32 },
};

/** Builds the reference PEM from the key reference and the public key (SPKI PEM). */
export function referencePem(ref: string, publicPem: string): string {
  let jwk;
  try {
    jwk = createPublicKey(publicPem).export({ format: 'jwk' });
  } catch (e) {
    throw new CliError(`cannot read the public key of ${ref}: ${(e as Error).message}`);
  }
  const r = refBytes(ref);
  if (jwk.kty === 'RSA' && jwk.n && jwk.e) {
    const body = Buffer.concat([
      derUInt(Buffer.from([0])),
      derUInt(Buffer.from(jwk.n, 'base64url')),
      derUInt(Buffer.from(jwk.e, 'base64url')),
      ONE,
      derUInt(MARKER),
      derUInt(r),
      ONE,
      ONE,
      ONE,
    ]);
    return pem('RSA PRIVATE KEY', tlv(0x30, body));
  }
  if (jwk.kty === 'EC' && jwk.crv && jwk.x && jwk.y) {
    const c = CURVES[jwk.crv];
    if (!c) throw new CliError(`unsupported curve ${jwk.crv}`);
    const priv = Buffer.alloc(c.fieldLen);
    Buffer.concat([MARKER, r]).copy(priv, c.fieldLen - MARKER.length - r.length);
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
    const body = Buffer.concat([
      derUInt(Buffer.from([1])),
      tlv(0x04, priv),
      tlv(0xa0, Buffer.from(c.oid, 'hex')),
      tlv(0xa1, tlv(0x03, Buffer.concat([Buffer.from([0]), point]))),
    ]);
    return pem('EC PRIVATE KEY', tlv(0x30, body));
  }
  throw new CliError(`reference-pem supports RSA and EC keys only`);
}

/** Builds an SPKI PEM from verbose key-list attributes (RSA modulus/public-exponent), when getPublic is not available. */
export function publicPemFromAttributes(attrs: Record<string, string | number | boolean>): string | undefined {
  const n = attrs['modulus'];
  const e = attrs['public-exponent'];
  if (typeof n === 'string' && (typeof e === 'string' || typeof e === 'number')) {
    const hex = (v: string) => v.replace(/^0x/i, '');
    const eHex = typeof e === 'number' ? e.toString(16) : hex(e);
    const key = createPublicKey({
      key: { kty: 'RSA', n: Buffer.from(hex(n).padStart(hex(n).length + (hex(n).length % 2), '0'), 'hex').toString('base64url'), e: Buffer.from(eHex.padStart(eHex.length + (eHex.length % 2), '0'), 'hex').toString('base64url') },
      format: 'jwk',
    });
    return key.export({ type: 'spki', format: 'pem' }).toString();
  }
  return undefined;
}
