// Object search (PKCS#11 §5.7 C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal): lists the
// keys ('key.list', verbose, paged) and certificate/data objects the user can see, session objects
// included, and matches the template through the attribute table byte for byte.
// Without a login the HSM lists nothing, so a search finds nothing (never an error).

import type { TemplateAttr } from './codec.js';
import { fail } from './errors.js';
import { attributeValue, type ObjInfo } from './objects.js';
import type { Connection } from './sessions.js';
import { CKA } from './constants.js';

function matches(o: ObjInfo, template: TemplateAttr[]): boolean {
  for (const a of template) {
    const v = attributeValue(o, a.type);
    if (v === 'invalid' || v === 'sensitive' || v === undefined) return false;
    let want = a.value ?? Buffer.alloc(0);
    // A CK_ULONG sent as 4 bytes (32-bit callers) compares as its 8-byte form.
    if (v.length === 8 && want.length === 4) want = Buffer.concat([want, Buffer.alloc(4)]);
    if (!v.equals(want)) return false;
  }
  return true;
}

export async function findInit(conn: Connection, session: number, template: TemplateAttr[]): Promise<void> {
  const s = conn.session(session);
  if (s.find) fail('CKR_OPERATION_ACTIVE', 'a search is already active in this session');
  if (!conn.loggedIn) {
    s.find = { handles: [] };
    return;
  }
  const all = await conn.objects.listAll();
  if (template.some((a) => a.type === CKA.VALUE)) {
    for (const o of all) await conn.objects.loadValue(o);
  }
  const found = all.filter((o) => matches(o, template)).sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  s.find = { handles: found.map((o) => conn.objects.handleFor(o)) };
}

export function findNext(conn: Connection, session: number, max: number): number[] {
  const s = conn.session(session);
  if (!s.find) fail('CKR_OPERATION_NOT_INITIALIZED', 'C_FindObjectsInit was not called');
  const n = Math.max(0, Math.min(max, s.find.handles.length));
  return s.find.handles.splice(0, n);
}

export function findFinal(conn: Connection, session: number): void {
  const s = conn.session(session);
  if (!s.find) fail('CKR_OPERATION_NOT_INITIALIZED', 'C_FindObjectsInit was not called');
  s.find = undefined;
}
