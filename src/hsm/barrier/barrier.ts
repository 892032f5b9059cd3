// The barrier: seals every cluster-store record under the cluster's domain key before it leaves the
// HSM, binding the cluster id, record id and record version as associated data, so the untrusted
// store cannot move, swap, re-version or forge a record. Format: docs/sealed-record.md.
// Must never return partial plaintext, put key bytes or plaintext in an error, or keep a key after destroy().

import { HsmError } from '../../protocol/errors.js';
import { AadWriter, FORMAT_V1, KEY_LEN, OpenFailure, checkFormat, gcmOpen, gcmSeal } from './format.js';

/** Purpose label in the AAD: a record blob can never be opened as any other kind of blob. */
const RECORD_LABEL = 'strongroom/record';

export class Barrier {
  readonly #key: Buffer;
  readonly #clusterId: string;
  #destroyed = false;

  constructor(domainKey: Buffer, clusterId: string) {
    if (domainKey.length !== KEY_LEN) {
      throw new HsmError('CKR_ARGUMENTS_BAD', `domain key must be ${KEY_LEN} bytes, got ${domainKey.length}`);
    }
    if (typeof clusterId !== 'string' || clusterId.length === 0) {
      throw new HsmError('CKR_ARGUMENTS_BAD', 'cluster id must be a non-empty string');
    }
    // Our own copy, outside Buffer's shared pool, so destroy() can zeroise exactly what we hold.
    this.#key = Buffer.alloc(KEY_LEN);
    domainKey.copy(this.#key);
    this.#clusterId = clusterId;
  }

  get clusterId(): string {
    return this.#clusterId;
  }

  seal(recordId: string, version: number, plaintext: Buffer): Buffer {
    this.#live();
    if (typeof recordId !== 'string' || recordId.length === 0) {
      throw new HsmError('CKR_ARGUMENTS_BAD', 'record id must be a non-empty string');
    }
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new HsmError('CKR_ARGUMENTS_BAD', `record ${recordId}: version must be an integer >= 1, got ${version}`);
    }
    return gcmSeal(this.#key, this.#aad(FORMAT_V1, recordId, version), plaintext);
  }

  open(recordId: string, version: number, sealed: Uint8Array): Buffer {
    this.#live();
    try {
      if (!Number.isSafeInteger(version) || version < 1) throw new OpenFailure(`invalid version ${String(version)}`);
      const format = checkFormat(sealed);
      return gcmOpen(this.#key, this.#aad(format, recordId, version), sealed);
    } catch (err) {
      if (!(err instanceof OpenFailure)) throw err;
      throw new HsmError(
        'CKR_STRONGROOM_RECORD_TAMPERED',
        `sealed record ${recordId} v${String(version)} failed to open: ${err.message}`,
      );
    }
  }

  /** Zeroises the domain key; every later seal/open throws CKR_STRONGROOM_STATE. */
  destroy(): void {
    this.#key.fill(0);
    this.#destroyed = true;
  }

  #live(): void {
    if (this.#destroyed) throw new HsmError('CKR_STRONGROOM_STATE', 'barrier destroyed: the domain key was zeroised');
  }

  /** format byte || label || cluster id || record id || u64 version (strings u32-length-prefixed). */
  #aad(format: number, recordId: string, version: number): Buffer {
    return new AadWriter().byte(format).str(RECORD_LABEL).str(this.#clusterId).str(recordId).u64(version).done();
  }
}
