// The cluster store interface: dumb, untrusted engines that keep opaque bytes under string ids.
// Engines never see plaintext (the HSM's barrier seals every value first). Imports nothing in src/.
// Writes are compare-and-swap on a per-record version; there is no last-writer-wins path.

export interface StoredRecord {
  id: string;
  /** Version of this record: 1 after creation, +1 on every successful put. */
  version: number;
  value: Uint8Array;
}

export interface ChangeEvent {
  /**
   * Monotonic, gap-free position in this store's change feed: SQLite's change sequence; on etcd the
   * version of the namespace's own change-log key (so other namespaces never move it).
   */
  seq: number;
  id: string;
  kind: 'put' | 'delete';
  version: number;
}

export class VersionConflictError extends Error {
  constructor(readonly id: string, readonly expected: number, readonly actual: number) {
    super(`version conflict on ${id}: expected ${expected}, found ${actual}`);
    this.name = 'VersionConflictError';
  }
}

/** The store cannot be reached (no quorum, all endpoints down): the HSM reports it, never hangs. */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export interface ClusterStore {
  /** The record, or undefined when absent. */
  get(id: string): Promise<StoredRecord | undefined>;
  /**
   * Writes value if the record's current version equals expectedVersion (0 = must not exist).
   * Returns the new version (expectedVersion + 1). Throws VersionConflictError otherwise.
   */
  put(id: string, value: Uint8Array, expectedVersion: number): Promise<number>;
  /** Deletes if the current version equals expectedVersion; throws VersionConflictError otherwise. */
  delete(id: string, expectedVersion: number): Promise<void>;
  /** All records whose id starts with prefix, ordered by id. */
  list(prefix: string): Promise<StoredRecord[]>;
  /** Change events after `afterSeq`, in order; the listener gets each exactly once. Returns a stop function. */
  watch(prefix: string, afterSeq: number, listener: (ev: ChangeEvent) => void): () => void;
  /** Current head of the change feed. */
  head(): Promise<number>;
  close(): Promise<void>;
}
