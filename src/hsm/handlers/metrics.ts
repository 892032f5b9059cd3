// metrics.get: this HSM's counters and gauges for the control plane's /metrics (CloudHSM's
// CloudWatch metrics HsmSessionCount, HsmKeysTokenOccupied, HsmKeysSessionOccupied,
// HsmUsersAvailable/HsmUsersMax, HsmUnhealthy). The appliance user and admins may ask; it is
// answered in every node state. Returns numbers, operation names and CKR_* names only: never a key,
// a key label or reference, a user name or anything a request carried. Not audited (dispatch.ts).

import type { OpParams, OpResults } from '../../protocol/operations.js';
import type { Handler } from '../context.js';
import { MAX_USERS } from '../users/users.js';

const get: Handler<OpParams<'metrics.get'>, OpResults['metrics.get']> = async (ctx) => {
  // An uncloned or zeroised HSM cannot open the user records: it reports no user count.
  const users = await ctx.users.count().catch(() => undefined);
  const conns = ctx.connections();
  return {
    hsmId: ctx.id.hsmId,
    clusterId: ctx.id.clusterId,
    state: ctx.state(),
    uptimeSeconds: (Date.now() - ctx.metrics.startedAt) / 1000,
    sessions: conns.client,
    applianceSessions: conns.appliance,
    keysTokenOccupied: ctx.keys.tokenCount,
    keysSessionOccupied: ctx.keys.sessionCount,
    ...(users !== undefined ? { users } : {}),
    usersMax: MAX_USERS,
    ...ctx.metrics.snapshot(),
  };
};

export const metricsHandlers = { 'metrics.get': get };
