// Which commands quorum guards, as data (reference §3, "Service | Type | Protected commands"), and the
// authorisation step dispatch runs for them: admin services take M from `cluster/quorum-values`,
// key services from the key's own manage/use quorum values.
// Admin services: M of 1 means off (the default); M is 2 to 8. Key values: 0 is off, N needs N approvals.
// Pure rules plus one function; the approvals themselves are checked in quorum.ts.

import type { OpName, QuorumServiceName, TokenFile } from '../../protocol/operations.js';
import type { HsmContext, Session } from '../context.js';
import type { UserRecord } from './users.js';
import { NO_GRANT, type Grant } from './quorum.js';
import { canSee } from '../objects/access.js';

interface Rule {
  service: QuorumServiceName;
  /** The params field holding the signed approval file. */
  approval: string;
  /** Key services: the params field naming the key whose quorum value applies. */
  keyField?: string;
  /** Guarded only when this holds (e.g. changing another user's password, not one's own). */
  when?: (params: Record<string, unknown>, s: Session) => boolean;
}

const otherUser = (p: Record<string, unknown>, s: Session): boolean => String(p['username']).toLowerCase() !== s.user?.username;
const notAdmin = (_p: Record<string, unknown>, s: Session): boolean => s.user?.role !== 'admin';

export const GUARDED: Partial<Record<OpName, readonly Rule[]>> = {
  // user (admin): user create, delete, change-password, change-mfa (of another user)
  'user.create': [{ service: 'user', approval: 'approval' }],
  'user.delete': [{ service: 'user', approval: 'approval' }],
  'user.changePassword': [{ service: 'user', approval: 'approval', when: otherUser }],
  'user.changeMfa': [{ service: 'user', approval: 'approval', when: otherUser }],
  // quorum (admin): quorum token-sign set-quorum-value
  'quorum.setValue': [{ service: 'quorum', approval: 'approval' }],
  // cluster (admin): cluster mtls register-trust-anchor, deregister-trust-anchor, set-enforcement
  'mtls.registerTrustAnchor': [{ service: 'cluster', approval: 'approval' }],
  'mtls.deregisterTrustAnchor': [{ service: 'cluster', approval: 'approval' }],
  'mtls.setEnforcement': [{ service: 'cluster', approval: 'approval' }],
  // key-management (crypto user): key wrap, unwrap, share, unshare, set-attribute
  'key.wrap': [
    { service: 'key-management', approval: 'wrappingApproval', keyField: 'wrappingRef' },
    { service: 'key-management', approval: 'payloadApproval', keyField: 'payloadRef' },
  ],
  'key.unwrap': [{ service: 'key-management', approval: 'approval', keyField: 'unwrappingRef' }],
  'key.share': [{ service: 'key-management', approval: 'approval', keyField: 'ref' }],
  'key.unshare': [{ service: 'key-management', approval: 'approval', keyField: 'ref' }],
  'key.setAttribute': [{ service: 'key-management', approval: 'approval', keyField: 'ref', when: notAdmin }],
  // key-usage (crypto user): crypto sign
  'crypto.sign': [{ service: 'key-usage', approval: 'approval', keyField: 'ref' }],
};

/** Runs the quorum checks of op; the grants are committed when the command succeeds, released if not. */
export async function authoriseQuorum(ctx: HsmContext, op: OpName, params: Record<string, unknown>, session: Session): Promise<Grant[]> {
  const rules = GUARDED[op];
  if (!rules || !session.user) return [];
  const who = session.user;
  const grants: Grant[] = [];
  try {
    for (const r of rules) {
      if (r.when && !r.when(params, session)) continue;
      const file = params[r.approval] as TokenFile | undefined;
      let required: number;
      let eligible: (u: UserRecord) => boolean;
      if (r.keyField) {
        const ref = params[r.keyField];
        if (typeof ref !== 'string') continue;
        let k;
        try {
          k = await ctx.keys.get(ref, session.connId);
        } catch {
          continue; // the handler reports the bad handle in its usual words
        }
        if (!canSee(k.rec, session)) continue;
        const v = r.service === 'key-usage' ? k.rec.quorum.use : k.rec.quorum.manage;
        if (v <= 0) {
          grants.push(NO_GRANT); // what authorise(…, 0, …) returns, without its await (crypto.sign's usual path)
          continue;
        }
        required = v;
        const members = new Set([k.rec.owner, ...k.rec.shared]);
        eligible = (u) => u.role === 'crypto-user' && members.has(u.username);
      } else {
        const v = (await ctx.quorum.values())[r.service as 'user' | 'quorum' | 'cluster'];
        required = v >= 2 ? v : 0;
        eligible = (u) => u.role === 'admin';
      }
      grants.push(await ctx.quorum.authorise(r.service, required, eligible, file, who));
    }
  } catch (e) {
    for (const g of grants) await g.release();
    throw e;
  }
  return grants;
}
