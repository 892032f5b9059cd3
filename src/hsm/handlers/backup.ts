// Backup handlers (appliance only): export the cluster's records encrypted for the fleet, and
// restore such a backup into a fresh cluster. Inside the HSM a fresh ephemeral backup key (EBK,
// AES-256) encrypts the records (AES-256-GCM); the EBK is wrapped (AES key wrap, SP 800-38F /
// RFC 3394) under the persistent backup key (PBK), derived (SP 800-108 counter-mode HMAC-SHA256)
// from the fleet backup secret provisioned at manufacture. File format: docs/backup-format.md.
// Must never return or log the EBK, the PBK, the fleet backup secret or any record in clear.

import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedParams, OpResults } from '../../protocol/operations.js';
import type { Handler, HsmContext } from '../context.js';

const MAGIC = Buffer.from('SRBK');
const VERSION = 1;
const WRAPPED_LEN = 40;
const IV_LEN = 12;
const TAG_LEN = 16;
/** Records that describe live processes, not the cluster: never backed up or restored. */
const SKIP = ['member/'];

export interface BackupHeader {
  sourceClusterId: string;
  sourceHsmId: string;
  createdAt: string;
  records: number;
  clusterState: string;
}

/** SP 800-108 KDF in counter mode, PRF HMAC-SHA256, one 256-bit block. */
export function derivePbk(secret: Buffer): Buffer {
  const label = Buffer.from('strongroom persistent backup key v1');
  const L = Buffer.alloc(4);
  L.writeUInt32BE(256);
  return createHmac('sha256', secret).update(Buffer.concat([Buffer.from([0, 0, 0, 1]), label, Buffer.from([0]), L])).digest();
}

function wrapKey(kek: Buffer, key: Buffer): Buffer {
  const c = createCipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  return Buffer.concat([c.update(key), c.final()]);
}

function unwrapKey(kek: Buffer, wrapped: Buffer): Buffer {
  const d = createDecipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  return Buffer.concat([d.update(wrapped), d.final()]);
}

function bad(msg: string): never {
  throw new HsmError('CKR_ENCRYPTED_DATA_INVALID', `the backup does not restore: ${msg}`);
}

/** Splits and checks a backup file; returns the header and the records in clear. */
export function openBackup(file: Buffer, secret: Buffer): { header: BackupHeader; records: Array<{ id: string; value: Buffer }> } {
  if (file.length < MAGIC.length + 5 || !file.subarray(0, 4).equals(MAGIC)) bad('not a Strongroom backup (bad magic)');
  if (file[4] !== VERSION) bad(`unknown backup format version ${file[4]}`);
  const hlen = file.readUInt32BE(5);
  const hEnd = 9 + hlen;
  if (hEnd + WRAPPED_LEN + IV_LEN + TAG_LEN > file.length) bad('truncated');
  const aad = file.subarray(0, hEnd + WRAPPED_LEN + IV_LEN);
  const wrapped = file.subarray(hEnd, hEnd + WRAPPED_LEN);
  const iv = file.subarray(hEnd + WRAPPED_LEN, hEnd + WRAPPED_LEN + IV_LEN);
  const body = file.subarray(hEnd + WRAPPED_LEN + IV_LEN, file.length - TAG_LEN);
  const tag = file.subarray(file.length - TAG_LEN);
  const pbk = derivePbk(secret);
  let ebk: Buffer;
  try {
    ebk = unwrapKey(pbk, wrapped);
  } catch {
    bad('the ephemeral backup key does not unwrap under the fleet backup key (edited, or from another fleet)');
  } finally {
    pbk.fill(0);
  }
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', ebk, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    plain = Buffer.concat([d.update(body), d.final()]);
  } catch {
    bad('integrity check failed (the file was edited or damaged)');
  } finally {
    ebk.fill(0);
  }
  let header: BackupHeader;
  try {
    header = JSON.parse(file.subarray(9, hEnd).toString('utf8')) as BackupHeader;
  } catch {
    bad('unreadable header');
  }
  const records = (JSON.parse(plain.toString('utf8')) as Array<{ id: string; value: string }>).map((r) => ({ id: r.id, value: Buffer.from(r.value, 'base64') }));
  plain.fill(0);
  return { header, records };
}

