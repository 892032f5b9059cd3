/*
 * gcm_iv.c: who picks the AES-GCM IV, through libstrongroom-pkcs11.so against the real client
 * daemon and cluster (docs/pkcs11-daemon-protocol.md, "AES-GCM IVs").
 *   gcm_iv LIB PIN
 * Imports a known AES-256 key (session object, value 00 01 … 1f) and prints one line per case,
 * "CASE <name> ok|FAIL rv=0x.. want=0x.. <detail>", lines "DATA <name> <iv hex> <output hex>" for
 * test/pkcs11/gcm-iv.test.ts to open with node:crypto, then "DONE <failures>".
 */
#define _XOPEN_SOURCE 700

#include <stdio.h>
#include <string.h>

#include "strongroom_pkcs11.h"
#include "load_module.h"

static CK_FUNCTION_LIST_PTR f;
static int failures;
static CK_SESSION_HANDLE s;
static CK_BYTE aad[] = "gcm-iv aad";
static CK_BYTE msg[] = "forty bytes of plaintext for AES-GCM!!!";

static void report(const char *name, CK_RV rv, CK_RV want, int extra_ok, const char *detail) {
  int ok = rv == want && extra_ok;
  if (!ok) failures++;
  printf("CASE %s %s rv=0x%lx want=0x%lx %s\n", name, ok ? "ok" : "FAIL", rv, want, detail ? detail : "");
  fflush(stdout);
}

static void hex(const CK_BYTE *p, CK_ULONG n) {
  if (n == 0) printf("-");
  for (CK_ULONG i = 0; i < n; i++) printf("%02x", p[i]);
}

static void data(const char *name, const CK_BYTE *iv, CK_ULONG ivlen, const CK_BYTE *out, CK_ULONG outlen) {
  printf("DATA %s ", name);
  hex(iv, ivlen);
  printf(" ");
  hex(out, outlen);
  printf("\n");
  fflush(stdout);
}

static int all_zero(const CK_BYTE *p, CK_ULONG n) {
  for (CK_ULONG i = 0; i < n; i++)
    if (p[i] != 0) return 0;
  return 1;
}

static CK_GCM_PARAMS gcm_params(CK_BYTE *iv, CK_ULONG ivlen) {
  CK_GCM_PARAMS g;
  memset(&g, 0, sizeof g);
  g.pIv = iv;
  g.ulIvLen = ivlen;
  g.ulIvBits = ivlen * 8;
  g.pAAD = aad;
  g.ulAADLen = sizeof aad - 1;
  g.ulTagBits = 128;
  return g;
}

/* C_EncryptInit + C_Encrypt (a size query first, then the buffer); returns the first failure. */
static CK_RV encrypt(CK_MECHANISM_TYPE type, CK_GCM_PARAMS *g, CK_OBJECT_HANDLE key, CK_BYTE *out, CK_ULONG *outlen) {
  CK_MECHANISM m = {type, g, sizeof *g};
  CK_RV rv = f->C_EncryptInit(s, &m, key);
  if (rv != CKR_OK) return rv;
  CK_ULONG cap = *outlen;
  rv = f->C_Encrypt(s, msg, sizeof msg - 1, NULL, outlen);
  if (rv != CKR_OK || *outlen > cap) return rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
  return f->C_Encrypt(s, msg, sizeof msg - 1, out, outlen);
}

static CK_RV decrypt(CK_MECHANISM_TYPE type, CK_GCM_PARAMS *g, CK_OBJECT_HANDLE key, CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out,
                     CK_ULONG *outlen) {
  CK_MECHANISM m = {type, g, sizeof *g};
  CK_RV rv = f->C_DecryptInit(s, &m, key);
  if (rv != CKR_OK) return rv;
  return f->C_Decrypt(s, in, inlen, out, outlen);
}

