// Sealing of a node's own secrets at rest (its copy of the domain key, its device private key)
// under the node's storage key: the sealed-blob format v1 with AAD = format byte, a purpose label
// and a caller-chosen context string, so a blob sealed for one purpose cannot be opened for another.
// Must never return partial plaintext or put key bytes in an error message.

import { HsmError } from '../../protocol/errors.js';
import { AadWriter, FORMAT_V1, KEY_LEN, OpenFailure, checkFormat, gcmOpen, gcmSeal } from './format.js';

/** Purpose label in the AAD, distinct from the record barrier's. */
const KEY_LABEL = 'strongroom/at-rest';

function checkKey(key: Buffer): void {
  if (key.length !== KEY_LEN) throw new HsmError('CKR_ARGUMENTS_BAD', `storage key must be ${KEY_LEN} bytes, got ${key.length}`);
}

function aad(format: number, context: string): Buffer {
  return new AadWriter().byte(format).str(KEY_LABEL).str(context).done();
}

/** Seals plaintext under key, bound to context (e.g. "domain-key:<cluster id>", "device-key"). */
export function sealWithKey(key: Buffer, context: string, plaintext: Buffer): Buffer {
  checkKey(key);
  if (typeof context !== 'string' || context.length === 0) {
    throw new HsmError('CKR_ARGUMENTS_BAD', 'seal context must be a non-empty string');
  }
  return gcmSeal(key, aad(FORMAT_V1, context), plaintext);
}

/** Opens a blob from sealWithKey; any failure is CKR_STRONGROOM_RECORD_TAMPERED. */
export function openWithKey(key: Buffer, context: string, sealed: Uint8Array): Buffer {
  checkKey(key);
  try {
    return gcmOpen(key, aad(checkFormat(sealed), context), sealed);
  } catch (err) {
    if (!(err instanceof OpenFailure)) throw err;
    throw new HsmError('CKR_STRONGROOM_RECORD_TAMPERED', `sealed blob "${context}" failed to open: ${err.message}`);
  }
}
