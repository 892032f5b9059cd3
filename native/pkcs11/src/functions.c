/*
 * functions.c: the 68 PKCS#11 entry points and the CK_FUNCTION_LIST table. Each function checks
 * that the library is initialised, checks the pointers the specification forbids to be NULL
 * (CKR_ARGUMENTS_BAD), marshals its arguments to the daemon (docs/pkcs11-daemon-protocol.md,
 * "Functions") and unmarshals the answer into the caller's memory.
 * Must never hold PKCS#11 logic (sessions, objects, attribute rules belong to the daemon), never
 * write more than the caller's declared capacity, nor write outputs when the reply is malformed.
 */
#define _XOPEN_SOURCE 700

/* Only the C_* functions are exported (the build uses -fvisibility=hidden). */
#pragma GCC visibility push(default)
#include "strongroom_pkcs11.h"
#pragma GCC visibility pop

#include <string.h>

#include "transport.h"
#include "wire.h"

/* Function numbers: positions in CK_FUNCTION_LIST, C_Initialize = 1 … C_WaitForSlotEvent = 68. */
enum {
  SR_FN_NONE = 0,
#define SR_FN_ENUM(name, args) FN_##name,
  SR_CK_FUNCTIONS(SR_FN_ENUM)
#undef SR_FN_ENUM
  SR_FN_COUNT
};

#define READY()                        \
  do {                                 \
    CK_RV ready_ = sr_ready();         \
    if (ready_ != CKR_OK) return ready_; \
  } while (0)

#define REQUIRE(cond)                          \
  do {                                         \
    if (!(cond)) return CKR_ARGUMENTS_BAD;     \
  } while (0)

/* A (pointer, length) input pair: NULL only with length 0. */
#define IN_OK(p, n) ((p) != NULL || (n) == 0)

/* ---- Reply helpers ---- */

/* No response body. */
static CK_RV call_none(sr_buf *b) {
  sr_reply r;
  CK_RV rv = sr_call(b, &r);
  if (rv != CKR_OK) return rv;
  rv = r.rv;
  sr_reply_free(&r);
  return rv;
}

/* Response body on CKR_OK: n × U64, written to out[0..n) only when the whole body is sound. */
static CK_RV call_ulongs(sr_buf *b, CK_ULONG *out, int n) {
  sr_reply r;
  CK_ULONG v[4];
  CK_RV rv = sr_call(b, &r);
  if (rv != CKR_OK) return rv;
  rv = r.rv;
  if (rv == CKR_OK) {
    for (int i = 0; i < n; i++) v[i] = sr_get_ulong(&r.rd);
    if (r.rd.bad)
      rv = CKR_DEVICE_ERROR;
    else
      for (int i = 0; i < n; i++)
        out[i] = v[i];
  }
  sr_reply_free(&r);
  return rv;
}

static CK_RV call_handle(sr_buf *b, CK_ULONG *out) { return call_ulongs(b, out, 1); }

/* The output-buffer convention: the request ended with OUT(out, *pulLen). */
static CK_RV call_out(sr_buf *b, CK_BYTE_PTR out, CK_ULONG_PTR pulLen) {
  CK_ULONG cap = *pulLen;
  sr_reply r;
  CK_RV rv = sr_call(b, &r);
  if (rv != CKR_OK) return rv;
  rv = r.rv;
  if (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL) {
    CK_ULONG len = sr_get_ulong(&r.rd);
    const unsigned char *data = NULL;
    size_t n = 0;
    if (rv == CKR_OK && out != NULL) {
      data = sr_get_bytes(&r.rd, &n);
      if (data != NULL && (n > cap || n != len)) r.rd.bad = 1; /* never past the caller's buffer */
    }
    if (r.rd.bad) {
      rv = CKR_DEVICE_ERROR;
    } else {
      if (data != NULL && n > 0) memcpy(out, data, n);
      *pulLen = len;
    }
  }
  sr_reply_free(&r);
  return rv;
}

/* A list of U64 (slots, mechanisms) with the size-query convention: U64 count, then the items
 * only when the caller gave a big-enough array. */
