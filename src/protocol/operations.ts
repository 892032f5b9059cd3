// The operation catalogue: one zod schema per request and the shape of each result.
// Both sides import this file; the HSM validates every request against it before anything runs.
// Fields marked secret ({secret:true} in meta) must never reach logs or the audit log.

import { z } from 'zod';

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
/**
 * The bytes of a base64 string, or undefined where B64_RE refuses it; decodes once. A string that
 * survives the decode/encode round trip is canonical base64 (which B64_RE accepts); anything else
 * (unpadded, odd trailing bits, bad characters) gets the regex itself, so what is accepted and
 * refused is B64_RE's verdict, and the bytes are what Buffer.from(s, 'base64') makes of it.
 */
export function decodeBase64(s: string): Buffer | undefined {
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s || B64_RE.test(s) ? bytes : undefined;
}
export function isBase64(s: string): boolean {
  return decodeBase64(s) !== undefined;
}
const b64Max = (maxBytes: number) => z.string().max(Math.ceil(maxBytes / 3) * 4 + 4);
/**
 * Base64 binary with a cap on the decoded size; parses to the decoded bytes, so the HSM decodes each
 * field once (here) and handlers take the Buffer. On the wire, and to clients, it is a string. A
 * check rather than a transform: a pipe would stop after a failed size check, and a bad field gets
 * both issues (size, then 'must be base64') exactly as the refine it replaced gave.
 */
export const b64 = (maxBytes: number): z.ZodType<Buffer, string> =>
  b64Max(maxBytes).check((ctx) => {
    const bytes = decodeBase64(ctx.value);
    if (bytes) (ctx as { value: unknown }).value = bytes;
    else ctx.issues.push({ code: 'custom', message: 'must be base64', input: ctx.value });
  }) as unknown as z.ZodType<Buffer, string>;
/**
 * Base64 kept as text once parsed: token files and the clone package (their shapes are also results,
 * and approvals compare tokens as text), and object values (stored and returned as sent).
 */
export const b64Text = (maxBytes: number) => b64Max(maxBytes).refine(isBase64, 'must be base64');
export const secret = <T extends z.ZodType>(t: T) => t.meta({ secret: true });

/** Largest payload accepted for one crypto call (CloudHSM accepts up to 16 KiB; we allow 64 KiB). */
export const MAX_DATA = 64 * 1024;

export const KeyRef = z.string().regex(/^0x[0-9a-fA-F]{1,16}$/, 'must be a 64-bit key reference like 0x000000000000001a')
  .describe('a stable 64-bit key reference, hex');
export const Username = z.string().min(1).max(31).regex(/^[A-Za-z0-9_]+$/, 'usernames are letters, digits and _ (at most 31)')
  .describe('case-insensitive user name, shown in lower case');
export const Password = secret(z.string().min(8).max(32).describe('8 to 32 characters'));
export const AnyPassword = secret(z.string().min(1).max(128));
export const Role = z.enum(['admin', 'crypto-user']);
export const AnyRole = z.enum(['unactivated-admin', 'admin', 'crypto-user', 'appliance']);
export type RoleName = z.infer<typeof AnyRole>;

/**
 * The states of one HSM node: ERROR (failed its power-on self-tests), UNCLONED (new, waiting for
 * the domain key), UNINITIALIZED, INITIALIZED, ACTIVE, DEGRADED (zeroised by tamper: must be
 * cloned again).
 */
export const HSM_NODE_STATES = ['ERROR', 'UNCLONED', 'UNINITIALIZED', 'INITIALIZED', 'ACTIVE', 'DEGRADED'] as const;
export type HsmNodeState = (typeof HSM_NODE_STATES)[number];

export const KeyClass = z.enum(['secret-key', 'public-key', 'private-key']);
export const KeyType = z.enum(['aes', 'generic-secret', 'rsa', 'ec']);
export const Curve = z.enum(['secp256r1', 'secp384r1', 'secp521r1', 'secp256k1']);

