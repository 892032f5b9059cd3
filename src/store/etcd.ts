// EtcdStore: the ClusterStore engine for HSMs on several machines, on an etcd 3.4+ cluster (etcd3
// client). etcd's Raft does replication and consensus; this file only maps the interface onto it.
// Holds opaque bytes only: must never interpret, log or cache record values, must never write
// outside its key namespace, and imports nothing in src/ but store/.
//
// Layout under the namespace (default 'strongroom/'; namespaces must not be prefixes of each other):
//   <ns>r/<id>  the record's bytes. Its version is etcd's own per-key `version` (1 on create, +1 on
//               every put, back to 0 when deleted), so CAS is a transaction If(version == expected).
//   <ns>seq     the change log: every write transaction also puts this key with the change
//               [kind, version, id] as its value. The feed's seq is this key's etcd `version`, so
//               seqs are dense, start at 0 for a fresh namespace and count only this namespace's
//               writes (the conformance contract, shared with SQLite and memory). A raw etcd
//               revision would also count other tenants' writes and start at 1 on a fresh cluster.
//               Never delete <ns>seq while nodes run: the feed would restart at 1 and be dropped.
//
// Consistency: get/list/head are linearizable by default (they need a quorum, like writes), so a
// read never returns a record that has already been deleted or replaced on the cluster. With
// readConsistency 'serializable' reads are served by any reachable member, possibly stale (and they
// still work when the quorum is lost). CAS stays safe either way: the write rechecks the version.
//
// Failure: every call has one deadline (callTimeoutMs, default 3 s) shared by the client's retries
// across endpoints, plus a hard timer; past it the call rejects with StoreUnavailableError
// ("cluster store unreachable …"). A write that times out may still have been applied.
//
// Watch: a watcher resolves afterSeq to an etcd revision (binary search on <ns>seq's history),
// watches <ns>seq from there, and delivers each change once, in seq order (it drops seq <= the last
// one delivered, so the client's reconnect-and-replay never duplicates). If etcd has compacted the
// history the watcher needs, onError gets a StoreHistoryCompactedError and the watcher goes on from
// the current head, delivering nothing older: the consumer must resync with list().

import { Etcd3, isRecoverableError } from 'etcd3';
import type { IKeyValue, IOperation, IOptions, Watcher as EtcdWatcher } from 'etcd3';
import { StoreUnavailableError, VersionConflictError } from './store.js';
export { StoreUnavailableError } from './store.js';
import type { ChangeEvent, ClusterStore, StoredRecord } from './store.js';

export interface EtcdStoreOptions {
  /** Client URLs of the etcd members, e.g. ['https://10.0.0.1:2379']. */
  endpoints: string[];
  /** Key namespace (default 'strongroom/'). One per Strongroom cluster. */
  prefix?: string;
  /** Milliseconds to wait while connecting to a member (default 3000). */
  dialTimeoutMs?: number;
  /** Deadline of every call, retries included (default 3000). */
  callTimeoutMs?: number;
  /** 'linearizable' (default) or 'serializable' reads; see the header. */
  readConsistency?: 'linearizable' | 'serializable';
  /** TLS to etcd (endpoints must then be https://): CA bundle, and a client certificate for mTLS. */
  tls?: { ca: Uint8Array; cert?: Uint8Array; key?: Uint8Array };
  /** etcd password authentication. */
  auth?: { username: string; password: string };
  /**
   * Called when a watch listener throws, a watcher cannot (re)connect, or the history a watcher
   * needs was compacted (StoreHistoryCompactedError); the feed goes on (default: process.emitWarning).
   */
  onError?: (err: unknown) => void;
}

/** The store could not be reached (no endpoint answered, or no quorum) within the call deadline. */
export class EtcdUnavailableError extends StoreUnavailableError {
  constructor(operation: string, timeoutMs: number, endpoints: readonly string[], cause?: unknown) {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      `cluster store unreachable: etcd (${endpoints.join(', ')}) did not complete ${operation} within ${timeoutMs} ms` +
        `${why}${operation === 'put' || operation === 'delete' ? ' (the write may or may not have been applied)' : ''}`,
      { cause },
    );
  }
}