static CK_RV call_list(sr_buf *b, CK_ULONG *list, CK_ULONG_PTR pulCount) {
  CK_ULONG cap = *pulCount;
  sr_reply r;
  CK_RV rv = sr_call(b, &r);
  if (rv != CKR_OK) return rv;
  rv = r.rv;
  if (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL) {
    CK_ULONG count = sr_get_ulong(&r.rd);
    if (rv == CKR_OK && list != NULL) {
      if (count > cap || count > (r.rd.len - r.rd.pos) / 8) r.rd.bad = 1;
      sr_rd probe = r.rd; /* validate before writing anything */
      for (CK_ULONG i = 0; i < count && !probe.bad; i++) (void)sr_get_ulong(&probe);
      if (probe.bad) r.rd.bad = 1;
      for (CK_ULONG i = 0; i < count && !r.rd.bad; i++) list[i] = sr_get_ulong(&r.rd);
    }
    if (r.rd.bad)
      rv = CKR_DEVICE_ERROR;
    else
      *pulCount = count;
  }
  sr_reply_free(&r);
  return rv;
}

static CK_RV put_mech_or_fail(sr_buf *b, CK_MECHANISM_PTR m) {
  CK_RV rv = sr_put_mech(b, m);
  if (rv != CKR_OK) sr_buf_free(b);
  return rv;
}

static void put_version(CK_VERSION *v, sr_rd *rd) {
  CK_ULONG major = sr_get_ulong(rd), minor = sr_get_ulong(rd);
  if (major > 255 || minor > 255) rd->bad = 1;
  v->major = (CK_BYTE)major;
  v->minor = (CK_BYTE)minor;
}

static void pad_copy(CK_UTF8CHAR *dst, size_t size, const char *src) {
  size_t n = strlen(src);
  memset(dst, ' ', size);
  memcpy(dst, src, n < size ? n : size);
}

/* ---- General purpose (§5.4) ---- */

CK_RV C_Initialize(CK_VOID_PTR pInitArgs) { return sr_initialize((const CK_C_INITIALIZE_ARGS *)pInitArgs); }

CK_RV C_Finalize(CK_VOID_PTR pReserved) {
  READY();
  REQUIRE(pReserved == NULL);
  return sr_finalize();
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo) {
  READY();
  REQUIRE(pInfo != NULL);
  memset(pInfo, 0, sizeof *pInfo);
  pInfo->cryptokiVersion.major = 2;
  pInfo->cryptokiVersion.minor = 40;
  pad_copy(pInfo->manufacturerID, sizeof pInfo->manufacturerID, "Strongroom");
  pInfo->flags = 0;
  pad_copy(pInfo->libraryDescription, sizeof pInfo->libraryDescription, "Strongroom PKCS#11");
  pInfo->libraryVersion.major = 0;
  pInfo->libraryVersion.minor = 1;
  return CKR_OK;
}

static CK_FUNCTION_LIST g_function_list;

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList) {
  REQUIRE(ppFunctionList != NULL);
  *ppFunctionList = &g_function_list;
  return CKR_OK;
}

