/*
 * softhsm-interop.c: RFC 5649 (CKM_AES_KEY_WRAP_PAD) interoperability between two PKCS#11
 * modules loaded side by side in one process: Strongroom's and Debian's SoftHSMv2. Compiled and
 * run by test/pkcs11/softhsm.test.ts:
 *   softhsm-interop <module A> <PIN A> <module B> <PIN B>
 * The same known KEK is imported into both tokens (C_CreateObject, session objects). Keys are
 * generated in one token, wrapped there, unwrapped in the other, and then both tokens must give
 * the same AES-ECB/AES-CBC-PAD ciphertexts (or HMAC-SHA256 for a 36-byte generic secret, whose wrap
 * needs RFC 5649 padding), and re-wrapping in the receiving token must give the same bytes.
 * Prints one JSON line per check. Touches nothing but session objects; never prints key values.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strongroom_pkcs11.h"

typedef struct {
  const char *name;
  CK_FUNCTION_LIST_PTR f;
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE kek;
} token;

static int failures;
static char detail[4096];

static void report(const char *check, int ok) {
  if (!ok) failures++;
  printf("{\"check\":\"%s\",\"ok\":%s,\"detail\":\"%s\"}\n", check, ok ? "true" : "false", detail);
  fflush(stdout);
  detail[0] = 0;
}

/* A failed call: noted in `detail` and the check fails. */
#define TRY(tok, call)                                                                          \
  do {                                                                                          \
    CK_RV rv_ = (tok)->f->call;                                                                 \
    if (rv_ != CKR_OK) {                                                                        \
      snprintf(detail, sizeof detail, "%s: %s -> 0x%lx", (tok)->name, #call, (unsigned long)rv_); \
      return 0;                                                                                 \
    }                                                                                           \
  } while (0)

static void hex(const CK_BYTE *p, CK_ULONG n, char *out) {
  for (CK_ULONG i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
  out[2 * n] = 0;
}

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS secret = CKO_SECRET_KEY;

static int open_token(token *t, const char *path, const char *pin) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(detail, sizeof detail, "%s: dlopen: %s", t->name, dlerror());
    return 0;
  }
  CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
  *(void **)&gfl = dlsym(h, "C_GetFunctionList");
  if (!gfl || gfl(&t->f) != CKR_OK) {
    snprintf(detail, sizeof detail, "%s: no C_GetFunctionList", t->name);
    return 0;
  }
  CK_C_INITIALIZE_ARGS ia;
  memset(&ia, 0, sizeof ia);
  ia.flags = CKF_OS_LOCKING_OK;
  TRY(t, C_Initialize(&ia));
  CK_SLOT_ID slots[16];
  CK_ULONG n = 16;
  TRY(t, C_GetSlotList(CK_TRUE, slots, &n));
  for (CK_ULONG i = 0; i < n; i++) {
    CK_TOKEN_INFO ti;
    if (t->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED)) continue;
    TRY(t, C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &t->s));
    TRY(t, C_Login(t->s, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin)));
    snprintf(detail, sizeof detail, "slot %lu", (unsigned long)slots[i]);
    return 1;
  }
  snprintf(detail, sizeof detail, "%s: no initialised token among %lu slots", t->name, (unsigned long)n);
  return 0;
}

/* The shared KEK, the same 32 bytes in both tokens. */
static int import_kek(token *t, const CK_BYTE *kek) {
  CK_KEY_TYPE aes = CKK_AES;
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &aes, sizeof aes}, {CKA_TOKEN, &no, 1},
      {CKA_VALUE, (void *)kek, 32},          {CKA_WRAP, &yes, 1},              {CKA_UNWRAP, &yes, 1},
  };
  TRY(t, C_CreateObject(t->s, tmpl, sizeof tmpl / sizeof tmpl[0], &t->kek));
  return 1;
}

/* A secret key with a known value (extractable session object). */
static int import_value(token *t, CK_KEY_TYPE kt, const CK_BYTE *v, CK_ULONG len, CK_BBOOL wraps, CK_OBJECT_HANDLE *k) {
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &kt, sizeof kt}, {CKA_TOKEN, &no, 1},
      {CKA_VALUE, (void *)v, len},         {CKA_EXTRACTABLE, &yes, 1},    {CKA_WRAP, &wraps, 1},
  };
  TRY(t, C_CreateObject(t->s, tmpl, sizeof tmpl / sizeof tmpl[0], k));
  return 1;
}

