/*
 * threads.c: many threads through libstrongroom-pkcs11.so against the real daemon and cluster.
 *   threads LIB PIN SECONDS [THREADS]
 * 1. C_Initialize with CKF_OS_LOCKING_OK; one session logs in and makes a token EC P-256 key pair
 *    and a token AES-256 key (label "threads-*"), and a reference AES-GCM ciphertext.
 * 2. THREADS (16) threads × 2 sessions each, for SECONDS: C_Sign (ECDSA) on one session (every
 *    10th signature checked with C_Verify) and C_Encrypt (AES-GCM, caller IV: the ciphertext must
 *    equal the reference, so a reply never reaches the wrong caller) on the other; every error is
 *    counted. Each thread closes its sessions.
 * 3. fork(): the child calls C_Initialize, opens a session, logs in, finds the EC key by label and
 *    signs and verifies; the parent signs again after the child is done.
 * 4. Prints "PAUSE" and waits for a line on stdin (the test reads the daemon's statistics), then
 *    C_Finalize, prints "FINALIZED", and waits for one more line.
 * Output lines: "RESULT <key>=<value> …", "CHILD ok|FAIL …", "PARENT ok|FAIL …". Exit status 0
 * when there was no error.
 */
#define _XOPEN_SOURCE 700

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "strongroom_pkcs11.h"
#include "load_module.h"

static CK_FUNCTION_LIST_PTR f;
static const char *pin;
static CK_SLOT_ID slot;
static CK_OBJECT_HANDLE ec_priv, ec_pub, aes;
static CK_BYTE reference[1024 + 16];
static CK_BYTE plain[1024];
static CK_BYTE iv[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
static double deadline;

static pthread_mutex_t counts = PTHREAD_MUTEX_INITIALIZER;
static long signs, encrypts, verifies, errors, session_calls;
static CK_RV first_error;
static char first_error_at[64];

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void count(long *c, CK_RV rv, const char *where) {
  pthread_mutex_lock(&counts);
  if (rv == CKR_OK) {
    (*c)++;
  } else {
    if (errors == 0) {
      first_error = rv;
      snprintf(first_error_at, sizeof first_error_at, "%s", where);
    }
    errors++;
  }
  pthread_mutex_unlock(&counts);
}

static CK_MECHANISM gcm_mech(CK_GCM_PARAMS *p) {
  memset(p, 0, sizeof *p);
  p->pIv = iv;
  p->ulIvLen = sizeof iv;
  p->ulIvBits = 96;
  p->ulTagBits = 128;
  CK_MECHANISM m = {CKM_AES_GCM, p, sizeof *p};
  return m;
}

static CK_RV sign_verify(CK_SESSION_HANDLE s, CK_BYTE *data, CK_ULONG len, int verify, long *vcount) {
  CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
  CK_BYTE sig[132];
  CK_ULONG sig_len = sizeof sig;
  CK_RV rv = f->C_SignInit(s, &m, ec_priv);
  if (rv == CKR_OK) rv = f->C_Sign(s, data, len, sig, &sig_len);
  if (rv == CKR_OK && sig_len != 64) rv = CKR_GENERAL_ERROR;
  if (rv != CKR_OK || !verify) return rv;
  rv = f->C_VerifyInit(s, &m, ec_pub);
  if (rv == CKR_OK) rv = f->C_Verify(s, data, len, sig, sig_len);
  if (rv == CKR_OK && vcount) (*vcount)++;
  return rv;
}

static void *worker(void *arg) {
  long id = (long)arg;
  CK_SESSION_HANDLE sa = 0, sb = 0;
  CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &sa);
  count(&session_calls, rv, "C_OpenSession a");
  rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &sb);
  count(&session_calls, rv, "C_OpenSession b");
  CK_BYTE data[48];
  long local_verifies = 0;
  for (long i = 0; now() < deadline; i++) {
    memset(data, 0, sizeof data);
    snprintf((char *)data, sizeof data, "thread %02ld iteration %ld", id % 100, i);
    rv = sign_verify(sa, data, sizeof data, i % 10 == 0, &local_verifies);
    count(&signs, rv, "sign/verify");
    CK_GCM_PARAMS p;
    CK_MECHANISM m = gcm_mech(&p);
    CK_BYTE ct[sizeof reference];
    CK_ULONG ct_len = sizeof ct;
    rv = f->C_EncryptInit(sb, &m, aes);
    if (rv == CKR_OK) rv = f->C_Encrypt(sb, plain, sizeof plain, ct, &ct_len);
    if (rv == CKR_OK && (ct_len != sizeof reference || memcmp(ct, reference, ct_len) != 0)) rv = CKR_GENERAL_ERROR;
    count(&encrypts, rv, "encrypt");
  }
  pthread_mutex_lock(&counts);
  verifies += local_verifies;
  pthread_mutex_unlock(&counts);
  count(&session_calls, f->C_CloseSession(sa), "C_CloseSession a");
  count(&session_calls, f->C_CloseSession(sb), "C_CloseSession b");
  return NULL;
}

static CK_RV find_by_label(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *out) {
  CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, (void *)label, strlen(label)}};
  CK_ULONG n = 0;
  CK_RV rv = f->C_FindObjectsInit(s, t, 2);
  if (rv != CKR_OK) return rv;
  rv = f->C_FindObjects(s, out, 1, &n);
  CK_RV rv2 = f->C_FindObjectsFinal(s);
  if (rv == CKR_OK) rv = rv2;
  if (rv == CKR_OK && n != 1) rv = CKR_OBJECT_HANDLE_INVALID;
  return rv;
}