/* ---- Slots and tokens (§5.5) ---- */

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount) {
  READY();
  REQUIRE(pulCount != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_GetSlotList);
  sr_put_u64(&b, tokenPresent);
  sr_put_out(&b, pSlotList, pulCount);
  return call_list(&b, pSlotList, pulCount);
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo) {
  READY();
  REQUIRE(pInfo != NULL);
  sr_buf b;
  sr_reply r;
  sr_begin(&b, FN_C_GetSlotInfo);
  sr_put_u64(&b, slotID);
  CK_RV rv = sr_call(&b, &r);
  if (rv != CKR_OK) return rv;
  rv = r.rv;
  if (rv == CKR_OK) {
    CK_SLOT_INFO info;
    sr_get_padded(&r.rd, info.slotDescription, sizeof info.slotDescription);
    sr_get_padded(&r.rd, info.manufacturerID, sizeof info.manufacturerID);
    info.flags = sr_get_ulong(&r.rd);
    put_version(&info.hardwareVersion, &r.rd);
    put_version(&info.firmwareVersion, &r.rd);
    if (r.rd.bad)
      rv = CKR_DEVICE_ERROR;
    else
      *pInfo = info;
  }
  sr_reply_free(&r);
  return rv;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo) {
  READY();
  REQUIRE(pInfo != NULL);
  sr_buf b;
  sr_reply r;
  sr_begin(&b, FN_C_GetTokenInfo);
  sr_put_u64(&b, slotID);
  CK_RV rv = sr_call(&b, &r);
  if (rv != CKR_OK) return rv;
  rv = r.rv;
  if (rv == CKR_OK) {
    CK_TOKEN_INFO t;
    sr_rd *d = &r.rd;
    sr_get_padded(d, t.label, sizeof t.label);
    sr_get_padded(d, t.manufacturerID, sizeof t.manufacturerID);
    sr_get_padded(d, t.model, sizeof t.model);
    sr_get_padded(d, t.serialNumber, sizeof t.serialNumber);
    t.flags = sr_get_ulong(d);
    t.ulMaxSessionCount = sr_get_ulong(d);
    t.ulSessionCount = sr_get_ulong(d);
    t.ulMaxRwSessionCount = sr_get_ulong(d);
    t.ulRwSessionCount = sr_get_ulong(d);
    t.ulMaxPinLen = sr_get_ulong(d);
    t.ulMinPinLen = sr_get_ulong(d);
    t.ulTotalPublicMemory = sr_get_ulong(d);
    t.ulFreePublicMemory = sr_get_ulong(d);
    t.ulTotalPrivateMemory = sr_get_ulong(d);
    t.ulFreePrivateMemory = sr_get_ulong(d);
    put_version(&t.hardwareVersion, d);
    put_version(&t.firmwareVersion, d);
    sr_get_padded(d, t.utcTime, sizeof t.utcTime);
    if (d->bad)
      rv = CKR_DEVICE_ERROR;
    else
      *pInfo = t;
  }
  sr_reply_free(&r);
  return rv;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount) {
  READY();
  REQUIRE(pulCount != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_GetMechanismList);
  sr_put_u64(&b, slotID);
  sr_put_out(&b, pMechanismList, pulCount);
  return call_list(&b, pMechanismList, pulCount);
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo) {
  READY();
  REQUIRE(pInfo != NULL);
  sr_buf b;
  CK_ULONG v[3];
  sr_begin(&b, FN_C_GetMechanismInfo);
  sr_put_u64(&b, slotID);
  sr_put_u64(&b, type);
  CK_RV rv = call_ulongs(&b, v, 3);
  if (rv == CKR_OK) {
    pInfo->ulMinKeySize = v[0];
    pInfo->ulMaxKeySize = v[1];
    pInfo->flags = v[2];
  }
  return rv;
}

CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel) {
  READY();
  REQUIRE(IN_OK(pPin, ulPinLen) && pLabel != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_InitToken);
  sr_put_u64(&b, slotID);
  sr_put_bytes(&b, pPin, ulPinLen);
  sr_put_bytes(&b, pLabel, 32);
  return call_none(&b);
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  READY();
  REQUIRE(IN_OK(pPin, ulPinLen));
  sr_buf b;
  sr_begin(&b, FN_C_InitPIN);
  sr_put_u64(&b, hSession);
  sr_put_bytes(&b, pPin, ulPinLen);
  return call_none(&b);
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin,
               CK_ULONG ulNewLen) {
  READY();
  REQUIRE(IN_OK(pOldPin, ulOldLen) && IN_OK(pNewPin, ulNewLen));
  sr_buf b;
  sr_begin(&b, FN_C_SetPIN);
  sr_put_u64(&b, hSession);
  sr_put_bytes(&b, pOldPin, ulOldLen);
  sr_put_bytes(&b, pNewPin, ulNewLen);
  return call_none(&b);
}

/* ---- Sessions (§5.6) ---- */

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                    CK_SESSION_HANDLE_PTR phSession) {
  (void)pApplication; /* callbacks never cross the socket; the daemon never notifies */
  (void)Notify;
  READY();
  REQUIRE(phSession != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_OpenSession);
  sr_put_u64(&b, slotID);
  sr_put_u64(&b, flags);
  return call_handle(&b, phSession);
}