/* RFC 5649 §6, second example: a 20-byte key under a 192-bit KEK. Both tokens must give the RFC's bytes. */
static int rfc5649_vector(token *t) {
  static const CK_BYTE kek[24] = {0x58, 0x40, 0xdf, 0x6e, 0x29, 0xb0, 0x2a, 0xf1, 0xab, 0x49, 0x3b, 0x70,
                                  0x5b, 0xf1, 0x6e, 0xa1, 0xae, 0x83, 0x38, 0xf4, 0xdc, 0xc1, 0x76, 0xa8};
  static const CK_BYTE key[20] = {0xc3, 0x7b, 0x7e, 0x64, 0x92, 0x58, 0x43, 0x40, 0xbe, 0xd1,
                                  0x22, 0x07, 0x80, 0x89, 0x41, 0x15, 0x50, 0x68, 0xf7, 0x38};
  static const char *want = "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a";
  CK_OBJECT_HANDLE hk, hp;
  CK_BYTE w[64];
  CK_ULONG wn = sizeof w;
  CK_MECHANISM m = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
  if (!import_value(t, CKK_AES, kek, sizeof kek, CK_TRUE, &hk) || !import_value(t, CKK_GENERIC_SECRET, key, sizeof key, CK_FALSE, &hp)) return 0;
  TRY(t, C_WrapKey(t->s, &m, hk, hp, w, &wn));
  char got[2 * sizeof w + 1];
  hex(w, wn, got);
  snprintf(detail, sizeof detail, "%s", got);
  return strcmp(got, want) == 0;
}

static int generate(token *t, CK_KEY_TYPE kt, CK_ULONG len, CK_OBJECT_HANDLE *k) {
  CK_MECHANISM m = {kt == CKK_AES ? CKM_AES_KEY_GEN : CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &kt, sizeof kt},   {CKA_VALUE_LEN, &len, sizeof len},
      {CKA_TOKEN, &no, 1},                 {CKA_EXTRACTABLE, &yes, 1},       {CKA_SENSITIVE, &yes, 1},
      {kt == CKK_AES ? CKA_ENCRYPT : CKA_SIGN, &yes, 1},
  };
  TRY(t, C_GenerateKey(t->s, &m, tmpl, sizeof tmpl / sizeof tmpl[0], k));
  return 1;
}

static int wrap(token *t, CK_OBJECT_HANDLE k, CK_BYTE *out, CK_ULONG *len) {
  CK_MECHANISM m = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
  TRY(t, C_WrapKey(t->s, &m, t->kek, k, out, len));
  return 1;
}

static int unwrap(token *t, CK_KEY_TYPE kt, const CK_BYTE *w, CK_ULONG wlen, CK_OBJECT_HANDLE *k) {
  CK_MECHANISM m = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &kt, sizeof kt}, {CKA_TOKEN, &no, 1},
      {CKA_EXTRACTABLE, &yes, 1},          {kt == CKK_AES ? CKA_ENCRYPT : CKA_SIGN, &yes, 1},
  };
  TRY(t, C_UnwrapKey(t->s, &m, t->kek, (CK_BYTE_PTR)w, wlen, tmpl, sizeof tmpl / sizeof tmpl[0], k));
  return 1;
}

