// The one request pipeline: decode → validate (schema) → authenticate → authorise (matrix) →
// audit the request (refuse if the audit write fails) → handler → audit the result → encode.
// Every throw becomes an error reply here and only here. Never logs params (they hold secrets).

import { HsmError, toHsmError } from '../../protocol/errors.js';
import { ops, type OpName } from '../../protocol/operations.js';
import { StoreUnavailableError } from '../../store/store.js';
import type { ReplyFrame } from '../../protocol/frames.js';
import type { Handler, HsmContext, Request, Session } from '../context.js';
import { allowed } from '../users/permissions.js';
import { clusterHandlers } from '../handlers/cluster.js';
import { sessionHandlers } from '../handlers/session.js';
import { userHandlers } from '../handlers/users.js';
import { keyHandlers } from '../handlers/keys.js';
import { wrapHandlers } from '../handlers/wrap.js';
import { cryptoHandlers } from '../handlers/crypto.js';
import { objectHandlers } from '../handlers/objects.js';
import { quorumHandlers } from '../handlers/quorum.js';
import { authoriseQuorum, GUARDED } from '../users/guarded.js';
import { NO_GRANT, type Grant } from '../users/quorum.js';
import { backupHandlers } from '../handlers/backup.js';
import { metricsHandlers } from '../handlers/metrics.js';

const HANDLERS: Record<string, Handler<never, unknown>> = {
  ...clusterHandlers,
  ...sessionHandlers,
  ...userHandlers,
  ...keyHandlers,
  ...wrapHandlers,
  ...cryptoHandlers,
  ...objectHandlers,
  ...quorumHandlers,
  ...backupHandlers,
  ...metricsHandlers,
};

/**
 * Operations written to the audit log, with CloudHSM's opcode names. Management commands and
 * logins are audited; crypto operations on existing keys are not (as CloudHSM's audit logs).
 * Nor is metrics.get: a monitor polls it every few seconds and it changes nothing, so its records
 * would bury the management commands the log is for.
 */
export const AUDITED: Partial<Record<OpName, string>> = {
  'cluster.initialize': 'CN_INIT_TOKEN',
  'cluster.activate': 'CN_CHANGE_PSWD',
  'cluster.cloneExport': 'CN_CLONE_SOURCE',
  'cluster.cloneImport': 'CN_CLONE_TARGET',
  'cluster.backupExport': 'CN_BACKUP_BEGIN',
  'cluster.backupImport': 'CN_RESTORE_BEGIN',
  'mtls.registerTrustAnchor': 'CN_REGISTER_TRUST_ANCHOR',
  'mtls.deregisterTrustAnchor': 'CN_DEREGISTER_TRUST_ANCHOR',
  'mtls.setEnforcement': 'CN_SET_MTLS_ENFORCEMENT',
  login: 'CN_LOGIN',
  logout: 'CN_LOGOUT',
  'user.create': 'CN_CREATE_USER',
  'user.delete': 'CN_DELETE_USER',
  'user.changePassword': 'CN_CHANGE_PSWD',
  'key.generateSymmetric': 'CN_GENERATE_KEY',
  'key.generateKeyPair': 'CN_GENERATE_KEY_PAIR',
  'key.importPublic': 'CN_CREATE_OBJECT',
  'key.importSecret': 'CN_CREATE_OBJECT',
  'key.copy': 'CN_COPY_OBJECT',
  'object.create': 'CN_CREATE_OBJECT',
  'object.delete': 'CN_DESTROY_OBJECT',
  'object.setAttribute': 'CN_SET_ATTRIBUTE_VALUE',
  'key.delete': 'CN_DESTROY_OBJECT',
  'key.share': 'CN_SHARE_OBJECT',
  'key.unshare': 'CN_SHARE_OBJECT',
  'key.setAttribute': 'CN_SET_ATTRIBUTE_VALUE',
  'key.wrap': 'CN_WRAP_KEY',
  'key.unwrap': 'CN_UNWRAP_KEY',
  'key.derive': 'CN_DERIVE_KEY',
  'user.changeMfa': 'CN_CHANGE_MFA',
  'user.registerQuorum': 'CN_REGISTER_QUORUM_KEY',
  'quorum.generate': 'CN_GET_TOKEN',
  'quorum.setValue': 'CN_SET_M_VALUE',
  'quorum.delete': 'CN_DELETE_TOKEN',
};

/** Operations a node serves while it is not ACTIVE (initialisation path, info, metrics). */
const BEFORE_ACTIVE = new Set<OpName>(['quorum.listValues', 'cluster.info', 'cluster.device', 'cluster.cloneExport', 'cluster.cloneImport', 'cluster.csr', 'cluster.initialize', 'cluster.activate', 'cluster.backupExport', 'cluster.backupImport', 'mtls.listTrustAnchors', 'user.list', 'whoami', 'mechanism.list', 'login', 'metrics.get']);

/** What an HSM without a domain key (new, or zeroised by tamper) still answers. */
const CLONE_OPS = new Set<OpName>(['cluster.info', 'cluster.device', 'cluster.cloneImport', 'metrics.get']);

/** What a node that failed its self-tests still answers: enough to tell a monitor so. */
const IN_ERROR = new Set<OpName>(['cluster.info', 'metrics.get']);

function whoFor(session: Session): { user: string | null; role: string | null } {
  return { user: session.user?.username ?? (session.appliance ? 'app_user' : null), role: session.user?.role ?? (session.appliance ? 'appliance' : null) };
}

/** The operation names, once: a Set lookup is cheaper per request than hasOwnProperty on `ops`. */
const OP_NAMES: ReadonlySet<string> = new Set(Object.keys(ops));