export function sealBackup(header: BackupHeader, records: Array<{ id: string; value: Buffer }>, secret: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const hl = Buffer.alloc(4);
  hl.writeUInt32BE(h.length);
  const ebk = randomBytes(32);
  const pbk = derivePbk(secret);
  const wrapped = wrapKey(pbk, ebk);
  pbk.fill(0);
  const iv = randomBytes(IV_LEN);
  const aad = Buffer.concat([MAGIC, Buffer.from([VERSION]), hl, h, wrapped, iv]);
  const plain = Buffer.from(JSON.stringify(records.map((r) => ({ id: r.id, value: r.value.toString('base64') }))));
  const c = createCipheriv('aes-256-gcm', ebk, iv);
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  const tag = c.getAuthTag();
  ebk.fill(0);
  plain.fill(0);
  return Buffer.concat([aad, body, tag]);
}

async function clusterRecords(ctx: HsmContext): Promise<Array<{ id: string; value: Buffer }>> {
  const out: Array<{ id: string; value: Buffer }> = [];
  for (const r of await ctx.store.list('')) {
    if (SKIP.some((p) => r.id.startsWith(p))) continue;
    if (!('value' in r)) throw new HsmError('CKR_STRONGROOM_RECORD_TAMPERED', `record ${r.id} failed to open: refusing to back up a tampered cluster`);
    out.push({ id: r.id, value: r.value });
  }
  return out;
}

const backupExport: Handler<ParsedParams<'cluster.backupExport'>, OpResults['cluster.backupExport']> = async (ctx, req) => {
  const c = ctx.cluster();
  const records = await clusterRecords(ctx);
  const header: BackupHeader = { sourceClusterId: ctx.id.clusterId, sourceHsmId: ctx.id.hsmId, createdAt: new Date().toISOString(), records: records.length, clusterState: c.state };
  const file = sealBackup(header, records, ctx.backupSecret());
  for (const r of records) r.value.fill(0);
  req.detail['records'] = records.length;
  ctx.audit.append({ user: 'app_user', role: 'appliance', op: 'CN_BACKUP_END', keyRefs: [], result: 'CKR_OK', detail: { records: records.length } });
  return { backup: file.toString('base64'), records: records.length, clusterState: c.state };
};

const backupImport: Handler<ParsedParams<'cluster.backupImport'>, OpResults['cluster.backupImport']> = async (ctx, req) => {
  const c = ctx.cluster();
  if (c.state !== 'UNINITIALIZED') throw new HsmError('CKR_STRONGROOM_STATE', `a backup restores only into a new cluster; this one is ${c.state}`);
  if ((await ctx.users.list()).length > 0) throw new HsmError('CKR_STRONGROOM_STATE', 'a backup restores only into a new cluster; this one has users');
  const { header, records } = openBackup(req.params.backup, ctx.backupSecret());
  // Cluster identity last: once it is in, the node serves the restored cluster.
  const ordered = [...records.filter((r) => !r.id.startsWith('cluster/')), ...records.filter((r) => r.id.startsWith('cluster/'))];
  for (const r of ordered) {
    if (SKIP.some((p) => r.id.startsWith(p))) continue;
    const cur = await ctx.store.store.get(r.id);
    await ctx.store.put(r.id, r.value, cur?.version ?? 0);
    r.value.fill(0);
  }
  await ctx.reload();
  req.detail['records'] = records.length;
  req.detail['source-cluster'] = header.sourceClusterId;
  ctx.audit.append({ user: 'app_user', role: 'appliance', op: 'CN_RESTORE_END', keyRefs: [], result: 'CKR_OK', detail: { records: records.length, source: header.sourceClusterId } });
  return { state: ctx.state(), records: records.length, sourceClusterId: header.sourceClusterId };
};

export const backupHandlers = {
  'cluster.backupExport': backupExport,
  'cluster.backupImport': backupImport,
} as Record<string, Handler<never, unknown>>;