/** etcd no longer holds the change history a watcher needed; events were lost, resync with list(). */
export class StoreHistoryCompactedError extends Error {
  constructor(readonly afterSeq: number, cause?: unknown) {
    super(`cluster store change history after seq ${afterSeq} was compacted by etcd; resync with list()`, { cause });
    this.name = 'StoreHistoryCompactedError';
  }
}

interface Watch {
  prefix: string;
  lastSeq: number;
  listener: (ev: ChangeEvent) => void;
  active: boolean;
  etcd: EtcdWatcher | undefined;
  retry: NodeJS.Timeout | undefined;
}

/** Key suffixes under the namespace (see the header). */
const SEQ = 'seq';
const REC = 'r/';
/** Records per range call when listing (values may be up to etcd's 1.5 MiB request limit). */
const LIST_PAGE = 64;

export class EtcdStore implements ClusterStore {
  readonly #client: Etcd3;
  /** The namespace as bytes; every key this store touches starts with it. */
  readonly #ns: Buffer;
  readonly #seqKey: Buffer;
  readonly #endpoints: readonly string[];
  readonly #timeoutMs: number;
  readonly #serializable: boolean;
  readonly #onError: (err: unknown) => void;
  readonly #watches = new Set<Watch>();
  #closed = false;

  private constructor(client: Etcd3, options: EtcdStoreOptions) {
    this.#client = client;
    this.#ns = Buffer.from(options.prefix ?? 'strongroom/', 'utf8');
    this.#seqKey = this.#key(SEQ);
    this.#endpoints = [...options.endpoints];
    this.#timeoutMs = options.callTimeoutMs ?? 3000;
    this.#serializable = options.readConsistency === 'serializable';
    this.#onError = options.onError ?? defaultOnError;
  }

  /** Connects and checks that the cluster answers (StoreUnavailableError otherwise). */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    if (options.endpoints.length === 0) throw new RangeError('EtcdStore needs at least one endpoint');
    if ((options.prefix ?? 'strongroom/').length === 0) throw new RangeError('EtcdStore prefix must not be empty');
    const timeout = options.callTimeoutMs ?? 3000;
    if (!Number.isSafeInteger(timeout) || timeout < 1) throw new RangeError('callTimeoutMs must be a positive integer');
    const config: IOptions = {
      hosts: [...options.endpoints],
      dialTimeout: options.dialTimeoutMs ?? 3000,
      // A record can be as large as etcd accepts (1.5 MiB by default); list pages hold several.
      grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
    };
    if (options.tls) {
      config.credentials = {
        rootCertificate: Buffer.from(options.tls.ca),
        ...(options.tls.cert ? { certChain: Buffer.from(options.tls.cert) } : {}),
        ...(options.tls.key ? { privateKey: Buffer.from(options.tls.key) } : {}),
      };
    }
    if (options.auth) config.auth = { ...options.auth };
    const store = new EtcdStore(new Etcd3(config), options);
    try {
      await store.head();
      return store;
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    this.#open();
    const res = await this.#call('get', (o) => this.#client.get(this.#key(REC + id)).serializable(this.#serializable).options(o).exec());
    const kv = res.kvs[0];
    return kv ? toRecord(id, kv) : undefined;
  }

  async put(id: string, value: Uint8Array, expectedVersion: number): Promise<number> {
    this.#open();
    checkId(id);
    checkVersion(expectedVersion, 0);
    const bytes = Buffer.from(value); // a copy: the caller may reuse its buffer once we return
    const next = expectedVersion + 1;
    await this.#cas('put', id, expectedVersion, this.#client.put(this.#key(REC + id)).value(bytes), next);
    return next;
  }

  async delete(id: string, expectedVersion: number): Promise<void> {
    this.#open();
    checkId(id);
    checkVersion(expectedVersion, 1);
    await this.#cas('delete', id, expectedVersion, this.#client.delete().key(this.#key(REC + id)), expectedVersion);
  }

