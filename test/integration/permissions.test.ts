// The permission rules of reference §3 (role × operation) and §4 (ownership, sharing, usage
// attributes, extractable, trusted keys), checked case by case against a real `strongroom up`
// process. Rules are data: each table below quotes its reference row, and the tests are generated
// from the tables. Every refusal is checked by its CKR_* code; every refusal has a passing control
// case so it cannot be passing for the wrong reason.
// Must never share a connection between users: login state is per connection.

import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrongroomClient } from '../../src/client/client.js';
import { HsmError, type CkrName } from '../../src/protocol/errors.js';
import type { OpName, OpParams } from '../../src/protocol/operations.js';
import { startCluster, type Cluster } from './harness.js';

const PW = { admin: 'admin-password-1', alice: 'alice-password-1', bob: 'bob-password-1', carol: 'carol-password-1' } as const;
const b64 = (b: Buffer): string => b.toString('base64');
const DATA = b64(Buffer.from('permission test data'));

type Outcome = 'ok' | CkrName;

/** Runs a call and reduces it to 'ok' or the CKR_* code it failed with. */
async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof HsmError) return e.code;
    throw e;
  }
}

let cluster: Cluster;
let anon: StrongroomClient;
let admin: StrongroomClient;
let alice: StrongroomClient;
let bob: StrongroomClient;
let carol: StrongroomClient;

async function connectAs(username: string, role: 'admin' | 'crypto-user', password: string): Promise<StrongroomClient> {
  const c = await StrongroomClient.connect(cluster.config);
  await c.login(username, role, password);
  return c;
}

const ref = (r: { key: { 'key-reference': string } }): string => r.key['key-reference'];

/** An AES-256 key owned by the caller. */
async function aes(c: StrongroomClient, attributes: OpParams<'key.generateSymmetric'>['attributes'] = {}): Promise<string> {
  return ref(await c.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes }));
}

/** A P-256 pair owned by the caller; returns both references. */
async function ecPair(c: StrongroomClient, sign: boolean, extra: { extractable?: boolean } = {}): Promise<{ priv: string; pub: string }> {
  const kp = await c.call('key.generateKeyPair', {
    keyType: 'ec', curve: 'secp256r1', privateAttributes: { sign, ...extra }, publicAttributes: { verify: true },
  });
  return { priv: kp.private_key['key-reference'], pub: kp.public_key['key-reference'] };
}

async function visibleTo(c: StrongroomClient, keyRef: string): Promise<boolean> {
  const all = await c.call('key.list', {});
  return all.matched_keys.some((k) => k['key-reference'] === keyRef);
}

beforeAll(async () => {
  cluster = await startCluster();
  anon = await StrongroomClient.connect(cluster.config);
  await anon.call('cluster.activate', { password: PW.admin });
  admin = await connectAs('admin', 'admin', PW.admin);
  for (const u of ['alice', 'bob', 'carol'] as const) await admin.call('user.create', { username: u, role: 'crypto-user', password: PW[u] });
  alice = await connectAs('alice', 'crypto-user', PW.alice);
  bob = await connectAs('bob', 'crypto-user', PW.bob);
  carol = await connectAs('carol', 'crypto-user', PW.carol);
});

afterAll(async () => {
  for (const c of [anon, admin, alice, bob, carol]) c?.close();
  await cluster?.cleanup();
});

// --- §3 permission table: role × operation ------------------------------------------------------

type Actor = 'admin' | 'crypto-user' | 'unauthenticated';
const client = (a: Actor): StrongroomClient => (a === 'admin' ? admin : a === 'crypto-user' ? alice : anon);

interface RoleRow {
  /** The reference §3 row this case checks. */
  row: string;
  op: OpName;
  /** Builds the request; runs before the call, with alice's connection for any keys it needs. */
  params: (actor: Actor) => Promise<Record<string, unknown>>;
  expect: Record<Actor, Outcome>;
}