static CK_RV call_with_u64(uint32_t fn, CK_ULONG v) {
  READY();
  sr_buf b;
  sr_begin(&b, fn);
  sr_put_u64(&b, v);
  return call_none(&b);
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession) { return call_with_u64(FN_C_CloseSession, hSession); }
CK_RV C_CloseAllSessions(CK_SLOT_ID slotID) { return call_with_u64(FN_C_CloseAllSessions, slotID); }

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo) {
  READY();
  REQUIRE(pInfo != NULL);
  sr_buf b;
  CK_ULONG v[4];
  sr_begin(&b, FN_C_GetSessionInfo);
  sr_put_u64(&b, hSession);
  CK_RV rv = call_ulongs(&b, v, 4);
  if (rv == CKR_OK) {
    pInfo->slotID = v[0];
    pInfo->state = v[1];
    pInfo->flags = v[2];
    pInfo->ulDeviceError = v[3];
  }
  return rv;
}

CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG_PTR pulOperationStateLen) {
  READY();
  REQUIRE(pulOperationStateLen != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_GetOperationState);
  sr_put_u64(&b, hSession);
  sr_put_out(&b, pOperationState, pulOperationStateLen);
  return call_out(&b, pOperationState, pulOperationStateLen);
}

CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG ulOperationStateLen,
                          CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey) {
  READY();
  REQUIRE(IN_OK(pOperationState, ulOperationStateLen));
  sr_buf b;
  sr_begin(&b, FN_C_SetOperationState);
  sr_put_u64(&b, hSession);
  sr_put_bytes(&b, pOperationState, ulOperationStateLen);
  sr_put_u64(&b, hEncryptionKey);
  sr_put_u64(&b, hAuthenticationKey);
  return call_none(&b);
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  READY();
  REQUIRE(IN_OK(pPin, ulPinLen));
  sr_buf b;
  sr_begin(&b, FN_C_Login);
  sr_put_u64(&b, hSession);
  sr_put_u64(&b, userType);
  sr_put_bytes(&b, pPin, ulPinLen);
  return call_none(&b);
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession) { return call_with_u64(FN_C_Logout, hSession); }

