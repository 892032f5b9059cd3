// Runs the ClusterStore conformance suite against SqliteStore on temp files, then the behaviours
// that need the file shared: two stores on one file, and real child processes racing CAS.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { VersionConflictError } from '../../src/store/store.js';
import type { ChangeEvent } from '../../src/store/store.js';
import { eventually, runStoreSuite, sleep } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'strongroom-sqlite-'));
let n = 0;
const tempDb = (): string => join(dir, `store-${process.pid}-${n++}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreSuite('sqlite', async () => SqliteStore.open(tempDb()));

describe('SqliteStore on a shared file', () => {
  it('opens in WAL mode and creates the records and changes tables', async () => {
    const path = tempDb();
    const s = SqliteStore.open(path);
    await s.put('a', new Uint8Array([1]), 0);
    await s.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['changes', 'records']));
    expect(db.prepare('SELECT id, kind, version FROM changes').all()).toEqual([{ id: 'a', kind: 'put', version: 1 }]);
    db.close();
  });

  it('two stores on one file see each other’s writes, and each other’s writes through watch', async () => {
    const path = tempDb();
    const a = SqliteStore.open(path);
    const b = SqliteStore.open(path);
    try {
      const seenByB: ChangeEvent[] = [];
      b.watch('k/', 0, (ev) => seenByB.push(ev));
      await a.put('k/1', new Uint8Array([1]), 0);
      await a.put('k/1', new Uint8Array([2]), 1);
      await a.delete('k/1', 2);
      await a.put('k/2', new Uint8Array([3]), 0);
      await eventually(() => expect(seenByB).toHaveLength(4));
      expect(seenByB.map((e) => [e.seq, e.id, e.kind, e.version])).toEqual([
        [1, 'k/1', 'put', 1],
        [2, 'k/1', 'put', 2],
        [3, 'k/1', 'delete', 2],
        [4, 'k/2', 'put', 1],
      ]);
      expect([...(await b.get('k/2'))!.value]).toEqual([3]);
      expect(await b.head()).toBe(4);
      // CAS across the two connections.
      await expect(b.put('k/2', new Uint8Array([9]), 0)).rejects.toBeInstanceOf(VersionConflictError);
      expect(await b.put('k/2', new Uint8Array([9]), 1)).toBe(2);
      await expect(a.put('k/2', new Uint8Array([8]), 1)).rejects.toMatchObject({ actual: 2 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reopening a file keeps records, versions and the feed position', async () => {
    const path = tempDb();
    const a = SqliteStore.open(path);
    await a.put('x', new Uint8Array([1]), 0);
    await a.put('x', new Uint8Array([2]), 1);
    await a.close();
    const b = SqliteStore.open(path);
    expect((await b.get('x'))?.version).toBe(2);
    expect(await b.head()).toBe(2);
    expect(await b.put('y', new Uint8Array([1]), 0)).toBe(1);
    expect(await b.head()).toBe(3);
    await b.close();
  });

  it('prunes old change rows beyond the retention window; head keeps counting', async () => {
    const s = SqliteStore.open(tempDb(), { retainChanges: 1024 });
    try {
      for (let i = 0; i < 2100; i++) await s.put(`k${i % 10}`, new Uint8Array([i & 0xff]), Math.floor(i / 10));
      expect(await s.head()).toBe(2100);
      const first = await s.firstSeq();
      expect(first).toBeGreaterThan(1);
      expect(2100 - first + 1).toBeLessThanOrEqual(1024 + 1024);
      const seen: number[] = [];
      s.watch('', 2090, (ev) => seen.push(ev.seq));
      await eventually(() => expect(seen).toHaveLength(10));
      expect(seen[0]).toBe(2091);
    } finally {
      await s.close();
    }
  });

  it('close stops the poll timer and further calls fail', async () => {
    const s = SqliteStore.open(tempDb());
    const seen: ChangeEvent[] = [];
    s.watch('', 0, (ev) => seen.push(ev));
    await s.close();
    await s.close(); // idempotent
    await expect(s.get('a')).rejects.toThrow(/closed/);
    await sleep(50);
    expect(seen).toEqual([]);
  });
});

describe('SqliteStore across processes', () => {
  // The child processes run the real SqliteStore: its sources are transpiled (types stripped) into a
  // temp package that resolves better-sqlite3 through a symlink to this checkout's node_modules.
  const pkg = join(dir, 'child');
  const build = (): void => {
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(resolve('node_modules'), join(pkg, 'node_modules'), 'dir');
    for (const f of ['store.ts', 'sqlite.ts']) {
      const src = readFileSync(resolve('src/store', f), 'utf8');
      const out = ts.transpileModule(src, {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
          esModuleInterop: true,
        },
      });
      writeFileSync(join(pkg, f.replace(/\.ts$/, '.js')), out.outputText);
    }
    writeFileSync(
      join(pkg, 'worker.js'),
      `
import { SqliteStore } from './sqlite.js';
import { VersionConflictError } from './store.js';
const [path, name, startAt, increments] = process.argv.slice(2);
const store = SqliteStore.open(path);
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
let created = false;
try { await store.put('race', Buffer.from(name), 0); created = true; }
catch (e) { if (!(e instanceof VersionConflictError)) throw e; }
let done = 0, conflicts = 0;
while (done < Number(increments)) {
  const cur = await store.get('counter');
  try { await store.put('counter', Buffer.from(name), cur.version); done++; }
  catch (e) { if (!(e instanceof VersionConflictError)) throw e; conflicts++; }
}
await store.close();
process.stdout.write(JSON.stringify({ created, done, conflicts }));
`,
    );
  };

  const run = (args: string[]): Promise<string> =>
    new Promise((res, rej) => {
      const child = spawn(process.execPath, [join(pkg, 'worker.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', rej);
      child.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`worker exited ${code}: ${err}`))));
    });

  it('child processes race CAS on one file: one create wins, no increment is lost, the feed is whole', async () => {
    build();
    const path = tempDb();
    const parent = SqliteStore.open(path);
    await parent.put('counter', Buffer.from('init'), 0);
    const events: ChangeEvent[] = [];
    parent.watch('', await parent.head(), (ev) => events.push(ev));

    const workers = 4;
    const increments = 50;
    const startAt = String(Date.now() + 1500);
    const outputs = await Promise.all(
      Array.from({ length: workers }, (_, i) => run([path, `w${i}`, startAt, String(increments)])),
    );
    const results = outputs.map((o) => JSON.parse(o) as { created: boolean; done: number; conflicts: number });

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.every((r) => r.done === increments)).toBe(true);
    expect((await parent.get('counter'))?.version).toBe(1 + workers * increments);

    const total = 1 + workers * increments; // one create of 'race' plus every increment
    await eventually(() => expect(events).toHaveLength(total));
    const counterVersions = events.filter((e) => e.id === 'counter').map((e) => e.version);
    expect(counterVersions).toEqual(Array.from({ length: workers * increments }, (_, i) => i + 2));
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 2));
    await parent.close();
  });
});