static int is_msg(const CK_BYTE *p, CK_ULONG n) { return n == sizeof msg - 1 && memcmp(p, msg, n) == 0; }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: gcm_iv LIB PIN\n");
    return 2;
  }
  f = load_module(argv[1]);
  if (!f) return 2;
  const char *pin = argv[2];
  CK_RV rv;
  char detail[200];
  CK_BYTE out[256], pt[256];
  CK_ULONG outlen, ptlen;

  CK_SLOT_ID slot;
  CK_ULONG n = 1;
  if (f->C_Initialize(NULL) != CKR_OK || f->C_GetSlotList(CK_TRUE, &slot, &n) != CKR_OK || n != 1 ||
      f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK ||
      f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) != CKR_OK) {
    fprintf(stderr, "set-up failed\n");
    return 2;
  }

  /* The known key: 00 01 … 1f. */
  CK_BYTE value[32];
  for (int i = 0; i < 32; i++) value[i] = (CK_BYTE)i;
  CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
  CK_KEY_TYPE aes_type = CKK_AES;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ATTRIBUTE key_t[] = {
      {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &aes_type, sizeof aes_type}, {CKA_VALUE, value, sizeof value},
      {CKA_TOKEN, &no, sizeof no},         {CKA_ENCRYPT, &yes, sizeof yes},            {CKA_DECRYPT, &yes, sizeof yes},
  };
  CK_OBJECT_HANDLE key = 0;
  rv = f->C_CreateObject(s, key_t, 6, &key);
  report("IMPORT_KEY", rv, CKR_OK, 1, "C_CreateObject of a known AES-256 key");

  /* CKM_AES_GCM with a caller IV: used as given (PKCS#11 v2.40), pIv left alone. */
  CK_BYTE caller_iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  CK_BYTE caller_copy[12];
  memcpy(caller_copy, caller_iv, sizeof caller_iv);
  CK_GCM_PARAMS g = gcm_params(caller_iv, sizeof caller_iv);
  outlen = sizeof out;
  rv = encrypt(CKM_AES_GCM, &g, key, out, &outlen);
  report("CALLER_IV", rv, CKR_OK, outlen == sizeof msg - 1 + 16 && memcmp(caller_iv, caller_copy, 12) == 0, "caller IV unchanged");
  data("caller", caller_iv, sizeof caller_iv, out, outlen);

  /* CKM_AES_GCM with 12 zero bytes: the HSM picks the IV and C_EncryptInit writes it into pIv. */
  CK_BYTE hsm_iv[12] = {0};
  g = gcm_params(hsm_iv, sizeof hsm_iv);
  CK_MECHANISM gm = {CKM_AES_GCM, &g, sizeof g};
  rv = f->C_EncryptInit(s, &gm, key);
  CK_BYTE at_init[12];
  memcpy(at_init, hsm_iv, 12);
  report("HSM_IV_written_at_init", rv, CKR_OK, !all_zero(hsm_iv, 12), "pIv holds the HSM's IV when C_EncryptInit returns");
  outlen = 0;
  rv = f->C_Encrypt(s, msg, sizeof msg - 1, NULL, &outlen);
  if (rv == CKR_OK) {
    outlen = sizeof out;
    rv = f->C_Encrypt(s, msg, sizeof msg - 1, out, &outlen);
  }
  report("HSM_IV_encrypt", rv, CKR_OK, outlen == sizeof msg - 1 + 16 && memcmp(at_init, hsm_iv, 12) == 0,
         "size query then C_Encrypt; the IV is not picked again");
  data("hsm", hsm_iv, sizeof hsm_iv, out, outlen);
  CK_BYTE hsm_ct[256];
  CK_ULONG hsm_ctlen = outlen;
  memcpy(hsm_ct, out, outlen);
  ptlen = sizeof pt;
  rv = decrypt(CKM_AES_GCM, &g, key, hsm_ct, hsm_ctlen, pt, &ptlen);
  report("HSM_IV_decrypt", rv, CKR_OK, is_msg(pt, ptlen), "the written-back IV decrypts in the HSM");

  CK_BYTE again[12] = {0};
  CK_GCM_PARAMS g2 = gcm_params(again, sizeof again);
  outlen = sizeof out;
  rv = encrypt(CKM_AES_GCM, &g2, key, out, &outlen);
  report("HSM_IV_fresh", rv, CKR_OK, !all_zero(again, 12) && memcmp(again, hsm_iv, 12) != 0, "a second zeroed pIv gets another IV");

  /* Multi-part encryption with an HSM IV, decrypted in one part. */
  CK_BYTE multi_iv[12] = {0};
  CK_GCM_PARAMS gmp = gcm_params(multi_iv, sizeof multi_iv);
  CK_MECHANISM mm = {CKM_AES_GCM, &gmp, sizeof gmp};
  CK_ULONG part = 0, total = 0;
  rv = f->C_EncryptInit(s, &mm, key);
  if (rv == CKR_OK) {
    part = sizeof out;
    rv = f->C_EncryptUpdate(s, msg, 10, out, &part);
    total += part;
  }
  if (rv == CKR_OK) {
    part = sizeof out - total;
    rv = f->C_EncryptUpdate(s, msg + 10, sizeof msg - 1 - 10, out + total, &part);
    total += part;
  }
  if (rv == CKR_OK) {
    part = sizeof out - total;
    rv = f->C_EncryptFinal(s, out + total, &part);
    total += part;
  }
  ptlen = sizeof pt;
  if (rv == CKR_OK) rv = decrypt(CKM_AES_GCM, &gmp, key, out, total, pt, &ptlen);
  report("HSM_IV_multipart", rv, CKR_OK, !all_zero(multi_iv, 12) && is_msg(pt, ptlen), "C_EncryptUpdate ×2, C_EncryptFinal, C_Decrypt");

  /* A zero IV of another length is a caller IV like any other (used as given). */
  CK_BYTE zero16[16] = {0};
  CK_GCM_PARAMS g16 = gcm_params(zero16, sizeof zero16);
  outlen = sizeof out;
  rv = encrypt(CKM_AES_GCM, &g16, key, out, &outlen);
  report("ZERO_IV_16_as_given", rv, CKR_OK, all_zero(zero16, 16), "16 zero bytes stay as they are");
  data("zero16", zero16, sizeof zero16, out, outlen);

  /* No IV at all: nobody could decrypt the result, so CKM_AES_GCM refuses it. */
  CK_GCM_PARAMS none = gcm_params(NULL, 0);
  CK_MECHANISM nm = {CKM_AES_GCM, &none, sizeof none};
  rv = f->C_EncryptInit(s, &nm, key);
  report("NO_IV_encrypt", rv, CKR_MECHANISM_PARAM_INVALID, 1, "CKM_AES_GCM, pIv NULL, ulIvLen 0");
  rv = f->C_DecryptInit(s, &nm, key);
  report("NO_IV_decrypt", rv, CKR_MECHANISM_PARAM_INVALID, 1, "CKM_AES_GCM, pIv NULL, ulIvLen 0");

  /* CKM_CLOUDHSM_AES_GCM: pIv NULL; the output is iv(12) || ciphertext || tag; a caller IV is refused. */
  outlen = sizeof out;
  rv = encrypt(CKM_CLOUDHSM_AES_GCM, &none, key, out, &outlen);
  report("VENDOR_encrypt", rv, CKR_OK, outlen == 12 + sizeof msg - 1 + 16, "output is iv || ciphertext || tag");
  data("vendor", NULL, 0, out, outlen);
  ptlen = sizeof pt;
  rv = decrypt(CKM_CLOUDHSM_AES_GCM, &none, key, out, outlen, pt, &ptlen);
  report("VENDOR_decrypt", rv, CKR_OK, is_msg(pt, ptlen), "the IV is read from the front of the input");
  CK_GCM_PARAMS gv = gcm_params(caller_iv, sizeof caller_iv);
  CK_MECHANISM vm = {CKM_CLOUDHSM_AES_GCM, &gv, sizeof gv};
  rv = f->C_EncryptInit(s, &vm, key);
  report("VENDOR_caller_iv_refused", rv, CKR_MECHANISM_PARAM_INVALID, 1, "CKM_CLOUDHSM_AES_GCM with a caller IV");

  snprintf(detail, sizeof detail, "%d", failures);
  f->C_Logout(s);
  f->C_CloseSession(s);
  f->C_Finalize(NULL);
  printf("DONE %s\n", detail);
  return failures == 0 ? 0 : 1;
}