/* ---- Objects (§5.7) ---- */

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                     CK_OBJECT_HANDLE_PTR phObject) {
  READY();
  REQUIRE(IN_OK(pTemplate, ulCount) && phObject != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_CreateObject);
  sr_put_u64(&b, hSession);
  sr_put_template(&b, pTemplate, ulCount, 1);
  return call_handle(&b, phObject);
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                   CK_OBJECT_HANDLE_PTR phNewObject) {
  READY();
  REQUIRE(IN_OK(pTemplate, ulCount) && phNewObject != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_CopyObject);
  sr_put_u64(&b, hSession);
  sr_put_u64(&b, hObject);
  sr_put_template(&b, pTemplate, ulCount, 1);
  return call_handle(&b, phNewObject);
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject) {
  READY();
  sr_buf b;
  sr_begin(&b, FN_C_DestroyObject);
  sr_put_u64(&b, hSession);
  sr_put_u64(&b, hObject);
  return call_none(&b);
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize) {
  READY();
  REQUIRE(pulSize != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_GetObjectSize);
  sr_put_u64(&b, hSession);
  sr_put_u64(&b, hObject);
  return call_handle(&b, pulSize);
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                          CK_ULONG ulCount) {
  READY();
  REQUIRE(IN_OK(pTemplate, ulCount));
  sr_buf b;
  sr_reply r;
  sr_begin(&b, FN_C_GetAttributeValue);
  sr_put_u64(&b, hSession);
  sr_put_u64(&b, hObject);
  sr_put_template(&b, pTemplate, ulCount, 0);
  CK_RV rv = sr_call(&b, &r);
  if (rv != CKR_OK) return rv;
  rv = r.rv;
  if (rv == CKR_OK || rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_BUFFER_TOO_SMALL) {
    /* Two passes: validate the whole body first, then fill the template. A value follows an
     * attribute exactly when the caller gave a buffer and the length fits it. */
    for (int pass = 0; pass < 2 && !r.rd.bad; pass++) {
      sr_rd d = r.rd;
      if (sr_get_u32(&d) != ulCount) d.bad = 1;
      for (CK_ULONG i = 0; i < ulCount && !d.bad; i++) {
        CK_ULONG len = sr_get_ulong(&d);
        const unsigned char *v = NULL;
        size_t n = 0;
        int has_value = pTemplate[i].pValue != NULL && len != CK_UNAVAILABLE_INFORMATION && len <= pTemplate[i].ulValueLen;
        if (has_value) {
          v = sr_get_bytes(&d, &n);
          if (v != NULL && n != len) d.bad = 1;
        }
        if (pass == 1 && !d.bad) {
          if (has_value && n > 0) memcpy(pTemplate[i].pValue, v, n);
          pTemplate[i].ulValueLen = len;
        }
      }
      if (d.bad) r.rd.bad = 1;
    }
    if (r.rd.bad) rv = CKR_DEVICE_ERROR;
  }
  sr_reply_free(&r);
  return rv;
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
                          CK_ULONG ulCount) {
  READY();
  REQUIRE(IN_OK(pTemplate, ulCount));
  sr_buf b;
  sr_begin(&b, FN_C_SetAttributeValue);
  sr_put_u64(&b, hSession);
  sr_put_u64(&b, hObject);
  sr_put_template(&b, pTemplate, ulCount, 1);
  return call_none(&b);
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  READY();
  REQUIRE(IN_OK(pTemplate, ulCount));
  sr_buf b;
  sr_begin(&b, FN_C_FindObjectsInit);
  sr_put_u64(&b, hSession);
  sr_put_template(&b, pTemplate, ulCount, 1);
  return call_none(&b);
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
                    CK_ULONG_PTR pulObjectCount) {
  READY();
  REQUIRE(pulObjectCount != NULL && IN_OK(phObject, ulMaxObjectCount));
  sr_buf b;
  sr_begin(&b, FN_C_FindObjects);
  sr_put_u64(&b, hSession);
  sr_put_u64(&b, ulMaxObjectCount);
  CK_ULONG count = ulMaxObjectCount;
  CK_OBJECT_HANDLE none;
  /* call_list reads U64 count then count × U64 into an array of capacity ulMaxObjectCount. */
  CK_RV rv = call_list(&b, phObject ? phObject : &none, &count);
  if (rv == CKR_OK) *pulObjectCount = count;
  return rv == CKR_BUFFER_TOO_SMALL ? CKR_DEVICE_ERROR : rv;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession) { return call_with_u64(FN_C_FindObjectsFinal, hSession); }

/* ---- Cryptographic operations (§5.8–5.12) ---- */

/*
 * C_EncryptInit's reply: empty, or BYTES iv when the HSM picked the AES-GCM IV (CKM_AES_GCM with a
 * zeroed 12-byte pIv, as CloudHSM's library does). The IV is written into the caller's pIv, and
 * only when it is a CK_GCM_PARAMS whose ulIvLen is exactly the IV's length.
 */
static CK_RV call_init_iv(sr_buf *b, CK_MECHANISM_PTR m) {
  sr_reply r;
  CK_RV rv = sr_call(b, &r);
  if (rv != CKR_OK) return rv;
  rv = r.rv;
  if (rv == CKR_OK && r.rd.pos < r.rd.len) {
    size_t n = 0;
    const unsigned char *iv = sr_get_bytes(&r.rd, &n);
    CK_GCM_PARAMS *g = (m->mechanism == CKM_AES_GCM && m->pParameter != NULL && m->ulParameterLen == sizeof(CK_GCM_PARAMS))
                           ? (CK_GCM_PARAMS *)m->pParameter
                           : NULL;
    if (r.rd.bad || r.rd.pos != r.rd.len || g == NULL || g->pIv == NULL || n == 0 || n != g->ulIvLen)
      rv = CKR_DEVICE_ERROR;
    else
      memcpy(g->pIv, iv, n);
  }
  sr_reply_free(&r);
  return rv;
}

