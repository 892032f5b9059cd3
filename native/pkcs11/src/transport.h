/*
 * transport.h: library state (initialised or not, locking mode) and the one socket to the client
 * daemon: discovery, auto-start, fork detection, and the request/response exchange.
 * Must never interpret a PKCS#11 call: it moves frames and reports transport failures only.
 */
#ifndef STRONGROOM_TRANSPORT_H
#define STRONGROOM_TRANSPORT_H

#include "strongroom_pkcs11.h"
#include "wire.h"

/* C_Initialize / C_Finalize bookkeeping (argument checks included). */
CK_RV sr_initialize(const CK_C_INITIALIZE_ARGS *args);
CK_RV sr_finalize(void);
/* CKR_OK when C_Initialize has been called, else CKR_CRYPTOKI_NOT_INITIALIZED. */
CK_RV sr_ready(void);

typedef struct sr_reply {
  CK_RV rv;            /* the daemon's CK_RV */
  unsigned char *frame; /* owned: the whole response after the length word */
  sr_rd rd;            /* reader positioned at the body */
} sr_reply;

/* Sends req (consumed: always freed) and reads the response. Returns CKR_OK when a response
 * arrived (its CK_RV is rep->rv), or the encoding/transport failure (CKR_HOST_MEMORY,
 * CKR_ARGUMENTS_BAD, CKR_DEVICE_ERROR …), in which case rep holds nothing to free. */
CK_RV sr_call(sr_buf *req, sr_reply *rep);
void sr_reply_free(sr_reply *rep);

#endif
