/*
 * wire.h: encoding of request bodies and decoding of response bodies for the library ↔ daemon
 * protocol (docs/pkcs11-daemon-protocol.md, "Frames"). Little-endian integers, BYTES, OUT,
 * TEMPLATE and MECH values. Pure byte shuffling: must never touch a socket nor decide a CK_RV
 * beyond "this does not fit" (CKR_HOST_MEMORY, CKR_ARGUMENTS_BAD, CKR_MECHANISM_PARAM_INVALID).
 */
#ifndef STRONGROOM_WIRE_H
#define STRONGROOM_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "strongroom_pkcs11.h"

/* A growable request buffer. The first failure is kept in err; later writes are ignored. */
typedef struct sr_buf {
  unsigned char *p;
  size_t len;
  size_t cap;
  CK_RV err;
} sr_buf;

/* Starts a request frame: u32 length placeholder, u32 function number. */
void sr_begin(sr_buf *b, uint32_t fn);
void sr_buf_free(sr_buf *b);
void sr_put_u8(sr_buf *b, unsigned v);
void sr_put_u32(sr_buf *b, uint32_t v);
void sr_put_u64(sr_buf *b, uint64_t v);
void sr_put_raw(sr_buf *b, const void *p, size_t n);
/* BYTES: u32 n, then n bytes (p may be NULL only when n is 0). */
void sr_put_bytes(sr_buf *b, const void *p, CK_ULONG n);
/* OUT: u8 present (out != NULL), u64 capacity (*pulLen). */
void sr_put_out(sr_buf *b, const void *out, const CK_ULONG *pulLen);
/* TEMPLATE_IN (values sent) or TEMPLATE_QUERY (no values; ulValueLen is the capacity). */
void sr_put_template(sr_buf *b, const CK_ATTRIBUTE *t, CK_ULONG count, int with_values);
/* MECH: returns CKR_MECHANISM_PARAM_INVALID (without writing) when the parameter has the wrong
 * size for its kind or a NULL pointer with a non-zero length. */
CK_RV sr_put_mech(sr_buf *b, const CK_MECHANISM *m);

/* A reader over a response body. Any overrun sets bad and returns zeros. */
typedef struct sr_rd {
  const unsigned char *p;
  size_t len;
  size_t pos;
  int bad;
} sr_rd;

unsigned sr_get_u8(sr_rd *r);
uint32_t sr_get_u32(sr_rd *r);
uint64_t sr_get_u64(sr_rd *r);
/* BYTES: returns a pointer into the body and its length in *n. */
const unsigned char *sr_get_bytes(sr_rd *r, size_t *n);
/* Fixed blank-padded field (STRING32/STRING64 …) sent as BYTES. */
void sr_get_padded(sr_rd *r, unsigned char *dst, size_t size);
/* A U64 that must fit a CK_ULONG (and for versions a CK_BYTE; checked by the caller). */
CK_ULONG sr_get_ulong(sr_rd *r);

#endif
