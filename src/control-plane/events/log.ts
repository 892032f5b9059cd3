// EventLog: the event history of the AWS front ends, one CloudTrail-shaped JSON record per line
// in DIR/events.jsonl (append-only, 0600, one write(2) per record on an O_APPEND descriptor so
// concurrent writers never interleave lines), and the reader behind `strongroom events`.
// Records arrive already redacted (aws/cloudtrail.ts); this module never adds request data.
//
// The AWS front ends use record(): a group commit. Records recorded during one turn of the event
// loop are written together by one write(2) in a setImmediate, and each caller's promise resolves
// after that write; the server replies only then. So an acknowledged call's record is always in
// the file (in the page cache, as with append; flush() fsyncs). append(), flush(), close() and
// query() first write whatever is pending, synchronously, so order is kept and a clean shutdown
// (close) loses nothing. A crash loses at most the records of the current turn, whose calls have
// not been answered yet.

import { closeSync, existsSync, openSync, readFileSync, writeSync, mkdirSync, fsyncSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ApiCallEvent, ApiEventSink } from '../../aws/cloudtrail.js';

export type { ApiCallEvent } from '../../aws/cloudtrail.js';

export interface EventFilter {
  eventName?: string;
  /** Matches userIdentity.userName (for Root: the account name) or the user's ARN. */
  userName?: string;
  eventSource?: string;
  accessKeyId?: string;
  /** Inclusive bounds on eventTime. */
  startTime?: Date;
  endTime?: Date;
  errorsOnly?: boolean;
}

export class EventLog implements ApiEventSink {
  private fd: number | undefined;
  /** Lines recorded but not yet written, and the callers waiting for that write. */
  private pending: string[] = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(readonly path: string) {}

  /** The event log of a data directory: DIR/events.jsonl. */
  static open(dataDir: string): EventLog {
    return new EventLog(join(dataDir, 'events.jsonl'));
  }

  append(event: ApiCallEvent): void {
    this.drain();
    this.write(Buffer.from(JSON.stringify(event) + '\n', 'utf8'));
  }

  record(event: ApiCallEvent): Promise<void> {
    const line = JSON.stringify(event) + '\n';
    return new Promise<void>((resolve, reject) => {
      this.pending.push(line);
      this.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  /** Forces appended records to disk (tests, shutdown). */
  flush(): void {
    this.drain();
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  close(): void {
    this.drain();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Writes the pending records in one write and settles their callers. */
  private drain(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    try {
      this.write(Buffer.from(lines.join(''), 'utf8'));
    } catch (e) {
      for (const w of waiters) w.reject(e);
      return;
    }
    for (const w of waiters) w.resolve();
  }

  private write(bytes: Buffer): void {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a', 0o600);
    }
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
  }

  /** Every record matching `filter`, oldest first. A torn last line (crash mid-write) is skipped. */
  query(filter: EventFilter = {}): ApiCallEvent[] {
    this.drain();
    if (!existsSync(this.path)) return [];
    const out: ApiCallEvent[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line) continue;
      let ev: ApiCallEvent;
      try {
        ev = JSON.parse(line) as ApiCallEvent;
      } catch {
        continue;
      }
      if (matches(ev, filter)) out.push(ev);
    }
    return out;
  }
}

export function matches(ev: ApiCallEvent, f: EventFilter): boolean {
  if (f.eventName !== undefined && ev.eventName !== f.eventName) return false;
  if (f.eventSource !== undefined && ev.eventSource !== f.eventSource) return false;
  if (f.userName !== undefined && ev.userIdentity.userName !== f.userName && ev.userIdentity.arn !== f.userName) return false;
  if (f.accessKeyId !== undefined && ev.userIdentity.accessKeyId !== f.accessKeyId) return false;
  if (f.errorsOnly && ev.errorCode === undefined) return false;
  const t = Date.parse(ev.eventTime);
  if (f.startTime && !(t >= f.startTime.getTime())) return false;
  if (f.endTime && !(t <= f.endTime.getTime())) return false;
  return true;
}