const NOT_LOGGED_IN = 'CKR_USER_NOT_LOGGED_IN';
const WRONG_ROLE = 'CKR_USER_TYPE_INVALID';
/** "Key management" and "Encrypt/decrypt, sign/verify, digest/HMAC": Admin N, CU Y, Unauthenticated N. */
const CU_ONLY: Record<Actor, Outcome> = { admin: WRONG_ROLE, 'crypto-user': 'ok', unauthenticated: NOT_LOGGED_IN };
let tmpUser = 0;

const ROLE_TABLE: RoleRow[] = [
  { row: 'Basic cluster info: Y Y Y', op: 'cluster.info', params: async () => ({}), expect: { admin: 'ok', 'crypto-user': 'ok', unauthenticated: 'ok' } },
  {
    row: 'HSM metrics (CloudWatch metrics; src/hsm/users/permissions.ts): admins and the appliance, not crypto users', op: 'metrics.get',
    params: async () => ({}), expect: { admin: 'ok', 'crypto-user': WRONG_ROLE, unauthenticated: NOT_LOGGED_IN },
  },
  { row: 'user list (no login)', op: 'user.list', params: async () => ({}), expect: { admin: 'ok', 'crypto-user': 'ok', unauthenticated: 'ok' } },
  {
    row: 'Add users: Admin Y, CU N, Unauthenticated N', op: 'user.create',
    params: async () => ({ username: `tmp_${++tmpUser}`, role: 'crypto-user', password: 'temporary-pw-1' }),
    expect: { admin: 'ok', 'crypto-user': WRONG_ROLE, unauthenticated: NOT_LOGGED_IN },
  },
  {
    row: 'Remove users: Admin Y, CU N, Unauthenticated N', op: 'user.delete',
    params: async () => {
      const username = `tmp_${++tmpUser}`;
      await admin.call('user.create', { username, role: 'crypto-user', password: 'temporary-pw-1' });
      return { username, role: 'crypto-user' };
    },
    expect: { admin: 'ok', 'crypto-user': WRONG_ROLE, unauthenticated: NOT_LOGGED_IN },
  },
  {
    row: "Change any user's password: Admin Y, CU N (checked in the handler), Unauthenticated N", op: 'user.changePassword',
    params: async () => ({ username: 'carol', role: 'crypto-user', password: PW.carol }),
    expect: { admin: 'ok', 'crypto-user': 'CKR_ACTION_PROHIBITED', unauthenticated: NOT_LOGGED_IN },
  },
  {
    row: 'Change own password: Y Y, Unauthenticated n/a', op: 'user.changePassword',
    // The same password again, so later logins are unaffected; the change itself is proved below.
    params: async (a) => (a === 'admin' ? { username: 'admin', role: 'admin', password: PW.admin } : { username: 'alice', role: 'crypto-user', password: PW.alice }),
    expect: { admin: 'ok', 'crypto-user': 'ok', unauthenticated: NOT_LOGGED_IN },
  },
  { row: 'Key management: create (symmetric)', op: 'key.generateSymmetric', params: async () => ({ keyType: 'aes', keyLengthBytes: 32 }), expect: CU_ONLY },
  { row: 'Key management: create (pair)', op: 'key.generateKeyPair', params: async () => ({ keyType: 'ec', curve: 'secp256r1' }), expect: CU_ONLY },
  { row: 'Key management: delete', op: 'key.delete', params: async () => ({ ref: await aes(alice) }), expect: CU_ONLY },
  {
    row: 'Key management: wrap', op: 'key.wrap',
    params: async () => ({ mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: await aes(alice, { wrap: true }), payloadRef: await aes(alice) }),
    expect: CU_ONLY,
  },
  {
    row: 'Key management: unwrap', op: 'key.unwrap',
    params: async () => {
      const kek = await aes(alice, { wrap: true, unwrap: true });
      const w = await alice.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: kek, payloadRef: await aes(alice) });
      return { mechanism: 'CKM_AES_KEY_WRAP_PAD', unwrappingRef: kek, wrapped: w.wrapped_key_data, keyClass: 'secret-key', keyType: 'aes' };
    },
    expect: CU_ONLY,
  },
  {
    row: 'Key management: set attributes (other than trusted)', op: 'key.setAttribute',
    params: async () => ({ ref: await aes(alice), name: 'label', value: 'relabelled' }),
    expect: CU_ONLY,
  },
  {
    row: 'Exception: admins may set the key attribute trusted (and only admins)', op: 'key.setAttribute',
    params: async () => ({ ref: await aes(alice, { wrap: true }), name: 'trusted', value: true }),
    expect: { admin: 'ok', 'crypto-user': 'CKR_ATTRIBUTE_READ_ONLY', unauthenticated: NOT_LOGGED_IN },
  },
  {
    row: 'Key management: list (admins list metadata to find the key to trust; src/hsm/users/permissions.ts)', op: 'key.list',
    params: async () => ({}), expect: { admin: 'ok', 'crypto-user': 'ok', unauthenticated: NOT_LOGGED_IN },
  },
  {
    row: 'Encrypt', op: 'crypto.encrypt',
    params: async () => ({ mechanism: 'CKM_AES_GCM', ref: await aes(alice, { encrypt: true }), data: DATA }), expect: CU_ONLY,
  },
  {
    row: 'Decrypt', op: 'crypto.decrypt',
    params: async () => {
      const k = await aes(alice, { encrypt: true, decrypt: true });
      const e = await alice.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: k, data: DATA });
      return { mechanism: 'CKM_AES_GCM', ref: k, data: e.data, params: { iv: e.iv } };
    },
    expect: CU_ONLY,
  },
  {
    row: 'Sign', op: 'crypto.sign',
    params: async () => ({ mechanism: 'CKM_ECDSA_SHA256', ref: (await ecPair(alice, true)).priv, data: DATA }), expect: CU_ONLY,
  },
  {
    row: 'Verify', op: 'crypto.verify',
    params: async () => {
      const kp = await ecPair(alice, true);
      const s = await alice.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref: kp.priv, data: DATA });
      return { mechanism: 'CKM_ECDSA_SHA256', ref: kp.pub, data: DATA, signature: s.signature };
    },
    expect: CU_ONLY,
  },
  { row: 'Digest', op: 'crypto.digest', params: async () => ({ mechanism: 'CKM_SHA256', data: DATA }), expect: CU_ONLY },
  {
    row: 'HMAC', op: 'crypto.sign',
    params: async () => ({ mechanism: 'CKM_SHA256_HMAC', ref: ref(await alice.call('key.generateSymmetric', { keyType: 'generic-secret', keyLengthBytes: 32 })), data: DATA }),
    expect: CU_ONLY,
  },
];

