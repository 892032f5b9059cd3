// Unit tests of the CLI's pure parts: tokenizer, flag parser, filters, attribute lists,
// mechanism mapping, DigestInfo prefixes, reference PEM. No server, no I/O.

import { describe, expect, it } from 'vitest';
import { constants, createPrivateKey, generateKeyPairSync, publicDecrypt, sign, createHash, createPublicKey } from 'node:crypto';
import { parseFlags, tokenize } from '../../src/cli/args.js';
import { ambiguousMessage, parseFilter } from '../../src/cli/filter.js';
import { parseAttributes, parseSetValue, withLabel } from '../../src/cli/attributes.js';
import { DIGEST_INFO_PREFIX, HASHES, digestInfo, hmacMechanism, oaepParams, signPlan, wrapMechanism, WRAP_MECHANISMS } from '../../src/cli/mechanisms.js';
import { CliError } from '../../src/cli/output.js';
import { COMMANDS, lookup } from '../../src/cli/registry.js';
import { curveName, hexToB64 } from '../../src/cli/inputs.js';
import { MARKER, referencePem } from '../../src/cli/reference-pem.js';
import { checkLength } from '../../src/cli/commands/key/generate-symmetric/common.js';

function cmd(path: string) {
  const l = lookup(path.split(' '));
  if (l.kind !== 'command') throw new Error(`no command ${path}`);
  return l.command;
}

describe('tokenize', () => {
  it('splits on spaces and keeps quoted words together', () => {
    expect(tokenize(`key list --filter attr.label="my key" attr.class='secret-key'`)).toEqual([
      'key', 'list', '--filter', 'attr.label=my key', 'attr.class=secret-key',
    ]);
  });
  it('rejects an unterminated quote', () => {
    expect(() => tokenize('login --password "abc')).toThrow(CliError);
  });
});

describe('parseFilter', () => {
  it('maps key-reference and attr.* terms, ANDed', () => {
    expect(parseFilter(['key-reference=0x00000000001C0686', 'attr.label=k1', 'attr.key-type=aes'])).toEqual({
      'key-reference': '0x00000000001c0686',
      attributes: { label: 'k1', 'key-type': 'aes' },
    });
  });
  it('keeps = inside a value and strips quotes', () => {
    expect(parseFilter(['attr.label="a=b"'])).toEqual({ attributes: { label: 'a=b' } });
  });
  it('gives an empty filter for no terms', () => {
    expect(parseFilter([])).toEqual({});
  });
  it.each([['label=k1'], ['attr.=x'], ['key-reference=12'], ['key-reference=0x12345678901234567'], ['nonsense']])('rejects %s', (t) => {
    expect(() => parseFilter([t])).toThrow(CliError);
  });
  it('rejects a repeated attribute', () => {
    expect(() => parseFilter(['attr.label=a', 'attr.label=b'])).toThrow(/more than once/);
  });
});

describe('ambiguous filter message', () => {
  it('is CloudHSM wording', () => {
    expect(ambiguousMessage(48)).toBe('Key selection criteria matched 48 keys. Refine selection criteria to select a single key.');
  });
});

describe('parseAttributes', () => {
  it('parses booleans and strings', () => {
    expect(parseAttributes(['encrypt=true', 'decrypt=TRUE', 'label=x', 'extractable=false', 'id=0102'])).toEqual({
      encrypt: true, decrypt: true, label: 'x', extractable: false, id: '0x0102',
    });
  });
  it('rejects a non-boolean value for a boolean attribute', () => {
    expect(() => parseAttributes(['encrypt=yes'])).toThrow(/true or false/);
  });
  it('rejects read-only or unknown attributes', () => {
    expect(() => parseAttributes(['key-type=aes'])).toThrow(/cannot be set/);
    expect(() => parseAttributes(['local=true'])).toThrow(/cannot be set/);
  });
  it('rejects a term without =', () => {
    expect(() => parseAttributes(['encrypt'])).toThrow(CliError);
  });
  it('merges --label and refuses a conflicting label', () => {
    expect(withLabel({ sign: true }, 'k')).toEqual({ sign: true, label: 'k' });
    expect(() => withLabel({ label: 'a' }, 'b')).toThrow(CliError);
  });
  it('set-attribute values: true/false are booleans, the rest strings', () => {
    expect(parseSetValue('true')).toBe(true);
    expect(parseSetValue('False')).toBe(false);
    expect(parseSetValue('new-label')).toBe('new-label');
  });
});