static const CK_BYTE DATA[48] = "Strongroom <-> SoftHSMv2, RFC 5649 interop data";
static CK_BYTE IV[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* AES-ECB then AES-CBC-PAD (fixed IV) of DATA, or HMAC-SHA256 of DATA for a generic secret. */
static int use(token *t, CK_KEY_TYPE kt, CK_OBJECT_HANDLE k, CK_BYTE *out, CK_ULONG *len) {
  if (kt == CKK_GENERIC_SECRET) {
    CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
    TRY(t, C_SignInit(t->s, &m, k));
    TRY(t, C_Sign(t->s, (CK_BYTE_PTR)DATA, sizeof DATA, out, len));
    return 1;
  }
  CK_ULONG cap = *len, a = cap;
  CK_MECHANISM ecb = {CKM_AES_ECB, NULL, 0};
  TRY(t, C_EncryptInit(t->s, &ecb, k));
  TRY(t, C_Encrypt(t->s, (CK_BYTE_PTR)DATA, sizeof DATA, out, &a));
  CK_ULONG b = cap - a;
  CK_MECHANISM cbc = {CKM_AES_CBC_PAD, IV, sizeof IV};
  TRY(t, C_EncryptInit(t->s, &cbc, k));
  TRY(t, C_Encrypt(t->s, (CK_BYTE_PTR)DATA, sizeof DATA, out + a, &b));
  *len = a + b;
  return 1;
}

/*
 * Generated in `from`, wrapped there, unwrapped in `to`. ok when both tokens give the same
 * outputs, the receiver's CKA_VALUE_LEN (when it reports one) is the sender's, and re-wrapping in
 * the receiver gives the same bytes. The detail says which of these held, for the test to judge.
 */
static int transfer(token *from, token *to, CK_KEY_TYPE kt, CK_ULONG len) {
  CK_OBJECT_HANDLE k1, k2;
  CK_BYTE w1[512], w2[512], o1[512], o2[512];
  CK_ULONG w1n = sizeof w1, w2n = sizeof w2, o1n = sizeof o1, o2n = sizeof o2;
  if (!generate(from, kt, len, &k1) || !wrap(from, k1, w1, &w1n) || !unwrap(to, kt, w1, w1n, &k2)) return 0;
  if (!use(from, kt, k1, o1, &o1n) || !use(to, kt, k2, o2, &o2n)) return 0;
  int same = o1n == o2n && memcmp(o1, o2, o1n) == 0;
  CK_ULONG vlen = 0;
  CK_ATTRIBUTE q = {CKA_VALUE_LEN, &vlen, sizeof vlen};
  TRY(to, C_GetAttributeValue(to->s, k2, &q, 1));
  if (!wrap(to, k2, w2, &w2n)) return 0;
  int rewrap = w2n == w1n && memcmp(w1, w2, w1n) == 0;
  char h[1100];
  hex(o1, o1n > 64 ? 64 : o1n, h);
  snprintf(detail, sizeof detail, "wrapped=%lu valueLen=%lu same=%d rewrap=%d %s=%s", (unsigned long)w1n,
           (unsigned long)vlen, same, rewrap, kt == CKK_AES ? "ecb+cbcpad" : "hmac", h);
  return same && rewrap && (vlen == 0 || vlen == len);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <module A> <PIN A> <module B> <PIN B>\n", argv[0]);
    return 2;
  }
  token a = {"strongroom", NULL, 0, 0}, b = {"softhsm", NULL, 0, 0};
  static const CK_BYTE kek[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                                  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
  int ok = open_token(&a, argv[1], argv[2]);
  report("open-strongroom", ok);
  int okb = open_token(&b, argv[3], argv[4]);
  report("open-softhsm", okb);
  if (!ok || !okb) return 1;
  report("kek-strongroom", import_kek(&a, kek));
  report("kek-softhsm", import_kek(&b, kek));
  report("rfc5649-vector-strongroom", rfc5649_vector(&a));
  report("rfc5649-vector-softhsm", rfc5649_vector(&b));
  report("aes256-strongroom-to-softhsm", transfer(&a, &b, CKK_AES, 32));
  report("aes256-softhsm-to-strongroom", transfer(&b, &a, CKK_AES, 32));
  report("hmac36-strongroom-to-softhsm", transfer(&a, &b, CKK_GENERIC_SECRET, 36));
  report("hmac36-softhsm-to-strongroom", transfer(&b, &a, CKK_GENERIC_SECRET, 36));
  a.f->C_CloseSession(a.s);
  b.f->C_CloseSession(b.s);
  a.f->C_Finalize(NULL);
  b.f->C_Finalize(NULL);
  printf("{\"done\":true,\"failures\":%d}\n", failures);
  return failures == 0 ? 0 : 1;
}