/* *Init: U64 session, MECH, U64 key (with_key = 0 for C_DigestInit). */
static CK_RV op_init(uint32_t fn, CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey,
                     int with_key) {
  READY();
  REQUIRE(pMechanism != NULL);
  sr_buf b;
  sr_begin(&b, fn);
  sr_put_u64(&b, hSession);
  CK_RV rv = put_mech_or_fail(&b, pMechanism);
  if (rv != CKR_OK) return rv;
  if (with_key) sr_put_u64(&b, hKey);
  return fn == FN_C_EncryptInit ? call_init_iv(&b, pMechanism) : call_none(&b);
}

/* Single-part and update calls with output: U64 session, BYTES in, OUT. */
static CK_RV op_inout(uint32_t fn, CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out,
                      CK_ULONG_PTR pulOutLen) {
  READY();
  REQUIRE(IN_OK(in, inLen) && pulOutLen != NULL);
  sr_buf b;
  sr_begin(&b, fn);
  sr_put_u64(&b, hSession);
  sr_put_bytes(&b, in, inLen);
  sr_put_out(&b, out, pulOutLen);
  return call_out(&b, out, pulOutLen);
}

/* Final calls with output: U64 session, OUT. */
static CK_RV op_final(uint32_t fn, CK_SESSION_HANDLE hSession, CK_BYTE_PTR out, CK_ULONG_PTR pulOutLen) {
  READY();
  REQUIRE(pulOutLen != NULL);
  sr_buf b;
  sr_begin(&b, fn);
  sr_put_u64(&b, hSession);
  sr_put_out(&b, out, pulOutLen);
  return call_out(&b, out, pulOutLen);
}

/* Update calls without output: U64 session, BYTES in. */
static CK_RV op_in(uint32_t fn, CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen) {
  READY();
  REQUIRE(IN_OK(in, inLen));
  sr_buf b;
  sr_begin(&b, fn);
  sr_put_u64(&b, hSession);
  sr_put_bytes(&b, in, inLen);
  return call_none(&b);
}