/** Boolean attributes a caller may set at creation (CloudHSM CLI names). */
export const BOOL_ATTRS = [
  'decrypt', 'derive', 'destroyable', 'encrypt', 'extractable', 'modifiable', 'private', 'sensitive',
  'sign', 'token', 'trusted', 'unwrap', 'verify', 'wrap', 'wrap-with-trusted',
] as const;
export type BoolAttr = (typeof BOOL_ATTRS)[number];
export const AttributeTemplate = z.object({
  ...Object.fromEntries(BOOL_ATTRS.map((k) => [k, z.boolean().optional()])),
  label: z.string().max(127).optional(),
  id: z.string().regex(/^(0x)?[0-9a-fA-F]*$/).max(258).optional(),
}).strict() as unknown as z.ZodType<AttrTemplateShape, AttrTemplateShape>;
type AttrTemplateShape = Partial<Record<BoolAttr, boolean>> & { label?: string; id?: string };
export type AttributeTemplate = z.infer<typeof AttributeTemplate>;

/** A key filter: ANDed terms. key-reference or attributes by CLI name, values as strings. */
export const Filter = z.object({
  'key-reference': KeyRef.optional(),
  attributes: z.record(z.string().max(40), z.string().max(512)).optional(),
}).strict();
export type Filter = z.infer<typeof Filter>;

const Empty = z.object({}).strict();

/**
 * Who may send an operation: anyone; a logged-in user (whose role the permission matrix then
 * checks); the appliance user (the fleet's certificate, as the control plane connects); or either
 * of the last two (the appliance, or a logged-in user the matrix allows).
 */
export type OpAuth = 'none' | 'login' | 'appliance' | 'appliance-or-login';