static void wait_line(void) {
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: threads LIB PIN SECONDS [THREADS]\n");
    return 2;
  }
  f = load_module(argv[1]);
  if (!f) return 2;
  pin = argv[2];
  double seconds = atof(argv[3]);
  int nthreads = argc > 4 ? atoi(argv[4]) : 16;
  if (nthreads < 1 || nthreads > 256) nthreads = 16;

  CK_C_INITIALIZE_ARGS init;
  memset(&init, 0, sizeof init);
  init.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = f->C_Initialize(&init);
  CK_ULONG n = 1;
  if (rv == CKR_OK) rv = f->C_GetSlotList(CK_TRUE, &slot, &n);
  CK_SESSION_HANDLE s = 0;
  if (rv == CKR_OK) rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
  if (rv == CKR_OK) rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
  if (rv != CKR_OK) {
    printf("SETUP FAIL rv=0x%lx\n", rv);
    return 1;
  }
  CK_BBOOL yes = CK_TRUE;
  CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  CK_MECHANISM ec_gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
  CK_ATTRIBUTE pub_t[] = {{CKA_EC_PARAMS, p256, sizeof p256}, {CKA_TOKEN, &yes, sizeof yes}, {CKA_VERIFY, &yes, sizeof yes}, {CKA_LABEL, "threads-ec", 10}};
  CK_ATTRIBUTE priv_t[] = {{CKA_TOKEN, &yes, sizeof yes}, {CKA_SIGN, &yes, sizeof yes}, {CKA_LABEL, "threads-ec", 10}};
  rv = f->C_GenerateKeyPair(s, &ec_gen, pub_t, 4, priv_t, 3, &ec_pub, &ec_priv);
  CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
  CK_KEY_TYPE aes_type = CKK_AES;
  CK_ULONG len32 = 32;
  CK_MECHANISM aes_gen = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ATTRIBUTE aes_t[] = {
      {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &aes_type, sizeof aes_type}, {CKA_VALUE_LEN, &len32, sizeof len32},
      {CKA_TOKEN, &yes, sizeof yes}, {CKA_ENCRYPT, &yes, sizeof yes}, {CKA_LABEL, "threads-aes", 11},
  };
  if (rv == CKR_OK) rv = f->C_GenerateKey(s, &aes_gen, aes_t, 6, &aes);
  for (size_t i = 0; i < sizeof plain; i++) plain[i] = (CK_BYTE)(i * 7);
  CK_GCM_PARAMS gp;
  CK_MECHANISM gm = gcm_mech(&gp);
  CK_ULONG ref_len = sizeof reference;
  if (rv == CKR_OK) rv = f->C_EncryptInit(s, &gm, aes);
  if (rv == CKR_OK) rv = f->C_Encrypt(s, plain, sizeof plain, reference, &ref_len);
  if (rv != CKR_OK || ref_len != sizeof reference) {
    printf("SETUP FAIL keys rv=0x%lx\n", rv);
    return 1;
  }
  printf("SETUP ok\n");
  fflush(stdout);

  /* 2. Threads. */
  pthread_t th[256];
  double start = now();
  deadline = start + seconds;
  for (long i = 0; i < nthreads; i++) pthread_create(&th[i], NULL, worker, (void *)i);
  for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
  double took = now() - start;
  printf("RESULT threads=%d sessions=%d session_calls=%ld seconds=%.1f signs=%ld verifies=%ld encrypts=%ld errors=%ld first_error=0x%lx at=%s ops_per_s=%.0f\n",
         nthreads, 2 * nthreads, session_calls, took, signs, verifies, encrypts, errors, errors ? first_error : 0UL, errors ? first_error_at : "-",
         (double)(signs + encrypts + verifies) / took);
  fflush(stdout);
  int failed = errors != 0;

  /* 3. fork(): the child re-initialises and signs with the token key. */
  pid_t pid = fork();
  if (pid == 0) {
    CK_SESSION_HANDLE cs = 0;
    CK_RV crv = f->C_Initialize(NULL);
    const char *step = "C_Initialize";
    if (crv == CKR_OK) { step = "C_OpenSession"; crv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &cs); }
    if (crv == CKR_OK) { step = "C_Login"; crv = f->C_Login(cs, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)); }
    if (crv == CKR_OK) { step = "find private"; crv = find_by_label(cs, CKO_PRIVATE_KEY, "threads-ec", &ec_priv); }
    if (crv == CKR_OK) { step = "find public"; crv = find_by_label(cs, CKO_PUBLIC_KEY, "threads-ec", &ec_pub); }
    CK_BYTE d[32] = "signed by the child after fork";
    if (crv == CKR_OK) { step = "sign/verify"; crv = sign_verify(cs, d, sizeof d, 1, NULL); }
    if (crv == CKR_OK) { step = "C_Finalize"; crv = f->C_Finalize(NULL); }
    printf("CHILD %s rv=0x%lx step=%s\n", crv == CKR_OK ? "ok" : "FAIL", crv, step);
    fflush(stdout);
    _exit(crv == CKR_OK ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = 1;
  CK_BYTE d[32] = "signed by the parent after fork";
  rv = sign_verify(s, d, sizeof d, 1, NULL);
  printf("PARENT %s rv=0x%lx\n", rv == CKR_OK ? "ok" : "FAIL", rv);
  if (rv != CKR_OK) failed = 1;

  /* 4. Statistics with one session open, then C_Finalize. */
  printf("PAUSE\n");
  fflush(stdout);
  wait_line();
  rv = f->C_Finalize(NULL);
  printf("FINALIZED rv=0x%lx\n", rv);
  fflush(stdout);
  if (rv != CKR_OK) failed = 1;
  wait_line();
  return failed;
}