/* Answered by the library (recover and dual-function calls, C_WaitForSlotEvent). */
static CK_RV not_supported(void) {
  READY();
  return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return op_init(FN_C_EncryptInit, hSession, pMechanism, hKey, 1);
}
CK_RV C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData,
                CK_ULONG_PTR pulEncryptedDataLen) {
  return op_inout(FN_C_Encrypt, hSession, pData, ulDataLen, pEncryptedData, pulEncryptedDataLen);
}
CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
                      CK_ULONG_PTR pulEncryptedPartLen) {
  return op_inout(FN_C_EncryptUpdate, hSession, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen);
}
CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart, CK_ULONG_PTR pulLastEncryptedPartLen) {
  return op_final(FN_C_EncryptFinal, hSession, pLastEncryptedPart, pulLastEncryptedPartLen);
}
CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return op_init(FN_C_DecryptInit, hSession, pMechanism, hKey, 1);
}
CK_RV C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData,
                CK_ULONG_PTR pulDataLen) {
  return op_inout(FN_C_Decrypt, hSession, pEncryptedData, ulEncryptedDataLen, pData, pulDataLen);
}
CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
                      CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen) {
  return op_inout(FN_C_DecryptUpdate, hSession, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen);
}
CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen) {
  return op_final(FN_C_DecryptFinal, hSession, pLastPart, pulLastPartLen);
}
CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism) {
  return op_init(FN_C_DigestInit, hSession, pMechanism, 0, 0);
}
CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest,
               CK_ULONG_PTR pulDigestLen) {
  return op_inout(FN_C_Digest, hSession, pData, ulDataLen, pDigest, pulDigestLen);
}
CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return op_in(FN_C_DigestUpdate, hSession, pPart, ulPartLen);
}
CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey) {
  READY();
  sr_buf b;
  sr_begin(&b, FN_C_DigestKey);
  sr_put_u64(&b, hSession);
  sr_put_u64(&b, hKey);
  return call_none(&b);
}
CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen) {
  return op_final(FN_C_DigestFinal, hSession, pDigest, pulDigestLen);
}
CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return op_init(FN_C_SignInit, hSession, pMechanism, hKey, 1);
}
CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
             CK_ULONG_PTR pulSignatureLen) {
  return op_inout(FN_C_Sign, hSession, pData, ulDataLen, pSignature, pulSignatureLen);
}
CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return op_in(FN_C_SignUpdate, hSession, pPart, ulPartLen);
}
CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen) {
  return op_final(FN_C_SignFinal, hSession, pSignature, pulSignatureLen);
}
CK_RV C_SignRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  (void)hSession, (void)pMechanism, (void)hKey;
  return not_supported();
}
CK_RV C_SignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen) {
  (void)hSession, (void)pData, (void)ulDataLen, (void)pSignature, (void)pulSignatureLen;
  return not_supported();
}
CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  return op_init(FN_C_VerifyInit, hSession, pMechanism, hKey, 1);
}
CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
               CK_ULONG ulSignatureLen) {
  READY();
  REQUIRE(IN_OK(pData, ulDataLen) && IN_OK(pSignature, ulSignatureLen));
  sr_buf b;
  sr_begin(&b, FN_C_Verify);
  sr_put_u64(&b, hSession);
  sr_put_bytes(&b, pData, ulDataLen);
  sr_put_bytes(&b, pSignature, ulSignatureLen);
  return call_none(&b);
}
CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen) {
  return op_in(FN_C_VerifyUpdate, hSession, pPart, ulPartLen);
}
CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen) {
  return op_in(FN_C_VerifyFinal, hSession, pSignature, ulSignatureLen);
}
CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey) {
  (void)hSession, (void)pMechanism, (void)hKey;
  return not_supported();
}
CK_RV C_VerifyRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen, CK_BYTE_PTR pData,
                      CK_ULONG_PTR pulDataLen) {
  (void)hSession, (void)pSignature, (void)ulSignatureLen, (void)pData, (void)pulDataLen;
  return not_supported();
}
CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                            CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen) {
  (void)hSession, (void)pPart, (void)ulPartLen, (void)pEncryptedPart, (void)pulEncryptedPartLen;
  return not_supported();
}
CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
                            CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen) {
  (void)hSession, (void)pEncryptedPart, (void)ulEncryptedPartLen, (void)pPart, (void)pulPartLen;
  return not_supported();
}
CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
                          CK_ULONG_PTR pulEncryptedPartLen) {
  (void)hSession, (void)pPart, (void)ulPartLen, (void)pEncryptedPart, (void)pulEncryptedPartLen;
  return not_supported();
}
CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
                            CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen) {
  (void)hSession, (void)pEncryptedPart, (void)ulEncryptedPartLen, (void)pPart, (void)pulPartLen;
  return not_supported();
}

/* ---- Keys (§5.13) ---- */

CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate,
                    CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey) {
  READY();
  REQUIRE(pMechanism != NULL && IN_OK(pTemplate, ulCount) && phKey != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_GenerateKey);
  sr_put_u64(&b, hSession);
  CK_RV rv = put_mech_or_fail(&b, pMechanism);
  if (rv != CKR_OK) return rv;
  sr_put_template(&b, pTemplate, ulCount, 1);
  return call_handle(&b, phKey);
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pPublicKeyTemplate,
                        CK_ULONG ulPublicKeyAttributeCount, CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
                        CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey,
                        CK_OBJECT_HANDLE_PTR phPrivateKey) {
  READY();
  REQUIRE(pMechanism != NULL && IN_OK(pPublicKeyTemplate, ulPublicKeyAttributeCount) &&
          IN_OK(pPrivateKeyTemplate, ulPrivateKeyAttributeCount) && phPublicKey != NULL && phPrivateKey != NULL);
  sr_buf b;
  CK_ULONG v[2];
  sr_begin(&b, FN_C_GenerateKeyPair);
  sr_put_u64(&b, hSession);
  CK_RV rv = put_mech_or_fail(&b, pMechanism);
  if (rv != CKR_OK) return rv;
  sr_put_template(&b, pPublicKeyTemplate, ulPublicKeyAttributeCount, 1);
  sr_put_template(&b, pPrivateKeyTemplate, ulPrivateKeyAttributeCount, 1);
  rv = call_ulongs(&b, v, 2);
  if (rv == CKR_OK) {
    *phPublicKey = v[0];
    *phPrivateKey = v[1];
  }
  return rv;
}

