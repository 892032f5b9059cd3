/*
 * pkcs11-bench.c: throughput and latency of one PKCS#11 module, driven the way an application
 * drives it: `pkcs11-bench <module.so> <PIN> <seconds per run> <label>`.
 * Session keys are generated in the token (RSA-2048, EC P-256, AES-256, a 32-byte HMAC key); then
 * for each operation and for 1 and 2 threads (one session per thread, opened after one C_Login),
 * every thread loops Init + single-part call until the deadline, timing each pair:
 *   rsa2048-sign   CKM_SHA256_RSA_PKCS over 32 bytes
 *   ecdsa-p256     CKM_ECDSA_SHA256 over 32 bytes
 *   aes-gcm-1k     CKM_AES_GCM encrypt of 1 KiB, caller IV (12 bytes, a per-thread counter), 128-bit tag
 *   hmac-1k        CKM_SHA256_HMAC over 1 KiB
 *   random-16      C_GenerateRandom of 16 bytes (one call, no Init: the cost of the path itself)
 * Prints one JSON line per (operation, threads): ops, ops/s, p50/p99 in microseconds, errors.
 * Built by bench/pkcs11.ts with the system cc; C99 + pthreads + libdl, nothing else. Never prints
 * key material or the PIN.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "latency.h"
#include "strongroom_pkcs11.h"

static CK_FUNCTION_LIST_PTR F;
static CK_SLOT_ID SLOT;
static double SECONDS;
static const char *LABEL;
static CK_OBJECT_HANDLE K_RSA, K_EC, K_AES, K_HMAC;
/* CKM_ECDSA_SHA256, or CKM_ECDSA over the 32-byte input taken as the digest when the module lacks
 * it (SoftHSMv2 2.6.1): hashing 32 bytes is noise next to the signature. */
