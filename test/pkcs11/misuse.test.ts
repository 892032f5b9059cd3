// Misuse through the C library: test/pkcs11/c/misuse.c, compiled here against
// native/pkcs11/include, calls libstrongroom-pkcs11.so against the real client daemon and cluster
// and prints one line per case; each CKR_* case PKCS#11 v2.40 names for a misuse is asserted here
// by name (buffer too small with the required length, operation not initialised or active,
// session and key handles invalid, templates incomplete or inconsistent, attribute sensitive, key
// function not permitted, not logged in, wrong PIN, mechanism invalid, bad arguments, not / already
// initialised, C_GetOperationState refused).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTool } from '../integration/harness.js';
import { cases, CC, compileC, daemonStats, MODULE, PIN, startP11Cluster, type P11Cluster } from './p11-cluster.js';

const HAVE = CC !== undefined && haveTool(CC);

/** Case name → the CK_RV it must print (the program checks the extra conditions it names). */
const EXPECTED: ReadonlyArray<[string, string]> = [
  ['CRYPTOKI_NOT_INITIALIZED', '0x190'],
  ['CRYPTOKI_ALREADY_INITIALIZED', '0x191'],
  ['CRYPTOKI_NOT_INITIALIZED_after_finalize', '0x190'],
  ['CRYPTOKI_NOT_INITIALIZED_finalize_twice', '0x190'],
  ['ARGUMENTS_BAD_slot_list', '0x7'],
  ['ARGUMENTS_BAD_open_session', '0x7'],
  ['ARGUMENTS_BAD_sign', '0x7'],
  ['ARGUMENTS_BAD_session_info', '0x7'],
  ['USER_NOT_LOGGED_IN', '0x101'],
  ['USER_NOT_LOGGED_IN_logout', '0x101'],
  ['USER_NOT_LOGGED_IN_sign', '0x101'],
  ['USER_ALREADY_LOGGED_IN', '0x100'],
  ['PIN_INCORRECT_wrong_password', '0xa0'],
  ['PIN_INCORRECT_no_user', '0xa0'],
  ['TEMPLATE_INCOMPLETE', '0xd0'],
  ['TEMPLATE_INCONSISTENT', '0xd1'],
  ['ATTRIBUTE_SENSITIVE', '0x11'],
  ['BUFFER_TOO_SMALL_attribute', '0x150'],
  ['KEY_FUNCTION_NOT_PERMITTED', '0x68'],
  ['KEY_FUNCTION_NOT_PERMITTED_sign', '0x68'],
  ['KEY_HANDLE_INVALID', '0x60'],
  ['KEY_HANDLE_INVALID_destroyed', '0x60'],
  ['OBJECT_HANDLE_INVALID', '0x82'],
  ['MECHANISM_INVALID', '0x70'],
  ['MECHANISM_INVALID_generate', '0x70'],
  ['MECHANISM_INVALID_digest', '0x70'],
  ['MECHANISM_PARAM_INVALID', '0x71'],
  ['OPERATION_NOT_INITIALIZED', '0x91'],
  ['OPERATION_NOT_INITIALIZED_final', '0x91'],
  ['OPERATION_NOT_INITIALIZED_find', '0x91'],
  ['OPERATION_NOT_INITIALIZED_after_sign', '0x91'],
  ['OPERATION_ACTIVE', '0x90'],
  ['STATE_UNSAVEABLE', '0x180'],
  ['SAVED_STATE_INVALID', '0x160'],
  ['BUFFER_TOO_SMALL', '0x150'],
  ['BUFFER_TOO_SMALL_encrypt', '0x150'],
  ['SIGNATURE_INVALID', '0xc0'],
  ['SESSION_HANDLE_INVALID', '0xb3'],
  ['SESSION_HANDLE_INVALID_closed', '0xb3'],
  ['SESSION_HANDLE_INVALID_close_twice', '0xb3'],
  ['SESSION_PARALLEL_NOT_SUPPORTED', '0xb4'],
  ['SLOT_ID_INVALID', '0x3'],
  // The calls around them, which must succeed.
  ['LOGIN', '0x0'], ['GENERATE_AES', '0x0'], ['GENERATE_EC', '0x0'], ['ATTRIBUTE_SIZE_QUERY', '0x0'], ['SIZE_QUERY_sign', '0x0'],
  ['SIGN', '0x0'], ['VERIFY', '0x0'], ['ENCRYPT', '0x0'], ['CKA_DECRYPT_true', '0x0'], ['DECRYPT_INIT', '0x0'], ['DECRYPT', '0x0'],
  ['SET_DECRYPT_session', '0x0'], ['SET_DECRYPT_token', '0x0'],
  // C_SetAttributeValue refused half-way (CKA_TRUSTED) after setting CKA_DECRYPT: C_DecryptInit
  // follows what CKA_DECRYPT reads, not the attributes C_*Init cached before the change.
  ['SET_PARTIAL_then_DECRYPT_INIT', '0x0'],
  ['LOGOUT', '0x0'], ['FINALIZE', '0x0'],
];

describe.skipIf(!HAVE)('misuse through libstrongroom-pkcs11.so', () => {
  let p: P11Cluster;
  let results = new Map<string, string>();
  let stdout = '';

  beforeAll(async () => {
    p = await startP11Cluster('p11-misuse');
    const exe = compileC(p.dir, 'misuse.c');
    const r = p.run(exe, [MODULE, PIN], { timeout: 60_000 });
    stdout = r.stdout;
    results = cases(r.stdout);
    expect(r.stderr).toBe('');
  }, 180_000);
  afterAll(async () => {
    await p?.cleanup();
  });

  it('runs every case to the end without a failure', () => {
    expect(stdout, stdout).toMatch(/^DONE 0$/m);
    expect(stdout).not.toMatch(/ FAIL /);
  });

  for (const [name, rv] of EXPECTED) {
    it(`${name} → ${rv}`, () => {
      const line = results.get(name);
      expect(line, `no CASE ${name} line in:\n${stdout}`).toBeDefined();
      expect(line).toMatch(new RegExp(`^ok rv=${rv} `));
    });
  }

  it('leaves no session behind in the daemon after C_Finalize', async () => {
    const pid = p.daemonPid();
    expect(pid).toBeDefined();
    const stats = await daemonStats(p, (st) => st.connections === 0);
    expect(stats).toMatchObject({ connections: 0, sessions: 0, operations: 0, sessionObjects: 0, pending: 0 });
  });
});