describe('parseFlags', () => {
  const gen = cmd('key generate-symmetric aes');
  it('takes multi-value flags up to the next flag', () => {
    const a = parseFlags(gen, ['--label', 'k', '--attributes', 'encrypt=true', 'decrypt=true', '--key-length-bytes', '32', '--session', '--share-crypto-users', 'bob', 'carol']);
    expect(a.str('label')).toBe('k');
    expect(a.int('key-length-bytes')).toBe(32);
    expect(a.list('attributes')).toEqual(['encrypt=true', 'decrypt=true']);
    expect(a.bool('session')).toBe(true);
    expect(a.list('share-crypto-users')).toEqual(['bob', 'carol']);
  });
  it('accepts --flag=value', () => {
    expect(parseFlags(gen, ['--label=k', '--key-length-bytes=16']).int('key-length-bytes')).toBe(16);
  });
  it('reports a missing required flag', () => {
    expect(() => parseFlags(gen, ['--label', 'k'])).toThrow('missing required flag --key-length-bytes');
  });
  it('reports an unknown flag', () => {
    expect(() => parseFlags(gen, ['--label', 'k', '--key-length-bytes', '16', '--colour', 'red'])).toThrow(/unknown flag --colour/);
  });
  it('reports a flag without a value', () => {
    expect(() => parseFlags(gen, ['--key-length-bytes', '16', '--label'])).toThrow(/needs a value/);
  });
  it('reports a non-integer', () => {
    expect(() => parseFlags(gen, ['--label', 'k', '--key-length-bytes', 'big'])).toThrow(/integer/);
  });
  it('checks choices', () => {
    expect(() => parseFlags(cmd('cluster mtls set-enforcement'), ['--level', 'all'])).toThrow(/possible values: cluster, none/);
  });
  it('needs exactly one of --data | --data-path', () => {
    const s = cmd('crypto sign ecdsa');
    expect(() => parseFlags(s, ['--key-filter', 'attr.label=k', '--hash-function', 'sha256'])).toThrow(/exactly one of --data \| --data-path/);
    expect(() => parseFlags(s, ['--key-filter', 'attr.label=k', '--hash-function', 'sha256', '--data', 'AA==', '--data-path', 'f'])).toThrow(/exactly one/);
  });
});

describe('key lengths', () => {
  it('aes takes 16, 24 or 32 bytes', () => {
    for (const n of [16, 24, 32]) expect(() => checkLength('aes', n)).not.toThrow();
    for (const n of [0, 8, 17, 64]) expect(() => checkLength('aes', n)).toThrow(CliError);
  });
  it('generic-secret takes 1 to 800 bytes', () => {
    expect(() => checkLength('generic-secret', 1)).not.toThrow();
    expect(() => checkLength('generic-secret', 800)).not.toThrow();
    expect(() => checkLength('generic-secret', 0)).toThrow(CliError);
    expect(() => checkLength('generic-secret', 801)).toThrow(CliError);
  });
});

describe('mechanism mapping', () => {
  it('maps the wrap words to PKCS#11 names', () => {
    expect(Object.fromEntries(WRAP_MECHANISMS.map((m) => [m.name, m.mechanism]))).toEqual({
      'aes-gcm': 'CKM_AES_GCM',
      'cloudhsm-aes-gcm': 'CKM_CLOUDHSM_AES_GCM',
      'aes-no-pad': 'CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD',
      'aes-pkcs5-pad': 'CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD',
      'aes-zero-pad': 'CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD',
      'rsa-aes': 'CKM_RSA_AES_KEY_WRAP',
      'rsa-oaep': 'CKM_RSA_PKCS_OAEP',
      'rsa-pkcs': 'CKM_RSA_PKCS',
    });
    expect(() => wrapMechanism('des')).toThrow(CliError);
  });
  it('has a wrap and an unwrap command per mechanism', () => {
    for (const m of WRAP_MECHANISMS) {
      expect(lookup(['key', 'wrap', m.name]).kind).toBe('command');
      expect(lookup(['key', 'unwrap', m.name]).kind).toBe('command');
    }
  });
  it('OAEP parameters default the MGF to the hash', () => {
    expect(oaepParams('sha384', undefined)).toEqual({ hash: 'sha384', mgf: 'mgf1-sha384' });
    expect(oaepParams('sha256', 'mgf1-sha1')).toEqual({ hash: 'sha256', mgf: 'mgf1-sha1' });
    expect(() => oaepParams(undefined, undefined)).toThrow(/hash-function/);
  });
  it('raw data: the HSM hashes', () => {
    const d = Buffer.from('abc');
    expect(signPlan('rsa-pkcs', 'sha256', 'raw', d).mechanism).toBe('CKM_SHA256_RSA_PKCS');
    expect(signPlan('rsa-pkcs', 'sha1', 'raw', d).mechanism).toBe('CKM_SHA1_RSA_PKCS');
    expect(signPlan('rsa-pkcs-pss', 'sha384', 'raw', d)).toEqual({
      mechanism: 'CKM_SHA384_RSA_PKCS_PSS', data: d, params: { hash: 'sha384', mgf: 'mgf1-sha384', saltLength: 48 },
    });
    expect(signPlan('ecdsa', 'sha512', 'raw', d).mechanism).toBe('CKM_ECDSA_SHA512');
  });
  it('digest data: CKM_RSA_PKCS over DigestInfo, CKM_RSA_PKCS_PSS, CKM_ECDSA', () => {
    const dg = createHash('sha256').update('abc').digest();
    const p = signPlan('rsa-pkcs', 'sha256', 'digest', dg);
    expect(p.mechanism).toBe('CKM_RSA_PKCS');
    expect(p.data.toString('hex')).toBe(DIGEST_INFO_PREFIX.sha256 + dg.toString('hex'));
    expect(signPlan('rsa-pkcs-pss', 'sha256', 'digest', dg, { mgf: 'mgf1-sha256', saltLength: 0 })).toEqual({
      mechanism: 'CKM_RSA_PKCS_PSS', data: dg, params: { hash: 'sha256', mgf: 'mgf1-sha256', saltLength: 0 },
    });
    expect(signPlan('ecdsa', 'sha256', 'digest', dg)).toEqual({ mechanism: 'CKM_ECDSA', data: dg });
    expect(() => signPlan('ecdsa', 'sha384', 'digest', dg)).toThrow(/48-byte/);
  });
  it('HMAC names', () => {
    expect(hmacMechanism('sha1')).toBe('CKM_SHA_1_HMAC');
    expect(hmacMechanism('sha224')).toBe('CKM_SHA224_HMAC');
    expect(hmacMechanism('sha512')).toBe('CKM_SHA512_HMAC');
  });
});

