// kms.sqlite (KmsDb on a real SQLite file): the schema migration from a database made before
// versioning (its rows kept, the grants table added, user_version set), refusal of a newer
// schema, grants removed with their key, and grant tokens: round trip, and refusal of tampered,
// foreign or malformed tokens.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { KmsDb, SCHEMA_VERSION, type GrantRow, type KeyRow } from '../../src/kms/db.js';

const key = (keyId: string): KeyRow => ({
  keyId, arn: `arn:aws:kms:local-1:111122223333:key/${keyId}`, accountId: '111122223333', region: 'local-1', createdAt: 1, description: '',
  keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT', origin: 'AWS_KMS', state: 'Enabled', versions: [{ v: 1, ref: '1', createdAt: 1 }], policy: '{}',
});
const grant = (keyId: string): GrantRow => ({
  grantId: randomBytes(32).toString('hex'), keyId, accountId: '111122223333', granteePrincipal: 'arn:aws:iam::111122223333:user/a',
  issuer: 'arn:aws:iam::111122223333:root', operations: ['Encrypt'], createdAt: 1,
});

describe('KmsDb', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strongroom-kmsdb-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates a database made before schema versioning, keeping its rows', () => {
    const old = new Database(join(dir, 'kms.sqlite'));
    old.exec('CREATE TABLE keys (id TEXT PRIMARY KEY, account TEXT NOT NULL, doc TEXT NOT NULL); CREATE TABLE aliases (account TEXT NOT NULL, name TEXT NOT NULL, key_id TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (account, name));');
    const k = key('00000000-0000-4000-8000-000000000001');
    old.prepare('INSERT INTO keys VALUES (?, ?, ?)').run(k.keyId, k.accountId, JSON.stringify(k));
    old.close();
    const db = new KmsDb(join(dir, 'kms.sqlite'), join(dir, 'kms.key'));
    expect(db.key(k.keyId)?.arn).toBe(k.arn);
    db.putGrant(grant(k.keyId));
    expect(db.grants(k.keyId)).toHaveLength(1);
    db.close();
    const raw = new Database(join(dir, 'kms.sqlite'));
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
    // Opening again runs no migration twice.
    new KmsDb(join(dir, 'kms.sqlite'), join(dir, 'kms.key')).close();
  });

  it('refuses a database of a newer schema version', () => {
    const newer = new Database(join(dir, 'kms.sqlite'));
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    expect(() => new KmsDb(join(dir, 'kms.sqlite'), join(dir, 'kms.key'))).toThrow(/schema version/);
  });

  it('deleting a key deletes its grants, not other keys\' grants', () => {
    const db = new KmsDb(join(dir, 'kms.sqlite'), join(dir, 'kms.key'));
    const a = key('00000000-0000-4000-8000-00000000000a');
    const b = key('00000000-0000-4000-8000-00000000000b');
    db.putKey(a);
    db.putKey(b);
    const ga = grant(a.keyId);
    const gb = grant(b.keyId);
    db.putGrant(ga);
    db.putGrant(gb);
    db.deleteKey(a.keyId);
    expect(db.grant(ga.grantId)).toBeUndefined();
    expect(db.grants(a.keyId)).toEqual([]);
    expect(db.grant(gb.grantId)?.keyId).toBe(b.keyId);
    db.close();
  });

  it('grant tokens name their grant and cannot be forged', () => {
    const db = new KmsDb(join(dir, 'kms.sqlite'), join(dir, 'kms.key'));
    const id = randomBytes(32).toString('hex');
    const token = db.grantToken(id);
    expect(db.grantIdOfToken(token)).toBe(id);
    const t = Buffer.from(token, 'base64url');
    t[5]! ^= 1;
    expect(db.grantIdOfToken(t.toString('base64url'))).toBeUndefined();
    expect(db.grantIdOfToken('not a token')).toBeUndefined();
    expect(db.grantIdOfToken('')).toBeUndefined();
    // Another KMS (another kms.key) issued it: refused.
    const other = new KmsDb(join(dir, 'other.sqlite'), join(dir, 'other.key'));
    expect(other.grantIdOfToken(token)).toBeUndefined();
    other.close();
    db.close();
  });
});