function isOp(op: unknown): op is OpName {
  return typeof op === 'string' && OP_NAMES.has(op);
}

/** At most three issues of at most 200 characters: zod quotes caller-chosen keys, so bound the echo. */
function zodMessage(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  const clip = (s: string): string => (s.length > 200 ? `${s.slice(0, 199)}…` : s);
  return issues.slice(0, 3).map((i) => clip(`${i.path.length ? i.path.map(String).join('.') : 'params'}: ${i.message}`)).join('; ');
}

export async function dispatch(ctx: HsmContext, session: Session, body: unknown): Promise<ReplyFrame> {
  const started = performance.now();
  const frame = (typeof body === 'object' && body !== null ? body : {}) as { id?: unknown; op?: unknown; params?: unknown };
  const id = typeof frame.id === 'number' && Number.isSafeInteger(frame.id) ? frame.id : 0;
  let audited: string | undefined;
  let req: Request | undefined;
  let grants: Grant[] = [];
  try {
    if (id === 0 && frame.id !== 0) throw new HsmError('CKR_STRONGROOM_PROTOCOL', 'request needs an integer id');
    if (!isOp(frame.op)) throw new HsmError('CKR_STRONGROOM_PROTOCOL', `unknown operation ${typeof frame.op === 'string' ? frame.op.slice(0, 40) : typeof frame.op}`);
    const op = frame.op;
    const spec = ops[op];
    const parsed = spec.params.safeParse(frame.params ?? {});
    if (!parsed.success) throw new HsmError('CKR_ARGUMENTS_BAD', `${op}: ${zodMessage(parsed.error.issues)}`);
    const state = ctx.state();
    if (state === 'ERROR' && !IN_ERROR.has(op)) throw new HsmError('CKR_DEVICE_ERROR', 'the HSM failed its power-on self-tests and serves nothing');
    if ((state === 'DEGRADED' || state === 'UNCLONED') && !CLONE_OPS.has(op)) {
      throw new HsmError('CKR_DEVICE_ERROR', `the HSM is ${state}: it holds no domain key and serves nothing until it is cloned again`);
    }
    if (state !== 'ACTIVE' && !BEFORE_ACTIVE.has(op)) throw new HsmError('CKR_STRONGROOM_STATE', `the cluster is ${state}: activate it first`);
    if (spec.auth === 'appliance' && !session.appliance) throw new HsmError('CKR_USER_NOT_LOGGED_IN', `${op} is for the appliance user only`);
    // appliance-or-login: the appliance certificate suffices; anyone else is checked as for login.
    const asLogin = spec.auth === 'login' || (spec.auth === 'appliance-or-login' && !session.appliance);
    if (asLogin && !session.user) throw new HsmError('CKR_USER_NOT_LOGGED_IN', `${op} needs a logged-in user${spec.auth === 'appliance-or-login' ? ' or the appliance user' : ''}`);
    if (asLogin && !allowed(op, session.user!.role)) {
      throw new HsmError('CKR_USER_TYPE_INVALID', `a user with role ${session.user!.role} may not run ${op}`);
    }
    req = { op, params: parsed.data, session, keyRefs: [], detail: {} };
    audited = AUDITED[op];
    // Authorisation, second half: quorum approvals (M of N) for guarded commands; a refusal is
    // audited below as the command's result. Spent tokens are released if the command then fails.
    // (Only guarded commands await it: the rest skip a promise and a microtask per request.)
    if (GUARDED[op]) grants = await authoriseQuorum(ctx, op, parsed.data as Record<string, unknown>, session);
    if (grants.length > 0) req.detail['quorum'] = 'approved';
    const auditUser = whoFor(session);
    if (audited) {
      try {
        ctx.audit.append({ ...auditUser, op: audited, result: 'REQUEST', detail: { request: op } });
      } catch (e) {
        throw new HsmError('CKR_STRONGROOM_AUDIT_FAILED', 'the audit log could not be written; the request was refused', { cause: e });
      }
    }
    const result = await HANDLERS[op]!(ctx, req as never);
    for (const g of grants.splice(0)) if (g !== NO_GRANT) await g.commit();
    // After a login the record names the user who logged in (and after a logout, the one who left).
    if (audited) ctx.audit.append({ ...(op === 'login' ? whoFor(session) : auditUser), op: audited, keyRefs: req.keyRefs, result: 'CKR_OK', detail: { ...req.detail, request: op } });
    ctx.metrics.record(op, 'CKR_OK', started);
    return { id, ok: true, result };
  } catch (err) {
    const e = err instanceof StoreUnavailableError
      ? new HsmError('CKR_STRONGROOM_STORE_UNAVAILABLE', `${err.message}; crypto on existing keys goes on, key and user changes fail until the store is back`)
      : toHsmError(err);
    for (const g of grants.splice(0)) await g.release().catch(() => undefined);
    if (e.code === 'CKR_FUNCTION_FAILED') ctx.log.error({ err: e.cause instanceof Error ? e.cause.message : e.message, op: frame.op }, 'unexpected failure');
    if (audited && req && e.code !== 'CKR_STRONGROOM_AUDIT_FAILED') {
      try {
        ctx.audit.append({
          ...whoFor(session),
          op: audited, keyRefs: req.keyRefs, result: e.code, detail: { ...req.detail, request: req.op },
        });
      } catch (ae) {
        ctx.log.error({ err: (ae as Error).message }, 'audit write failed');
      }
    }
    ctx.metrics.record(frame.op, e.code, started);
    return { id, ok: false, error: e.toWire() };
  }
}