const ROLE_CASES = ROLE_TABLE.flatMap((r) => (['admin', 'crypto-user', 'unauthenticated'] as const).map((actor) => ({ ...r, actor, want: r.expect[actor] })));

describe('§3 permission table', () => {
  it.each(ROLE_CASES)('$row — $actor: $op → $want', async ({ op, actor, params, want }) => {
    const p = await params(actor);
    expect(await outcome(client(actor).call(op, p as never))).toBe(want);
  });
});

// --- §4 ownership and sharing -------------------------------------------------------------------

interface SharingFixture { priv: string; pub: string; bobKek: string; aliceKek: string }
let fx: SharingFixture;

type Who = 'alice' | 'bob';
const who = (w: Who): StrongroomClient => (w === 'alice' ? alice : bob);

/** What each step does with alice's signing key (fx.priv). */
const ACTIONS: Record<string, (c: StrongroomClient) => Promise<unknown>> = {
  sign: (c) => c.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref: fx.priv, data: DATA }),
  delete: (c) => c.call('key.delete', { ref: fx.priv }),
  'wrap (as payload, under bob’s own wrapping key)': (c) => c.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: fx.bobKek, payloadRef: fx.priv }),
  'wrap (as payload, under alice’s wrapping key)': (c) => c.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: fx.aliceKek, payloadRef: fx.priv }),
  'share with carol': (c) => c.call('key.share', { ref: fx.priv, username: 'carol' }),
  'share with bob': (c) => c.call('key.share', { ref: fx.priv, username: 'bob' }),
  'unshare bob': (c) => c.call('key.unshare', { ref: fx.priv, username: 'bob' }),
  'set-attribute label': (c) => c.call('key.setAttribute', { ref: fx.priv, name: 'label', value: 'taken' }),
};
type Action = keyof typeof ACTIONS;