  async list(prefix: string): Promise<StoredRecord[]> {
    this.#open();
    const out: StoredRecord[] = [];
    const start = this.#key(REC + prefix);
    const end = prefixEnd(start);
    const skip = this.#key(REC).length;
    let from = start;
    let revision: string | undefined;
    for (;;) {
      // Pages after the first read at the first page's revision, so the list is one snapshot.
      const res = await this.#call('list', (o) => {
        const q = this.#client
          .getAll()
          .inRange({ start: from, end })
          .sort('Key', 'Ascend')
          .limit(LIST_PAGE)
          .serializable(this.#serializable)
          .options(o);
        if (revision !== undefined) q.revision(revision);
        return q.exec();
      });
      revision ??= res.header.revision;
      for (const kv of res.kvs) out.push(toRecord(kv.key.subarray(skip).toString('utf8'), kv));
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !last) return out;
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }

  watch(prefix: string, afterSeq: number, listener: (ev: ChangeEvent) => void): () => void {
    this.#open();
    checkVersion(afterSeq, 0);
    const w: Watch = { prefix, lastSeq: afterSeq, listener, active: true, etcd: undefined, retry: undefined };
    this.#watches.add(w);
    void this.#attach(w);
    return () => this.#stopWatch(w);
  }

  async head(): Promise<number> {
    this.#open();
    const res = await this.#call('head', (o) => this.#client.get(this.#seqKey).serializable(this.#serializable).options(o).exec());
    return Number(res.kvs[0]?.version ?? 0);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stopping = [...this.#watches].map((w) => this.#stopWatch(w));
    await Promise.allSettled(stopping);
    this.#client.close();
  }

  #open(): void {
    if (this.#closed) throw new Error('EtcdStore is closed');
  }

  /** One compare-and-swap transaction: If(version == expected) Then(op, log change) Else(read actual). */
  async #cas(
    kind: ChangeEvent['kind'],
    id: string,
    expected: number,
    op: IOperation,
    version: number,
  ): Promise<void> {
    const change = Buffer.from(JSON.stringify([kind, version, id]));
    const res = await this.#call(kind, (o) =>
      this.#client
        .if(this.#key(REC + id), 'Version', '==', expected)
        .then(op, this.#client.put(this.#seqKey).value(change))
        .else(this.#client.get(this.#key(REC + id)))
        .options(o)
        .commit(),
    );
    if (res.succeeded) return;
    const actual = Number(res.responses[0]?.response_range?.kvs[0]?.version ?? 0);
    throw new VersionConflictError(id, expected, actual);
  }

  /**
   * Runs one etcd call under the store's deadline: the client's own retries share the deadline, and
   * a timer bounds the whole call even if the client keeps waiting for a connection.
   */
  async #call<T>(operation: string, fn: (o: { deadline: Date }) => Promise<T>): Promise<T> {
    const deadline = new Date(Date.now() + this.#timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EtcdUnavailableError(operation, this.#timeoutMs, this.#endpoints)), this.#timeoutMs + 200);
    });
    try {
      return await Promise.race([fn({ deadline }), timeout]);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      if (isUnavailable(err)) throw new EtcdUnavailableError(operation, this.#timeoutMs, this.#endpoints, err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  #key(suffix: string): Buffer {
    return Buffer.concat([this.#ns, Buffer.from(suffix, 'utf8')]);
  }

  /** Resolves where to start, then attaches an etcd watcher on <ns>seq; retries until stopped. */
  async #attach(w: Watch): Promise<void> {
    if (!w.active) return;
    try {
      const start = await this.#startRevision(w);
      if (!w.active) return;
      const watcher = await this.#client.watch().key(this.#seqKey).startRevision(String(start)).create();
      if (!w.active) {
        await watcher.cancel().catch(() => undefined);
        return;
      }
      w.etcd = watcher;
      watcher.on('put', (kv: IKeyValue) => this.#deliver(w, kv));
      // The client resumes from the response header's revision + 1; in a catch-up batch that header
      // is the cluster head, past events not sent yet. Resume from the last event seen instead.
      watcher.on('data', (res) => {
        const last = res.events[res.events.length - 1];
        if (last) watcher.request.start_revision = Number(last.kv.mod_revision) + 1;
      });
      watcher.on('error', (err) => {
        // The server cancelled the watcher (e.g. compaction): report, then start again.
        if (!w.active) return;
        w.etcd = undefined;
        this.#onError(isCompacted(err) ? new StoreHistoryCompactedError(w.lastSeq, err) : err);
        void watcher.cancel().catch(() => undefined);
        this.#retryAttach(w, 0);
      });
    } catch (err) {
      if (!w.active || this.#closed) return;
      this.#onError(err);
      this.#retryAttach(w, 1000);
    }
  }

  #retryAttach(w: Watch, delayMs: number): void {
    if (!w.active || this.#closed) return;
    w.retry = setTimeout(() => {
      w.retry = undefined;
      void this.#attach(w);
    }, delayMs);
    w.retry.unref();
  }

  /** The etcd revision of the first change with seq > w.lastSeq (or the next revision, if none yet). */
  async #startRevision(w: Watch): Promise<number> {
    const res = await this.#call('watch', (o) => this.#client.get(this.#seqKey).options(o).exec());
    const kv = res.kvs[0];
    const headRev = Number(res.header.revision);
    if (!kv || Number(kv.version) <= w.lastSeq) return headRev + 1;
    let lo = Number(kv.create_revision); // <ns>seq has version 1 here
    if (w.lastSeq === 0) return lo;
    // Invariant: version at lo <= lastSeq < version at hi.
    let hi = Number(kv.mod_revision);
    try {
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        const at = await this.#call('watch', (o) => this.#client.get(this.#seqKey).revision(mid).options(o).exec());
        if (Number(at.kvs[0]?.version ?? 0) > w.lastSeq) hi = mid;
        else lo = mid;
      }
      return hi;
    } catch (err) {
      if (!isCompacted(err)) throw err;
      // The history is gone: deliver nothing older than now, and say so.
      this.#onError(new StoreHistoryCompactedError(w.lastSeq, err));
      w.lastSeq = Number(kv.version);
      return headRev + 1;
    }
  }

  #deliver(w: Watch, kv: IKeyValue): void {
    const seq = Number(kv.version);
    if (!w.active || this.#closed || seq <= w.lastSeq) return;
    w.lastSeq = seq;
    let ev: ChangeEvent;
    try {
      const [kind, version, id] = JSON.parse(kv.value.toString('utf8')) as [ChangeEvent['kind'], number, string];
      ev = { seq, id, kind, version };
    } catch (err) {
      this.#onError(new Error(`malformed change log entry at seq ${seq}`, { cause: err }));
      return;
    }
    if (!ev.id.startsWith(w.prefix)) return;
    try {
      w.listener(ev);
    } catch (err) {
      this.#onError(err);
    }
  }

  async #stopWatch(w: Watch): Promise<void> {
    w.active = false;
    this.#watches.delete(w);
    if (w.retry) clearTimeout(w.retry);
    const etcd = w.etcd;
    w.etcd = undefined;
    if (etcd) await etcd.cancel().catch(() => undefined);
  }
}

function toRecord(id: string, kv: IKeyValue): StoredRecord {
  return { id, version: Number(kv.version), value: new Uint8Array(kv.value) };
}

/** The first key after every key starting with p (etcd's prefix range end). */
function prefixEnd(p: Buffer): Buffer {
  const end = Buffer.from(p);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all 0xff: to the end of the keyspace
}

function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return isRecoverableError(err) || err.name === 'BrokenCircuitError' || /unavailable|no leader|timed out/i.test(err.message);
}

function isCompacted(err: unknown): boolean {
  return err instanceof Error && /compacted/i.test(err.message);
}

function checkId(id: string): void {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError('record id must be a non-empty string');
}

function checkVersion(v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`version must be an integer >= ${min}, got ${v}`);
}

function defaultOnError(err: unknown): void {
  process.emitWarning(`store change feed: ${err instanceof Error ? err.message : String(err)}`);
}