describe('DigestInfo prefixes', () => {
  // An RSA PKCS#1 v1.5 signature opened with the public key is exactly DigestInfo(hash, digest).
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  it.each(HASHES)('%s matches what OpenSSL signs', (hash) => {
    const msg = Buffer.from('strongroom');
    const sig = sign(hash, msg, privateKey);
    const opened = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, sig);
    expect(digestInfo(hash, createHash(hash).update(msg).digest()).equals(opened)).toBe(true);
  });
  it('rejects a digest of the wrong length', () => {
    expect(() => digestInfo('sha256', Buffer.alloc(20))).toThrow(/32 bytes/);
  });
});

describe('inputs', () => {
  it('prime256v1 is secp256r1', () => {
    expect(curveName('prime256v1')).toBe('secp256r1');
    expect(() => curveName('secp224r1')).toThrow(CliError);
  });
  it('hex IVs become base64', () => {
    expect(hexToB64('0x0102', 'iv')).toBe('AQI=');
    expect(() => hexToB64('xyz', 'iv')).toThrow(CliError);
  });
});

describe('reference PEM', () => {
  it('RSA: parses as a private key with the real modulus and the reference, and no real private part', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const pem = referencePem('0x000000000000001a', pubPem);
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const jwk = createPrivateKey(pem).export({ format: 'jwk' });
    expect(jwk.n).toBe(publicKey.export({ format: 'jwk' }).n);
    expect(Buffer.from(jwk.p!, 'base64url').equals(MARKER)).toBe(true);
    expect(Buffer.from(jwk.q!, 'base64url').toString('hex')).toBe('1a');
    expect(jwk.d).toBe('AQ');
  });
  it('EC: the private scalar holds only the marker and the reference', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const pem = referencePem('0x0000123456789abc', publicKey.export({ type: 'spki', format: 'pem' }).toString());
    expect(pem).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    const priv = createPrivateKey(pem);
    expect(priv.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    const d = Buffer.from(priv.export({ format: 'jwk' }).d!, 'base64url');
    expect(d.length).toBe(48);
    expect(d.subarray(-19).equals(Buffer.concat([MARKER, Buffer.from('0000123456789abc', 'hex')]))).toBe(true);
    expect(createPublicKey(pem).export({ format: 'jwk' }).x).toBe(publicKey.export({ format: 'jwk' }).x);
  });
});

describe('command table', () => {
  it('no command path is a prefix of another (but for trailing subcommands such as login … mfa-token-sign)', () => {
    for (const a of COMMANDS) for (const b of COMMANDS) {
      if (a === b || b.trailing) continue;
      expect(a.path.length <= b.path.length && a.path.every((w, i) => b.path[i] === w)).toBe(false);
    }
  });
  it('every flag name is unique within its command', () => {
    for (const c of COMMANDS) expect(new Set(c.flags.map((f) => f.name)).size).toBe(c.flags.length);
  });
});