type SharingStep =
  | { as: Who; act: Action; expect: Outcome }
  | { as: Who; sees: 'private' | 'public'; expect: boolean };

const NOT_PERMITTED = 'CKR_KEY_FUNCTION_NOT_PERMITTED';
/**
 * Reference §4: "The creating CU owns the key and shares it"; "Shared users may only use the key in
 * crypto operations: no delete, export or wrap, share or unshare, or attribute change"; "Filters see
 * owned and shared keys plus all public keys". A key bob cannot see does not exist for him
 * (CKR_KEY_HANDLE_INVALID: no oracle on other users' handles). Run in order.
 */
const SHARING_STEPS: SharingStep[] = [
  { as: 'bob', sees: 'private', expect: false },
  { as: 'bob', sees: 'public', expect: true },
  { as: 'bob', act: 'sign', expect: 'CKR_KEY_HANDLE_INVALID' },
  { as: 'alice', act: 'sign', expect: 'ok' },
  { as: 'bob', act: 'share with bob', expect: 'CKR_KEY_HANDLE_INVALID' },
  { as: 'alice', act: 'share with bob', expect: 'ok' },
  { as: 'bob', sees: 'private', expect: true },
  { as: 'bob', act: 'sign', expect: 'ok' },
  { as: 'bob', act: 'delete', expect: NOT_PERMITTED },
  { as: 'bob', act: 'wrap (as payload, under bob’s own wrapping key)', expect: NOT_PERMITTED },
  { as: 'bob', act: 'share with carol', expect: NOT_PERMITTED },
  { as: 'bob', act: 'unshare bob', expect: NOT_PERMITTED },
  { as: 'bob', act: 'set-attribute label', expect: NOT_PERMITTED },
  { as: 'alice', act: 'wrap (as payload, under alice’s wrapping key)', expect: 'ok' },
  { as: 'alice', act: 'unshare bob', expect: 'ok' },
  { as: 'bob', act: 'sign', expect: 'CKR_KEY_HANDLE_INVALID' },
  { as: 'bob', sees: 'private', expect: false },
];

describe('§4 ownership and sharing (steps run in order)', () => {
  beforeAll(async () => {
    const kp = await ecPair(alice, true, { extractable: true });
    fx = { ...kp, bobKek: await aes(bob, { wrap: true }), aliceKek: await aes(alice, { wrap: true }) };
  });

  it.each(SHARING_STEPS.map((s, i) => ({ ...s, n: i + 1, what: 'act' in s ? s.act : `sees alice's ${s.sees} key` })))(
    'step $n: $as $what → $expect',
    async (s) => {
      if ('act' in s) expect(await outcome(ACTIONS[s.act]!(who(s.as)))).toBe(s.expect);
      else expect(await visibleTo(who(s.as), s.sees === 'private' ? fx.priv : fx.pub)).toBe(s.expect);
    },
  );

  it('after all steps the key still exists, owned by alice alone', async () => {
    const l = await alice.call('key.list', { filter: { 'key-reference': fx.priv }, verbose: true });
    expect(l.matched_keys).toHaveLength(1);
    expect(l.matched_keys[0]!['key-info']!['key-owners']).toEqual([{ username: 'alice', 'key-coverage': 'full' }]);
    expect(l.matched_keys[0]!['key-info']!['shared-users']).toEqual([]);
    expect(l.matched_keys[0]!.attributes['label']).toBe('');
  });
});

