// SqliteStore: the embedded ClusterStore engine (better-sqlite3, WAL). Every HSM node process on a
// machine opens the same file; writes serialise on SQLite's write lock (BEGIN IMMEDIATE) and each
// one appends to the `changes` table in the same transaction, which is the change feed watchers poll.
// Holds opaque bytes only: must never interpret, log or cache record values, and imports nothing
// in src/ but store/.
//
// Durability: synchronous=FULL. In WAL mode NORMAL survives process crashes but a power loss can
// drop the last commits; here a commit means "key created / user changed" has been acknowledged to
// a client (and audited), so losing it silently is worse than the extra fsync per write. Writes
// are rare next to crypto operations, which never touch the store.
//
// Why polling is exactly-once: a seq is allocated inside the write lock and committed before the
// next writer can take it, so every reader snapshot sees a gap-free prefix of the feed. A watcher's
// cursor therefore only has to move forward past every row it has been shown.

import Database from 'better-sqlite3';
import { VersionConflictError } from './store.js';
import type { ChangeEvent, ClusterStore, StoredRecord } from './store.js';

export interface SqliteStoreOptions {
  /** Milliseconds a statement waits for another process's lock before SQLITE_BUSY (default 5000). */
  busyTimeoutMs?: number;
  /** Change-feed poll period in milliseconds (default 20). */
  pollIntervalMs?: number;
  /** Change rows kept for watchers that start from a past seq (default 100 000). */
  retainChanges?: number;
  /**
   * Called when a watch listener throws or a poll query fails; the feed goes on and a failed poll
   * is retried at the next tick (default: process.emitWarning).
   */
  onError?: (err: unknown) => void;
}

interface Watcher {
  prefix: string;
  cursor: number;
  listener: (ev: ChangeEvent) => void;
  active: boolean;
}

