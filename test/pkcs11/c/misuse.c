/*
 * misuse.c: each misuse PKCS#11 v2.40 names, through libstrongroom-pkcs11.so against the real
 * client daemon and cluster, and the CK_RV it must return.
 *   misuse LIB PIN
 * Prints one line per case, "CASE <name> ok|FAIL rv=0x.. want=0x.. <detail>", then "DONE <failures>".
 * Built and run by test/pkcs11/misuse.test.ts. Creates session objects only (CKA_TOKEN false).
 */
#define _XOPEN_SOURCE 700

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strongroom_pkcs11.h"
#include "load_module.h"

static CK_FUNCTION_LIST_PTR f;
static int failures;

static void report(const char *name, CK_RV rv, CK_RV want, int extra_ok, const char *detail) {
  int ok = rv == want && extra_ok;
  if (!ok) failures++;
  printf("CASE %s %s rv=0x%lx want=0x%lx %s\n", name, ok ? "ok" : "FAIL", rv, want, detail ? detail : "");
  fflush(stdout);
}
#define EXPECT(name, call, want) report(name, (call), (want), 1, #call)

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: misuse LIB PIN\n");
    return 2;
  }
  f = load_module(argv[1]);
  if (!f) return 2;
  const char *pin = argv[2];
  char detail[160];
  CK_RV rv;
  CK_ULONG n = 0;

  /* Before C_Initialize. */
  EXPECT("CRYPTOKI_NOT_INITIALIZED", f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
  EXPECT("INITIALIZE", f->C_Initialize(NULL), CKR_OK);
  EXPECT("CRYPTOKI_ALREADY_INITIALIZED", f->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);

  CK_SLOT_ID slots[4];
  n = 4;
  EXPECT("SLOT_LIST", f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
  CK_SLOT_ID slot = n > 0 ? slots[0] : 1;
  EXPECT("ARGUMENTS_BAD_slot_list", f->C_GetSlotList(CK_TRUE, NULL, NULL), CKR_ARGUMENTS_BAD);
  CK_SESSION_HANDLE s = 0, s2 = 0;
  EXPECT("OPEN_SESSION", f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s), CKR_OK);
  EXPECT("ARGUMENTS_BAD_open_session", f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD);

  /* Not logged in. */
  CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
  CK_KEY_TYPE aes_type = CKK_AES;
  CK_ULONG len32 = 32;
  CK_MECHANISM aes_gen = {CKM_AES_KEY_GEN, NULL, 0};
  CK_ATTRIBUTE aes_t[] = {
      {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &aes_type, sizeof aes_type}, {CKA_VALUE_LEN, &len32, sizeof len32},
      {CKA_TOKEN, &no, sizeof no}, {CKA_ENCRYPT, &yes, sizeof yes}, {CKA_DECRYPT, &no, sizeof no},
      {CKA_SENSITIVE, &yes, sizeof yes}, {CKA_LABEL, "misuse-aes", 10},
  };
  CK_OBJECT_HANDLE aes = 0;
  EXPECT("USER_NOT_LOGGED_IN", f->C_GenerateKey(s, &aes_gen, aes_t, 8, &aes), CKR_USER_NOT_LOGGED_IN);

  /* Login. */
  EXPECT("PIN_INCORRECT_wrong_password", f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "alice:Not-the-password-1", 24), CKR_PIN_INCORRECT);
  EXPECT("PIN_INCORRECT_no_user", f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "no-colon-here", 13), CKR_PIN_INCORRECT);
  EXPECT("LOGIN", f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
  EXPECT("USER_ALREADY_LOGGED_IN", f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_USER_ALREADY_LOGGED_IN);

  /* Templates. */
  CK_ATTRIBUTE incomplete[] = {{CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &aes_type, sizeof aes_type}, {CKA_TOKEN, &no, sizeof no}};
  EXPECT("TEMPLATE_INCOMPLETE", f->C_GenerateKey(s, &aes_gen, incomplete, 3, &aes), CKR_TEMPLATE_INCOMPLETE);
  CK_OBJECT_CLASS pubclass = CKO_PUBLIC_KEY;
  CK_ATTRIBUTE inconsistent[] = {{CKA_CLASS, &pubclass, sizeof pubclass}, {CKA_VALUE_LEN, &len32, sizeof len32}, {CKA_TOKEN, &no, sizeof no}};
  EXPECT("TEMPLATE_INCONSISTENT", f->C_GenerateKey(s, &aes_gen, inconsistent, 3, &aes), CKR_TEMPLATE_INCONSISTENT);
  CK_MECHANISM ec_gen_wrong = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
  EXPECT("MECHANISM_INVALID_generate", f->C_GenerateKey(s, &ec_gen_wrong, aes_t, 8, &aes), CKR_MECHANISM_INVALID);
  EXPECT("GENERATE_AES", f->C_GenerateKey(s, &aes_gen, aes_t, 8, &aes), CKR_OK);

  /* An EC P-256 key pair (session objects). */
  CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  CK_MECHANISM ec_gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
  CK_ATTRIBUTE pub_t[] = {{CKA_EC_PARAMS, p256, sizeof p256}, {CKA_TOKEN, &no, sizeof no}, {CKA_VERIFY, &yes, sizeof yes}};
  CK_ATTRIBUTE priv_t[] = {{CKA_TOKEN, &no, sizeof no}, {CKA_SIGN, &yes, sizeof yes}, {CKA_SENSITIVE, &yes, sizeof yes}};
  CK_OBJECT_HANDLE ec_pub = 0, ec_priv = 0;
  EXPECT("GENERATE_EC", f->C_GenerateKeyPair(s, &ec_gen, pub_t, 3, priv_t, 3, &ec_pub, &ec_priv), CKR_OK);

  /* Attributes. */
  CK_BYTE value[64];
  CK_ATTRIBUTE get_value = {CKA_VALUE, value, sizeof value};
  rv = f->C_GetAttributeValue(s, aes, &get_value, 1);
  report("ATTRIBUTE_SENSITIVE", rv, CKR_ATTRIBUTE_SENSITIVE, get_value.ulValueLen == CK_UNAVAILABLE_INFORMATION, "C_GetAttributeValue(CKA_VALUE) of a sensitive AES key; ulValueLen = CK_UNAVAILABLE_INFORMATION");
  CK_BYTE label[2];
  CK_ATTRIBUTE get_label = {CKA_LABEL, label, sizeof label};
  rv = f->C_GetAttributeValue(s, aes, &get_label, 1);
  report("BUFFER_TOO_SMALL_attribute", rv, CKR_BUFFER_TOO_SMALL, get_label.ulValueLen == CK_UNAVAILABLE_INFORMATION, "C_GetAttributeValue(CKA_LABEL) into 2 bytes");
  CK_ATTRIBUTE size_label = {CKA_LABEL, NULL, 0};
  rv = f->C_GetAttributeValue(s, aes, &size_label, 1);
  snprintf(detail, sizeof detail, "size query of CKA_LABEL: %lu (want 10)", size_label.ulValueLen);
  report("ATTRIBUTE_SIZE_QUERY", rv, CKR_OK, size_label.ulValueLen == 10, detail);

  /* Key usage, handles, mechanisms. */
  CK_BYTE iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  CK_GCM_PARAMS gcm;
  memset(&gcm, 0, sizeof gcm);
  gcm.pIv = iv;
  gcm.ulIvLen = sizeof iv;
  gcm.ulIvBits = 96;
  gcm.ulTagBits = 128;
  CK_MECHANISM gcm_m = {CKM_AES_GCM, &gcm, sizeof gcm};
  EXPECT("KEY_FUNCTION_NOT_PERMITTED", f->C_DecryptInit(s, &gcm_m, aes), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT("KEY_FUNCTION_NOT_PERMITTED_sign", f->C_SignInit(s, &gcm_m, ec_pub), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT("KEY_HANDLE_INVALID", f->C_EncryptInit(s, &gcm_m, 0x7777777), CKR_KEY_HANDLE_INVALID);
  CK_MECHANISM bogus = {0x7fff1234UL, NULL, 0};
  EXPECT("MECHANISM_INVALID", f->C_EncryptInit(s, &bogus, aes), CKR_MECHANISM_INVALID);
  CK_MECHANISM digest_wrong = {CKM_AES_GCM, NULL, 0};
  EXPECT("MECHANISM_INVALID_digest", f->C_DigestInit(s, &digest_wrong), CKR_MECHANISM_INVALID);
  CK_MECHANISM gcm_bad = {CKM_AES_GCM, &gcm, sizeof gcm - 1};
  EXPECT("MECHANISM_PARAM_INVALID", f->C_EncryptInit(s, &gcm_bad, aes), CKR_MECHANISM_PARAM_INVALID);

  /* Operation state. */
  CK_BYTE data[32] = "thirty-two bytes of misuse data";
  CK_BYTE out[256];
  CK_ULONG out_len = sizeof out;
  EXPECT("OPERATION_NOT_INITIALIZED", f->C_Encrypt(s, data, sizeof data, out, &out_len), CKR_OPERATION_NOT_INITIALIZED);
  EXPECT("OPERATION_NOT_INITIALIZED_final", f->C_SignFinal(s, out, &out_len), CKR_OPERATION_NOT_INITIALIZED);
  EXPECT("OPERATION_NOT_INITIALIZED_find", f->C_FindObjects(s, &aes, 1, &n), CKR_OPERATION_NOT_INITIALIZED);
  CK_MECHANISM ecdsa = {CKM_ECDSA, NULL, 0};
  EXPECT("SIGN_INIT", f->C_SignInit(s, &ecdsa, ec_priv), CKR_OK);
  EXPECT("OPERATION_ACTIVE", f->C_SignInit(s, &ecdsa, ec_priv), CKR_OPERATION_ACTIVE);
  CK_BYTE state[64];
  CK_ULONG state_len = sizeof state;
  EXPECT("STATE_UNSAVEABLE", f->C_GetOperationState(s, state, &state_len), CKR_STATE_UNSAVEABLE);
  EXPECT("SAVED_STATE_INVALID", f->C_SetOperationState(s, state, sizeof state, 0, 0), CKR_SAVED_STATE_INVALID);
  EXPECT("ARGUMENTS_BAD_sign", f->C_Sign(s, data, sizeof data, out, NULL), CKR_ARGUMENTS_BAD);

  /* Output buffers: size query, too small (with the required length), then the real call. */
  CK_ULONG sig_len = 0;
  rv = f->C_Sign(s, data, sizeof data, NULL, &sig_len);
  snprintf(detail, sizeof detail, "size query: %lu (want 64)", sig_len);
  report("SIZE_QUERY_sign", rv, CKR_OK, sig_len == 64, detail);
  sig_len = 10;
  rv = f->C_Sign(s, data, sizeof data, out, &sig_len);
  snprintf(detail, sizeof detail, "required length %lu (want 64)", sig_len);
  report("BUFFER_TOO_SMALL", rv, CKR_BUFFER_TOO_SMALL, sig_len == 64, detail);
  sig_len = sizeof out;
  rv = f->C_Sign(s, data, sizeof data, out, &sig_len);
  snprintf(detail, sizeof detail, "signature of %lu bytes", sig_len);
  report("SIGN", rv, CKR_OK, sig_len == 64, detail);
  EXPECT("OPERATION_NOT_INITIALIZED_after_sign", f->C_Sign(s, data, sizeof data, out, &sig_len), CKR_OPERATION_NOT_INITIALIZED);
  CK_MECHANISM ecdsa_v = {CKM_ECDSA, NULL, 0};
  EXPECT("VERIFY_INIT", f->C_VerifyInit(s, &ecdsa_v, ec_pub), CKR_OK);
  EXPECT("VERIFY", f->C_Verify(s, data, sizeof data, out, sig_len), CKR_OK);
  out[5] ^= 1;
  EXPECT("VERIFY_INIT_2", f->C_VerifyInit(s, &ecdsa_v, ec_pub), CKR_OK);
  EXPECT("SIGNATURE_INVALID", f->C_Verify(s, data, sizeof data, out, sig_len), CKR_SIGNATURE_INVALID);

  EXPECT("ENCRYPT_INIT", f->C_EncryptInit(s, &gcm_m, aes), CKR_OK);
  out_len = 8;
  rv = f->C_Encrypt(s, data, sizeof data, out, &out_len);
  snprintf(detail, sizeof detail, "AES-GCM required length %lu (want 48)", out_len);
  report("BUFFER_TOO_SMALL_encrypt", rv, CKR_BUFFER_TOO_SMALL, out_len == sizeof data + 16, detail);
  out_len = sizeof out;
  EXPECT("ENCRYPT", f->C_Encrypt(s, data, sizeof data, out, &out_len), CKR_OK);

  /* A key that may decrypt does (CKA_DECRYPT true, read back as true, then C_DecryptInit). */
  CK_ATTRIBUTE both_t[] = {
      {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &aes_type, sizeof aes_type}, {CKA_VALUE_LEN, &len32, sizeof len32},
      {CKA_TOKEN, &no, sizeof no}, {CKA_ENCRYPT, &yes, sizeof yes}, {CKA_DECRYPT, &yes, sizeof yes},
  };
  CK_OBJECT_HANDLE aes2 = 0;
  EXPECT("GENERATE_AES_decrypt", f->C_GenerateKey(s, &aes_gen, both_t, 6, &aes2), CKR_OK);
  CK_BBOOL can_decrypt = CK_FALSE;
  CK_ATTRIBUTE get_decrypt = {CKA_DECRYPT, &can_decrypt, sizeof can_decrypt};
  rv = f->C_GetAttributeValue(s, aes2, &get_decrypt, 1);
  report("CKA_DECRYPT_true", rv, CKR_OK, can_decrypt == CK_TRUE, "CKA_DECRYPT reads true");
  CK_BYTE ct[64], pt[64];
  CK_ULONG ct_len = sizeof ct, pt_len = sizeof pt;
  EXPECT("ENCRYPT_INIT_2", f->C_EncryptInit(s, &gcm_m, aes2), CKR_OK);
  EXPECT("ENCRYPT_2", f->C_Encrypt(s, data, sizeof data, ct, &ct_len), CKR_OK);
  EXPECT("DECRYPT_INIT", f->C_DecryptInit(s, &gcm_m, aes2), CKR_OK);
  rv = f->C_Decrypt(s, ct, ct_len, pt, &pt_len);
  report("DECRYPT", rv, CKR_OK, pt_len == sizeof data && memcmp(pt, data, sizeof data) == 0, "AES-GCM round trip");

  /* C_SetAttributeValue(CKA_DECRYPT, true) on a key made without it: reads true, and decrypts. */
  for (int token = 0; token < 2; token++) {
    CK_BBOOL tok = token ? CK_TRUE : CK_FALSE;
    CK_ATTRIBUTE enc_only[] = {
        {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &aes_type, sizeof aes_type}, {CKA_VALUE_LEN, &len32, sizeof len32},
        {CKA_TOKEN, &tok, sizeof tok}, {CKA_ENCRYPT, &yes, sizeof yes}, {CKA_DECRYPT, &no, sizeof no},
    };
    CK_OBJECT_HANDLE k = 0;
    const char *name = token ? "SET_DECRYPT_token" : "SET_DECRYPT_session";
    rv = f->C_GenerateKey(s, &aes_gen, enc_only, 6, &k);
    CK_ATTRIBUTE set = {CKA_DECRYPT, &yes, sizeof yes};
    if (rv == CKR_OK) rv = f->C_DecryptInit(s, &gcm_m, k) == CKR_KEY_FUNCTION_NOT_PERMITTED ? CKR_OK : CKR_GENERAL_ERROR;
    if (rv == CKR_OK) rv = f->C_SetAttributeValue(s, k, &set, 1);
    can_decrypt = CK_FALSE;
    if (rv == CKR_OK) rv = f->C_GetAttributeValue(s, k, &get_decrypt, 1);
    ct_len = sizeof ct;
    pt_len = sizeof pt;
    if (rv == CKR_OK) rv = f->C_EncryptInit(s, &gcm_m, k);
    if (rv == CKR_OK) rv = f->C_Encrypt(s, data, sizeof data, ct, &ct_len);
    if (rv == CKR_OK) rv = f->C_DecryptInit(s, &gcm_m, k);
    if (rv == CKR_OK) rv = f->C_Decrypt(s, ct, ct_len, pt, &pt_len);
    report(name, rv, CKR_OK, can_decrypt == CK_TRUE && pt_len == sizeof data, "CKA_DECRYPT set to true, read back, C_DecryptInit and C_Decrypt");
    if (k) f->C_DestroyObject(s, k);
  }

  /* A C_SetAttributeValue that fails half-way (CKA_DECRYPT applied, CKA_TRUSTED refused: only an
   * admin sets it) must not leave C_DecryptInit deciding on the attributes from before it. */
  {
    CK_ATTRIBUTE enc_only[] = {
        {CKA_CLASS, &secret, sizeof secret}, {CKA_KEY_TYPE, &aes_type, sizeof aes_type}, {CKA_VALUE_LEN, &len32, sizeof len32},
        {CKA_TOKEN, &no, sizeof no}, {CKA_ENCRYPT, &yes, sizeof yes}, {CKA_DECRYPT, &no, sizeof no},
    };
    CK_OBJECT_HANDLE k = 0;
    CK_RV set_rv = CKR_OK;
    rv = f->C_GenerateKey(s, &aes_gen, enc_only, 6, &k);
    CK_ATTRIBUTE set[] = {{CKA_DECRYPT, &yes, sizeof yes}, {CKA_TRUSTED, &yes, sizeof yes}};
    if (rv == CKR_OK) rv = f->C_DecryptInit(s, &gcm_m, k) == CKR_KEY_FUNCTION_NOT_PERMITTED ? CKR_OK : CKR_GENERAL_ERROR;
    if (rv == CKR_OK) set_rv = f->C_SetAttributeValue(s, k, set, 2);
    can_decrypt = CK_FALSE;
    if (rv == CKR_OK) rv = f->C_GetAttributeValue(s, k, &get_decrypt, 1);
    if (rv == CKR_OK && can_decrypt == CK_TRUE) rv = f->C_DecryptInit(s, &gcm_m, k);
    snprintf(detail, sizeof detail, "C_SetAttributeValue rv=0x%lx; CKA_DECRYPT reads %d; then C_DecryptInit", set_rv, can_decrypt);
    report("SET_PARTIAL_then_DECRYPT_INIT", rv, can_decrypt == CK_TRUE ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED, set_rv != CKR_OK, detail);
    if (rv == CKR_OK && can_decrypt == CK_TRUE) {
      pt_len = sizeof pt;
      (void)f->C_Decrypt(s, ct, ct_len, pt, &pt_len); /* ends the operation; the result does not matter here */
    }
    if (k) f->C_DestroyObject(s, k);
  }

  /* Session handles. */
  EXPECT("ARGUMENTS_BAD_session_info", f->C_GetSessionInfo(s, NULL), CKR_ARGUMENTS_BAD);
  CK_SESSION_INFO si;
  EXPECT("SESSION_HANDLE_INVALID", f->C_GetSessionInfo(0x5eed, &si), CKR_SESSION_HANDLE_INVALID);
  EXPECT("OPEN_SESSION_2", f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s2), CKR_OK);
  EXPECT("CLOSE_SESSION_2", f->C_CloseSession(s2), CKR_OK);
  EXPECT("SESSION_HANDLE_INVALID_closed", f->C_SignInit(s2, &ecdsa, ec_priv), CKR_SESSION_HANDLE_INVALID);
  EXPECT("SESSION_HANDLE_INVALID_close_twice", f->C_CloseSession(s2), CKR_SESSION_HANDLE_INVALID);
  EXPECT("SESSION_PARALLEL_NOT_SUPPORTED", f->C_OpenSession(slot, CKF_RW_SESSION, NULL, NULL, &s2), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
  EXPECT("SLOT_ID_INVALID", f->C_OpenSession(0x999, CKF_SERIAL_SESSION, NULL, NULL, &s2), CKR_SLOT_ID_INVALID);

  /* Objects. */
  EXPECT("DESTROY_AES", f->C_DestroyObject(s, aes), CKR_OK);
  EXPECT("OBJECT_HANDLE_INVALID", f->C_DestroyObject(s, aes), CKR_OBJECT_HANDLE_INVALID);
  EXPECT("KEY_HANDLE_INVALID_destroyed", f->C_EncryptInit(s, &gcm_m, aes), CKR_KEY_HANDLE_INVALID);

  /* Logout and finalize. */
  EXPECT("LOGOUT", f->C_Logout(s), CKR_OK);
  EXPECT("USER_NOT_LOGGED_IN_logout", f->C_Logout(s), CKR_USER_NOT_LOGGED_IN);
  EXPECT("USER_NOT_LOGGED_IN_sign", f->C_SignInit(s, &ecdsa, ec_priv), CKR_USER_NOT_LOGGED_IN);
  EXPECT("FINALIZE", f->C_Finalize(NULL), CKR_OK);
  EXPECT("CRYPTOKI_NOT_INITIALIZED_after_finalize", f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s2), CKR_CRYPTOKI_NOT_INITIALIZED);
  EXPECT("CRYPTOKI_NOT_INITIALIZED_finalize_twice", f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
  printf("DONE %d\n", failures);
  return failures == 0 ? 0 : 1;
}