// --- §4 key attributes: one refusal per check, each with its passing control -------------------

interface AttrCase {
  check: string;
  /** Returns [refused call, control call that differs only in the attribute under test]. */
  run: () => Promise<[Promise<unknown>, Promise<unknown>]>;
  expect: CkrName;
}

const ATTRIBUTE_TABLE: AttrCase[] = [
  {
    check: 'a key without sign=true cannot sign',
    run: async () => {
      const off = await ecPair(alice, false);
      const on = await ecPair(alice, true);
      return [
        alice.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref: off.priv, data: DATA }),
        alice.call('crypto.sign', { mechanism: 'CKM_ECDSA_SHA256', ref: on.priv, data: DATA }),
      ];
    },
    expect: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
  },
  {
    check: 'a key without encrypt=true cannot encrypt',
    run: async () => [
      alice.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: await aes(alice), data: DATA }),
      alice.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref: await aes(alice, { encrypt: true }), data: DATA }),
    ],
    expect: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
  },
  {
    check: 'a wrapping key without wrap=true cannot wrap',
    run: async () => {
      const payload = await aes(alice);
      return [
        alice.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: await aes(alice), payloadRef: payload }),
        alice.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: await aes(alice, { wrap: true }), payloadRef: payload }),
      ];
    },
    expect: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
  },
  {
    check: 'a non-extractable key cannot be wrapped',
    run: async () => {
      const kek = await aes(alice, { wrap: true });
      return [
        alice.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: kek, payloadRef: await aes(alice, { extractable: false }) }),
        alice.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: kek, payloadRef: await aes(alice, { extractable: true }) }),
      ];
    },
    expect: 'CKR_KEY_UNEXTRACTABLE',
  },
  {
    check: 'a wrap-with-trusted key cannot be wrapped by an untrusted key',
    run: async () => {
      const kek = await aes(alice, { wrap: true });
      return [
        alice.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: kek, payloadRef: await aes(alice, { 'wrap-with-trusted': true }) }),
        alice.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: kek, payloadRef: await aes(alice) }),
      ];
    },
    expect: 'CKR_KEY_NOT_WRAPPABLE',
  },
  {
    check: 'a crypto user cannot create a key with trusted=true',
    run: async () => [
      alice.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { wrap: true, trusted: true } }),
      alice.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { wrap: true } }),
    ],
    expect: 'CKR_ATTRIBUTE_READ_ONLY',
  },
];

describe('§4 key attributes', () => {
  it.each(ATTRIBUTE_TABLE)('$check → $expect (control passes)', async (c) => {
    const [refused, control] = await c.run();
    expect(await outcome(refused)).toBe(c.expect);
    expect(await outcome(control)).toBe('ok');
  });

  it('wrap-with-trusted: only an admin can trust alice’s wrapping key, and then the wrap works', async () => {
    const kek = await aes(alice, { wrap: true });
    const payload = await aes(alice, { 'wrap-with-trusted': true });
    const wrap = (): Promise<Outcome> => outcome(alice.call('key.wrap', { mechanism: 'CKM_AES_KEY_WRAP_PAD', wrappingRef: kek, payloadRef: payload }));
    expect(await wrap()).toBe('CKR_KEY_NOT_WRAPPABLE');
    expect(await outcome(alice.call('key.setAttribute', { ref: kek, name: 'trusted', value: true }))).toBe('CKR_ATTRIBUTE_READ_ONLY');
    expect(await wrap()).toBe('CKR_KEY_NOT_WRAPPABLE');
    expect(await outcome(admin.call('key.setAttribute', { ref: kek, name: 'trusted', value: true }))).toBe('ok');
    expect(await wrap()).toBe('ok');
    // wrap-with-trusted is read-only once true.
    expect(await outcome(alice.call('key.setAttribute', { ref: payload, name: 'wrap-with-trusted', value: false }))).toBe('CKR_ATTRIBUTE_READ_ONLY');
  });
});