interface RecordRow {
  id: string;
  version: number;
  value: Buffer;
}
interface ChangeRow {
  seq: number;
  id: string;
  kind: ChangeEvent['kind'];
  version: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  id      TEXT PRIMARY KEY,
  version INTEGER NOT NULL CHECK (version >= 1),
  value   BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  id      TEXT NOT NULL,
  kind    TEXT NOT NULL CHECK (kind IN ('put', 'delete')),
  version INTEGER NOT NULL
);
`;

/** Rows read per poll query; a long backlog is drained in several queries within one poll. */
const POLL_BATCH = 1000;
/** Pruning runs inside the write whose seq is a multiple of this (whichever process writes it). */
const PRUNE_EVERY = 1024;

export class SqliteStore implements ClusterStore {
  readonly #db: Database.Database;
  readonly #pollMs: number;
  readonly #retain: number;
  readonly #onError: (err: unknown) => void;
  readonly #watchers = new Set<Watcher>();
  #timer: NodeJS.Timeout | undefined;
  #kick: NodeJS.Immediate | undefined;
  #closed = false;

  readonly #getStmt: Database.Statement<[string], RecordRow>;
  readonly #listStmt: Database.Statement<[string], RecordRow>;
  readonly #changesStmt: Database.Statement<[number, number], ChangeRow>;
  readonly #headStmt: Database.Statement<[], { head: number }>;
  readonly #firstStmt: Database.Statement<[], { first: number | null }>;
  readonly #putTx: (id: string, value: Buffer, expected: number) => number;
  readonly #deleteTx: (id: string, expected: number) => void;

  private constructor(db: Database.Database, options: SqliteStoreOptions) {
    this.#db = db;
    this.#pollMs = options.pollIntervalMs ?? 20;
    this.#retain = options.retainChanges ?? 100_000;
    this.#onError = options.onError ?? defaultOnError;

    this.#getStmt = db.prepare('SELECT id, version, value FROM records WHERE id = ?');
    // BINARY collation compares UTF-8 bytes, so ids sharing a prefix form one run starting at it.
    this.#listStmt = db.prepare('SELECT id, version, value FROM records WHERE id >= ? ORDER BY id');
    this.#changesStmt = db.prepare(
      'SELECT seq, id, kind, version FROM changes WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.#headStmt = db.prepare(
      `SELECT COALESCE((SELECT MAX(seq) FROM changes),
                       (SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0) AS head`,
    );
    this.#firstStmt = db.prepare('SELECT MIN(seq) AS first FROM changes');

    const version = db.prepare<[string], { version: number }>('SELECT version FROM records WHERE id = ?');
    const insert = db.prepare<[string, number, Buffer]>('INSERT INTO records (id, version, value) VALUES (?, ?, ?)');
    const update = db.prepare<[number, Buffer, string]>('UPDATE records SET version = ?, value = ? WHERE id = ?');
    const remove = db.prepare<[string]>('DELETE FROM records WHERE id = ?');
    const change = db.prepare<[string, string, number]>('INSERT INTO changes (id, kind, version) VALUES (?, ?, ?)');
    const prune = db.prepare<[number]>('DELETE FROM changes WHERE seq <= ?');

    const record = (id: string, kind: ChangeEvent['kind'], v: number): void => {
      const seq = Number(change.run(id, kind, v).lastInsertRowid);
      if (seq % PRUNE_EVERY === 0 && seq > this.#retain) prune.run(seq - this.#retain);
    };
    const put = db.transaction((id: string, value: Buffer, expected: number): number => {
      const actual = version.get(id)?.version ?? 0;
      if (actual !== expected) throw new VersionConflictError(id, expected, actual);
      const next = expected + 1;
      if (expected === 0) insert.run(id, next, value);
      else update.run(next, value, id);
      record(id, 'put', next);
      return next;
    });
    const del = db.transaction((id: string, expected: number): void => {
      const actual = version.get(id)?.version ?? 0;
      if (actual !== expected) throw new VersionConflictError(id, expected, actual);
      remove.run(id);
      record(id, 'delete', expected);
    });
    // IMMEDIATE takes the write lock before the version read, so the check and the write are atomic
    // across processes and a lost race is a VersionConflictError, never SQLITE_BUSY mid-transaction.
    this.#putTx = (id, value, expected) => put.immediate(id, value, expected);
    this.#deleteTx = (id, expected) => del.immediate(id, expected);
  }

  /** Opens (creating if needed) the store file; safe to call from several processes at once. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const retain = options.retainChanges ?? 100_000;
    if (!Number.isSafeInteger(retain) || retain < PRUNE_EVERY) {
      throw new RangeError(`retainChanges must be an integer >= ${PRUNE_EVERY}`);
    }
    const db = new Database(path);
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      const mode = retryBusy(() => db.pragma('journal_mode = WAL', { simple: true }));
      if (mode !== 'wal' && !db.memory) throw new Error(`SQLite refused WAL mode (got ${String(mode)})`);
      db.pragma('synchronous = FULL');
      retryBusy(() => db.transaction(() => db.exec(SCHEMA)).immediate());
      return new SqliteStore(db, options);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    this.#open();
    const row = this.#getStmt.get(id);
    return row ? { id: row.id, version: row.version, value: row.value } : undefined;
  }

  async put(id: string, value: Uint8Array, expectedVersion: number): Promise<number> {
    this.#open();
    checkId(id);
    checkVersion(expectedVersion, 0);
    const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const next = this.#putTx(id, buf, expectedVersion);
    this.#kickPoll();
    return next;
  }

  async delete(id: string, expectedVersion: number): Promise<void> {
    this.#open();
    checkId(id);
    checkVersion(expectedVersion, 1);
    this.#deleteTx(id, expectedVersion);
    this.#kickPoll();
  }

  async list(prefix: string): Promise<StoredRecord[]> {
    this.#open();
    const out: StoredRecord[] = [];
    for (const row of this.#listStmt.iterate(prefix)) {
      if (!row.id.startsWith(prefix)) break;
      out.push({ id: row.id, version: row.version, value: row.value });
    }
    return out;
  }

  watch(prefix: string, afterSeq: number, listener: (ev: ChangeEvent) => void): () => void {
    this.#open();
    checkVersion(afterSeq, 0);
    const w: Watcher = { prefix, cursor: afterSeq, listener, active: true };
    this.#watchers.add(w);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#poll(), this.#pollMs);
      this.#timer.unref();
    }
    this.#kickPoll();
    return () => {
      w.active = false;
      this.#watchers.delete(w);
      if (this.#watchers.size === 0) this.#stopTimers();
    };
  }

  async head(): Promise<number> {
    this.#open();
    return this.#headStmt.get()?.head ?? 0;
  }

  /** Oldest seq still in the feed (head()+1 when empty); a watcher starting before firstSeq()-1 has missed events. */
  async firstSeq(): Promise<number> {
    this.#open();
    const first = this.#firstStmt.get()?.first;
    return first ?? (await this.head()) + 1;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    for (const w of this.#watchers) w.active = false;
    this.#watchers.clear();
    this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw new Error('SqliteStore is closed');
  }

  #stopTimers(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#kick) clearImmediate(this.#kick);
    this.#timer = undefined;
    this.#kick = undefined;
  }

  /** After a local write or a new watcher, poll at once rather than at the next tick. */
  #kickPoll(): void {
    if (this.#kick || this.#watchers.size === 0) return;
    this.#kick = setImmediate(() => {
      this.#kick = undefined;
      this.#poll();
    });
  }

  /**
   * Reads the feed after the lowest cursor and hands each row to every watcher (of the snapshot
   * taken here) whose cursor is below it. The cursor moves before the listener runs, so a throwing
   * or re-entrant listener never sees an event twice; watchers added meanwhile start next poll.
   */
  #poll(): void {
    if (this.#closed || this.#watchers.size === 0) return;
    const watchers = [...this.#watchers];
    let from = Math.min(...watchers.map((w) => w.cursor));
    for (;;) {
      let rows: ChangeRow[];
      try {
        rows = this.#changesStmt.all(from, POLL_BATCH);
      } catch (err) {
        // SQLITE_BUSY beyond busy_timeout or an I/O error: cursors are untouched, retry next tick.
        if (!isBusy(err)) this.#onError(err);
        return;
      }
      for (const row of rows) {
        for (const w of watchers) {
          if (this.#closed) return;
          if (!w.active || row.seq <= w.cursor) continue;
          w.cursor = row.seq;
          if (!row.id.startsWith(w.prefix)) continue;
          try {
            w.listener({ seq: row.seq, id: row.id, kind: row.kind, version: row.version });
          } catch (err) {
            this.#onError(err);
          }
        }
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < POLL_BATCH) return;
      from = last.seq;
    }
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** Schema set-up can meet SQLITE_BUSY that the busy handler does not cover (journal mode change). */
function retryBusy<T>(fn: () => T): T {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
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
  process.emitWarning(`store change feed: ${err instanceof Error ? err.message : String(err)}`);
}
