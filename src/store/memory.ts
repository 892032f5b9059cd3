// MemoryStore: the in-process ClusterStore engine for unit tests and single-process tools.
// Same contract as the SQLite engine (CAS on version, ordered change feed delivered exactly once,
// delivered asynchronously). Holds opaque bytes only; must never interpret, log or persist them,
// and imports nothing in src/ but store/.

import { VersionConflictError } from './store.js';
import type { ChangeEvent, ClusterStore, StoredRecord } from './store.js';

export interface MemoryStoreOptions {
  /** Change events kept for watchers that start from a past seq (default 100 000). */
  retainChanges?: number;
  /** Called when a watch listener throws; the feed goes on (default: process.emitWarning). */
  onError?: (err: unknown) => void;
}

interface Watcher {
  prefix: string;
  cursor: number;
  listener: (ev: ChangeEvent) => void;
  active: boolean;
}

/** Orders ids by their UTF-8 bytes (= code point order), as SQLite's BINARY collation does. */
export function compareIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class MemoryStore implements ClusterStore {
  readonly #records = new Map<string, { version: number; value: Uint8Array }>();
  /** Change log; #log[i] has seq #firstSeq + i (the memory feed has no gaps). */
  #log: ChangeEvent[] = [];
  #firstSeq = 1;
  #seq = 0;
  readonly #watchers = new Set<Watcher>();
  #flushQueued = false;
  #closed = false;
  readonly #retain: number;
  readonly #onError: (err: unknown) => void;

  constructor(options: MemoryStoreOptions = {}) {
    this.#retain = options.retainChanges ?? 100_000;
    if (!Number.isSafeInteger(this.#retain) || this.#retain < 1) {
      throw new RangeError('retainChanges must be a positive integer');
    }
    this.#onError = options.onError ?? defaultOnError;
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    this.#open();
    const rec = this.#records.get(id);
    return rec ? { id, version: rec.version, value: Uint8Array.from(rec.value) } : undefined;
  }

  async put(id: string, value: Uint8Array, expectedVersion: number): Promise<number> {
    this.#open();
    checkId(id);
    checkVersion(expectedVersion, 0);
    const actual = this.#records.get(id)?.version ?? 0;
    if (actual !== expectedVersion) throw new VersionConflictError(id, expectedVersion, actual);
    const version = expectedVersion + 1;
    this.#records.set(id, { version, value: Uint8Array.from(value) });
    this.#append(id, 'put', version);
    return version;
  }

  async delete(id: string, expectedVersion: number): Promise<void> {
    this.#open();
    checkId(id);
    checkVersion(expectedVersion, 1);
    const actual = this.#records.get(id)?.version ?? 0;
    if (actual !== expectedVersion) throw new VersionConflictError(id, expectedVersion, actual);
    this.#records.delete(id);
    this.#append(id, 'delete', expectedVersion);
  }

  async list(prefix: string): Promise<StoredRecord[]> {
    this.#open();
    const out: StoredRecord[] = [];
    for (const [id, rec] of this.#records) {
      if (id.startsWith(prefix)) out.push({ id, version: rec.version, value: Uint8Array.from(rec.value) });
    }
    return out.sort((a, b) => compareIds(a.id, b.id));
  }

  watch(prefix: string, afterSeq: number, listener: (ev: ChangeEvent) => void): () => void {
    this.#open();
    checkVersion(afterSeq, 0);
    const w: Watcher = { prefix, cursor: afterSeq, listener, active: true };
    this.#watchers.add(w);
    this.#queueFlush();
    return () => {
      w.active = false;
      this.#watchers.delete(w);
    };
  }

  async head(): Promise<number> {
    this.#open();
    return this.#seq;
  }

  /** Oldest seq still in the feed; a watcher starting before firstSeq()-1 has missed events. */
  async firstSeq(): Promise<number> {
    this.#open();
    return this.#firstSeq;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#watchers) w.active = false;
    this.#watchers.clear();
  }

  #open(): void {
    if (this.#closed) throw new Error('MemoryStore is closed');
  }

  #append(id: string, kind: ChangeEvent['kind'], version: number): void {
    this.#seq += 1;
    this.#log.push({ seq: this.#seq, id, kind, version });
    if (this.#log.length > this.#retain * 2) {
      const drop = this.#log.length - this.#retain;
      this.#log = this.#log.slice(drop);
      this.#firstSeq += drop;
    }
    this.#queueFlush();
  }

  #queueFlush(): void {
    if (this.#flushQueued || this.#watchers.size === 0) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  /** Delivers to each watcher, in seq order, every event after its cursor; the cursor moves first. */
  #flush(): void {
    for (const w of [...this.#watchers]) {
      while (w.active && !this.#closed && w.cursor < this.#seq) {
        const next = Math.max(w.cursor + 1, this.#firstSeq);
        const ev = this.#log[next - this.#firstSeq];
        w.cursor = next;
        if (ev && ev.id.startsWith(w.prefix)) {
          try {
            w.listener({ ...ev });
          } catch (err) {
            this.#onError(err);
          }
        }
      }
    }
  }
}

function checkId(id: string): void {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError('record id must be a non-empty string');
}

function checkVersion(v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`version must be an integer >= ${min}, got ${v}`);
}

function defaultOnError(err: unknown): void {
  process.emitWarning(`store watch listener threw: ${err instanceof Error ? err.message : String(err)}`);
}
