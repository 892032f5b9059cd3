/*
 * smoke.c: loads libstrongroom-pkcs11.so with dlopen and checks what the library does by itself.
 *   smoke LIB           offline: function list, C_Initialize rules, C_GetInfo, calls before
 *                       C_Initialize, NULL-pointer and mechanism-parameter checks, C_Finalize.
 *   smoke LIB framing   against fake-daemon.mjs: every value crosses the socket and comes back
 *                       (size queries, C_GetAttributeValue, mechanism kinds, fork → new connection).
 * Exit status: the number of failed checks. Built by test/pkcs11/native.test.ts, not by the build;
 * must never need a real daemon in offline mode.
 */
#define _XOPEN_SOURCE 700

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strongroom_pkcs11.h"

static int failures;
static CK_FUNCTION_LIST_PTR f;

#define CHECK(cond, ...)                              \
  do {                                                \
    if (cond) {                                       \
      printf("ok   ");                                \
    } else {                                          \
      printf("FAIL ");                                \
      failures++;                                     \
    }                                                 \
    printf(__VA_ARGS__);                              \
    printf("\n");                                     \
  } while (0)

#define RV(call, want) CHECK((rv = (call)) == (want), "%-60s rv=0x%lx want 0x%lx", #call, rv, (CK_ULONG)(want))

static int app_creates, app_destroys, app_locks;
static CK_RV app_create(CK_VOID_PTR_PTR pp) { app_creates++; *pp = &app_creates; return CKR_OK; }
static CK_RV app_destroy(CK_VOID_PTR p) { (void)p; app_destroys++; return CKR_OK; }
static CK_RV app_lock(CK_VOID_PTR p) { (void)p; app_locks++; return CKR_OK; }
static CK_RV app_unlock(CK_VOID_PTR p) { (void)p; return CKR_OK; }

