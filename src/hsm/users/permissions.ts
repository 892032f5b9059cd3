// The role × operation permission matrix as data (reference §3 "Permission table").
// Pure: decides only whether a role may call an operation at all; key-level checks
// (owner, shared user) live in the key handlers. Must never be bypassed by a handler.

import type { OpName, RoleName } from '../../protocol/operations.js';

type Who = RoleName | 'anyone';

/**
 * CloudHSM: basic cluster info, user list: anyone. Add/remove users, change others' passwords: admin.
 * Key management and crypto: crypto-user only. Change own password: every role.
 * Exception: admins may set the key attribute `trusted` (handled in key.setAttribute) and may list
 * keys (metadata only) in order to find the key to trust.
 */
export const PERMISSIONS: Record<OpName, readonly Who[]> = {
  'cluster.info': ['anyone'],
  'cluster.csr': ['anyone'],
  'cluster.initialize': ['appliance'],
  'cluster.activate': ['anyone'],
  'cluster.device': ['anyone'],
  'cluster.cloneExport': ['appliance'],
  'cluster.cloneImport': ['appliance'],
  'cluster.backupExport': ['appliance'],
  'cluster.backupImport': ['appliance'],
  'mtls.listTrustAnchors': ['anyone'],
  'mtls.registerTrustAnchor': ['admin'],
  'mtls.deregisterTrustAnchor': ['admin'],
  'mtls.setEnforcement': ['admin'],
  'mtls.getEnforcement': ['admin', 'crypto-user'],
  login: ['anyone'],
  logout: ['admin', 'crypto-user', 'appliance', 'unactivated-admin'],
  whoami: ['anyone'],
  'user.list': ['anyone'],
  'user.create': ['admin'],
  'user.delete': ['admin'],
  'user.changePassword': ['admin', 'crypto-user', 'appliance'], // own password: any; others: admin (checked in handler)
  'user.changeMfa': ['admin', 'crypto-user'], // own MFA: any; others: admin (checked in handler)
  'user.registerQuorum': ['admin', 'crypto-user'], // one's own quorum key
  'quorum.generate': ['admin', 'crypto-user'], // admin services for admins, key services for crypto users (handler)
  'quorum.list': ['admin', 'crypto-user'],
  'quorum.listValues': ['anyone'],
  'quorum.setValue': ['admin'],
  'quorum.delete': ['admin', 'crypto-user'],
  'key.generateSymmetric': ['crypto-user'],
  'key.generateKeyPair': ['crypto-user'],
  'key.importPublic': ['crypto-user'],
  'key.importSecret': ['crypto-user'],
  'key.copy': ['crypto-user'],
  'object.create': ['crypto-user'],
  'object.list': ['crypto-user'],
  'object.getValue': ['crypto-user'],
  'object.delete': ['crypto-user'],
  'object.setAttribute': ['crypto-user'],
  'key.list': ['crypto-user', 'admin'],
  'key.delete': ['crypto-user'],
  'key.share': ['crypto-user'],
  'key.unshare': ['crypto-user'],
  'key.setAttribute': ['crypto-user', 'admin'],
  'key.getPublic': ['crypto-user'],
  'key.wrap': ['crypto-user'],
  'key.unwrap': ['crypto-user'],
  'key.derive': ['crypto-user'],
  'crypto.sign': ['crypto-user'],
  'crypto.verify': ['crypto-user'],
  'crypto.encrypt': ['crypto-user'],
  'crypto.decrypt': ['crypto-user'],
  'crypto.digest': ['crypto-user'],
  'crypto.random': ['crypto-user', 'admin'],
  'mechanism.list': ['anyone'],
  // Monitoring (CloudHSM's CloudWatch metrics): the appliance user, as the control plane asks, and
  // admins; crypto users use keys and do not see the HSM's counters.
  'metrics.get': ['appliance', 'admin'],
};

export function allowed(op: OpName, role: RoleName | null): boolean {
  const who = PERMISSIONS[op];
  if (who.includes('anyone')) return true;
  return role !== null && who.includes(role);
}