/** Mechanism names are PKCS#11 CKM_* names (see src/hsm/mechanisms/registry.ts). */
export const Mechanism = z.string().regex(/^CKM_[A-Z0-9_]+$/).max(64);
export const MechParams = z.object({
  iv: b64(64).optional(),
  aad: b64(MAX_DATA).optional(),
  tagBits: z.number().int().optional(),
  counterBits: z.number().int().optional(),
  hash: z.enum(['sha1', 'sha224', 'sha256', 'sha384', 'sha512']).optional(),
  mgf: z.enum(['mgf1-sha1', 'mgf1-sha224', 'mgf1-sha256', 'mgf1-sha384', 'mgf1-sha512']).optional(),
  saltLength: z.number().int().min(0).max(1024).optional(),
  label: b64(1024).optional(),
  /** ECDH: the peer public key, SPKI DER or raw EC point (base64). */
  publicData: b64(1024).optional(),
  kdf: z.enum(['null', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']).optional(),
  /** AES-KW: alternative initial value (hex). */
  wrapIv: b64(16).optional(),
}).strict();
/** Mechanism parameters as a client sends them (binary ones in base64). */
export type MechParams = z.input<typeof MechParams>;
/** Mechanism parameters as the HSM's schema check leaves them: binary ones decoded to bytes. */
export type ParsedMechParams = z.output<typeof MechParams>;

// --- MFA and quorum (reference §3): token files as CloudHSM's CLI writes them ------------------

/** One token of a token file: the HSM's bytes (base64) and the holder's RSA signature over them. */
export const TokenEntry = z.object({
  unsigned: b64Text(64).describe('SHA-256 of the token data, base64: the bytes the holder signs'),
  signed: z.string().max(1400).regex(B64_RE, 'must be base64').describe('base64 sha256WithRSAEncryption signature over the decoded unsigned bytes, or empty'),
  approval_data: b64Text(2048).optional().describe('quorum tokens: what is being approved (base64 JSON); unsigned = SHA-256 of it'),
}).strip();
/** `{"version":"2.0","tokens":[{"unsigned":"…","signed":"…"}]}` */
export const TokenFile = z.object({ version: z.literal('2.0'), tokens: z.array(TokenEntry).min(1).max(16) }).strip();
export type TokenFile = z.infer<typeof TokenFile>;
export const QuorumService = z.enum(['user', 'quorum', 'cluster', 'key-management', 'key-usage']);
export type QuorumServiceName = z.infer<typeof QuorumService>;
/** Services a token can be generated for: the quorum services, plus `registration` (quorum key registration). */
export const TokenService = z.enum(['user', 'quorum', 'cluster', 'key-management', 'key-usage', 'registration']);
export type TokenServiceName = z.infer<typeof TokenService>;
const Approval = TokenFile.optional().describe('a quorum token signed by approvers (--approval FILE)');
const MfaProof = {
  mfaToken: TokenFile.optional().describe('token-sign MFA: the login challenge, signed with the MFA key'),
  totp: secret(z.string().regex(/^[0-9]{6}$/, 'a TOTP code is 6 digits')).optional(),
  ticket: secret(b64(64)).optional().describe('one-time ticket from an MFA login on another HSM of the cluster'),
};

const NewKeyCommon = {
  session: z.boolean().optional().describe('a session key: lives on one HSM for this connection only'),
  shareWith: z.array(Username).max(64).optional(),
  manageKeyQuorumValue: z.number().int().min(0).max(8).optional(),
  useKeyQuorumValue: z.number().int().min(0).max(8).optional(),
};

export const ops = {
  // --- cluster, no login -------------------------------------------------------------------
  'cluster.info': { params: Empty, auth: 'none' },
  'cluster.csr': { params: Empty, auth: 'none' },
  'cluster.initialize': {
    params: z.object({
      clusterCertificate: z.string().max(16384),
      trustAnchor: z.string().max(16384),
      clientTrustAnchors: z.array(z.string().max(16384)).max(2).optional()
        .describe('registers these mTLS trust anchors at initialisation (strongroom up uses it)'),
      mtlsEnforcement: z.enum(['cluster', 'none']).optional(),
    }).strict(),
    auth: 'appliance',
  },
  'cluster.activate': { params: z.object({ password: Password }).strict(), auth: 'none' },
  'cluster.device': { params: Empty, auth: 'none' },
  'cluster.cloneExport': { params: z.object({ recipientCertificate: z.string().max(16384) }).strict(), auth: 'appliance' },
  'cluster.cloneImport': {
    params: z.object({
      package: z.object({
        clusterId: z.string().max(64),
        senderCertificate: z.string().max(16384),
        recipientFingerprint: z.string().regex(/^[0-9a-f]{64}$/),
        ephemeralPublicKey: b64Text(512),
        iv: b64Text(16),
        wrapped: b64Text(256),
        signature: b64Text(512),
      }).strict(),
    }).strict(),
    auth: 'appliance',
  },
  'cluster.backupExport': { params: Empty, auth: 'appliance' },
  'cluster.backupImport': { params: z.object({ backup: b64(16 * 1024 * 1024).describe('a backup file made by cluster.backupExport') }).strict(), auth: 'appliance' },
  'mtls.listTrustAnchors': { params: Empty, auth: 'none' },
  'mtls.registerTrustAnchor': { params: z.object({ pem: z.string().max(16384), approval: Approval }).strict(), auth: 'login' },
  'mtls.deregisterTrustAnchor': { params: z.object({ certificateReference: z.string().max(80), approval: Approval }).strict(), auth: 'login' },
  'mtls.setEnforcement': { params: z.object({ level: z.enum(['cluster', 'none']), approval: Approval }).strict(), auth: 'login' },
  'mtls.getEnforcement': { params: Empty, auth: 'login' },
  // --- session -----------------------------------------------------------------------------
  login: { params: z.object({ username: Username, role: AnyRole, password: AnyPassword, ...MfaProof }).strict(), auth: 'none' },
  logout: { params: Empty, auth: 'login' },
  whoami: { params: Empty, auth: 'none' },
  // --- users -------------------------------------------------------------------------------
  'user.list': { params: Empty, auth: 'none' },
  'user.create': { params: z.object({ username: Username, role: Role, password: Password, approval: Approval }).strict(), auth: 'login' },
  'user.delete': { params: z.object({ username: Username, role: Role, approval: Approval }).strict(), auth: 'login' },
  'user.changePassword': { params: z.object({ username: Username, role: AnyRole, password: Password, approval: Approval }).strict(), auth: 'login' },
  'user.changeMfa': {
    params: z.object({
      username: Username,
      role: Role,
      strategy: z.enum(['token-sign', 'totp', 'none']).describe('none deregisters MFA (and the quorum key with it)'),
      publicKey: z.string().max(4096).optional().describe('token-sign: the MFA public key, PEM'),
      token: TokenFile.optional().describe('token-sign: the enrolment challenge signed with the new key; absent to ask for a challenge'),
      changeQuorum: z.boolean().optional().describe('also register the key for quorum (one key serves both)'),
      approval: Approval,
    }).strict(),
    auth: 'login',
  },
  'user.registerQuorum': {
    params: z.object({ publicKey: z.string().max(4096), token: TokenFile.describe('a registration token signed with the key') }).strict(),
    auth: 'login',
  },
  // --- quorum (M of N) ---------------------------------------------------------------------
  'quorum.generate': { params: z.object({ service: TokenService }).strict(), auth: 'login' },
  'quorum.list': { params: Empty, auth: 'login' },
  'quorum.listValues': { params: Empty, auth: 'none' },
  'quorum.setValue': {
    params: z.object({ service: z.enum(['user', 'quorum', 'cluster']), value: z.number().int().min(1).max(8), approval: Approval }).strict(),
    auth: 'login',
  },
  'quorum.delete': { params: z.object({ scope: z.enum(['user', 'all']) }).strict(), auth: 'login' },
  // --- keys --------------------------------------------------------------------------------
  'key.generateSymmetric': {
    params: z.object({
      keyType: z.enum(['aes', 'generic-secret']),
      keyLengthBytes: z.number().int(),
      attributes: AttributeTemplate.optional(),
      ...NewKeyCommon,
    }).strict(),
    auth: 'login',
  },
  'key.generateKeyPair': {
    params: z.object({
      keyType: z.enum(['rsa', 'ec']),
      modulusSizeBits: z.number().int().optional(),
      publicExponent: z.number().int().positive().max(2 ** 48).optional(),
      curve: Curve.optional(),
      publicAttributes: AttributeTemplate.optional(),
      privateAttributes: AttributeTemplate.optional(),
      ...NewKeyCommon,
    }).strict(),
    auth: 'login',
  },
  'key.importPublic': {
    params: z.object({ pem: z.string().max(16384), attributes: AttributeTemplate.optional(), session: z.boolean().optional() }).strict(),
    auth: 'login',
  },
  'key.importSecret': {
    params: z.object({
      keyType: z.enum(['aes', 'generic-secret']),
      value: secret(b64(800)),
      attributes: AttributeTemplate.optional(),
      ...NewKeyCommon,
    }).strict(),
    auth: 'login',
  },
  'key.copy': {
    params: z.object({ ref: KeyRef, attributes: AttributeTemplate.optional(), session: z.boolean().optional() }).strict(),
    auth: 'login',
  },
  'object.create': {
    params: z.object({
      class: z.enum(['certificate', 'data']),
      value: b64Text(32 * 1024).describe('kept as sent: object.getValue returns this text'),
      attributes: z.record(z.string().max(40), z.union([z.string().max(4096), z.boolean()])).optional()
        .describe('label, id, subject, issuer, serial-number (hex), application, certificate-type, token, private, modifiable'),
      session: z.boolean().optional(),
    }).strict(),
    auth: 'login',
  },
  'object.list': { params: Empty, auth: 'login' },
  'object.getValue': { params: z.object({ ref: KeyRef }).strict(), auth: 'login' },
  'object.delete': { params: z.object({ ref: KeyRef }).strict(), auth: 'login' },
  'object.setAttribute': {
    params: z.object({ ref: KeyRef, name: z.string().max(40), value: z.union([z.boolean(), z.string().max(4096)]) }).strict(),
    auth: 'login',
  },
  'key.list': {
    params: z.object({ filter: Filter.optional(), verbose: z.boolean().optional(), maxItems: z.number().int().min(1).max(10000).optional(), startingToken: z.string().max(64).optional() }).strict(),
    auth: 'login',
  },
  'key.delete': { params: z.object({ ref: KeyRef }).strict(), auth: 'login' },
  'key.share': { params: z.object({ ref: KeyRef, username: Username, approval: Approval }).strict(), auth: 'login' },
  'key.unshare': { params: z.object({ ref: KeyRef, username: Username, approval: Approval }).strict(), auth: 'login' },
  'key.setAttribute': {
    params: z.object({ ref: KeyRef, name: z.string().max(40), value: z.union([z.boolean(), z.string().max(512)]), approval: Approval }).strict(),
    auth: 'login',
  },
  'key.getPublic': { params: z.object({ ref: KeyRef }).strict(), auth: 'login' },
  'key.wrap': {
    params: z.object({ mechanism: Mechanism, wrappingRef: KeyRef, payloadRef: KeyRef, params: MechParams.optional(), wrappingApproval: Approval, payloadApproval: Approval }).strict(),
    auth: 'login',
  },
  'key.unwrap': {
    params: z.object({
      mechanism: Mechanism,
      unwrappingRef: KeyRef,
      wrapped: b64(16384),
      keyClass: KeyClass,
      keyType: KeyType,
      params: MechParams.optional(),
      attributes: AttributeTemplate.optional(),
      approval: Approval,
      ...NewKeyCommon,
    }).strict(),
    auth: 'login',
  },
  'key.derive': {
    params: z.object({
      mechanism: Mechanism,
      baseRef: KeyRef,
      params: MechParams,
      keyType: z.enum(['aes', 'generic-secret']),
      keyLengthBytes: z.number().int(),
      attributes: AttributeTemplate.optional(),
      ...NewKeyCommon,
    }).strict(),
    auth: 'login',
  },
  // --- crypto ------------------------------------------------------------------------------
  'crypto.sign': {
    params: z.object({ mechanism: Mechanism, ref: KeyRef, data: secret(b64(MAX_DATA)), params: MechParams.optional(), approval: Approval }).strict(),
    auth: 'login',
  },
  'crypto.verify': {
    params: z.object({ mechanism: Mechanism, ref: KeyRef, data: secret(b64(MAX_DATA)), signature: b64(1024), params: MechParams.optional() }).strict(),
    auth: 'login',
  },
  'crypto.encrypt': {
    params: z.object({ mechanism: Mechanism, ref: KeyRef, data: secret(b64(MAX_DATA)), params: MechParams.optional() }).strict(),
    auth: 'login',
  },
  'crypto.decrypt': {
    params: z.object({ mechanism: Mechanism, ref: KeyRef, data: b64(MAX_DATA + 1024), params: MechParams.optional() }).strict(),
    auth: 'login',
  },
  'crypto.digest': { params: z.object({ mechanism: Mechanism, data: secret(b64(MAX_DATA)) }).strict(), auth: 'login' },
  'crypto.random': { params: z.object({ length: z.number().int().min(1).max(MAX_DATA) }).strict(), auth: 'login' },
  'mechanism.list': { params: Empty, auth: 'none' },
  // --- monitoring --------------------------------------------------------------------------
  /** Counters and gauges of this HSM (CloudHSM's CloudWatch metrics): numbers, never secrets. */
  'metrics.get': { params: Empty, auth: 'appliance-or-login' },
} as const satisfies Record<string, { params: z.ZodType; auth: OpAuth }>;

export type OpName = keyof typeof ops;
/** An operation's params as a client sends them: what goes on the wire. */
export type OpParams<N extends OpName> = z.input<(typeof ops)[N]['params']>;
/** An operation's params as dispatch hands them to the handler: binary fields (b64) are Buffers. */
export type ParsedParams<N extends OpName> = z.output<(typeof ops)[N]['params']>;

// --- results ----------------------------------------------------------------------------------

/** One key as `key list --verbose` shows it in CloudHSM's CLI. */
export interface KeyDescription {
  'key-reference': string;
  'key-info'?: {
    'key-owners': Array<{ username: string; 'key-coverage': 'full' | 'session' }>;
    'shared-users': Array<{ username: string; 'key-coverage': 'full' | 'session' }>;
    'key-quorum-values': { 'manage-key-quorum-value': number; 'use-key-quorum-value': number };
    'cluster-coverage': 'full' | 'session';
  };
  attributes: Record<string, string | number | boolean>;
}
/** A certificate or data object (PKCS#11 CKO_CERTIFICATE / CKO_DATA) kept beside the keys. */
export interface ObjectDescription {
  'object-reference': string;
  class: 'certificate' | 'data';
  owner: string;
  session: boolean;
  /** label, id, subject, issuer, serial-number (hex), token, private, modifiable, value-len … */
  attributes: Record<string, string | number | boolean>;
}
export interface UserDescription {
  username: string;
  role: RoleName;
  locked: 'true' | 'false';
  mfa: Array<{ strategy: string; status: string }>;
  quorum: Array<{ strategy: string; status: string }>;
  'cluster-coverage': 'full';
}
/** One live quorum token as `quorum token-sign list` shows it. */
export interface QuorumTokenDescription {
  username: string;
  service: TokenServiceName;
  'approvals-required': number;
  'number-of-approvals': number;
  'token-timeout-seconds': number;
  'cluster-coverage': 'full';
}
export interface HsmDescription {
  'hsm-id': string;
  'availability-zone': string;
  address: string;
  port: number;
  state: string;
  'cluster-id': string;
  'hsm-serial-number': string;
  'firmware-version': string;
  'key-count'?: number;
}
export interface ClusterInfo {
  'cluster-id': string;
  state: 'UNINITIALIZED' | 'INITIALIZED' | 'ACTIVE';
  /** State of the HSM that answered (it may be DEGRADED or UNCLONED while the cluster is ACTIVE). */
  'hsm-state': string;
  'fips-mode': boolean;
  hsms: HsmDescription[];
}

/**
 * What `metrics.get` answers: counts and sizes only. Never key material, key labels, user names,
 * passwords or anything a request carried: the only strings are operation names, CKR_* names and
 * the node's identifiers and state.
 */
export interface HsmMetricsReport {
  hsmId: string;
  clusterId: string;
  state: HsmNodeState;
  /** Seconds since this node started. */
  uptimeSeconds: number;
  /** Open client connections (CloudHSM's HsmSessionCount), appliance connections apart. */
  sessions: number;
  /** Open appliance connections (the control plane's own, this one included). */
  applianceSessions: number;
  /** Token keys of the cluster this HSM holds (HsmKeysTokenOccupied). */
  keysTokenOccupied: number;
  /** Session keys of open connections on this HSM (HsmKeysSessionOccupied). */
  keysSessionOccupied: number;
  /** Users of the cluster (admins and crypto users); absent when the store cannot be read (an uncloned HSM). */
  users?: number;
  /** The most users a cluster may have (HsmUsersMax); creating one more is refused. */
  usersMax: number;
  /** Requests answered since the node started, per operation and result ('ok' or the CKR_* name); only non-zero counts. */
  requests: Array<{ command: string; result: string; count: number }>;
  /** Time inside the HSM per request, in seconds: cumulative counts per upper bound (the last is +Inf). */
  duration: { bounds: number[]; counts: number[]; sum: number; count: number };
}

export interface OpResults {
  'cluster.info': ClusterInfo;
  'cluster.csr': { csr: string; hsmCertificate: string; fleetCertificate: string };
  'cluster.initialize': { state: 'INITIALIZED' };
  'cluster.activate': { state: 'ACTIVE' };
  'cluster.device': { 'hsm-id': string; 'cluster-id': string; state: string; deviceCertificate: string };
  'cluster.cloneExport': { package: { clusterId: string; senderCertificate: string; recipientFingerprint: string; ephemeralPublicKey: string; iv: string; wrapped: string; signature: string } };
  'cluster.cloneImport': { state: string };
  'cluster.backupExport': { backup: string; records: number; clusterState: string };
  'cluster.backupImport': { state: string; records: number; sourceClusterId: string };
  'mtls.listTrustAnchors': { 'trust_anchors': Array<{ 'certificate-reference': string; certificate: string; 'cluster-coverage': 'full' }> };
  'mtls.registerTrustAnchor': { 'trust_anchor': { 'certificate-reference': string; certificate: string; 'cluster-coverage': 'full' } };
  'mtls.deregisterTrustAnchor': { message: string };
  'mtls.setEnforcement': { message: string };
  'mtls.getEnforcement': { 'mtls-enforcement-level': 'cluster' | 'none' };
  /** With MFA: a first call answers with `mfa-required` (and a token-sign challenge) and logs nothing in;
   * a successful MFA login on one HSM also returns one-time `tickets` for the cluster's other HSMs. */
  login: { username: string; role: RoleName; 'mfa-required'?: 'token-sign' | 'totp'; token?: TokenFile; tickets?: string[] };
  logout: string;
  whoami: { username: string | null; role: RoleName | null; mtls: boolean };
  'user.list': { users: UserDescription[] };
  'user.create': { username: string; role: RoleName };
  'user.delete': { username: string; role: RoleName };
  'user.changePassword': { username: string; role: RoleName };
  'user.changeMfa': { username: string; role: RoleName; token?: TokenFile; 'otpauth-uri'?: string; 'totp-seed'?: string; mfa?: Array<{ strategy: string; status: string }> };
  'user.registerQuorum': { username: string; role: RoleName };
  'quorum.generate': { service: TokenServiceName; token: TokenFile; 'token-timeout-seconds': number };
  'quorum.list': { tokens: QuorumTokenDescription[] };
  'quorum.listValues': Record<'user' | 'quorum' | 'cluster', number>;
  'quorum.setValue': { service: string; value: number };
  'quorum.delete': { message: string; deleted: number };
  'key.generateSymmetric': { key: KeyDescription };
  'key.generateKeyPair': { public_key: KeyDescription; private_key: KeyDescription };
  'key.importPublic': { key: KeyDescription };
  'key.importSecret': { key: KeyDescription };
  'key.copy': { key: KeyDescription };
  'object.create': { object: ObjectDescription };
  'object.list': { objects: ObjectDescription[] };
  'object.getValue': { value: string };
  'object.delete': { message: string };
  'object.setAttribute': { message: string };
  'key.list': { matched_keys: KeyDescription[]; total_key_count: number; returned_key_count: number; next_token?: string };
  'key.delete': { message: string };
  'key.share': { message: string };
  'key.unshare': { message: string };
  'key.setAttribute': { message: string };
  'key.getPublic': { pem: string };
  'key.wrap': { wrapped_key_data: string };
  'key.unwrap': { key: KeyDescription };
  'key.derive': { key: KeyDescription };
  'crypto.sign': { signature: string };
  'crypto.verify': { message: string };
  'crypto.encrypt': { data: string; iv?: string };
  'crypto.decrypt': { data: string };
  'crypto.digest': { digest: string };
  'crypto.random': { data: string };
  'mechanism.list': { mechanisms: Array<{ name: string; fips: boolean; operations: string[] }> };
  'metrics.get': HsmMetricsReport;
}
export type OpResult<N extends OpName> = N extends keyof OpResults ? OpResults[N] : never;

/** Names of fields whose values must be dropped from logs and audit, per operation. */
export function secretFields(op: OpName): string[] {
  const shape = (ops[op].params as unknown as z.ZodObject).shape as Record<string, z.ZodType> | undefined;
  if (!shape) return [];
  return Object.entries(shape)
    .filter(([, t]) => {
      const inner = t instanceof z.ZodOptional ? (t.unwrap() as z.ZodType) : t;
      return (inner.meta() as { secret?: boolean } | undefined)?.secret === true;
    })
    .map(([k]) => k);
}