static CK_MECHANISM_TYPE ECDSA_MECH = CKM_ECDSA_SHA256;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, CK_RV rv) {
  fprintf(stderr, "pkcs11-bench [%s]: %s failed: 0x%lx\n", LABEL, what, (unsigned long)rv);
  exit(1);
}
#define CK(call)                   \
  do {                             \
    CK_RV rv_ = F->call;           \
    if (rv_ != CKR_OK) die(#call, rv_); \
  } while (0)

static CK_BBOOL T = CK_TRUE, FA = CK_FALSE;

static void make_keys(CK_SESSION_HANDLE s) {
  CK_OBJECT_HANDLE pub;
  CK_ULONG bits = 2048;
  CK_BYTE e[] = {1, 0, 1};
  CK_MECHANISM rsa = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
  CK_ATTRIBUTE rpub[] = {{CKA_TOKEN, &FA, 1}, {CKA_VERIFY, &T, 1}, {CKA_MODULUS_BITS, &bits, sizeof bits}, {CKA_PUBLIC_EXPONENT, e, sizeof e}};
  CK_ATTRIBUTE rpriv[] = {{CKA_TOKEN, &FA, 1}, {CKA_SIGN, &T, 1}, {CKA_PRIVATE, &T, 1}, {CKA_SENSITIVE, &T, 1}};
  CK(C_GenerateKeyPair(s, &rsa, rpub, 4, rpriv, 4, &pub, &K_RSA));
  CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  CK_MECHANISM ec = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
  CK_ATTRIBUTE epub[] = {{CKA_TOKEN, &FA, 1}, {CKA_VERIFY, &T, 1}, {CKA_EC_PARAMS, p256, sizeof p256}};
  CK_ATTRIBUTE epriv[] = {{CKA_TOKEN, &FA, 1}, {CKA_SIGN, &T, 1}, {CKA_PRIVATE, &T, 1}, {CKA_SENSITIVE, &T, 1}};
  CK(C_GenerateKeyPair(s, &ec, epub, 3, epriv, 4, &pub, &K_EC));
  CK_OBJECT_CLASS sec = CKO_SECRET_KEY;
  CK_KEY_TYPE aes = CKK_AES, gen = CKK_GENERIC_SECRET;
  CK_ULONG len = 32;
  CK_MECHANISM ag = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ATTRIBUTE at[] = {{CKA_CLASS, &sec, sizeof sec}, {CKA_KEY_TYPE, &aes, sizeof aes}, {CKA_TOKEN, &FA, 1}, {CKA_VALUE_LEN, &len, sizeof len}, {CKA_ENCRYPT, &T, 1}, {CKA_DECRYPT, &T, 1}};
  CK(C_GenerateKey(s, &ag, at, 6, &K_AES));
  CK_MECHANISM hg = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
  CK_ATTRIBUTE ht[] = {{CKA_CLASS, &sec, sizeof sec}, {CKA_KEY_TYPE, &gen, sizeof gen}, {CKA_TOKEN, &FA, 1}, {CKA_VALUE_LEN, &len, sizeof len}, {CKA_SIGN, &T, 1}, {CKA_VERIFY, &T, 1}};
  CK(C_GenerateKey(s, &hg, ht, 6, &K_HMAC));
}

enum op { RSA, ECDSA, GCM, HMAC, RANDOM, NOPS };
static const char *OP_NAME[NOPS] = {"rsa2048-sign", "ecdsa-p256-sign", "aes256-gcm-1k-encrypt", "hmac-sha256-1k", "random-16"};

typedef struct {
  enum op op;
  int id;
  double deadline;
  lat_samples lat; /* seconds per op */
  unsigned long errors;
  CK_RV first_error;
} worker;

static void *run(void *arg) {
  worker *w = arg;
  CK_SESSION_HANDLE s;
  CK_RV rv = F->C_OpenSession(SLOT, CKF_SERIAL_SESSION, NULL, NULL, &s);
  if (rv != CKR_OK) die("C_OpenSession (worker)", rv);
  CK_BYTE data[1024], out[2048];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (CK_BYTE)i;
  CK_BYTE iv[12] = {0};
  iv[0] = (CK_BYTE)w->id;
  unsigned long counter = 0;
  CK_GCM_PARAMS gcm;
  memset(&gcm, 0, sizeof gcm);
  gcm.pIv = iv;
  gcm.ulIvLen = sizeof iv;
  gcm.ulIvBits = 8 * sizeof iv;
  gcm.ulTagBits = 128;
  CK_MECHANISM m;
  CK_OBJECT_HANDLE k;
  CK_ULONG inlen;
  switch (w->op) {
    case RSA: m = (CK_MECHANISM){CKM_SHA256_RSA_PKCS, NULL, 0}; k = K_RSA; inlen = 32; break;
    case ECDSA: m = (CK_MECHANISM){ECDSA_MECH, NULL, 0}; k = K_EC; inlen = 32; break;
    case GCM: m = (CK_MECHANISM){CKM_AES_GCM, &gcm, sizeof gcm}; k = K_AES; inlen = 1024; break;
    default: m = (CK_MECHANISM){CKM_SHA256_HMAC, NULL, 0}; k = K_HMAC; inlen = 1024; break;
  }
  for (double t0 = now(); t0 < w->deadline; t0 = now()) {
    CK_ULONG olen = sizeof out;
    if (w->op == RANDOM) {
      rv = F->C_GenerateRandom(s, out, 16);
    } else if (w->op == GCM) {
      counter++;
      memcpy(iv + 4, &counter, sizeof counter); /* unique IV per thread and operation */
      rv = F->C_EncryptInit(s, &m, k);
      if (rv == CKR_OK) rv = F->C_Encrypt(s, data, inlen, out, &olen);
    } else {
      rv = F->C_SignInit(s, &m, k);
      if (rv == CKR_OK) rv = F->C_Sign(s, data, inlen, out, &olen);
    }
    double t1 = now();
    if (rv != CKR_OK) {
      if (w->errors++ == 0) w->first_error = rv;
      break; /* a failing mechanism is reported, not spun on */
    }
    lat_push(&w->lat, t1 - t0);
  }
  F->C_CloseSession(s);
  return NULL;
}

static void measure(enum op op, int threads) {
  worker w[8];
  pthread_t th[8];
  memset(w, 0, sizeof w);
  /* A short warm-up (JIT in the daemon, caches, first HSM connection), not counted. */
  double warm = now() + (SECONDS > 2 ? 0.5 : 0.2);
  for (int i = 0; i < threads; i++) {
    w[i] = (worker){op, i + 1, warm, {NULL, 0, 0}, 0, 0};
    pthread_create(&th[i], NULL, run, &w[i]);
  }
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < threads; i++) free(w[i].lat.lat);
  memset(w, 0, sizeof w);
  double start = now(), deadline = start + SECONDS;
  for (int i = 0; i < threads; i++) {
    w[i] = (worker){op, i + 1, deadline, {NULL, 0, 0}, 0, 0};
    pthread_create(&th[i], NULL, run, &w[i]);
  }
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
  double elapsed = now() - start;
  unsigned long errors = 0;
  CK_RV first = 0;
  lat_samples *samples[8];
  for (int i = 0; i < threads; i++) {
    errors += w[i].errors;
    if (!first) first = w[i].first_error;
    samples[i] = &w[i].lat;
  }
  double p50, p99;
  size_t total = lat_summary(samples, threads, &p50, &p99);
  printf("{\"module\":\"%s\",\"op\":\"%s\",\"mechanism\":\"0x%lx\",\"threads\":%d,\"ops\":%zu,\"seconds\":%.3f,\"opsPerSec\":%.1f,"
         "\"p50us\":%.1f,\"p99us\":%.1f,\"errors\":%lu,\"firstError\":\"0x%lx\"}\n",
         LABEL, OP_NAME[op], (unsigned long)(op == RSA ? CKM_SHA256_RSA_PKCS : op == ECDSA ? ECDSA_MECH : op == GCM ? CKM_AES_GCM : op == HMAC ? CKM_SHA256_HMAC : 0), threads, total, elapsed, (double)total / elapsed, p50 * 1e6, p99 * 1e6, errors,
         (unsigned long)first);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s <module.so> <PIN> <seconds per run> <label> [ops…]\n", argv[0]);
    return 2;
  }
  LABEL = argv[4];
  SECONDS = atof(argv[3]);
  void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "pkcs11-bench: dlopen %s: %s\n", argv[1], dlerror());
    return 1;
  }
  CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
  *(void **)&gfl = dlsym(h, "C_GetFunctionList");
  if (!gfl) die("dlsym C_GetFunctionList", 0);
  CK_RV rv = gfl(&F);
  if (rv != CKR_OK) die("C_GetFunctionList", rv);
  CK_C_INITIALIZE_ARGS ia;
  memset(&ia, 0, sizeof ia);
  ia.flags = CKF_OS_LOCKING_OK;
  CK(C_Initialize(&ia));
  CK_SLOT_ID slots[16];
  CK_ULONG n = 16;
  CK(C_GetSlotList(CK_TRUE, slots, &n));
  int found = 0;
  for (CK_ULONG i = 0; i < n && !found; i++) {
    CK_TOKEN_INFO ti;
    if (F->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED)) {
      SLOT = slots[i];
      found = 1;
    }
  }
  if (!found) die("finding an initialised token", 0);
  CK_SESSION_HANDLE s;
  CK(C_OpenSession(SLOT, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
  CK(C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[2], (CK_ULONG)strlen(argv[2])));
  make_keys(s);
  CK_MECHANISM_INFO mi;
  if (F->C_GetMechanismInfo(SLOT, CKM_ECDSA_SHA256, &mi) != CKR_OK) ECDSA_MECH = CKM_ECDSA;
  for (int op = 0; op < NOPS; op++) {
    int wanted = argc == 5;
    for (int a = 5; a < argc; a++) wanted |= strcmp(argv[a], OP_NAME[op]) == 0;
    if (!wanted) continue;
    measure((enum op)op, 1);
    measure((enum op)op, 2);
  }
  F->C_CloseSession(s); /* the login session stays open during the runs: closing the last session logs out */
  F->C_Finalize(NULL);
  return 0;
}