// --- secrets never leave ------------------------------------------------------------------------

/** Attribute names that would carry key material (PKCS#11 CKA_VALUE, CKA_PRIVATE_EXPONENT, …). */
const MATERIAL_ATTRS = ['value', 'private-exponent', 'prime-1', 'prime-2', 'exponent-1', 'exponent-2', 'coefficient', 'private-key', 'key', 'material', 'd'];

describe('sensitive values are never returned', () => {
  it('key.list --verbose (as owner and as admin) has no material attribute and does not contain a known secret key', async () => {
    // A secret key whose bytes the test knows: RSA-OAEP-wrapped outside, unwrapped in.
    const known = crypto.randomBytes(32);
    const kp = await alice.call('key.generateKeyPair', { keyType: 'rsa', modulusSizeBits: 2048, privateAttributes: { unwrap: true } });
    const pem = (await alice.call('key.getPublic', { ref: kp.private_key['key-reference'] })).pem;
    expect(pem).toContain('BEGIN PUBLIC KEY');
    const wrapped = crypto.publicEncrypt({ key: pem, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, known);
    const secretRef = ref(await alice.call('key.unwrap', {
      mechanism: 'CKM_RSA_PKCS_OAEP', unwrappingRef: kp.private_key['key-reference'], wrapped: b64(wrapped),
      keyClass: 'secret-key', keyType: 'aes', params: { hash: 'sha256', mgf: 'mgf1-sha256' },
    }));
    await ecPair(alice, true);

    for (const c of [alice, admin]) {
      const l = await c.call('key.list', { verbose: true });
      expect(l.matched_keys.some((k) => k['key-reference'] === secretRef)).toBe(true);
      for (const k of l.matched_keys) {
        for (const name of MATERIAL_ATTRS) expect(k.attributes, `${k['key-reference']} ${name}`).not.toHaveProperty(name);
      }
      const text = JSON.stringify(l).toLowerCase();
      expect(text).not.toContain(known.toString('hex'));
      expect(text).not.toContain(known.toString('base64').toLowerCase());
      expect(text).not.toContain(known.toString('base64url').toLowerCase());
    }
    // A secret key has no public part to return either.
    expect(await outcome(alice.call('key.getPublic', { ref: secretRef }))).toBe('CKR_KEY_TYPE_INCONSISTENT');
  });
});

// --- passwords ----------------------------------------------------------------------------------

describe('passwords', () => {
  it('a crypto user changes their own password: the new one logs in, the old one no longer does', async () => {
    const next = 'carol-password-2';
    expect(await outcome(carol.call('user.changePassword', { username: 'carol', role: 'crypto-user', password: next }))).toBe('ok');
    const fresh = await StrongroomClient.connect(cluster.config);
    try {
      expect(await outcome(fresh.call('login', { username: 'carol', role: 'crypto-user', password: PW.carol }))).toBe('CKR_PIN_INCORRECT');
      expect(await outcome(fresh.call('login', { username: 'carol', role: 'crypto-user', password: next }))).toBe('ok');
    } finally {
      fresh.close();
    }
  });

  it("a crypto user cannot change another user's password (and alice's still works)", async () => {
    expect(await outcome(carol.call('user.changePassword', { username: 'alice', role: 'crypto-user', password: 'stolen-password' }))).toBe('CKR_ACTION_PROHIBITED');
    expect(await outcome(carol.call('user.changePassword', { username: 'admin', role: 'admin', password: 'stolen-password' }))).toBe('CKR_ACTION_PROHIBITED');
    const fresh = await StrongroomClient.connect(cluster.config);
    try {
      expect(await outcome(fresh.call('login', { username: 'alice', role: 'crypto-user', password: PW.alice }))).toBe('ok');
    } finally {
      fresh.close();
    }
  });
});
