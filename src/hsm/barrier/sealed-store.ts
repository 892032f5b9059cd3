// SealedStore: the only way the HSM reads or writes the cluster store. Seals on put, opens on get
// and list, so nothing above it sees sealed bytes and nothing below it sees plaintext.
// Must never write an unsealed value, hand out a value that failed to open, or let one tampered
// record hide the others from list().

import { HsmError } from '../../protocol/errors.js';
import { VersionConflictError } from '../../store/store.js';
import type { ChangeEvent, ClusterStore } from '../../store/store.js';
import type { Barrier } from './barrier.js';

export interface OpenedRecord {
  id: string;
  version: number;
  value: Buffer;
}
export interface TamperedRecord {
  id: string;
  version: number;
  error: HsmError;
}

export class SealedStore {
  #barrier: Barrier | undefined;

  constructor(
    readonly store: ClusterStore,
    barrier: Barrier | undefined,
  ) {
    this.#barrier = barrier;
  }

  /** The barrier in use; CKR_STRONGROOM_STATE while this HSM holds no domain key (uncloned or zeroised). */
  get barrier(): Barrier {
    if (!this.#barrier) throw new HsmError('CKR_STRONGROOM_STATE', 'this HSM holds no domain key: it must be cloned from an active HSM');
    return this.#barrier;
  }

  get hasKey(): boolean {
    return this.#barrier !== undefined;
  }

  /** Installs the barrier after cloning, or removes (and destroys) it on tamper. */
  setBarrier(b: Barrier | undefined): void {
    if (this.#barrier && this.#barrier !== b) this.#barrier.destroy();
    this.#barrier = b;
  }

  /** The opened record, or undefined when absent; CKR_STRONGROOM_RECORD_TAMPERED if it fails to open. */
  async get(id: string): Promise<{ version: number; value: Buffer } | undefined> {
    const rec = await this.store.get(id);
    if (!rec) return undefined;
    return { version: rec.version, value: this.barrier.open(id, rec.version, rec.value) };
  }

  /** Seals value as version expectedVersion+1 and writes it by CAS; a lost race is CKR_STRONGROOM_CONFLICT. */
  async put(id: string, value: Buffer, expectedVersion: number): Promise<number> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new HsmError('CKR_ARGUMENTS_BAD', `record ${id}: expected version must be an integer >= 0`);
    }
    const next = expectedVersion + 1;
    const sealed = this.barrier.seal(id, next, value);
    const written = await conflictsAsHsm(() => this.store.put(id, sealed, expectedVersion));
    if (written !== next) {
      throw new HsmError('CKR_DEVICE_ERROR', `cluster store wrote ${id} as v${written}, expected v${next}`);
    }
    return written;
  }

  async delete(id: string, expectedVersion: number): Promise<void> {
    await conflictsAsHsm(() => this.store.delete(id, expectedVersion));
  }

  /** Every record under prefix, ordered by id; a record that fails to open is reported, not thrown. */
  async list(prefix: string): Promise<Array<OpenedRecord | TamperedRecord>> {
    const out: Array<OpenedRecord | TamperedRecord> = [];
    const barrier = this.barrier;
    for (const rec of await this.store.list(prefix)) {
      try {
        out.push({ id: rec.id, version: rec.version, value: barrier.open(rec.id, rec.version, rec.value) });
      } catch (err) {
        if (!(err instanceof HsmError)) throw err;
        out.push({ id: rec.id, version: rec.version, error: err });
      }
    }
    return out;
  }

  /** How many records lie under prefix, opening none; like every read, CKR_STRONGROOM_STATE without the domain key. */
  async count(prefix: string): Promise<number> {
    void this.barrier; // the getter throws CKR_STRONGROOM_STATE without the domain key, as every read does
    return (await this.store.list(prefix)).length;
  }

  watch(prefix: string, afterSeq: number, listener: (ev: ChangeEvent) => void): () => void {
    return this.store.watch(prefix, afterSeq, listener);
  }

  head(): Promise<number> {
    return this.store.head();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export function isTampered(r: OpenedRecord | TamperedRecord): r is TamperedRecord {
  return 'error' in r;
}

async function conflictsAsHsm<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof VersionConflictError) {
      throw new HsmError('CKR_STRONGROOM_CONFLICT', err.message, { cause: err });
    }
    throw err;
  }
}
