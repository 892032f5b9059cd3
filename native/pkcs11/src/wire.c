/*
 * wire.c: the value encodings of the daemon protocol, and the conversion of CK_MECHANISM
 * parameters to parameter kinds 0–7 (pointers never cross the socket). Must never read past a
 * caller's buffer beyond the lengths the caller declared, nor write anywhere but its own buffer.
 */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#define SR_MAX_FRAME 0xFFFFFFFFu

static int sr_reserve(sr_buf *b, size_t n) {
  if (b->err != CKR_OK) return 0;
  if (n > SR_MAX_FRAME || b->len > SR_MAX_FRAME - n) {
    b->err = CKR_ARGUMENTS_BAD; /* does not fit a u32-framed request */
    return 0;
  }
  if (b->len + n <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n) cap = cap > ((size_t)SR_MAX_FRAME + 1) / 2 ? (size_t)SR_MAX_FRAME + 1 : cap * 2;
  unsigned char *p = realloc(b->p, cap);
  if (!p) {
    b->err = CKR_HOST_MEMORY;
    return 0;
  }
  b->p = p;
  b->cap = cap;
  return 1;
}

void sr_buf_free(sr_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

void sr_put_raw(sr_buf *b, const void *p, size_t n) {
  if (n == 0 || !sr_reserve(b, n)) return;
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

void sr_put_u8(sr_buf *b, unsigned v) {
  unsigned char c = (unsigned char)v;
  sr_put_raw(b, &c, 1);
}

void sr_put_u32(sr_buf *b, uint32_t v) {
  unsigned char c[4];
  for (int i = 0; i < 4; i++) c[i] = (unsigned char)(v >> (8 * i));
  sr_put_raw(b, c, 4);
}

void sr_put_u64(sr_buf *b, uint64_t v) {
  unsigned char c[8];
  for (int i = 0; i < 8; i++) c[i] = (unsigned char)(v >> (8 * i));
  sr_put_raw(b, c, 8);
}

void sr_begin(sr_buf *b, uint32_t fn) {
  b->p = NULL;
  b->len = b->cap = 0;
  b->err = CKR_OK;
  sr_put_u32(b, 0); /* length of the rest, patched by the transport */
  sr_put_u32(b, fn);
}

void sr_put_bytes(sr_buf *b, const void *p, CK_ULONG n) {
  if (n > SR_MAX_FRAME) {
    if (b->err == CKR_OK) b->err = CKR_ARGUMENTS_BAD;
    return;
  }
  sr_put_u32(b, (uint32_t)n);
  if (n) sr_put_raw(b, p, (size_t)n);
}

void sr_put_out(sr_buf *b, const void *out, const CK_ULONG *pulLen) {
  sr_put_u8(b, out != NULL);
  sr_put_u64(b, pulLen ? (uint64_t)*pulLen : 0);
}

void sr_put_template(sr_buf *b, const CK_ATTRIBUTE *t, CK_ULONG count, int with_values) {
  if (count > SR_MAX_FRAME) {
    if (b->err == CKR_OK) b->err = CKR_ARGUMENTS_BAD;
    return;
  }
  sr_put_u32(b, (uint32_t)count);
  for (CK_ULONG i = 0; i < count; i++) {
    sr_put_u64(b, t[i].type);
    sr_put_u8(b, t[i].pValue != NULL);
    sr_put_u64(b, t[i].ulValueLen);
    if (with_values && t[i].pValue != NULL) sr_put_raw(b, t[i].pValue, (size_t)t[i].ulValueLen);
  }
}

/* ---- Mechanism parameters ---- */

enum { KIND_NONE = 0, KIND_RAW, KIND_GCM, KIND_OAEP, KIND_PSS, KIND_ECDH, KIND_CTR, KIND_RSA_AES };

static int mech_kind(CK_MECHANISM_TYPE t) {
  switch (t) {
    case CKM_AES_GCM:
    case CKM_CLOUDHSM_AES_GCM: return KIND_GCM;
    case CKM_RSA_PKCS_OAEP: return KIND_OAEP;
    case CKM_RSA_PKCS_PSS:
    case CKM_SHA1_RSA_PKCS_PSS:
    case CKM_SHA224_RSA_PKCS_PSS:
    case CKM_SHA256_RSA_PKCS_PSS:
    case CKM_SHA384_RSA_PKCS_PSS:
    case CKM_SHA512_RSA_PKCS_PSS: return KIND_PSS;
    case CKM_ECDH1_DERIVE: return KIND_ECDH;
    case CKM_AES_CTR: return KIND_CTR;
    case CKM_RSA_AES_KEY_WRAP: return KIND_RSA_AES;
    default: return KIND_RAW;
  }
}

/* A (pointer, length) pair inside a parameter struct: NULL with a length is invalid. */
static int pair_ok(const void *p, CK_ULONG n) { return p != NULL || n == 0; }

static int oaep_ok(const CK_RSA_PKCS_OAEP_PARAMS *o) {
  return pair_ok(o->pSourceData, o->ulSourceDataLen);
}

static void put_oaep(sr_buf *b, const CK_RSA_PKCS_OAEP_PARAMS *o) {
  sr_put_u64(b, o->hashAlg);
  sr_put_u64(b, o->mgf);
  sr_put_u64(b, o->source);
  sr_put_bytes(b, o->pSourceData, o->ulSourceDataLen);
}

CK_RV sr_put_mech(sr_buf *b, const CK_MECHANISM *m) {
  const void *pp = m->pParameter;
  CK_ULONG n = m->ulParameterLen;
  if (!pair_ok(pp, n)) return CKR_MECHANISM_PARAM_INVALID;
  if (pp == NULL || n == 0) {
    sr_put_u64(b, m->mechanism);
    sr_put_u8(b, KIND_NONE);
    return CKR_OK;
  }
  int kind = mech_kind(m->mechanism);
  switch (kind) {
    case KIND_GCM: {
      if (n != sizeof(CK_GCM_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
      const CK_GCM_PARAMS *g = pp;
      if (!pair_ok(g->pIv, g->ulIvLen) || !pair_ok(g->pAAD, g->ulAADLen)) return CKR_MECHANISM_PARAM_INVALID;
      sr_put_u64(b, m->mechanism);
      sr_put_u8(b, KIND_GCM);
      sr_put_bytes(b, g->pIv, g->ulIvLen);
      sr_put_bytes(b, g->pAAD, g->ulAADLen);
      sr_put_u64(b, g->ulTagBits);
      return CKR_OK;
    }
    case KIND_OAEP: {
      if (n != sizeof(CK_RSA_PKCS_OAEP_PARAMS) || !oaep_ok(pp)) return CKR_MECHANISM_PARAM_INVALID;
      sr_put_u64(b, m->mechanism);
      sr_put_u8(b, KIND_OAEP);
      put_oaep(b, pp);
      return CKR_OK;
    }
    case KIND_PSS: {
      if (n != sizeof(CK_RSA_PKCS_PSS_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
      const CK_RSA_PKCS_PSS_PARAMS *s = pp;
      sr_put_u64(b, m->mechanism);
      sr_put_u8(b, KIND_PSS);
      sr_put_u64(b, s->hashAlg);
      sr_put_u64(b, s->mgf);
      sr_put_u64(b, s->sLen);
      return CKR_OK;
    }
    case KIND_ECDH: {
      if (n != sizeof(CK_ECDH1_DERIVE_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
      const CK_ECDH1_DERIVE_PARAMS *e = pp;
      if (!pair_ok(e->pSharedData, e->ulSharedDataLen) || !pair_ok(e->pPublicData, e->ulPublicDataLen))
        return CKR_MECHANISM_PARAM_INVALID;
      sr_put_u64(b, m->mechanism);
      sr_put_u8(b, KIND_ECDH);
      sr_put_u64(b, e->kdf);
      sr_put_bytes(b, e->pSharedData, e->ulSharedDataLen);
      sr_put_bytes(b, e->pPublicData, e->ulPublicDataLen);
      return CKR_OK;
    }
    case KIND_CTR: {
      if (n != sizeof(CK_AES_CTR_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
      const CK_AES_CTR_PARAMS *c = pp;
      sr_put_u64(b, m->mechanism);
      sr_put_u8(b, KIND_CTR);
      sr_put_u64(b, c->ulCounterBits);
      sr_put_bytes(b, c->cb, sizeof c->cb);
      return CKR_OK;
    }
    case KIND_RSA_AES: {
      if (n != sizeof(CK_RSA_AES_KEY_WRAP_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
      const CK_RSA_AES_KEY_WRAP_PARAMS *w = pp;
      if (w->pOAEPParams == NULL || !oaep_ok(w->pOAEPParams)) return CKR_MECHANISM_PARAM_INVALID;
      sr_put_u64(b, m->mechanism);
      sr_put_u8(b, KIND_RSA_AES);
      sr_put_u64(b, w->ulAESKeyBits);
      put_oaep(b, w->pOAEPParams);
      return CKR_OK;
    }
    default:
      sr_put_u64(b, m->mechanism);
      sr_put_u8(b, KIND_RAW);
      sr_put_bytes(b, pp, n);
      return CKR_OK;
  }
}

/* ---- Reader ---- */

static const unsigned char *sr_take(sr_rd *r, size_t n) {
  if (r->bad || n > r->len - r->pos) {
    r->bad = 1;
    return NULL;
  }
  const unsigned char *p = r->p + r->pos;
  r->pos += n;
  return p;
}

unsigned sr_get_u8(sr_rd *r) {
  const unsigned char *p = sr_take(r, 1);
  return p ? p[0] : 0;
}

uint32_t sr_get_u32(sr_rd *r) {
  const unsigned char *p = sr_take(r, 4);
  uint32_t v = 0;
  if (p)
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

uint64_t sr_get_u64(sr_rd *r) {
  const unsigned char *p = sr_take(r, 8);
  uint64_t v = 0;
  if (p)
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

CK_ULONG sr_get_ulong(sr_rd *r) {
  uint64_t v = sr_get_u64(r);
  if ((uint64_t)(CK_ULONG)v != v) r->bad = 1;
  return (CK_ULONG)v;
}

const unsigned char *sr_get_bytes(sr_rd *r, size_t *n) {
  uint32_t len = sr_get_u32(r);
  const unsigned char *p = sr_take(r, len);
  *n = p ? len : 0;
  return p;
}

void sr_get_padded(sr_rd *r, unsigned char *dst, size_t size) {
  size_t n;
  const unsigned char *p = sr_get_bytes(r, &n);
  memset(dst, ' ', size);
  if (p) memcpy(dst, p, n < size ? n : size);
}