static void offline(void) {
  CK_RV rv;
  CK_INFO info;
  CK_ULONG n = 0;
  CK_SESSION_HANDLE h = 0;
  CK_OBJECT_HANDLE o = 0;
  CK_BYTE buf[16];
  CK_ULONG len = sizeof buf;

  /* Before C_Initialize. */
  RV(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
  RV(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
  RV(f->C_OpenSession(1, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_CRYPTOKI_NOT_INITIALIZED);
  RV(f->C_Encrypt(1, buf, 1, buf, &len), CKR_CRYPTOKI_NOT_INITIALIZED);
  RV(f->C_WaitForSlotEvent(0, NULL, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
  RV(f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);

  /* C_Initialize arguments. */
  CK_C_INITIALIZE_ARGS a;
  memset(&a, 0, sizeof a);
  a.pReserved = &a;
  RV(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
  memset(&a, 0, sizeof a);
  a.CreateMutex = app_create; /* some callbacks but not all four */
  RV(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
  a.DestroyMutex = app_destroy;
  a.LockMutex = app_lock;
  a.UnlockMutex = app_unlock;
  RV(f->C_Initialize(&a), CKR_OK);
  CHECK(app_creates == 1, "application callbacks without CKF_OS_LOCKING_OK: CreateMutex called once (%d)", app_creates);
  RV(f->C_Finalize(NULL), CKR_OK);
  CHECK(app_destroys == 1, "C_Finalize: DestroyMutex called once (%d)", app_destroys);
  a.flags = CKF_OS_LOCKING_OK;
  RV(f->C_Initialize(&a), CKR_OK);
  CHECK(app_creates == 1, "callbacks with CKF_OS_LOCKING_OK: the library uses OS locking (%d)", app_creates);
  RV(f->C_Finalize(NULL), CKR_OK);
  memset(&a, 0, sizeof a);
  a.flags = CKF_LIBRARY_CANT_CREATE_OS_THREADS | CKF_OS_LOCKING_OK;
  RV(f->C_Initialize(&a), CKR_OK);
  RV(f->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  RV(f->C_Initialize(&a), CKR_CRYPTOKI_ALREADY_INITIALIZED);

  /* C_GetInfo, answered locally. */
  RV(f->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_GetInfo(&info), CKR_OK);
  CHECK(info.cryptokiVersion.major == 2 && info.cryptokiVersion.minor == 40, "cryptokiVersion 2.40");
  CHECK(memcmp(info.manufacturerID, "Strongroom                      ", 32) == 0, "manufacturerID blank-padded");
  CHECK(memcmp(info.libraryDescription, "Strongroom PKCS#11              ", 32) == 0, "libraryDescription blank-padded");
  CHECK(info.libraryVersion.major == 0 && info.libraryVersion.minor == 1, "libraryVersion 0.1");

  /* Pointer checks (no daemon needed: they come before marshalling). */
  CK_MECHANISM m = {CKM_AES_CBC, NULL, 0};
  CK_ATTRIBUTE t = {CKA_LABEL, NULL, 0};
  RV(f->C_GetSlotList(CK_TRUE, NULL, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_GetSlotInfo(1, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_GetTokenInfo(1, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_GetMechanismList(1, NULL, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_GetMechanismInfo(1, CKM_AES_GCM, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_OpenSession(1, CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_GetSessionInfo(1, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_Login(1, CKU_USER, NULL, 5), CKR_ARGUMENTS_BAD);
  RV(f->C_CreateObject(1, NULL, 2, &o), CKR_ARGUMENTS_BAD);
  RV(f->C_CreateObject(1, &t, 1, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_GetAttributeValue(1, 1, NULL, 1), CKR_ARGUMENTS_BAD);
  RV(f->C_GetObjectSize(1, 1, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_FindObjectsInit(1, NULL, 3), CKR_ARGUMENTS_BAD);
  RV(f->C_FindObjects(1, &o, 1, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_FindObjects(1, NULL, 4, &n), CKR_ARGUMENTS_BAD);
  RV(f->C_EncryptInit(1, NULL, 1), CKR_ARGUMENTS_BAD);
  RV(f->C_DigestInit(1, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_Encrypt(1, NULL, 4, buf, &len), CKR_ARGUMENTS_BAD);
  RV(f->C_Encrypt(1, buf, 4, buf, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_Sign(1, buf, 4, NULL, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_DigestFinal(1, buf, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_Verify(1, buf, 4, NULL, 8), CKR_ARGUMENTS_BAD);
  RV(f->C_GenerateKey(1, &m, NULL, 0, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_GenerateKeyPair(1, &m, NULL, 0, NULL, 0, &o, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_WrapKey(1, &m, 1, 2, NULL, NULL), CKR_ARGUMENTS_BAD);
  RV(f->C_UnwrapKey(1, &m, 1, NULL, 3, NULL, 0, &o), CKR_ARGUMENTS_BAD);
  RV(f->C_DeriveKey(1, NULL, 1, NULL, 0, &o), CKR_ARGUMENTS_BAD);
  RV(f->C_GenerateRandom(1, NULL, 16), CKR_ARGUMENTS_BAD);
  RV(f->C_SeedRandom(1, NULL, 16), CKR_ARGUMENTS_BAD);
  RV(f->C_Finalize(&a), CKR_ARGUMENTS_BAD);

  /* Mechanism parameters of the wrong size for their kind: refused before the daemon. */
  CK_GCM_PARAMS gcm;
  memset(&gcm, 0, sizeof gcm);
  CK_MECHANISM bad_gcm = {CKM_AES_GCM, &gcm, sizeof gcm - 8};
  RV(f->C_EncryptInit(1, &bad_gcm, 1), CKR_MECHANISM_PARAM_INVALID);
  CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM bad_pss = {CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof pss + 1};
  RV(f->C_SignInit(1, &bad_pss, 1), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM null_param = {CKM_AES_CBC, NULL, 16};
  RV(f->C_EncryptInit(1, &null_param, 1), CKR_MECHANISM_PARAM_INVALID);
  CK_RSA_AES_KEY_WRAP_PARAMS rsa_aes = {256, NULL};
  CK_MECHANISM bad_rsa_aes = {CKM_RSA_AES_KEY_WRAP, &rsa_aes, sizeof rsa_aes};
  RV(f->C_WrapKey(1, &bad_rsa_aes, 1, 2, NULL, &len), CKR_MECHANISM_PARAM_INVALID);
  gcm.pIv = NULL;
  gcm.ulIvLen = 12;
  CK_MECHANISM gcm_null_iv = {CKM_AES_GCM, &gcm, sizeof gcm};
  RV(f->C_DecryptInit(1, &gcm_null_iv, 1), CKR_MECHANISM_PARAM_INVALID);

  /* Answered by the library. */
  RV(f->C_SignRecoverInit(1, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
  RV(f->C_VerifyRecover(1, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
  RV(f->C_DigestEncryptUpdate(1, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
  RV(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_FUNCTION_NOT_SUPPORTED);

  RV(f->C_Finalize(NULL), CKR_OK);
  RV(f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
  RV(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
  RV(f->C_Initialize(NULL), CKR_OK);
  RV(f->C_Finalize(NULL), CKR_OK);
}

static void framing(void) {
  CK_RV rv;
  CK_ULONG n = 0;
  CK_SLOT_ID slots[4];
  RV(f->C_Initialize(NULL), CKR_OK);

  /* Size query, too small, fits. */
  RV(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
  CHECK(n == 1, "slot count %lu", n);
  n = 0;
  RV(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_BUFFER_TOO_SMALL);
  CHECK(n == 1, "BUFFER_TOO_SMALL writes the needed count (%lu)", n);
  n = 4;
  RV(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
  CHECK(n == 1 && slots[0] == 1, "slot list [1] (%lu, %lu)", n, slots[0]);

  CK_SLOT_INFO si;
  RV(f->C_GetSlotInfo(1, &si), CKR_OK);
  CHECK(memcmp(si.slotDescription, "Strongroom fake slot ", 21) == 0 && si.slotDescription[63] == ' ', "slot description padded");
  CHECK(si.flags == CKF_TOKEN_PRESENT && si.hardwareVersion.major == 0 && si.firmwareVersion.minor == 1, "slot flags and versions");
  RV(f->C_GetSlotInfo(9, &si), CKR_SLOT_ID_INVALID);

  CK_TOKEN_INFO ti;
  RV(f->C_GetTokenInfo(1, &ti), CKR_OK);
  CHECK(memcmp(ti.label, "fake-cluster    ", 16) == 0, "token label");
  CHECK(ti.flags == (CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED), "token flags 0x%lx", ti.flags);
  CHECK(ti.ulMaxPinLen == 32 && ti.ulMinPinLen == 7 && ti.ulFreePrivateMemory == CK_UNAVAILABLE_INFORMATION, "token counters");
  CHECK(memcmp(ti.utcTime, "2024010112000000", 16) == 0, "utcTime");

  CK_MECHANISM_TYPE mechs[8];
  n = 0;
  RV(f->C_GetMechanismList(1, NULL, &n), CKR_OK);
  CHECK(n == 3, "mechanism count %lu", n);
  n = 8;
  RV(f->C_GetMechanismList(1, mechs, &n), CKR_OK);
  CHECK(n == 3 && mechs[0] == CKM_AES_GCM && mechs[2] == CKM_CLOUDHSM_AES_GCM, "mechanism list");
  CK_MECHANISM_INFO mi;
  RV(f->C_GetMechanismInfo(1, CKM_AES_GCM, &mi), CKR_OK);
  CHECK(mi.ulMinKeySize == 16 && mi.ulMaxKeySize == 32 && mi.flags == (CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP), "mechanism info");

  CK_SESSION_HANDLE h = 0;
  RV(f->C_OpenSession(1, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h), CKR_OK);
  CHECK(h == 7, "session handle %lu", h);
  RV(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "alice:wrong", 11), CKR_PIN_INCORRECT);
  RV(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "alice:Alice-pass-1", 18), CKR_OK);
  CK_SESSION_INFO sinfo;
  RV(f->C_GetSessionInfo(h, &sinfo), CKR_OK);
  CHECK(sinfo.slotID == 1 && sinfo.state == CKS_RW_USER_FUNCTIONS && sinfo.flags == (CKF_SERIAL_SESSION | CKF_RW_SESSION), "session info");

  /* Templates in. */
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_BBOOL yes = CK_TRUE;
  CK_ATTRIBUTE tpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, "k1", 2}, {CKA_TOKEN, &yes, 1}, {CKA_ID, NULL, 0}};
  CK_OBJECT_HANDLE o = 0;
  RV(f->C_CreateObject(h, tpl, 4, &o), CKR_OK);
  CHECK(o == 99, "created object %lu", o);

  /* C_GetAttributeValue: values, lengths, sensitivity and too-small buffers in one call. */
  char label[64], value[32], small[2];
  CK_OBJECT_CLASS got_cls = 0;
  CK_ATTRIBUTE q[] = {{CKA_LABEL, label, sizeof label}, {CKA_VALUE, value, sizeof value},
                      {CKA_CLASS, &got_cls, sizeof got_cls}, {CKA_LABEL, NULL, 0}, {CKA_LABEL, small, sizeof small}};
  RV(f->C_GetAttributeValue(h, 42, q, 5), CKR_ATTRIBUTE_SENSITIVE);
  CHECK(q[0].ulValueLen == 5 && memcmp(label, "hello", 5) == 0, "label copied (%lu)", q[0].ulValueLen);
  CHECK(q[1].ulValueLen == CK_UNAVAILABLE_INFORMATION, "sensitive value: CK_UNAVAILABLE_INFORMATION");
  CHECK(q[2].ulValueLen == sizeof got_cls && got_cls == CKO_SECRET_KEY, "class copied");
  CHECK(q[3].ulValueLen == 5, "length query (%lu)", q[3].ulValueLen);
  CHECK(q[4].ulValueLen == CK_UNAVAILABLE_INFORMATION, "too-small buffer: CK_UNAVAILABLE_INFORMATION");
  CK_ATTRIBUTE q2[] = {{CKA_LABEL, small, sizeof small}};
  RV(f->C_GetAttributeValue(h, 42, q2, 1), CKR_BUFFER_TOO_SMALL);

  /* Mechanism parameter kinds (the fake daemon logs what it decoded; the test compares). */
  CK_BYTE iv[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  CK_GCM_PARAMS gcm = {iv, sizeof iv, 96, (CK_BYTE_PTR) "abc", 3, 128};
  CK_MECHANISM m_gcm = {CKM_AES_GCM, &gcm, sizeof gcm};
  RV(f->C_EncryptInit(h, &m_gcm, 5), CKR_OK);

  /* Output-buffer convention: size query, too small, then the result. */
  CK_BYTE out[64];
  CK_ULONG len = 0;
  RV(f->C_Encrypt(h, (CK_BYTE_PTR) "hello", 5, NULL, &len), CKR_OK);
  CHECK(len == 21, "size query: %lu", len);
  len = 4;
  RV(f->C_Encrypt(h, (CK_BYTE_PTR) "hello", 5, out, &len), CKR_BUFFER_TOO_SMALL);
  CHECK(len == 21, "too small: needed %lu", len);
  len = sizeof out;
  RV(f->C_Encrypt(h, (CK_BYTE_PTR) "hello", 5, out, &len), CKR_OK);
  CHECK(len == 21 && memcmp(out, "olleh", 5) == 0 && out[5] == 0xAA && out[20] == 0xAA, "result copied (%lu)", len);

  CK_BYTE cb[16] = {0};
  cb[15] = 1;
  CK_AES_CTR_PARAMS ctr = {32, {0}};
  memcpy(ctr.cb, cb, 16);
  CK_MECHANISM m_ctr = {CKM_AES_CTR, &ctr, sizeof ctr};
  RV(f->C_DecryptInit(h, &m_ctr, 5), CKR_OK);
  CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, "L", 1};
  CK_MECHANISM m_oaep = {CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep};
  RV(f->C_EncryptInit(h, &m_oaep, 6), CKR_OK);
  CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA384, CKG_MGF1_SHA384, 48};
  CK_MECHANISM m_pss = {CKM_SHA384_RSA_PKCS_PSS, &pss, sizeof pss};
  RV(f->C_SignInit(h, &m_pss, 6), CKR_OK);
  CK_MECHANISM m_cbc = {CKM_AES_CBC_PAD, iv, 12};
  RV(f->C_DecryptInit(h, &m_cbc, 5), CKR_OK);
  CK_MECHANISM m_sha = {CKM_SHA256, NULL, 0};
  RV(f->C_DigestInit(h, &m_sha), CKR_OK);
  CK_ECDH1_DERIVE_PARAMS ecdh = {CKD_NULL, 0, NULL, 3, (CK_BYTE_PTR) "\x04\x01\x02"};
  CK_MECHANISM m_ecdh = {CKM_ECDH1_DERIVE, &ecdh, sizeof ecdh};
  CK_ATTRIBUTE dtpl[] = {{CKA_CLASS, &cls, sizeof cls}};
  RV(f->C_DeriveKey(h, &m_ecdh, 8, dtpl, 1, &o), CKR_OK);
  CHECK(o == 300, "derived key %lu", o);
  CK_RSA_AES_KEY_WRAP_PARAMS rsa_aes = {256, &oaep};
  CK_MECHANISM m_rsa_aes = {CKM_RSA_AES_KEY_WRAP, &rsa_aes, sizeof rsa_aes};
  len = 0;
  RV(f->C_WrapKey(h, &m_rsa_aes, 6, 5, NULL, &len), CKR_OK);
  CHECK(len == 3, "wrap size query %lu", len);
  len = sizeof out;
  RV(f->C_WrapKey(h, &m_rsa_aes, 6, 5, out, &len), CKR_OK);
  CHECK(len == 3 && memcmp(out, "WRP", 3) == 0, "wrapped");

  CK_OBJECT_HANDLE pub = 0, priv = 0;
  RV(f->C_GenerateKeyPair(h, &m_sha, tpl, 2, tpl, 1, &pub, &priv), CKR_OK);
  CHECK(pub == 200 && priv == 201, "key pair %lu %lu", pub, priv);
  RV(f->C_Verify(h, (CK_BYTE_PTR) "data", 4, (CK_BYTE_PTR) "sig", 3), CKR_OK);
  RV(f->C_Verify(h, (CK_BYTE_PTR) "data", 4, (CK_BYTE_PTR) "bad", 3), CKR_SIGNATURE_INVALID);

  CK_OBJECT_HANDLE found[8];
  RV(f->C_FindObjectsInit(h, tpl, 1), CKR_OK);
  RV(f->C_FindObjects(h, found, 2, &n), CKR_OK);
  CHECK(n == 2 && found[0] == 100 && found[1] == 101, "found %lu", n);
  RV(f->C_FindObjectsFinal(h), CKR_OK);

  CK_BYTE rnd[16];
  RV(f->C_GenerateRandom(h, rnd, sizeof rnd), CKR_OK);
  CHECK(rnd[0] == 0 && rnd[15] == 15, "random bytes copied");

  /* A daemon-side error without a body. */
  RV(f->C_GetOperationState(h, NULL, &len), CKR_STATE_UNSAVEABLE);

  /* fork(): the child opens its own connection (lazily) and the parent's keeps working. */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    CK_ULONG cn = 0;
    CK_RV crv = f->C_GetSlotList(CK_TRUE, NULL, &cn);
    _exit(crv == CKR_OK && cn == 1 ? 0 : 1);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child after fork reconnected");
  RV(f->C_GetSessionInfo(h, &sinfo), CKR_OK);

  RV(f->C_Logout(h), CKR_OK);
  RV(f->C_CloseSession(h), CKR_OK);
  RV(f->C_Finalize(NULL), CKR_OK);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: smoke LIB [framing]\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  CK_C_GetFunctionList get = NULL;
  *(void **)(&get) = dlsym(lib, "C_GetFunctionList");
  if (!get) {
    fprintf(stderr, "dlsym C_GetFunctionList: %s\n", dlerror());
    return 2;
  }
  CK_RV rv;
  RV(get(NULL), CKR_ARGUMENTS_BAD);
  RV(get(&f), CKR_OK);
  CHECK(f != NULL && f->version.major == 2 && f->version.minor == 40, "function list version 2.40");
  CHECK(f->C_Initialize == dlsym(lib, "C_Initialize") && f->C_WaitForSlotEvent == dlsym(lib, "C_WaitForSlotEvent") &&
            f->C_GetFunctionList == get,
        "table entries are the exported symbols");
  CHECK(dlsym(lib, "sr_call") == NULL && dlsym(lib, "sr_put_mech") == NULL, "internal symbols are hidden");

  if (argc > 2 && strcmp(argv[2], "framing") == 0)
    framing();
  else
    offline();
  printf("%d failure(s)\n", failures);
  return failures > 125 ? 125 : failures;
}