CK_RV C_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey,
                CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen) {
  READY();
  REQUIRE(pMechanism != NULL && pulWrappedKeyLen != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_WrapKey);
  sr_put_u64(&b, hSession);
  CK_RV rv = put_mech_or_fail(&b, pMechanism);
  if (rv != CKR_OK) return rv;
  sr_put_u64(&b, hWrappingKey);
  sr_put_u64(&b, hKey);
  sr_put_out(&b, pWrappedKey, pulWrappedKeyLen);
  return call_out(&b, pWrappedKey, pulWrappedKeyLen);
}

CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey,
                  CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
                  CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey) {
  READY();
  REQUIRE(pMechanism != NULL && IN_OK(pWrappedKey, ulWrappedKeyLen) && IN_OK(pTemplate, ulAttributeCount) &&
          phKey != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_UnwrapKey);
  sr_put_u64(&b, hSession);
  CK_RV rv = put_mech_or_fail(&b, pMechanism);
  if (rv != CKR_OK) return rv;
  sr_put_u64(&b, hUnwrappingKey);
  sr_put_bytes(&b, pWrappedKey, ulWrappedKeyLen);
  sr_put_template(&b, pTemplate, ulAttributeCount, 1);
  return call_handle(&b, phKey);
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey,
                  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey) {
  READY();
  REQUIRE(pMechanism != NULL && IN_OK(pTemplate, ulAttributeCount) && phKey != NULL);
  sr_buf b;
  sr_begin(&b, FN_C_DeriveKey);
  sr_put_u64(&b, hSession);
  CK_RV rv = put_mech_or_fail(&b, pMechanism);
  if (rv != CKR_OK) return rv;
  sr_put_u64(&b, hBaseKey);
  sr_put_template(&b, pTemplate, ulAttributeCount, 1);
  return call_handle(&b, phKey);
}

/* ---- Random numbers (§5.15) and legacy functions (§5.16) ---- */

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen) {
  return op_in(FN_C_SeedRandom, hSession, pSeed, ulSeedLen);
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen) {
  READY();
  REQUIRE(IN_OK(RandomData, ulRandomLen));
  sr_buf b;
  sr_reply r;
  sr_begin(&b, FN_C_GenerateRandom);
  sr_put_u64(&b, hSession);
  sr_put_u64(&b, ulRandomLen);
  CK_RV rv = sr_call(&b, &r);
  if (rv != CKR_OK) return rv;
  rv = r.rv;
  if (rv == CKR_OK) {
    size_t n;
    const unsigned char *p = sr_get_bytes(&r.rd, &n);
    if (r.rd.bad || n != ulRandomLen)
      rv = CKR_DEVICE_ERROR;
    else if (n > 0)
      memcpy(RandomData, p, n);
  }
  sr_reply_free(&r);
  return rv;
}

CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession) { return call_with_u64(FN_C_GetFunctionStatus, hSession); }
CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession) { return call_with_u64(FN_C_CancelFunction, hSession); }

CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved) {
  (void)flags, (void)pSlot, (void)pReserved;
  return not_supported();
}

/* ---- The table ---- */

static CK_FUNCTION_LIST g_function_list = {
    {2, 40},
#define SR_FN_ENTRY(name, args) name,
    SR_CK_FUNCTIONS(SR_FN_ENTRY)
#undef SR_FN_ENTRY
};

/* 68 entry points, in the specification's order (a compile-time check). */
typedef char sr_function_count_is_68[(SR_FN_COUNT - 1 == 68) ? 1 : -1];
